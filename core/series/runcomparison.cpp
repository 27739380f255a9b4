// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/runcomparison.h"

#include <QHash>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace ExitScope {

namespace {

QString spanLabel(const Span &span)
{
    return span.startText.isEmpty() ? markerKindName(span.kind) : span.startText;
}

std::optional<double> alignmentPoint(const ExitSeries &series, RunComparison::Alignment alignment)
{
    switch (alignment) {
    case RunComparison::Alignment::Start:
        return 0.0;
    case RunComparison::Alignment::Boot:
        for (const auto &m : series.markers())
            if (m.marker.kind == MarkerKind::Boot)
                return m.t;
        return std::nullopt;
    case RunComparison::Alignment::FirstSpan:
        // The first marked span: a boot span starts where the run does.
        for (const auto &span : series.spans())
            if (span.kind != MarkerKind::Boot)
                return span.start;
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace

RunComparison::RunComparison(QVector<Entry> entries)
    : m_entries(std::move(entries))
{
    const int runs = runCount();
    Row whole;
    whole.label = QStringLiteral("Whole run");
    whole.perRun.resize(runs);
    for (int r = 0; r < runs; ++r) {
        const auto &series = *m_entries.at(r).series;
        auto &f = whole.perRun[r];
        f.present = !series.isEmpty();
        if (f.present) {
            f.start = series.points().first().t;
            f.duration = series.points().last().t - f.start;
            f.exits = series.totalExits();
            f.cycles = series.totalCycles();
        }
    }
    m_rows.append(whole);

    // A span is known by its label and which occurrence of that label it is in its run.
    QHash<QPair<QString, int>, int> rowOf;
    for (int r = 0; r < runs; ++r) {
        QHash<QString, int> seen;
        for (const auto &span : m_entries.at(r).series->spans()) {
            const auto label = spanLabel(span);
            const QPair<QString, int> key(label, seen[label]++);
            auto it = rowOf.find(key);
            if (it == rowOf.end()) {
                Row row;
                row.label = key.second == 0 ? label : QStringLiteral("%1 (%2)").arg(label).arg(key.second + 1);
                row.perRun.resize(runs);
                it = rowOf.insert(key, int(m_rows.size()));
                m_rows.append(row);
            }
            auto &f = m_rows[*it].perRun[r];
            f.present = true;
            f.start = span.start;
            f.duration = span.end - span.start;
            f.exits = span.exits;
            f.cycles = span.cycles;
        }
    }
}

bool RunComparison::hasAlignmentPoint(int run, Alignment alignment) const
{
    return alignmentPoint(*m_entries.at(run).series, alignment).has_value();
}

double RunComparison::offset(int run, Alignment alignment) const
{
    return alignmentPoint(*m_entries.at(run).series, alignment).value_or(0.0);
}

RunComparison::Spread RunComparison::spread(const QVector<double> &values)
{
    Spread s;
    s.n = int(values.size());
    if (s.n == 0)
        return s;
    s.min = *std::min_element(values.begin(), values.end());
    s.max = *std::max_element(values.begin(), values.end());
    double sum = 0;
    for (double v : values)
        sum += v;
    s.mean = sum / s.n;
    if (s.n > 1) {
        double squares = 0;
        for (double v : values)
            squares += (v - s.mean) * (v - s.mean);
        s.sd = std::sqrt(squares / (s.n - 1));
    }
    return s;
}

RunComparison::Spread RunComparison::spread(int row, Figure figure) const
{
    QVector<double> values;
    for (const auto &f : m_rows.at(row).perRun) {
        if (!f.present)
            continue;
        switch (figure) {
        case Figure::Exits:
            values.append(double(f.exits));
            break;
        case Figure::CyclesPerExit:
            if (f.exits > 0)
                values.append(double(f.cycles) / double(f.exits));
            break;
        case Figure::Duration:
            values.append(f.duration);
            break;
        }
    }
    return spread(values);
}

double RunComparison::percentDifference(double value, double reference)
{
    if (reference == 0)
        return std::numeric_limits<double>::quiet_NaN();
    return 100.0 * (value - reference) / reference;
}

} // namespace ExitScope
