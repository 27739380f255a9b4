// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/robustrange.h"

#include <cmath>

namespace ExitScope {

namespace {
// The smallest value with a bucket of its own; anything smaller shares the first. Rates and cycles
// per exit below 1e-3 do not decide an axis.
constexpr int MinExponent = -3;
} // namespace

void RobustRange::clear()
{
    m_buckets.clear();
    m_count = 0;
    m_max = 0;
}

int RobustRange::bucketOf(double value) const
{
    const double position = (std::log10(value) - MinExponent) * BucketsPerDecade;
    return position < 0 ? 0 : int(position) + 1;
}

double RobustRange::upperEdge(int bucket) const
{
    return std::pow(10.0, MinExponent + double(bucket) / BucketsPerDecade);
}

void RobustRange::add(double value)
{
    if (!(value > 0) || std::isinf(value))
        return;
    const int bucket = bucketOf(value);
    if (bucket >= m_buckets.size())
        m_buckets.resize(bucket + 1);
    ++m_buckets[bucket];
    ++m_count;
    if (value > m_max)
        m_max = value;
}

double RobustRange::quantile(double fraction) const
{
    if (m_count == 0)
        return 0;
    const auto wanted = qint64(std::ceil(fraction * double(m_count)));
    qint64 seen = 0;
    for (int b = 0; b < m_buckets.size(); ++b) {
        seen += m_buckets.at(b);
        if (seen >= wanted)
            return std::min(upperEdge(b), m_max);
    }
    return m_max;
}

double RobustRange::axisTop(double headroom) const
{
    if (m_count == 0)
        return 0;
    const double typical = quantile(0.995);
    if (m_max > OutlierFactor * typical)
        return typical * headroom;
    return m_max * headroom;
}

bool RobustRange::cutsOutliers() const
{
    return m_count > 0 && m_max > OutlierFactor * quantile(0.995);
}

} // namespace ExitScope
