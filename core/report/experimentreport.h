// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experiment/experimentrecipe.h"
#include "experiment/experimentresult.h"
#include "store/runinfo.h"

#include <QString>
#include <QVector>

namespace ExitScope {

// An experiment's result as a report folder: index.html (the recipe, the host and guest, each
// repetition's run, each measured span's spread and per-repetition values, the checks) and
// result.csv (docs/experiments.md). Written whole or not at all, like a run's report.
class ExperimentReport
{
public:
    static constexpr const char *PageFile = "index.html";
    static constexpr const char *ResultFile = "result.csv";

    // runs: the repetitions' runs as stored, in the result's order.
    static bool write(const QString &folder, const ExperimentRecipe &recipe, const ExperimentResult &result,
                      const QVector<RunInfo> &runs, QString *error);
    static QString html(const ExperimentRecipe &recipe, const ExperimentResult &result, const QVector<RunInfo> &runs);
};

} // namespace ExitScope
