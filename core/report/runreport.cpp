// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/runreport.h"

#include "report/htmlpage.h"
#include "report/reportfolder.h"

#include "protocol/exitreasons.h"
#include "series/csvexporter.h"
#include "series/exitseries.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSaveFile>
#include <QTemporaryDir>

#include <algorithm>

namespace ExitScope {

namespace {

using HtmlPage::count;
using HtmlPage::fixed;
using HtmlPage::row;

QString esc(const QString &text)
{
    return HtmlPage::escaped(text);
}

QString ratio(quint64 cycles, quint64 exits)
{
    return exits ? fixed(double(cycles) / double(exits), 0) : QStringLiteral("–");
}

using HtmlPage::describe;

QString runTitle(const RunInfo &run)
{
    const auto name = RunInfo::cleanName(run.name);
    if (run.id < 0)
        return name.isEmpty() ? QStringLiteral("Recording") : name;
    return name.isEmpty() ? QStringLiteral("Run %1").arg(run.id) : QStringLiteral("Run %1: %2").arg(run.id).arg(name);
}

QString descriptionTable(const RunInfo &run, const ExitSeries &series)
{
    QString html = QStringLiteral("<table class=\"about\">\n");
    html += describe(QStringLiteral("State"), RunInfo::stateName(run.state)
                         + (run.failure.isEmpty() ? QString() : QString(QStringLiteral(": ") + run.failure)));
    html += describe(QStringLiteral("Started"), run.startedAt.isValid() ? run.startedAt.toString(Qt::ISODate) : QString());
    html += describe(QStringLiteral("Finished"), run.finishedAt.isValid() ? run.finishedAt.toString(Qt::ISODate) : QString());
    html += describe(QStringLiteral("Host"), run.host);
    html += describe(QStringLiteral("Host kernel"), run.kernel);
    html += describe(QStringLiteral("Guest"), run.guest);
    html += describe(QStringLiteral("Source"), run.source);
    html += describe(QStringLiteral("Leaves"), run.leafLayout);
    html += describe(QStringLiteral("Samples"), count(quint64(series.size())));
    html += describe(QStringLiteral("Markers"), count(quint64(series.markers().size())));
    if (series.resetCount() > 0)
        html += describe(QStringLiteral("Counter resets"),
                         QStringLiteral("%1 (KVM was reloaded while recording; totals continue across them)")
                             .arg(series.resetCount()));
    html += describe(QStringLiteral("Notes"), run.notes);
    return html + QStringLiteral("</table>\n");
}

QString totalsTable(const ExitSeries &series)
{
    if (series.isEmpty())
        return QStringLiteral("<p>The run holds no samples.</p>\n");
    quint64 own = 0;
    for (const auto &p : series.points())
        own += p.deltaOwn;
    const double seconds = series.points().last().t - series.points().first().t;
    const quint64 exits = series.totalExits();
    const quint64 cycles = series.totalCycles();
    QString html = QStringLiteral("<table class=\"numbers\">\n");
    html += row({QStringLiteral("Duration (s)"), QStringLiteral("Exits"), QStringLiteral("Sampler's own CPUIDs"),
                 QStringLiteral("Cycles"), QStringLiteral("Cycles/exit"), QStringLiteral("Exits/s")},
                true);
    html += row({fixed(seconds, 3), count(exits), count(own), count(cycles), ratio(cycles, exits),
                 seconds > 0 ? fixed(double(exits) / seconds, 1) : QStringLiteral("–")});
    return html + QStringLiteral("</table>\n");
}

QString spansTable(const ExitSeries &series)
{
    const auto spans = series.spans();
    if (spans.isEmpty())
        return QStringLiteral("<p>No spans: the run has no pair of start and end markers.</p>\n");
    const bool withReasons = !series.reasonPoints().isEmpty();
    QString html = withReasons ? QStringLiteral("<p>Exit reasons: the largest three of those read between the samples "
                                                "inside the span, as shares of what was read there.</p>\n")
                               : QString();
    html += QStringLiteral("<table class=\"numbers\">\n");
    QStringList header{QStringLiteral("Span"), QStringLiteral("Start (s)"), QStringLiteral("Duration (s)"), QStringLiteral("Exits"),
                       QStringLiteral("Cycles"), QStringLiteral("Cycles/exit"), QStringLiteral("Read at")};
    if (withReasons)
        header << QStringLiteral("Exit reasons");
    html += row(header, true);
    for (const auto &span : spans) {
        const auto what = span.startText.isEmpty() ? QStringLiteral("%1 %2").arg(markerKindName(span.kind)).arg(span.id)
                                                   : span.startText;
        QStringList cells{esc(what), fixed(span.start, 3), fixed(span.end - span.start, 3), count(span.exits),
                          count(span.cycles), ratio(span.cycles, span.exits),
                          span.exact ? QStringLiteral("markers") : QStringLiteral("nearest samples")};
        if (withReasons) {
            const auto inside = series.summarize(span.start, span.end);
            quint64 read = 0;
            for (const auto &r : inside.reasons)
                read += r.deltaExits;
            QStringList top;
            for (int i = 0; i < qMin(3, int(inside.reasons.size())) && read > 0; ++i)
                top << QStringLiteral("%1 %2 %").arg(esc(ExitReasons::name(series.cpuVendor(), inside.reasons.at(i).reason)),
                                                     fixed(100.0 * double(inside.reasons.at(i).deltaExits) / double(read), 1));
            cells << (top.isEmpty() ? QStringLiteral("–") : top.join(QStringLiteral(", ")));
        }
        html += row(cells);
    }
    return html + QStringLiteral("</table>\n");
}

QString reasonsTable(const ExitSeries &series)
{
    auto reasons = series.reasonTotals();
    if (reasons.isEmpty())
        return QStringLiteral("<p>The run sampled no exit reasons.</p>\n");
    std::stable_sort(reasons.begin(), reasons.end(),
                     [](const ReasonTotal &a, const ReasonTotal &b) { return a.exitsTotal > b.exitsTotal; });
    quint64 sum = 0;
    for (const auto &r : reasons)
        sum += r.exitsTotal;
    QString html = QStringLiteral("<p>Counted from each reason's first reading; the share is of the reasons "
                                  "sampled, not of all exits.</p>\n<table class=\"numbers\">\n");
    html += row({QStringLiteral("Reason"), QStringLiteral("Exits"), QStringLiteral("Cycles"), QStringLiteral("Cycles/exit"),
                 QStringLiteral("Share")},
                true);
    for (const auto &r : reasons)
        html += row({esc(ExitReasons::name(series.cpuVendor(), r.reason)), count(r.exitsTotal), count(r.cyclesTotal),
                     ratio(r.cyclesTotal, r.exitsTotal),
                     sum ? fixed(100.0 * double(r.exitsTotal) / double(sum), 1) + QStringLiteral(" %") : QStringLiteral("–")});
    return html + QStringLiteral("</table>\n");
}

QString markersTable(const ExitSeries &series)
{
    const auto &markers = series.markers();
    if (markers.isEmpty())
        return QStringLiteral("<p>The run has no markers.</p>\n");
    QString html = QStringLiteral("<table class=\"markers\">\n");
    html += row({QStringLiteral("Time (s)"), QStringLiteral("Kind"), QStringLiteral("Text")}, true);
    const int listed = qMin(int(markers.size()), RunReport::MaxListedMarkers);
    for (int i = 0; i < listed; ++i) {
        const auto &m = markers.at(i);
        html += row({fixed(m.t, 3), esc(markerKindName(m.marker.kind)), esc(m.marker.text)});
    }
    html += QStringLiteral("</table>\n");
    if (listed < markers.size())
        html += QStringLiteral("<p>%1 more markers are in <a href=\"%2\">%2</a>.</p>\n")
                    .arg(count(quint64(markers.size() - listed)), QLatin1String(RunReport::SamplesFile));
    return html;
}

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

QString RunReport::title(const RunInfo &run)
{
    QStringList parts{runTitle(run)};
    if (!run.host.isEmpty())
        parts << QStringLiteral("host %1").arg(run.host);
    if (!run.guest.isEmpty() && run.guest != QLatin1String("(none)"))
        parts << QStringLiteral("guest %1").arg(run.guest);
    if (run.startedAt.isValid())
        parts << run.startedAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
    return parts.join(QStringLiteral(" · "));
}

QString RunReport::html(const RunInfo &run, const ExitSeries &series, bool hasPlot, bool hasReasonsCsv)
{
    const auto title = esc(runTitle(run));
    QString html = HtmlPage::begin(RunReport::title(run), runTitle(run));
    html += descriptionTable(run, series);
    html += QStringLiteral("<h2>Totals</h2>\n") + totalsTable(series);
    html += QStringLiteral("<h2>Plot</h2>\n");
    html += hasPlot ? QStringLiteral("<p><img src=\"%1\" alt=\"Exits per second and cycles per exit of %2\"></p>\n")
                          .arg(QLatin1String(PlotFile), title)
                    : QStringLiteral("<p>No plot was written.</p>\n");
    html += QStringLiteral("<h2>Spans</h2>\n") + spansTable(series);
    html += QStringLiteral("<h2>Exit reasons</h2>\n") + reasonsTable(series);
    html += QStringLiteral("<h2>Markers</h2>\n") + markersTable(series);
    html += QStringLiteral("<h2>Files</h2>\n<ul>\n<li><a href=\"%1\">%1</a>: every sample and marker (docs/csv.md)</li>\n")
                .arg(QLatin1String(SamplesFile));
    if (hasReasonsCsv)
        html += QStringLiteral("<li><a href=\"%1\">%1</a>: every reading of each exit reason</li>\n")
                    .arg(QLatin1String(ReasonsFile));
    if (hasPlot)
        html += QStringLiteral("<li><a href=\"%1\">%1</a>: the plot</li>\n").arg(QLatin1String(PlotFile));
    html += QStringLiteral("</ul>\n") + HtmlPage::end();
    return html;
}

bool RunReport::write(const QString &folder, const RunInfo &run, const ExitSeries &series, const PlotWriter &plotWriter,
                      QString *error)
{
    ReportFolder report;
    if (!report.begin(folder, error))
        return false;
    const auto inStaging = [&report](const char *file) { return report.filePath(QLatin1String(file)); };

    QString why;
    if (!CsvExporter::writeFile(series, inStaging(SamplesFile), &why))
        return fail(error, why);
    const bool hasReasons = !series.reasonPoints().isEmpty();
    if (hasReasons && !CsvExporter::writeReasonsFile(series, inStaging(ReasonsFile), &why))
        return fail(error, why);
    const bool hasPlot = bool(plotWriter);
    if (hasPlot && !plotWriter(inStaging(PlotFile), &why))
        return fail(error, QStringLiteral("The plot could not be written: %1").arg(why));
    return report.writeText(QLatin1String(PageFile), html(run, series, hasPlot, hasReasons), error) && report.commit(error);
}

} // namespace ExitScope
