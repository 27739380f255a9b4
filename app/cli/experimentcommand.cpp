// SPDX-License-Identifier: GPL-3.0-or-later
// exitscope-cli experiment: list, show and run experiments (docs/experiments.md).
#include "commandline.h"

#include "experiment/experimentrecipe.h"
#include "experiment/experimentrunner.h"
#include "report/experimentreport.h"
#include "store/outputguard.h"
#include "store/runstore.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QSaveFile>
#include <QTimer>

namespace ExitScope {

namespace {
// A recipe named on the command line: a file (path with a / or ending in .json), else by name.
QString findRecipe(const QString &what, const QStringList &folders, ExperimentRecipe *recipe)
{
    if (what.contains(QLatin1Char('/')) || what.endsWith(QLatin1String(".json")))
        return ExperimentRecipe::load(what, recipe);
    QStringList problems;
    const auto recipes = ExperimentRecipe::findAll(folders, &problems);
    for (const auto &r : recipes) {
        if (r.name == what) {
            *recipe = r;
            return {};
        }
    }
    QStringList names;
    for (const auto &r : recipes)
        names << r.name;
    return QStringLiteral("no experiment named '%1'; there are: %2").arg(what, names.join(QStringLiteral(", ")));
}
} // namespace

int CommandLine::experiment()
{
    if (m_positional.isEmpty())
        return usageError(QStringLiteral("experiment needs list, show NAME or run NAME"));
    const auto action = m_positional.takeFirst();
    const auto folders = ExperimentRecipe::defaultFolders(m_storePath);

    if (action == QLatin1String("list")) {
        if (!m_positional.isEmpty())
            return usageError(QStringLiteral("experiment list takes no arguments"));
        QStringList problems;
        const auto recipes = ExperimentRecipe::findAll(folders, &problems);
        out(QStringLiteral("name\trepetitions\tsteps\tmeasure\ttitle"));
        for (const auto &r : recipes) {
            QStringList steps;
            for (const auto &step : r.steps)
                steps << step.text();
            out(QStringLiteral("%1\t%2\t%3\t%4\t%5")
                    .arg(r.name)
                    .arg(r.repetitions)
                    .arg(steps.join(QStringLiteral("; ")), r.measure.join(QStringLiteral("; ")), r.title));
        }
        for (const auto &problem : std::as_const(problems))
            err(QStringLiteral("exitscope-cli: skipped %1").arg(problem));
        return Ok;
    }

    if (m_positional.size() != 1)
        return usageError(QStringLiteral("experiment %1 needs one experiment: a name from 'experiment list' or a .json file").arg(action));
    ExperimentRecipe recipe;
    if (const auto problem = findRecipe(m_positional.first(), folders, &recipe); !problem.isEmpty())
        return usageError(problem);

    if (action == QLatin1String("show")) {
        out(QStringLiteral("# %1").arg(recipe.path));
        std::fputs(recipe.toJson().constData(), stdout);
        return Ok;
    }
    if (action != QLatin1String("run"))
        return usageError(QStringLiteral("unknown experiment action '%1'; use list, show or run").arg(action));
    if (m_connect.isEmpty())
        return usageError(QStringLiteral("experiment run needs --connect URI (the host the guest runs on)"));
    OutputGuard guard;
    guard.protect(m_storePath, QStringLiteral("the run database"), OutputGuard::Kind::Database);
    guard.protect(recipe.path, QStringLiteral("the experiment's recipe"));
    for (const auto &output : {m_csv, m_report}) {
        if (output.isEmpty())
            continue;
        if (const auto refusal = guard.refusal(output); !refusal.isEmpty())
            return usageError(refusal);
    }
    if (const auto clash = OutputGuard::clash({m_csv, m_report}); !clash.isEmpty())
        return usageError(clash);
    RunStore store;
    if (const int status = openStore(store, false))
        return status;

    ExperimentRunner::Options options;
    options.uri = m_connect;
    options.guest = m_guest;
    options.repetitions = m_repeat;
    options.subtractOwnExits = m_subtractOwn;
    options.bootRetries = m_bootRetries;
    if (m_waitSet && m_wait > 0) {
        options.helloTimeoutSeconds = m_wait;
        options.stepTimeoutSeconds = std::max(options.stepTimeoutSeconds, m_wait);
    }
    ExperimentRunner runner(&store);
    QEventLoop loop;
    ExperimentRunner::Outcome outcome = ExperimentRunner::Outcome::Failed;
    QString failure;
    QObject::connect(&runner, &ExperimentRunner::finished, &loop, [&](ExperimentRunner::Outcome how, const QString &message) {
        outcome = how;
        failure = message;
        loop.quit();
    });
    if (!m_quiet) {
        QObject::connect(&runner, &ExperimentRunner::connecting, &loop,
                         [this](const QString &uri) { err(QStringLiteral("connecting to %1").arg(uri.section(QLatin1Char('?'), 0, 0))); });
        QObject::connect(&runner, &ExperimentRunner::repetitionStarted, &loop, [this](int repetition, int repetitions, qint64 runId) {
            err(QStringLiteral("[repetition %1/%2] run %3").arg(repetition).arg(repetitions).arg(runId));
        });
        QObject::connect(&runner, &ExperimentRunner::stepStarted, &loop, [this, &runner](int, int step, const QString &description) {
            err(QStringLiteral("  step %1/%2: %3").arg(step + 1).arg(runner.recipe().steps.size()).arg(description));
        });
        QObject::connect(&runner, &ExperimentRunner::waiting, &loop, [this, lastSaid = -1](int waited, int timeout, const QString &what) mutable {
            if (waited > 0 && waited % 10 == 0 && std::exchange(lastSaid, waited) != waited)
                err(QStringLiteral("    waiting for %1: %2 s of %3 s").arg(what.left(1).toLower() + what.mid(1)).arg(waited).arg(timeout));
        });
        QObject::connect(&runner, &ExperimentRunner::repetitionDiscarded, &loop, [this](int repetition, qint64 runId, const QString &why) {
            err(QStringLiteral("[repetition %1] discarded: %2; run %3 is kept as discarded, the guest is forced off and "
                               "the repetition runs again")
                    .arg(repetition)
                    .arg(why)
                    .arg(runId));
        });
        QObject::connect(&runner, &ExperimentRunner::notice, &loop,
                         [this](const QString &message) { err(QStringLiteral("  note: %1").arg(message)); });
        QObject::connect(&runner, &ExperimentRunner::settling, &loop,
                         [this](double seconds) { err(QStringLiteral("  settling for %1 s").arg(seconds)); });
        QObject::connect(&runner, &ExperimentRunner::repetitionEnded, &loop,
                         [this](int repetition, qint64 runId, bool ok, const QString &message) {
                             err(ok ? QStringLiteral("[repetition %1] done: run %2").arg(repetition).arg(runId)
                                    : runId < 0 ? QStringLiteral("[repetition %1] failed: %2 (nothing was recorded)").arg(repetition).arg(message)
                                                : QStringLiteral("[repetition %1] failed: %2 (run %3 keeps what was recorded)")
                                                      .arg(repetition)
                                                      .arg(message)
                                                      .arg(runId));
                         });
    }
    if (!runner.start(recipe, options)) {
        err(QStringLiteral("exitscope-cli: ") + runner.lastError());
        return Failed;
    }
    if (!m_quiet)
        err(QStringLiteral("experiment %1 (%2): %3 repetitions in %4 on %5")
                .arg(recipe.name, recipe.title)
                .arg(runner.repetitionCount())
                .arg(options.guest.isEmpty() ? recipe.guest : options.guest, m_connect.section(QLatin1Char('?'), 0, 0)));
    // Ctrl+C cancels: the repetitions done stay stored and are summarized.
    catchInterrupts(true);
    QTimer interruptCheck;
    QObject::connect(&interruptCheck, &QTimer::timeout, &loop, [&runner] {
        if (interruptRequested())
            runner.cancel();
    });
    interruptCheck.start(100);
    if (runner.isRunning())
        loop.exec();
    interruptCheck.stop();
    catchInterrupts(false);

    const auto &result = runner.result();
    QStringList runs;
    for (const auto &r : result.repetitions())
        runs << QString::number(r.runId);
    out(QStringLiteral("experiment %1: %2 of %3 repetitions, runs %4")
            .arg(recipe.name)
            .arg(result.repetitions().size())
            .arg(runner.repetitionCount())
            .arg(runs.isEmpty() ? QStringLiteral("none") : runs.join(QLatin1Char(' '))));
    if (!result.repetitions().isEmpty())
        std::fputs(qPrintable(result.toTsv()), stdout);
    for (const auto &check : result.checks())
        out(QStringLiteral("check %1, repetition %2: %3").arg(check.passed ? QStringLiteral("passed") : QStringLiteral("FAILED")).arg(check.repetition).arg(check.verdict));
    std::fflush(stdout);
    int status = Ok;
    if (!m_csv.isEmpty() && !result.repetitions().isEmpty()) {
        QSaveFile file(m_csv);
        if (!file.open(QIODevice::WriteOnly) || file.write(result.toCsv().toUtf8()) < 0 || !file.commit()) {
            err(QStringLiteral("exitscope-cli: cannot write %1: %2").arg(m_csv, file.errorString()));
            status = Failed;
        } else if (!m_quiet) {
            err(QStringLiteral("wrote %1").arg(m_csv));
        }
    }
    if (!m_report.isEmpty() && !result.repetitions().isEmpty()) {
        QVector<RunInfo> runInfos;
        for (const auto &r : result.repetitions()) {
            RunInfo info;
            store.runInfo(r.runId, &info);
            runInfos << info;
        }
        QString error;
        if (!ExperimentReport::write(m_report, recipe, result, runInfos, &error)) {
            err(QStringLiteral("exitscope-cli: ") + error);
            status = Failed;
        } else if (!m_quiet) {
            err(QStringLiteral("wrote %1/%2").arg(m_report, QLatin1String(ExperimentReport::PageFile)));
        }
    }
    if (outcome != ExperimentRunner::Outcome::Completed) {
        err(QStringLiteral("exitscope-cli: %1").arg(failure));
        return Failed;
    }
    if (!result.allChecksPassed()) {
        err(QStringLiteral("exitscope-cli: the experiment's checks failed (above)"));
        return Failed;
    }
    return status;
}

} // namespace ExitScope
