// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QVector>

namespace ExitScope {

// The top of a value axis that one burst or outlier cannot flatten the rest under: an incremental
// histogram of positive values in logarithmic buckets (BucketsPerDecade per factor of ten, so a
// quantile is known within ~4 %), from which a high quantile is read in constant time as a live
// plot grows. Values at or below zero and NaN are not counted.
class RobustRange
{
public:
    static constexpr int BucketsPerDecade = 64;

    void clear();
    void add(double value);
    qint64 count() const { return m_count; }
    double maximum() const { return m_max; }

    // The smallest bucket edge at or above the given fraction of the values (0.995: all but the top
    // half percent); 0 when nothing was added.
    double quantile(double fraction) const;

    // Where a linear axis should end: the maximum with headroom, unless the maximum is more than
    // OutlierFactor times the 99.5 % quantile; then that quantile with headroom, and the few values
    // above it run off the top.
    static constexpr double OutlierFactor = 3.0;
    double axisTop(double headroom) const;
    // Whether axisTop() leaves the largest values above the axis.
    bool cutsOutliers() const;

private:
    int bucketOf(double value) const;
    double upperEdge(int bucket) const;

    QVector<qint64> m_buckets; // bucket b holds values in [edge(b-1), edge(b)), from MinExponent on
    qint64 m_count = 0;
    double m_max = 0;
};

} // namespace ExitScope
