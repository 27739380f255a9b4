// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experiment/experimentrecipe.h"
#include "series/exitseries.h"
#include "series/runcomparison.h"

#include <QString>
#include <QVector>

#include <memory>

namespace ExitScope {

// What an experiment found over its repetitions: for each measured span, every repetition's
// exits, cycles, cycles/exit and duration, their spread, and whether the recipe's expectations
// held. Computed from the repetitions' runs, so it can be computed again from the store at any time.
class ExperimentResult
{
public:
    struct Repetition
    {
        int number = 0; // 1-based
        qint64 runId = -1;
        std::shared_ptr<const ExitSeries> series;
    };

    // One span in one repetition.
    struct Value
    {
        bool present = false;
        double exits = 0; // less the sampler's own CPUIDs inside the span when subtracted
        double cycles = 0;
        double cyclesPerExit = 0; // NaN without exits
        double duration = 0;
        quint64 ownCpuids = 0; // the sampler's own CPUIDs read inside the span
    };

    struct Measure
    {
        QString span;
        QVector<Value> perRepetition;
        RunComparison::Spread exits;
        RunComparison::Spread cycles;
        RunComparison::Spread cyclesPerExit;
        RunComparison::Spread duration;
        QVector<double> exitValues() const;
    };

    struct Check
    {
        ExperimentRecipe::Expectation expectation;
        int repetition = 0;
        bool passed = false;
        quint64 counted = 0;   // exits of the reason (or all) counted around the span
        quint64 allowance = 0; // of those, the sampler's own reads at most (reason checks)
        QString verdict;       // for people: what was counted against what was expected
    };

    ExperimentResult() = default;
    static ExperimentResult compute(const ExperimentRecipe &recipe, const QVector<Repetition> &repetitions,
                                    bool subtractOwnExits);

    const QString &recipeName() const { return m_recipe; }
    const QVector<Repetition> &repetitions() const { return m_repetitions; }
    const QVector<Measure> &measures() const { return m_measures; }
    const QVector<Check> &checks() const { return m_checks; }
    bool subtractsOwnExits() const { return m_subtractOwn; }
    bool allChecksPassed() const;

    // A table for the command line: span, n, exits mean/sd/min/max, cycles mean/sd,
    // cycles_per_exit mean/sd, duration mean/sd, then exits_repN for each repetition.
    QString toTsv() const;
    // The long format: one line per span and repetition (docs/experiments.md).
    QString toCsv() const;

private:
    QString m_recipe;
    QVector<Repetition> m_repetitions;
    QVector<Measure> m_measures;
    QVector<Check> m_checks;
    bool m_subtractOwn = false;
};

} // namespace ExitScope
