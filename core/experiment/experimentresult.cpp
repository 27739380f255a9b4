// SPDX-License-Identifier: GPL-3.0-or-later
#include "experiment/experimentresult.h"

#include "protocol/exitreasons.h"

#include <QCoreApplication>
#include <QTextStream>

#include <algorithm>
#include <cmath>

namespace ExitScope {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("ExperimentResult", text);
}

int rowOf(const RunComparison &comparison, const QString &label)
{
    for (int row = 0; row < comparison.rows().size(); ++row)
        if (comparison.rows().at(row).label == label)
            return row;
    return -1;
}

// The sampler's own CPUIDs in the samples' intervals that end after from, up to the first sample at
// or after to and one more: the reads of reasons that follow a sample are counted in the next one.
quint64 ownCpuidsAround(const ExitSeries &series, double from, double to)
{
    const auto &points = series.points();
    quint64 own = 0;
    bool pastEnd = false;
    for (const auto &p : points) {
        if (p.t <= from)
            continue;
        own += p.deltaOwn;
        if (pastEnd)
            break;
        pastEnd = p.t >= to;
    }
    return own;
}

QString formatted(double value)
{
    if (std::isnan(value))
        return {};
    return QString::number(value, 'f', std::fabs(value) >= 1000 ? 0 : 3);
}
} // namespace

QVector<double> ExperimentResult::Measure::exitValues() const
{
    QVector<double> values;
    for (const auto &v : perRepetition)
        if (v.present)
            values << v.exits;
    return values;
}

ExperimentResult ExperimentResult::compute(const ExperimentRecipe &recipe, const QVector<Repetition> &repetitions,
                                           bool subtractOwnExits)
{
    ExperimentResult result;
    result.m_recipe = recipe.name;
    result.m_repetitions = repetitions;
    result.m_subtractOwn = subtractOwnExits;
    QVector<RunComparison::Entry> entries;
    for (const auto &r : repetitions)
        entries.append({QString::number(r.number), r.series});
    const RunComparison comparison(entries);

    for (const auto &label : recipe.measure) {
        Measure measure;
        measure.span = label;
        const int row = rowOf(comparison, label);
        QVector<double> exits, cycles, perExit, duration;
        for (int r = 0; r < repetitions.size(); ++r) {
            Value v;
            if (row >= 0) {
                const auto &f = comparison.rows().at(row).perRun.at(r);
                v.present = f.present;
                if (f.present) {
                    const auto summary = repetitions.at(r).series->summarize(f.start, f.start + f.duration);
                    v.ownCpuids = summary.valid ? summary.ownCpuids : 0;
                    const auto counted = subtractOwnExits && f.exits > v.ownCpuids ? f.exits - v.ownCpuids : f.exits;
                    v.exits = double(counted);
                    v.cycles = double(f.cycles);
                    v.cyclesPerExit = f.exits ? double(f.cycles) / double(f.exits) : std::nan("");
                    v.duration = f.duration;
                    exits << v.exits;
                    cycles << v.cycles;
                    if (!std::isnan(v.cyclesPerExit))
                        perExit << v.cyclesPerExit;
                    duration << v.duration;
                }
            }
            measure.perRepetition << v;
        }
        measure.exits = RunComparison::spread(exits);
        measure.cycles = RunComparison::spread(cycles);
        measure.cyclesPerExit = RunComparison::spread(perExit);
        measure.duration = RunComparison::spread(duration);
        result.m_measures << measure;
    }

    for (const auto &x : recipe.expectations) {
        const int row = rowOf(comparison, x.span);
        for (int r = 0; r < repetitions.size(); ++r) {
            Check check;
            check.expectation = x;
            check.repetition = repetitions.at(r).number;
            const auto &series = *repetitions.at(r).series;
            const RunComparison::Figures *f = row >= 0 ? &comparison.rows().at(row).perRun.at(r) : nullptr;
            if (!f || !f->present) {
                check.verdict = tr("no span '%1' in this repetition").arg(x.span);
                result.m_checks << check;
                continue;
            }
            if (x.reason.isEmpty()) {
                check.counted = f->exits;
                check.passed = f->exits >= x.exits;
                check.verdict = tr("%1 exits counted in '%2', %3 expected at least")
                                    .arg(f->exits).arg(x.span).arg(x.exits);
                result.m_checks << check;
                continue;
            }
            const auto reason = ExitReasons::parse(series.cpuVendor(), x.reason);
            if (!reason) {
                check.verdict = tr("'%1' is no exit reason of this host's numbering").arg(x.reason);
                result.m_checks << check;
                continue;
            }
            // The reason's readings on either side of the span: the last at or before its start, the
            // first at or after its end.
            const double start = f->start, end = f->start + f->duration;
            const ReasonPoint *before = nullptr, *after = nullptr;
            for (const auto &p : series.reasonPoints()) {
                if (p.reason != *reason)
                    continue;
                if (p.t <= start)
                    before = &p;
                else if (p.t >= end && !after)
                    after = &p;
            }
            const auto name = ExitReasons::name(series.cpuVendor(), *reason);
            if (!before || !after) {
                check.verdict = tr("%1 exits were not read before and after '%2': the agent did not sample that reason")
                                    .arg(name, x.span);
                result.m_checks << check;
                continue;
            }
            check.counted = after->exitsTotal - before->exitsTotal;
            check.allowance = ownCpuidsAround(series, before->t, after->t);
            check.passed = check.counted >= x.exits && check.counted <= x.exits + check.allowance;
            check.verdict = tr("%1 %2 exits counted around '%3': %4 expected, plus at most %5 of the sampler's own")
                                .arg(check.counted)
                                .arg(name, x.span)
                                .arg(x.exits)
                                .arg(check.allowance);
            result.m_checks << check;
        }
    }
    return result;
}

