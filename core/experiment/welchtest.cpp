// SPDX-License-Identifier: GPL-3.0-or-later
#include "experiment/welchtest.h"

#include <QCoreApplication>

#include <cmath>
#include <limits>

namespace ExitScope {

namespace Statistics {

namespace {
// Lentz's method for the continued fraction of I_x(a, b), which converges fast for
// x < (a + 1) / (a + b + 2); the other side is reached through I_x(a, b) = 1 - I_(1-x)(b, a).
double betaContinuedFraction(double x, double a, double b)
{
    constexpr int MaxIterations = 500;
    constexpr double Epsilon = 1e-15;
    constexpr double Tiny = 1e-300;
    const double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1;
    double d = 1 - qab * x / qap;
    if (std::fabs(d) < Tiny)
        d = Tiny;
    d = 1 / d;
    double h = d;
    // One term of the fraction: its coefficient folded into c and d; returns the factor for h.
    const auto term = [&c, &d](double coefficient) {
        d = 1 + coefficient * d;
        if (std::fabs(d) < Tiny)
            d = Tiny;
        c = 1 + coefficient / c;
        if (std::fabs(c) < Tiny)
            c = Tiny;
        d = 1 / d;
        return d * c;
    };
    for (int m = 1; m <= MaxIterations; ++m) {
        const double m2 = 2.0 * m;
        h *= term(m * (b - m) * x / ((qam + m2) * (a + m2)));
        const double delta = term(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= delta;
        if (std::fabs(delta - 1) < Epsilon)
            break;
    }
    return h;
}
} // namespace

double regularizedIncompleteBeta(double x, double a, double b)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    const double logFront = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
    const double front = std::exp(logFront);
    if (x < (a + 1) / (a + b + 2))
        return front * betaContinuedFraction(x, a, b) / a;
    return 1 - front * betaContinuedFraction(1 - x, b, a) / b;
}

double studentTwoSidedP(double t, double df)
{
    if (std::isinf(t))
        return 0;
    return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

} // namespace Statistics

WelchTest WelchTest::compare(const QVector<double> &a, const QVector<double> &b)
{
    WelchTest w;
    const auto meanAndVariance = [](const QVector<double> &v, double *mean, double *variance) {
        double sum = 0;
        for (double x : v)
            sum += x;
        *mean = sum / double(v.size());
        double squares = 0;
        for (double x : v)
            squares += (x - *mean) * (x - *mean);
        *variance = squares / double(v.size() - 1);
    };
    if (a.size() < 2 || b.size() < 2) {
        w.why = QCoreApplication::translate("WelchTest", "needs two repetitions or more on each side");
        return w;
    }
    double varA = 0, varB = 0;
    meanAndVariance(a, &w.meanA, &varA);
    meanAndVariance(b, &w.meanB, &varB);
    const double seA = varA / double(a.size());
    const double seB = varB / double(b.size());
    if (seA + seB == 0) {
        w.why = QCoreApplication::translate("WelchTest", "no spread on either side: the values are all equal");
        return w;
    }
    w.valid = true;
    w.t = (w.meanA - w.meanB) / std::sqrt(seA + seB);
    w.degreesOfFreedom = (seA + seB) * (seA + seB)
        / (seA * seA / double(a.size() - 1) + seB * seB / double(b.size() - 1));
    w.p = Statistics::studentTwoSidedP(w.t, w.degreesOfFreedom);
    return w;
}

} // namespace ExitScope
