// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/experimentreport.h"

#include "report/htmlpage.h"
#include "report/reportfolder.h"

#include <cmath>

namespace ExitScope {

namespace {
using HtmlPage::count;
using HtmlPage::describe;
using HtmlPage::escaped;
using HtmlPage::fixed;
using HtmlPage::row;

QString meanAndSd(const RunComparison::Spread &s, int decimals)
{
    if (s.n == 0)
        return QStringLiteral("–");
    return s.n > 1 ? QStringLiteral("%1 ± %2").arg(fixed(s.mean, decimals), fixed(s.sd, decimals)) : fixed(s.mean, decimals);
}
} // namespace

QString ExperimentReport::html(const ExperimentRecipe &recipe, const ExperimentResult &result, const QVector<RunInfo> &runs)
{
    const auto heading = QStringLiteral("%1: experiment %2").arg(recipe.title, recipe.name);
    QString html = HtmlPage::begin(heading, heading);
    if (!recipe.description.isEmpty())
        html += QStringLiteral("<p>%1</p>\n").arg(escaped(recipe.description));

    QStringList steps;
    for (const auto &step : recipe.steps)
        steps << step.text();
    const RunInfo first = runs.value(0);
    html += QStringLiteral("<h2>Set-up</h2>\n<table>\n");
    html += describe(QStringLiteral("Host"), first.host);
    html += describe(QStringLiteral("Kernel"), first.kernel);
    html += describe(QStringLiteral("Leaves"), first.leafLayout);
    html += describe(QStringLiteral("Guest"), first.guest);
    html += describe(QStringLiteral("Steps of a repetition"), steps.join(QStringLiteral(" → ")));
    html += describe(QStringLiteral("Measured"), recipe.measure.join(QStringLiteral(", ")));
    html += describe(QStringLiteral("Exit reasons sampled"), recipe.reasons.join(QStringLiteral(", ")));
    html += describe(QStringLiteral("Settle time"), QStringLiteral("%1 s").arg(recipe.settleSeconds));
    html += describe(QStringLiteral("Exits"), result.subtractsOwnExits()
                                                  ? QStringLiteral("without the sampler's own CPUIDs inside each span")
                                                  : QStringLiteral("as counted, the sampler's own CPUIDs included"));
    html += QStringLiteral("</table>\n");

    html += QStringLiteral("<h2>Repetitions</h2>\n<table>\n")
        + row({QStringLiteral("Repetition"), QStringLiteral("Run"), QStringLiteral("Name"), QStringLiteral("Started")}, true);
    for (int r = 0; r < result.repetitions().size(); ++r) {
        const auto &rep = result.repetitions().at(r);
        const auto info = runs.value(r);
        html += row({QString::number(rep.number), QString::number(rep.runId), escaped(info.name),
                     info.startedAt.isValid() ? info.startedAt.toUTC().toString(Qt::ISODate) : QString()});
    }
    html += QStringLiteral("</table>\n");

    html += QStringLiteral("<h2>Results</h2>\n<p>Mean ± sample standard deviation over the repetitions.</p>\n"
                           "<table class=\"numbers\">\n")
        + row({QStringLiteral("Span"), QStringLiteral("n"), QStringLiteral("Exits"), QStringLiteral("Min – max"),
               QStringLiteral("Cycles"), QStringLiteral("Cycles/exit"), QStringLiteral("Duration (s)")},
              true);
    for (const auto &m : result.measures())
        html += row({escaped(m.span), QString::number(m.exits.n), meanAndSd(m.exits, 0),
                     m.exits.n ? QStringLiteral("%1 – %2").arg(count(quint64(m.exits.min)), count(quint64(m.exits.max)))
                               : QStringLiteral("–"),
                     meanAndSd(m.cycles, 0), meanAndSd(m.cyclesPerExit, 0), meanAndSd(m.duration, 3)});
    html += QStringLiteral("</table>\n");

    html += QStringLiteral("<h2>Exits of each repetition</h2>\n<table class=\"numbers\">\n");
    QStringList header{QStringLiteral("Span")};
    for (const auto &rep : result.repetitions())
        header << QStringLiteral("#%1 (run %2)").arg(rep.number).arg(rep.runId);
    html += row(header, true);
    for (const auto &m : result.measures()) {
        QStringList cells{escaped(m.span)};
        for (const auto &v : m.perRepetition)
            cells << (v.present ? count(quint64(v.exits)) : QStringLiteral("–"));
        html += row(cells);
    }
    html += QStringLiteral("</table>\n");

    if (!result.checks().isEmpty()) {
        html += QStringLiteral("<h2>Checks</h2>\n<table>\n")
            + row({QStringLiteral("Repetition"), QStringLiteral("Result"), QStringLiteral("What was counted")}, true);
        for (const auto &check : result.checks())
            html += row({QString::number(check.repetition), check.passed ? QStringLiteral("passed") : QStringLiteral("<b>failed</b>"),
                         escaped(check.verdict)});
        html += QStringLiteral("</table>\n");
    }
    html += QStringLiteral("<h2>Files</h2>\n<ul>\n<li><a href=\"%1\">%1</a>: every span of every repetition</li>\n</ul>\n")
                .arg(QLatin1String(ResultFile));
    return html + HtmlPage::end();
}

bool ExperimentReport::write(const QString &folder, const ExperimentRecipe &recipe, const ExperimentResult &result,
                             const QVector<RunInfo> &runs, QString *error)
{
    ReportFolder report;
    return report.begin(folder, error) && report.writeText(QLatin1String(ResultFile), result.toCsv(), error)
        && report.writeText(QLatin1String(PageFile), html(recipe, result, runs), error) && report.commit(error);
}

} // namespace ExitScope