bool ExperimentResult::allChecksPassed() const
{
    return std::all_of(m_checks.begin(), m_checks.end(), [](const Check &c) { return c.passed; });
}

QString ExperimentResult::toTsv() const
{
    QString text;
    QTextStream out(&text);
    out << "span\tn\texits_mean\texits_sd\texits_min\texits_max\tcycles_mean\tcycles_sd\tcycles_per_exit_mean\t"
           "cycles_per_exit_sd\tduration_mean_s\tduration_sd_s";
    for (const auto &r : m_repetitions)
        out << "\texits_rep" << r.number;
    out << '\n';
    for (const auto &m : m_measures) {
        out << m.span << '\t' << m.exits.n;
        for (double v : {m.exits.mean, m.exits.sd, m.exits.min, m.exits.max, m.cycles.mean, m.cycles.sd,
                         m.cyclesPerExit.mean, m.cyclesPerExit.sd})
            out << '\t' << (m.exits.n ? formatted(v) : QString());
        out << '\t' << (m.duration.n ? QString::number(m.duration.mean, 'f', 3) : QString()) << '\t'
            << (m.duration.n ? QString::number(m.duration.sd, 'f', 3) : QString());
        for (const auto &v : m.perRepetition)
            out << '\t' << (v.present ? QString::number(qulonglong(v.exits)) : QString());
        out << '\n';
    }
    return text;
}

QString ExperimentResult::toCsv() const
{
    QString text;
    QTextStream out(&text);
    out << "experiment,span,repetition,run,exits,cycles,cycles_per_exit,duration_s,own_cpuids\n";
    // Span labels come from guest text: quoted, and a leading formula character defused.
    const auto field = [](QString s) -> QString {
        if (!s.isEmpty() && QStringLiteral("=+-@\t\r").contains(s.front()))
            s.prepend(QLatin1Char('\''));
        return QLatin1Char('"') + s.replace(QLatin1Char('"'), QLatin1String("\"\"")) + QLatin1Char('"');
    };
    for (const auto &m : m_measures) {
        for (int r = 0; r < m.perRepetition.size(); ++r) {
            const auto &v = m.perRepetition.at(r);
            if (!v.present)
                continue;
            out << m_recipe << ',' << field(m.span) << ',' << m_repetitions.at(r).number << ','
                << m_repetitions.at(r).runId << ',' << qulonglong(v.exits) << ',' << qulonglong(v.cycles) << ','
                << formatted(v.cyclesPerExit) << ',' << QString::number(v.duration, 'f', 6) << ',' << v.ownCpuids
                << '\n';
        }
    }
    return text;
}

} // namespace ExitScope
