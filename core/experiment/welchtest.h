// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QVector>

namespace ExitScope {

// Welch's unequal-variances t-test between two sets of repetitions (say, exits of a span before and
// after a host change): is the difference of their means larger than their spread explains? Two-sided,
// with the Welch–Satterthwaite degrees of freedom. Needs two values or more on each side.
struct WelchTest
{
    bool valid = false;
    QString why; // when not valid: too few values, or no spread at all
    double meanA = 0;
    double meanB = 0;
    double t = 0;
    double degreesOfFreedom = 0;
    double p = 1; // two-sided

    static WelchTest compare(const QVector<double> &a, const QVector<double> &b);
    // The difference exceeds the spread at this significance level.
    bool significant(double alpha = 0.05) const { return valid && p < alpha; }
};

namespace Statistics {
// P(|T| >= |t|) for Student's t with df degrees of freedom (df > 0, not necessarily whole).
double studentTwoSidedP(double t, double df);
// The regularized incomplete beta function I_x(a, b), for 0 <= x <= 1, a, b > 0.
double regularizedIncompleteBeta(double x, double a, double b);
} // namespace Statistics

} // namespace ExitScope
