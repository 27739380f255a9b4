// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/reasonstack.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace ExitScope {

ReasonStack ReasonStack::build(const ExitSeries &series, int topReasons)
{
    ReasonStack stack;
    const auto &points = series.reasonPoints();
    if (points.size() < 2)
        return stack;
    double first = points.first().t;
    double last = first;
    for (const auto &p : points) {
        first = std::min(first, p.t);
        last = std::max(last, p.t);
    }
    if (!(last > first))
        return stack;

    // The bin is as wide as the time between two readings of one reason (the sampler's period for
    // reasons), or wider if the run would otherwise need more than MaxBins bins.
    QHash<quint32, double> previous;
    QVector<double> gaps;
    for (const auto &p : points) {
        const auto it = previous.find(p.reason);
        if (it != previous.end() && p.t > *it)
            gaps.append(p.t - *it);
        previous[p.reason] = p.t;
    }
    double period = (last - first) / MaxBins;
    if (!gaps.isEmpty()) {
        std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
        period = std::max(period, gaps.at(gaps.size() / 2));
    }
    // Bin b holds the exits of the readings that end the interval [first + b, first + b + 1] periods.
    const int bins = std::max(1, int(std::lround((last - first) / period)));
    stack.m_binWidth = period;
    stack.m_binStarts.resize(bins);
    for (int b = 0; b < bins; ++b)
        stack.m_binStarts[b] = first + b * period;

    // Which reasons get a layer of their own: the most exits over the whole run.
    QHash<quint32, quint64> totals;
    for (const auto &p : points)
        totals[p.reason] += p.deltaExits;
    QVector<QPair<quint64, quint32>> ranked;
    for (auto it = totals.cbegin(); it != totals.cend(); ++it)
        ranked.append({it.value(), it.key()});
    std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    QHash<quint32, int> layerOf;
    const int own = std::min(int(ranked.size()), topReasons);
    for (int i = 0; i < own; ++i) {
        Layer layer;
        layer.reason = ranked.at(i).second;
        layer.exits = ranked.at(i).first;
        layer.rates.fill(0, bins);
        layerOf.insert(layer.reason, int(stack.m_layers.size()));
        stack.m_layers.append(layer);
    }
    if (ranked.size() > own) {
        Layer other;
        other.other = true;
        for (int i = own; i < ranked.size(); ++i)
            other.exits += ranked.at(i).first;
        other.rates.fill(0, bins);
        stack.m_layers.append(other);
    }

    // A reading's exits happened in the interval that ends at it, so a reading one period after the
    // first goes into bin 0. Half a period of slack keeps readings taken exactly on bin edges (the
    // usual case) from drifting into a neighbour through rounding.
    for (const auto &p : points) {
        if (p.deltaExits == 0)
            continue;
        const int bin = std::clamp(int(std::floor((p.t - first) / period - 0.5)), 0, bins - 1);
        const int layer = layerOf.value(p.reason, int(stack.m_layers.size()) - 1);
        stack.m_layers[layer].rates[bin] += double(p.deltaExits) / period;
    }
    return stack;
}

} // namespace ExitScope
