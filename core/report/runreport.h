// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runinfo.h"

#include <QString>

#include <functional>

namespace ExitScope {

class ExitSeries;

// A run as a report folder, what a student hands in and an engineer attaches to a bug: index.html
// (no scripts, no remote content; it shows the run's description, totals, the plot, the spans, the
// exit reasons and the markers), plot.png, samples.csv and, when the run sampled exit reasons,
// reasons.csv (docs/csv.md). Everything a guest sent (marker text, names) is escaped.
//
// The folder appears whole or not at all: it is written beside its final place and renamed into it,
// so an existing folder with anything in it is never touched.
class RunReport
{
public:
    static constexpr const char *PageFile = "index.html";
    static constexpr const char *PlotFile = "plot.png";
    static constexpr const char *SamplesFile = "samples.csv";
    static constexpr const char *ReasonsFile = "reasons.csv";
    // A report lists at most this many markers; the CSV has them all.
    static constexpr int MaxListedMarkers = 500;

    // Renders the run's plot into the PNG file at path; returns false with an error on failure.
    // The GUI and the command line pass their plot widget; core itself draws nothing.
    using PlotWriter = std::function<bool(const QString &path, QString *error)>;

    // Writes the report into folder, which must not exist or be empty. plotWriter may be empty: the
    // page then says that it has no plot.
    static bool write(const QString &folder, const RunInfo &run, const ExitSeries &series, const PlotWriter &plotWriter,
                      QString *error);

    // One line naming the run, its host, guest and start: the page's and the plot's title.
    static QString title(const RunInfo &run);

    // The page alone; hasPlot and hasReasonsCsv say which files lie beside it.
    static QString html(const RunInfo &run, const ExitSeries &series, bool hasPlot, bool hasReasonsCsv);
};

} // namespace ExitScope
