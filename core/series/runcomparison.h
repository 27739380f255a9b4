// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/exitseries.h"

#include <QString>
#include <QVector>

#include <memory>

namespace ExitScope {

// Two or more runs side by side: where each is put on a shared time axis, and their spans matched
// by what they measured ("write 16" with "write 16", the second "vda" burst with the second). The
// runs are shared snapshots: a comparison keeps them alive as long as it is shown.
class RunComparison
{
public:
    enum class Alignment {
        Start, // each run's first sample at 0
        Boot, // each run's first boot marker at 0
        FirstSpan, // the start of each run's first span at 0
    };

    struct Entry
    {
        QString name;
        std::shared_ptr<const ExitSeries> series;
    };

    // One run's figures in a row; present is false when that run has no such span.
    struct Figures
    {
        bool present = false;
        double start = 0;
        double duration = 0;
        quint64 exits = 0;
        quint64 cycles = 0;
    };

    struct Row
    {
        QString label;
        QVector<Figures> perRun;
    };

    explicit RunComparison(QVector<Entry> entries);

    int runCount() const { return int(m_entries.size()); }
    const Entry &entry(int run) const { return m_entries.at(run); }

    // Whether run has the moment the alignment puts at 0.
    bool hasAlignmentPoint(int run, Alignment alignment) const;
    // Seconds to subtract from run's times; 0 (its start) when it lacks the alignment's moment.
    double offset(int run, Alignment alignment) const;

    // The whole runs first, then one row per span label and occurrence, in the order the runs
    // first show them (the first run's order, then what only later runs have).
    const QVector<Row> &rows() const { return m_rows; }

    // value relative to reference in percent; NaN when the reference is zero.
    static double percentDifference(double value, double reference);

    // How a figure varies over the runs that have a row: what repetitions of one experiment are
    // summarized by. sd is the sample standard deviation (n - 1 in the denominator), 0 for one value.
    struct Spread
    {
        int n = 0;
        double mean = 0;
        double sd = 0;
        double min = 0;
        double max = 0;
    };
    static Spread spread(const QVector<double> &values);
    enum class Figure { Exits, CyclesPerExit, Duration };
    Spread spread(int row, Figure figure) const;

private:
    QVector<Entry> m_entries;
    QVector<Row> m_rows;
};

} // namespace ExitScope
