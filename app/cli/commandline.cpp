// SPDX-License-Identifier: GPL-3.0-or-later
#include "commandline.h"

#include "deploy/deploypipeline.h"
#include "experiment/welchtest.h"
#include "metrics/fleetconfig.h"
#include "metrics/fleetexporter.h"
#include "metrics/metricsserver.h"
#include "exitplot.h"
#include "protocol/recordbuffer.h"
#include "recording/recordingsession.h"
#include "report/runreport.h"
#include "series/csvexporter.h"
#include "series/exitseries.h"
#include "series/runcomparison.h"
#include "store/outputguard.h"
#include "store/runstore.h"
#include "virt/hostkeypolicy.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>

#include <unistd.h>

namespace ExitScope {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int)
{
    interrupted = true;
}

const char *const Description =
    "Record, list and export ExitScope runs.\n"
    "\n"
    "Commands:\n"
    "  record            Record a run from a recording (--file), a command's output (--command) or a\n"
    "                    guest's agent (--connect URI --agent GUEST [--boot]) or the host probe\n"
    "                    (--connect qemu+ssh://… --probe [--rate HZ]).\n"
    "  runs              List the runs in the run database.\n"
    "  export RUN        Write a run as --csv, --reasons-csv, --png, --pdf and/or --report.\n"
    "  spans RUN         Print the exits and cycles of each workload, I/O burst and boot span.\n"
    "  compare RUN RUN…  Print each span of two or more runs (repetitions) with the mean, standard\n"
    "                    deviation, minimum and maximum of its exits, cycles/exit and duration.\n"
    "  compare A… vs B…  The same, and whether the groups' exits differ by more than their spread\n"
    "                    (Welch's t-test, two-sided).\n"
    "  experiment list   List the experiments (shipped, and the user's beside the run database).\n"
    "  experiment show NAME   Print an experiment's recipe (JSON, docs/experiments.md).\n"
    "  experiment run NAME|FILE --connect URI [--guest G] [--repeat N] [--csv FILE] [--report DIR]\n"
    "                    Run an experiment: each repetition a run, then the spread of each measured\n"
    "                    span over them and the recipe's checks (exit status 1 if one fails).\n"
    "  rename RUN NAME   Rename a run.\n"
    "  delete RUN        Delete a run.\n"
    "  check             Check the run database and every run in it; with --salvage NEW, copy what\n"
    "                    can be read of each run into a new run database (exit status 3 if damaged).\n"
    "  deploy            Put ExitScope's KVM modules and probe on the host of --connect (an SSH URI),\n"
    "                    activate (--activate reload|reboot|none) and verify them; --revert takes\n"
    "                    them off again; --dry-run says what would be done (docs/deploy.md).\n"
    "  serve             Record the guests' agents and probes of the hosts in --config, each\n"
    "                    connection a run in the run database, and expose their counters to\n"
    "                    Prometheus on --listen ADDRESS:PORT/metrics (docs/fleet.md).\n"
    "\n"
    "Exit codes: 0 done, 1 the work failed, 2 bad arguments, 3 the run database cannot be used,\n"
    "4 no such run; deploy: 1 failed and rolled back (the host runs what it ran before), 5 refused\n"
    "or failed before the host was changed, 6 the host may be left changed (the message says what\n"
    "to do).";

} // namespace

void CommandLine::catchInterrupts(bool on)
{
    interrupted = false;
    std::signal(SIGINT, on ? onInterrupt : SIG_DFL);
    std::signal(SIGTERM, on ? onInterrupt : SIG_DFL);
}

bool CommandLine::interruptRequested()
{
    return interrupted;
}

void CommandLine::out(const QString &text)
{
    std::fputs(qPrintable(text + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

void CommandLine::err(const QString &text)
{
    std::fputs(qPrintable(text + QLatin1Char('\n')), stderr);
}

int CommandLine::usageError(const QString &message)
{
    err(QStringLiteral("exitscope-cli: ") + message);
    err(QStringLiteral("Try 'exitscope-cli --help'."));
    return Usage;
}

int CommandLine::run(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(Description));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("record, runs, export, spans, compare, experiment, rename, delete, deploy or serve"));
    const QCommandLineOption store({QStringLiteral("s"), QStringLiteral("store")},
                                   QStringLiteral("Run database (default: %1).").arg(RunStore::defaultPath()),
                                   QStringLiteral("path"));
    const QCommandLineOption file({QStringLiteral("f"), QStringLiteral("file")}, QStringLiteral("record: replay this recording (*.exs)."),
                                  QStringLiteral("path"));
    const QCommandLineOption command({QStringLiteral("c"), QStringLiteral("command")},
                                     QStringLiteral("record: run this command and record its standard output. Words are split at "
                                                    "spaces; group words with double quotes."),
                                     QStringLiteral("command line"));
    const QCommandLineOption connectTo(QStringLiteral("connect"), QStringLiteral("record --agent: libvirt URI of the L1 host."),
                                       QStringLiteral("uri"));
    const QCommandLineOption agent(QStringLiteral("agent"), QStringLiteral("record: read this guest's agent channel."),
                                   QStringLiteral("guest"));
    const QCommandLineOption boot(QStringLiteral("boot"),
                                  QStringLiteral("record --agent: start the guest once recording runs, to record its boot."));
    const QCommandLineOption probe(QStringLiteral("probe"),
                                   QStringLiteral("record: run exitscope-probe on the host of --connect (a qemu+ssh URI)."));
    const QCommandLineOption rate(QStringLiteral("rate"), QStringLiteral("record --probe: readings per second (default 50)."),
                                  QStringLiteral("hz"));
    const QCommandLineOption paced(QStringLiteral("paced"), QStringLiteral("record --file: replay at recorded speed."));
    const QCommandLineOption speed(QStringLiteral("speed"), QStringLiteral("record --file --paced: speed factor (default 1)."),
                                   QStringLiteral("factor"));
    const QCommandLineOption duration(QStringLiteral("duration"), QStringLiteral("record: stop after this many seconds."),
                                      QStringLiteral("seconds"));
    const QCommandLineOption wait(QStringLiteral("wait"),
                                  QStringLiteral("record from a live sender: how long to wait for its first word, in seconds "
                                                 "(default 300; 0 waits until stopped). --duration counts from that word."),
                                  QStringLiteral("seconds"));
    const QCommandLineOption send(QStringLiteral("send"),
                                  QStringLiteral("record --agent: send this command to the agent once it has said hello, "
                                                 "e.g. \"mark before\" or \"write 8\" (repeatable; docs/protocol.md)."),
                                  QStringLiteral("command"));
    const QCommandLineOption saveStream(QStringLiteral("save-stream"),
                                        QStringLiteral("record: also save the stream as received, as a recording (*.exs)."),
                                        QStringLiteral("path"));
    const QCommandLineOption csv(QStringLiteral("csv"), QStringLiteral("Write the run as CSV."), QStringLiteral("path"));
    const QCommandLineOption png(QStringLiteral("png"), QStringLiteral("Write the plot as PNG."), QStringLiteral("path"));
    const QCommandLineOption pdf(QStringLiteral("pdf"), QStringLiteral("Write the plot as PDF."), QStringLiteral("path"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Image size (default 1600x900)."),
                                  QStringLiteral("WxH"), QStringLiteral("1600x900"));
    const QCommandLineOption subtractOwn(QStringLiteral("subtract-own"),
                                         QStringLiteral("Leave the sampler's own CPUID exits out of the rates."));
    const QCommandLineOption name(QStringLiteral("name"), QStringLiteral("record: name of the run."), QStringLiteral("text"));
    const QCommandLineOption notes(QStringLiteral("notes"), QStringLiteral("record: notes on the run."), QStringLiteral("text"));
    const QCommandLineOption host(QStringLiteral("host"), QStringLiteral("record: host whose KVM is measured."),
                                  QStringLiteral("name"));
    const QCommandLineOption kernel(QStringLiteral("kernel"), QStringLiteral("record: that host's kernel release."),
                                    QStringLiteral("release"));
    const QCommandLineOption guest(QStringLiteral("guest"), QStringLiteral("record: the guest measured."), QStringLiteral("name"));
    const QCommandLineOption quiet({QStringLiteral("q"), QStringLiteral("quiet")}, QStringLiteral("No progress on stderr."));
    const QCommandLineOption activate(QStringLiteral("activate"),
                                      QStringLiteral("deploy: reload (the modules, refused while guests run), reboot (the host) "
                                                     "or none (from the next boot). Default: reload."),
                                      QStringLiteral("how"), QStringLiteral("reload"));
    const QCommandLineOption revert(QStringLiteral("revert"), QStringLiteral("deploy: put back what the host ran before."));
    const QCommandLineOption dryRun(QStringLiteral("dry-run"), QStringLiteral("deploy: inspect the host and say what would be done."));
    const QCommandLineOption await(QStringLiteral("await"),
                                   QStringLiteral("deploy: wait again for a host that did not come back from its reboot, then verify."));
    const QCommandLineOption stopGuests(QStringLiteral("stop-guests"),
                                        QStringLiteral("deploy --activate reload: shut the running guests down first."));
    const QCommandLineOption leaves(QStringLiteral("leaves"), QStringLiteral("deploy: the CPUID leaves on or off (default on)."),
                                    QStringLiteral("on|off"), QStringLiteral("on"));
    const QCommandLineOption modules(QStringLiteral("modules"),
                                     QStringLiteral("deploy: install these built modules (kvm.ko, kvm-amd.ko, kvm-intel.ko) "
                                                    "instead of building them."),
                                     QStringLiteral("dir"));
    const QCommandLineOption rebootTimeout(QStringLiteral("reboot-timeout"),
                                           QStringLiteral("deploy --activate reboot: how long to wait for the host (default 300 s)."),
                                           QStringLiteral("seconds"));
    const QCommandLineOption acceptNewHostKey(QStringLiteral("accept-new-host-key"),
                                              QStringLiteral("deploy: a host whose SSH key is not on record yet has it recorded "
                                                             "(its fingerprint is printed); a changed key is refused all the same."));
    const QCommandLineOption acceptUnverifiedHostKey(
        QStringLiteral("accept-unverified-host-key"),
        QStringLiteral("Use a --connect URI (or a serve --config URI) that turns off the check of the host's SSH key "
                       "(no_verify=1, known_hosts_verify=ignore or auto); refused without this."));
    const QCommandLineOption salvage(QStringLiteral("salvage"),
                                     QStringLiteral("check: copy every run, as far as it can be read, into this new "
                                                    "run database."),
                                     QStringLiteral("path"));
    const QCommandLineOption installAgent(QStringLiteral("install-agent"),
                                          QStringLiteral("deploy: also put this exitscope-agent on the host, for guest images."),
                                          QStringLiteral("path"));
    const QCommandLineOption listen(QStringLiteral("listen"),
                                    QStringLiteral("serve: the address and port of /metrics (default 127.0.0.1:9477)."),
                                    QStringLiteral("address:port"), QStringLiteral("127.0.0.1:9477"));
    const QCommandLineOption config(QStringLiteral("config"), QStringLiteral("serve: the hosts and guests to record (docs/fleet.md)."),
                                    QStringLiteral("file"));
    const QCommandLineOption rollMinutes(QStringLiteral("roll-minutes"),
                                         QStringLiteral("serve: begin a new run for each sender this often, in minutes (default 60)."),
                                         QStringLiteral("minutes"), QStringLiteral("60"));
    parser.addOptions({listen, config, rollMinutes});
    const QCommandLineOption reasonsCsv(QStringLiteral("reasons-csv"),
                                        QStringLiteral("Write the exit reasons the run sampled as CSV, one row per reading of a reason."),
                                        QStringLiteral("path"));
    parser.addOption(reasonsCsv);
    const QCommandLineOption report(QStringLiteral("report"),
                                    QStringLiteral("Write a report folder (a new or empty one): index.html with the run's "
                                                   "description, totals, spans, exit reasons and markers, the plot and the CSVs."),
                                    QStringLiteral("folder"));
    parser.addOption(report);
    const QCommandLineOption repeat(QStringLiteral("repeat"),
                                    QStringLiteral("experiment run: repetitions (default: the recipe's)."), QStringLiteral("n"));
    parser.addOption(repeat);
    const QCommandLineOption bootRetries(QStringLiteral("boot-retries"),
                                         QStringLiteral("experiment run: run a repetition again (at most this often in all) when its "
                                                        "guest was reset, crashed or never spoke while it booted; default 0."),
                                         QStringLiteral("n"));
    parser.addOption(bootRetries);
    parser.addOptions({store, file, command, connectTo, agent, boot, probe, rate, paced, speed, duration, wait, send, saveStream, csv, png, pdf, size, subtractOwn, name, notes, host,
                       kernel, guest, quiet, activate, revert, dryRun, await, stopGuests, leaves, modules, rebootTimeout, installAgent, acceptNewHostKey,
                       acceptUnverifiedHostKey, salvage});

    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    HostKeyPolicy::setUncheckedKeysAccepted(parser.isSet(acceptUnverifiedHostKey));
    if (parser.isSet(QStringLiteral("help"))) {
        out(parser.helpText());
        return Ok;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        out(QStringLiteral("exitscope-cli ") + QCoreApplication::applicationVersion());
        return Ok;
    }
    m_positional = parser.positionalArguments();
    if (m_positional.isEmpty())
        return usageError(QStringLiteral("no command given"));
    m_storePath = parser.isSet(store) ? parser.value(store) : RunStore::defaultPath();
    m_file = parser.value(file);
    m_command = parser.value(command);
    m_connect = parser.value(connectTo);
    m_agent = parser.value(agent);
    m_boot = parser.isSet(boot);
    m_send = parser.values(send);
    m_probe = parser.isSet(probe);
    if (parser.isSet(rate)) {
        bool ok = false;
        m_rate = parser.value(rate).toInt(&ok);
        if (!ok || m_rate < 1 || m_rate > 1000)
            return usageError(QStringLiteral("--rate needs a whole number from 1 to 1000, not '%1'").arg(parser.value(rate)));
    }
    m_csv = parser.value(csv);
    m_reasonsCsv = parser.value(reasonsCsv);
    m_report = parser.value(report);
    m_saveStream = parser.value(saveStream);
    m_png = parser.value(png);
    m_pdf = parser.value(pdf);
    m_size = parser.value(size);
    m_salvage = parser.value(salvage);
    m_name = parser.value(name);
    m_notes = parser.value(notes);
    m_host = parser.value(host);
    m_kernel = parser.value(kernel);
    m_guest = parser.value(guest);
    m_paced = parser.isSet(paced);
    m_subtractOwn = parser.isSet(subtractOwn);
    m_quiet = parser.isSet(quiet);
    if (parser.isSet(speed)) {
        bool ok = false;
        m_speed = parser.value(speed).toDouble(&ok);
        if (!ok || !(m_speed > 0))
            return usageError(QStringLiteral("--speed needs a positive number, not '%1'").arg(parser.value(speed)));
    }
    if (parser.isSet(duration)) {
        bool ok = false;
        m_duration = parser.value(duration).toDouble(&ok);
        if (!ok || !(m_duration > 0))
            return usageError(QStringLiteral("--duration needs a positive number of seconds, not '%1'").arg(parser.value(duration)));
    }
    if (parser.isSet(repeat)) {
        bool ok = false;
        m_repeat = parser.value(repeat).toInt(&ok);
        if (!ok || m_repeat < 1 || m_repeat > 1000)
            return usageError(QStringLiteral("--repeat needs a whole number from 1 to 1000, not '%1'").arg(parser.value(repeat)));
    }
    if (parser.isSet(bootRetries)) {
        bool ok = false;
        m_bootRetries = parser.value(bootRetries).toInt(&ok);
        if (!ok || m_bootRetries < 0 || m_bootRetries > 100)
            return usageError(QStringLiteral("--boot-retries needs a whole number from 0 to 100, not '%1'").arg(parser.value(bootRetries)));
    }
    if (parser.isSet(wait)) {
        m_waitSet = true;
        bool ok = false;
        m_wait = parser.value(wait).toInt(&ok);
        if (!ok || m_wait < 0 || m_wait > 86400)
            return usageError(QStringLiteral("--wait needs a whole number of seconds from 0 to 86400, not '%1'").arg(parser.value(wait)));
    }
    int width = 0;
    int height = 0;
    if (!parseSize(&width, &height))
        return usageError(QStringLiteral("--size must look like 1600x900 (each side 16 to 16384), not '%1'").arg(m_size));

    const auto verb = m_positional.takeFirst();
    if (verb == QLatin1String("deploy")) {
        DeployOptions options;
        options.uri = m_connect;
        if (!parseActivation(parser.value(activate), &options.activation))
            return usageError(QStringLiteral("--activate takes reload, reboot or none, not '%1'").arg(parser.value(activate)));
        if (parser.isSet(revert) && parser.isSet(await))
            return usageError(QStringLiteral("--revert and --await do not go together"));
        options.action = parser.isSet(revert) ? DeployOptions::Action::Revert
            : parser.isSet(await)             ? DeployOptions::Action::AwaitReturn
                                              : DeployOptions::Action::Deploy;
        options.dryRun = parser.isSet(dryRun);
        options.stopGuests = parser.isSet(stopGuests);
        if (parser.value(leaves) != QLatin1String("on") && parser.value(leaves) != QLatin1String("off"))
            return usageError(QStringLiteral("--leaves takes on or off, not '%1'").arg(parser.value(leaves)));
        options.leavesOn = parser.value(leaves) == QLatin1String("on");
        options.modulesDir = parser.value(modules);
        options.agentBinary = parser.value(installAgent);
        options.acceptNewHostKey = parser.isSet(acceptNewHostKey);
        if (parser.isSet(rebootTimeout)) {
            bool ok = false;
            options.rebootTimeoutSeconds = parser.value(rebootTimeout).toInt(&ok);
            if (!ok || options.rebootTimeoutSeconds < 10 || options.rebootTimeoutSeconds > 86400)
                return usageError(QStringLiteral("--reboot-timeout needs a whole number of seconds from 10 to 86400, not '%1'")
                                      .arg(parser.value(rebootTimeout)));
        }
        return deploy(options);
    }
    if (verb == QLatin1String("serve")) {
        bool ok = false;
        const int roll = parser.value(rollMinutes).toInt(&ok);
        if (!ok || roll < 1 || roll > 10080)
            return usageError(QStringLiteral("--roll-minutes needs a whole number from 1 to 10080, not '%1'").arg(parser.value(rollMinutes)));
        return serve(parser.value(listen), parser.value(config), roll);
    }
    if (verb == QLatin1String("record"))
        return record();
    if (verb == QLatin1String("runs"))
        return listRuns();
    if (verb == QLatin1String("export"))
        return exportRun();
    if (verb == QLatin1String("spans"))
        return listSpans();
    if (verb == QLatin1String("compare"))
        return compareRuns();
    if (verb == QLatin1String("experiment"))
        return experiment();
    if (verb == QLatin1String("rename"))
        return renameRun();
    if (verb == QLatin1String("delete"))
        return deleteRun();
    if (verb == QLatin1String("check"))
        return checkStore();
    return usageError(QStringLiteral("unknown command '%1'").arg(verb));
}

bool CommandLine::parseSize(int *width, int *height)
{
    const auto match = QRegularExpression(QStringLiteral("^(\\d{1,5})x(\\d{1,5})$")).match(m_size);
    if (!match.hasMatch())
        return false;
    *width = match.captured(1).toInt();
    *height = match.captured(2).toInt();
    return *width >= 16 && *height >= 16 && *width <= 16384 && *height <= 16384;
}

int CommandLine::openStore(RunStore &store, bool mustExist)
{
    if (mustExist && !QFileInfo::exists(m_storePath)) {
        err(QStringLiteral("exitscope-cli: there is no run database at %1; record a run first, or name one with --store")
                .arg(m_storePath));
        return StoreUnusable;
    }
    if (!store.open(m_storePath)) {
        err(QStringLiteral("exitscope-cli: ") + store.lastError());
        return StoreUnusable;
    }
    return Ok;
}

int CommandLine::findRun(RunStore &store, const QString &idText, qint64 *runId)
{
    bool ok = false;
    *runId = idText.toLongLong(&ok);
    if (!ok || *runId <= 0)
        return usageError(QStringLiteral("'%1' is not a run number; 'exitscope-cli runs' lists them").arg(idText));
    RunInfo info;
    if (!store.runInfo(*runId, &info)) {
        err(QStringLiteral("exitscope-cli: there is no run %1 in %2").arg(*runId).arg(m_storePath));
        return NoSuchRun;
    }
    return Ok;
}

int CommandLine::loadRun(RunStore &store, const QString &idText, ExitSeries *series, qint64 *runId)
{
    if (const int status = findRun(store, idText, runId))
        return status;
    series->setSubtractOwnExits(m_subtractOwn);
    if (!store.replay(*runId, series)) {
        err(QStringLiteral("exitscope-cli: ") + store.lastError());
        return StoreUnusable;
    }
    return Ok;
}

int CommandLine::checkOutputs(const QString &input)
{
    OutputGuard guard;
    guard.protect(m_storePath, QStringLiteral("the run database"), OutputGuard::Kind::Database);
    guard.protect(input, QStringLiteral("the recording being read"));
    const QStringList outputs{m_csv, m_reasonsCsv, m_png, m_pdf, m_saveStream, m_report};
    for (const auto &output : outputs) {
        if (output.isEmpty())
            continue;
        const auto refusal = guard.refusal(output);
        if (!refusal.isEmpty())
            return usageError(refusal);
    }
    const auto clash = OutputGuard::clash(outputs);
    return clash.isEmpty() ? int(Ok) : usageError(clash);
}

int CommandLine::writeOutputs(const ExitSeries &series, RunStore &store, qint64 runId)
{
    int width = 0;
    int height = 0;
    parseSize(&width, &height);
    const auto writeCsv = [this, &series](const QString &path, auto writer, const QString &what) {
        if (path.isEmpty())
            return true;
        QString error;
        if (!writer(series, path, &error)) {
            err(QStringLiteral("exitscope-cli: ") + error);
            return false;
        }
        if (!m_quiet)
            err(QStringLiteral("wrote %1%2").arg(path, what));
        return true;
    };
    if (!writeCsv(m_csv, &CsvExporter::writeFile, QString())
        || !writeCsv(m_reasonsCsv, &CsvExporter::writeReasonsFile, QStringLiteral(" (%1 reason readings)").arg(series.reasonPoints().size())))
        return Failed;
    if (m_png.isEmpty() && m_pdf.isEmpty() && m_report.isEmpty())
        return Ok;
    ExitPlot plot;
    plot.resize(width, height);
    // The plot lives only in this function, as does the series: it need not own it.
    plot.setSeries(std::shared_ptr<const ExitSeries>(std::shared_ptr<const ExitSeries>(), &series));
    RunInfo info;
    if (!store.runInfo(runId, &info)) {
        err(QStringLiteral("exitscope-cli: ") + store.lastError());
        return Failed;
    }
    plot.setTitle(RunReport::title(info));
    if (!m_report.isEmpty()) {
        QString error;
        const auto writePlot = [&plot, width, height](const QString &path, QString *why) {
            return plot.savePng(path, width, height, why);
        };
        if (!RunReport::write(m_report, info, series, writePlot, &error)) {
            err(QStringLiteral("exitscope-cli: ") + error);
            return Failed;
        }
        if (!m_quiet)
            err(QStringLiteral("wrote %1/%2").arg(m_report, QLatin1String(RunReport::PageFile)));
    }
    for (const auto &path : {m_png, m_pdf}) {
        if (path.isEmpty())
            continue;
        QString error;
        const bool ok = path == m_pdf ? plot.savePdf(path, width, height, &error) : plot.savePng(path, width, height, &error);
        if (!ok) {
            err(QStringLiteral("exitscope-cli: ") + error);
            return Failed;
        }
        if (!m_quiet)
            err(QStringLiteral("wrote %1").arg(path));
    }
    return Ok;
}

int CommandLine::sourceSpec(SourceSpec *spec)
{
    if (int(!m_file.isEmpty()) + int(!m_command.isEmpty()) + int(!m_agent.isEmpty()) + int(m_probe) != 1)
        return usageError(QStringLiteral("record needs exactly one of --file, --command, --agent or --probe"));
    if (m_probe && m_connect.isEmpty())
        return usageError(QStringLiteral("record --probe needs --connect with a qemu+ssh:// URI"));
    if (!m_agent.isEmpty() && m_connect.isEmpty())
        return usageError(QStringLiteral("record --agent needs --connect URI (e.g. the lab's: lab/labctl uri)"));
    if (m_boot && m_agent.isEmpty())
        return usageError(QStringLiteral("--boot goes with --agent"));
    if (!m_send.isEmpty() && m_agent.isEmpty())
        return usageError(QStringLiteral("--send goes with --agent"));
    if (m_probe)
        *spec = SourceSpec::hostProbe(m_connect, m_rate);
    else if (!m_agent.isEmpty())
        *spec = SourceSpec::guestAgent(m_connect, m_agent, m_boot);
    else if (!m_file.isEmpty())
        *spec = SourceSpec::replay(m_file, m_paced, m_speed);
    else
        *spec = SourceSpec::command(m_command);
    if (const auto problem = spec->validate(); !problem.isEmpty()) {
        // A recording that is not there is a failed job; anything else is a bad argument.
        if (spec->kind != SourceSpec::Kind::Replay)
            return usageError(problem);
        err(QStringLiteral("exitscope-cli: ") + problem);
        return Failed;
    }
    return Ok;
}

int CommandLine::record()
{
    if (!m_positional.isEmpty())
        return usageError(QStringLiteral("record takes no positional arguments"));
    SourceSpec spec;
    if (const int status = sourceSpec(&spec))
        return status;
    if (const int status = checkOutputs(spec.kind == SourceSpec::Kind::Replay ? spec.path : QString()))
        return status;
    RunStore store;
    if (const int status = openStore(store, false))
        return status;

    RecordingSession::Options options;
    options.info.name = m_name;
    options.info.notes = m_notes;
    options.info.host = m_host.isEmpty() ? m_connect : m_host;
    options.info.kernel = m_kernel;
    options.info.guest = m_guest.isEmpty() ? m_agent : m_guest;
    options.durationSeconds = m_duration;
    options.senderTimeoutSeconds = spec.isLive() ? m_wait : 0;
    options.rawCopyPath = m_saveStream;
    options.subtractOwnExits = m_subtractOwn;

    RecordingSession session(&store);
    QEventLoop loop;
    RecordingSession::Outcome outcome = RecordingSession::Outcome::Failed;
    QString failure, details;
    QObject::connect(&session, &RecordingSession::ended, &loop,
                     [&](qint64, RecordingSession::Outcome how, const ParserStats &, const QString &message, const QString &more) {
                         outcome = how;
                         failure = message;
                         details = more;
                         loop.quit();
                     });
    // Commands go once the agent has said hello, so that their markers fall inside the run.
    QObject::connect(&session, &RecordingSession::handshakeReceived, &loop, [this, &session, sent = false]() mutable {
        if (sent)
            return;
        sent = true;
        for (const auto &line : std::as_const(m_send)) {
            session.sendCommand(line);
            if (!m_quiet)
                err(QStringLiteral("  sent to the agent: %1").arg(line));
        }
    });
    QObject::connect(&session, &RecordingSession::senderError, &loop,
                     [this](const ErrorRecord &e) { err(QStringLiteral("sender reports error %1: %2").arg(e.code).arg(e.text)); });
    // Said when the lock is first noticed and then every 10 s, not at every retry.
    const auto lockSaidAt = std::make_shared<qint64>(-1);
    QObject::connect(&session, &RecordingSession::storeBlocked, &loop, [this, lockSaidAt](qint64 pending, qint64 blockedMs) {
        if (*lockSaidAt >= 0 && blockedMs - *lockSaidAt < 10'000)
            return;
        *lockSaidAt = blockedMs;
        err(QStringLiteral("exitscope-cli: another process has held the run database's write lock for %1 s; %2 "
                           "record(s) wait in memory and are written when it lets go (the recording goes on)")
                .arg(blockedMs / 1000.0, 0, 'f', 1)
                .arg(pending));
    });
    QObject::connect(&session, &RecordingSession::storeResumed, &loop, [this, lockSaidAt](qint64 blockedMs) {
        *lockSaidAt = -1;
        err(QStringLiteral("exitscope-cli: the run database is free again after %1 s; nothing was lost")
                .arg(blockedMs / 1000.0, 0, 'f', 1));
    });
    if (!m_quiet) {
        QObject::connect(&session, &RecordingSession::senderConnectionChanged, &loop, [this](bool open, const QString &reason) {
            err(open ? QStringLiteral("sender connected") : QStringLiteral("sender disconnected: %1").arg(reason));
        });
        QObject::connect(&session, &RecordingSession::hostCountersRead, &loop,
                         [this](bool, const QString &message) { err(message); });
        QObject::connect(&session, &RecordingSession::guestStarted, &loop,
                         [this](const QString &guest) { err(QStringLiteral("started %1").arg(guest)); });
        QObject::connect(&session, &RecordingSession::waitingForSender, &loop, [this, &spec](int waited, int timeout) {
            if (waited > 0 && waited % 5 == 0)
                err(QStringLiteral("  waiting for the %1 to say hello: %2 s of %3 s").arg(spec.describe()).arg(waited).arg(timeout));
        });
        QObject::connect(&session, &RecordingSession::phaseChanged, &loop, [this, &session](RecordingSession::Phase phase) {
            if (phase == RecordingSession::Phase::Recording)
                err(QStringLiteral("  the sender spoke after %1 s; recording%2")
                        .arg(session.secondsWaitedForSender(), 0, 'f', 1)
                        .arg(m_duration > 0 ? QStringLiteral(" for %1 s").arg(m_duration) : QString()));
        });
    }
    if (!session.start(spec, options)) {
        err(QStringLiteral("exitscope-cli: cannot start recording: ") + session.lastError());
        return session.startError() == RecordingSession::StartError::Store ? StoreUnusable : Failed;
    }
    const auto runId = session.runId();
    if (!m_quiet)
        err(QStringLiteral("recording run %1 from %2 into %3").arg(runId).arg(session.info().source, m_storePath));

    // Ctrl+C ends the recording cleanly: what arrived is stored and exported.
    catchInterrupts(true);
    QTimer tick;
    qint64 lastReport = 0;
    // On a terminal one line, rewritten every second; in a log, a plain line every 5 s.
    const bool terminal = isatty(STDERR_FILENO);
    const int reportEvery = terminal ? 1 : 5;
    bool lineOpen = false;
    int exitsFrom = 0; // first point of the last report's rate window
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        if (interrupted) {
            session.stop();
            return;
        }
        const auto series = session.series();
        const auto seconds = qint64(session.elapsedSeconds());
        if (m_quiet || session.phase() != RecordingSession::Phase::Recording || seconds < lastReport + reportEvery)
            return;
        lastReport = seconds;
        const auto line = progressLine(*series, exitsFrom, m_duration > 0 ? m_duration - session.elapsedSeconds() : -1);
        exitsFrom = series->size();
        if (terminal) {
            std::fprintf(stderr, "\r\033[K%s", qPrintable(line));
            std::fflush(stderr);
            lineOpen = true;
        } else {
            err(line);
        }
    });
    tick.start(100);
    if (session.isActive())
        loop.exec();
    tick.stop();
    if (lineOpen)
        std::fputc('\n', stderr);
    catchInterrupts(false);
    return reportRecording(session, store, int(outcome), failure, details);
}

// "  1234 samples, 56.7 s of data, 3210 exits/s, 150 cycles/exit, 23 s left": the rate over the
// samples since the last report.
QString CommandLine::progressLine(const ExitSeries &series, int from, double secondsLeft)
{
    quint64 exits = 0;
    quint64 cycles = 0;
    double interval = 0;
    for (int i = std::max(from, 0); i < series.size(); ++i) {
        const auto &point = series.at(i);
        if (!point.hasRate())
            continue;
        exits += series.exitsInInterval(i);
        cycles += point.deltaCycles;
        interval += point.interval;
    }
    QString line = QStringLiteral("  %1 samples, %2 s of data").arg(series.size()).arg(series.duration(), 0, 'f', 1);
    if (interval > 0) {
        line += QStringLiteral(", %1 exits/s").arg(QLocale::c().toString(double(exits) / interval, 'f', 0));
        if (exits > 0)
            line += QStringLiteral(", %1 cycles/exit").arg(QLocale::c().toString(double(cycles) / double(exits), 'f', 0));
    }
    if (secondsLeft >= 0)
        line += QStringLiteral(", %1 s left").arg(qint64(std::ceil(secondsLeft)));
    return line;
}

int CommandLine::reportRecording(const RecordingSession &session, RunStore &store, int outcomeValue, const QString &failure,
                                 const QString &details)
{
    const auto outcome = RecordingSession::Outcome(outcomeValue);
    const auto runId = session.runId();
    const auto series = session.series();
    const ParserStats stats = session.streamStats();
    if (runId < 0) {
        err(QStringLiteral("exitscope-cli: recording stopped: %1").arg(failure));
        if (!details.isEmpty())
            err(details);
        err(QStringLiteral("Nothing was received, so no run was kept."));
        return Failed;
    }
    out(QStringLiteral("run %1: %2 samples, %3 markers, %4 s, %5 exits, %6 cycles")
            .arg(runId)
            .arg(series->size())
            .arg(series->markers().size())
            .arg(series->duration(), 0, 'f', 3)
            .arg(series->totalExits())
            .arg(series->totalCycles()));
    if (series->resetCount() > 0)
        out(QStringLiteral("run %1: %2 counter reset(s): the host's KVM was reloaded during the run").arg(runId).arg(series->resetCount()));
    if (!stats.clean())
        out(QStringLiteral("run %1: damaged stream: %2 malformed record(s), %3 byte(s) skipped, %4 gap(s) with %5 record(s) lost, "
                           "%6 record(s) of an unsupported protocol version")
                .arg(runId)
                .arg(stats.malformed)
                .arg(stats.skippedBytes)
                .arg(stats.gaps)
                .arg(stats.lostRecords)
                .arg(stats.rejected));
    const int exported = writeOutputs(*series, store, runId);
    switch (outcome) {
    case RecordingSession::Outcome::Completed:
    case RecordingSession::Outcome::Stopped:
        // Everything readable is stored, but a script must not take a damaged run for a clean one.
        if (stats.damaged()) {
            err(QStringLiteral("exitscope-cli: run %1 is stored as damaged: its input had damaged records "
                               "(above); what could be read is in the run")
                    .arg(runId));
            return Failed;
        }
        return exported;
    case RecordingSession::Outcome::NoSender:
        err(QStringLiteral("exitscope-cli: %1 (run %2). Is exitscope-agent running in the guest (or exitscope-probe on "
                           "the host), and does the host run ExitScope's KVM modules? See docs/agent.md.")
                .arg(failure)
                .arg(runId));
        return Failed;
    case RecordingSession::Outcome::Failed:
        break;
    }
    err(QStringLiteral("exitscope-cli: recording of run %1 stopped: %2").arg(runId).arg(failure));
    if (!details.isEmpty())
        err(details);
    // Said from what the store holds, not assumed: when the store is what failed (a full disk), less
    // than was received is in it.
    RunInfo stored;
    if (!store.runInfo(runId, &stored))
        err(QStringLiteral("Run %1 cannot be read back from the run database: %2").arg(runId).arg(store.lastError()));
    else if (stored.sampleCount < series->size())
        err(QStringLiteral("Run %1 holds %2 of the %3 samples received; the rest could not be stored.")
                .arg(runId)
                .arg(stored.sampleCount)
                .arg(series->size()));
    else
        err(QStringLiteral("Everything received before this point is stored in run %1.").arg(runId));
    return Failed;
}

int CommandLine::deploy(DeployOptions options)
{
    if (!m_positional.isEmpty())
        return usageError(QStringLiteral("deploy takes no positional arguments"));
    if (m_connect.isEmpty())
        return usageError(QStringLiteral("deploy needs --connect URI (a qemu+ssh:// or qemu+libssh:// URI of the host)"));
    DeployPipeline pipeline;
    QEventLoop loop;
    bool succeeded = false;
    bool rolledBack = false;
    DeployFailure failure;
    QObject::connect(&pipeline, &DeployPipeline::stageStarted, &loop,
                     [this](DeployStage stage) { err(QStringLiteral("[%1]").arg(deployStageName(stage))); });
    QObject::connect(&pipeline, &DeployPipeline::stageLog, &loop, [this](DeployStage, const QString &line) {
        if (!m_quiet)
            err(QStringLiteral("  ") + line);
    });
    QObject::connect(&pipeline, &DeployPipeline::stageFinished, &loop, [this](DeployStage stage, qint64 ms) {
        err(QStringLiteral("[%1] %2 s").arg(deployStageName(stage)).arg(double(ms) / 1000.0, 0, 'f', 1));
    });
    QObject::connect(&pipeline, &DeployPipeline::hostInspected, &loop, [this](const HostInspection &host) {
        out(QStringLiteral("host: %1, kernel %2, %3 (%4), KVM: %5").arg(host.os, host.release, host.cpuVendor, host.virtualization, host.kvmState()));
    });
    QObject::connect(&pipeline, &DeployPipeline::finished, &loop, [&](bool ok, const DeployFailure &why, bool undone) {
        succeeded = ok;
        failure = why;
        rolledBack = undone;
        loop.quit();
    });
    QString why;
    if (!pipeline.start(options, &why))
        return usageError(why);
    // Ctrl+C stops between stages; what was installed is then taken off again.
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        if (interrupted.exchange(false)) {
            err(QStringLiteral("exitscope-cli: stopping after the current step; what was installed is taken off again"));
            pipeline.cancel();
        }
    });
    tick.start(100);
    loop.exec();
    tick.stop();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (succeeded) {
        out(options.dryRun ? QStringLiteral("dry run: nothing was changed")
                           : options.action == DeployOptions::Action::Revert ? QStringLiteral("reverted and verified")
                                                                             : QStringLiteral("deployed and verified"));
        return Ok;
    }
    err(QStringLiteral("exitscope-cli: deploy failed at %1: %2").arg(deployStageName(failure.stage), failure.message));
    if (!failure.details.trimmed().isEmpty())
        err(failure.details.trimmed());
    if (!failure.advice.isEmpty())
        err(failure.advice);
    if (rolledBack)
        return Failed;
    const bool untouched = failure.stage == DeployStage::Inspect || failure.stage == DeployStage::Build
        || failure.stage == DeployStage::Upload || failure.code == DeployError::ModulesMismatch
        || (failure.code == DeployError::Cancelled && failure.stage <= DeployStage::Install);
    return untouched ? DeployRefused : HostLeftChanged;
}

int CommandLine::serve(const QString &listenText, const QString &configPath, int rollMinutes)
{
    if (!m_positional.isEmpty())
        return usageError(QStringLiteral("serve takes no positional arguments"));
    if (configPath.isEmpty())
        return usageError(QStringLiteral("serve needs --config FILE naming the hosts and guests (docs/fleet.md)"));
    QHostAddress address;
    quint16 port = 0;
    QString why;
    if (!MetricsServer::parseListen(listenText, &address, &port, &why))
        return usageError(why);
    QVector<FleetTarget> targets;
    if (!FleetConfig::load(configPath, &targets, &why))
        return usageError(why);
    RunStore store;
    if (const int rc = openStore(store, false); rc != Ok)
        return rc;

    FleetExporter exporter(targets, &store, rollMinutes);
    MetricsServer server([&exporter](OpenMetricsWriter::Format format) { return exporter.render(format); });
    if (!server.listen(address, port, &why)) {
        err(QStringLiteral("exitscope-cli: ") + why);
        return Failed;
    }
    QObject::connect(&exporter, &FleetExporter::targetStateChanged, &exporter,
                     [this](const QString &host, const QString &guest, bool up, const QString &message) {
                         err(QStringLiteral("%1 %2/%3 %4: %5")
                                 .arg(QDateTime::currentDateTime().toString(Qt::ISODate), host, guest,
                                      up ? QStringLiteral("up") : QStringLiteral("down"), message));
                     });
    QStringList names;
    for (const auto &target : std::as_const(targets))
        names.append(target.host + QLatin1Char('/') + target.guest);
    err(QStringLiteral("serving %1 sender(s) (%2) on http://%3:%4/metrics; runs go to %5; Ctrl+C stops")
            .arg(targets.size())
            .arg(names.join(QStringLiteral(", ")), address.protocol() == QAbstractSocket::IPv6Protocol
                                                       ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
                                                       : address.toString())
            .arg(server.port())
            .arg(m_storePath));
    exporter.start();

    QEventLoop loop;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&loop] {
        if (interrupted)
            loop.quit();
    });
    tick.start(100);
    loop.exec();
    tick.stop();
    exporter.stop();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    err(QStringLiteral("stopped after %1 scrapes; every sender's runs are stored").arg(server.requestsServed()));
    return Ok;
}

int CommandLine::listRuns()
{
    RunStore store;
    if (const int status = openStore(store, true))
        return status;
    const auto runs = store.listRuns();
    if (!store.lastError().isEmpty()) {
        err(QStringLiteral("exitscope-cli: ") + store.lastError());
        return StoreUnusable;
    }
    out(QStringLiteral("%1\t%2\t%3\t%4\t%5").arg(QStringLiteral("run"), QStringLiteral("samples"), QStringLiteral("state"),
                                                  QStringLiteral("started"), QStringLiteral("name")));
    for (const auto &run : runs)
        out(QStringLiteral("%1\t%2\t%3\t%4\t%5")
                .arg(run.id)
                .arg(run.sampleCount)
                .arg(RunInfo::stateName(run.state), run.startedAt.toString(Qt::ISODate), RunInfo::cleanName(run.name)));
    return Ok;
}

int CommandLine::exportRun()
{
    if (m_positional.size() != 1)
        return usageError(QStringLiteral("export takes one run number"));
    if (m_csv.isEmpty() && m_reasonsCsv.isEmpty() && m_png.isEmpty() && m_pdf.isEmpty() && m_report.isEmpty())
        return usageError(QStringLiteral("export needs at least one of --csv, --reasons-csv, --png, --pdf, --report"));
    if (const int status = checkOutputs(QString()))
        return status;
    RunStore store;
    if (const int status = openStore(store, true))
        return status;
    ExitSeries series;
    qint64 runId = 0;
    if (const int status = loadRun(store, m_positional.first(), &series, &runId))
        return status;
    return writeOutputs(series, store, runId);
}

int CommandLine::listSpans()
{
    if (m_positional.size() != 1)
        return usageError(QStringLiteral("spans takes one run number"));
    RunStore store;
    if (const int status = openStore(store, true))
        return status;
    ExitSeries series;
    qint64 runId = 0;
    if (const int status = loadRun(store, m_positional.first(), &series, &runId))
        return status;
    out(QStringLiteral("start_s\tduration_s\texits\tcycles\texact\tspan"));
    for (const auto &span : series.spans())
        out(QStringLiteral("%1\t%2\t%3\t%4\t%5\t%6")
                .arg(span.start, 0, 'f', 3)
                .arg(span.end - span.start, 0, 'f', 3)
                .arg(span.exits)
                .arg(span.cycles)
                .arg(span.exact ? QStringLiteral("yes") : QStringLiteral("no"))
                .arg(span.startText + (span.endText.isEmpty() ? QString() : QStringLiteral(" -> ") + span.endText)));
    return Ok;
}

int CommandLine::compareRuns()
{
    // "compare 1 2 3 vs 4 5 6": two groups of repetitions, tested against each other.
    const int versus = int(m_positional.indexOf(QStringLiteral("vs")));
    if (versus >= 0 && (versus < 2 || m_positional.size() - versus - 1 < 2 || m_positional.count(QStringLiteral("vs")) > 1))
        return usageError(QStringLiteral("compare A… vs B… needs two runs or more on each side of 'vs'"));
    QStringList idTexts = m_positional;
    if (versus >= 0)
        idTexts.removeAt(versus);
    if (idTexts.size() < 2)
        return usageError(QStringLiteral("compare takes two or more run numbers"));
    RunStore store;
    if (const int status = openStore(store, true))
        return status;
    QVector<RunComparison::Entry> entries;
    QStringList ids;
    for (const auto &idText : std::as_const(idTexts)) {
        auto series = std::make_shared<ExitSeries>();
        qint64 runId = 0;
        if (const int status = loadRun(store, idText, series.get(), &runId))
            return status;
        entries.append({QString::number(runId), series});
        ids << QString::number(runId);
    }
    const RunComparison comparison(entries);
    QString header = QStringLiteral("span\truns\texits_mean\texits_sd\texits_min\texits_max\tcycles_per_exit_mean\t"
                                    "cycles_per_exit_sd\tduration_mean_s\tduration_sd_s");
    for (const auto &id : std::as_const(ids))
        header += QStringLiteral("\texits_run") + id;
    if (versus >= 0)
        header += QStringLiteral("\texits_mean_a\texits_mean_b\tdifference_percent\twelch_t\twelch_df\twelch_p\tverdict");
    out(header);
    using Figure = RunComparison::Figure;
    for (int row = 0; row < comparison.rows().size(); ++row) {
        const auto exits = comparison.spread(row, Figure::Exits);
        const auto cpe = comparison.spread(row, Figure::CyclesPerExit);
        const auto duration = comparison.spread(row, Figure::Duration);
        // Tabs and line breaks in a guest's span text would break the table.
        auto line = QString(comparison.rows().at(row).label).replace(QRegularExpression(QStringLiteral("[\\t\\r\\n]")),
                                                                     QStringLiteral(" "));
        line += QStringLiteral("\t%1\t%2\t%3\t%4\t%5\t%6\t%7\t%8\t%9")
                    .arg(exits.n)
                    .arg(exits.mean, 0, 'f', 1)
                    .arg(exits.sd, 0, 'f', 1)
                    .arg(exits.min, 0, 'f', 0)
                    .arg(exits.max, 0, 'f', 0)
                    .arg(cpe.mean, 0, 'f', 1)
                    .arg(cpe.sd, 0, 'f', 1)
                    .arg(duration.mean, 0, 'f', 3)
                    .arg(duration.sd, 0, 'f', 3);
        const auto &perRun = comparison.rows().at(row).perRun;
        QVector<double> a, b;
        for (int r = 0; r < perRun.size(); ++r) {
            const auto &f = perRun.at(r);
            line += QLatin1Char('\t') + (f.present ? QString::number(f.exits) : QString());
            if (f.present)
                (r < versus ? a : b) << double(f.exits);
        }
        if (versus >= 0) {
            const auto test = WelchTest::compare(a, b);
            if (!test.valid) {
                line += QStringLiteral("\t\t\t\t\t\t\t") + test.why;
            } else {
                const double difference = RunComparison::percentDifference(test.meanB, test.meanA);
                line += QStringLiteral("\t%1\t%2\t%3\t%4\t%5\t%6\t%7")
                            .arg(test.meanA, 0, 'f', 1)
                            .arg(test.meanB, 0, 'f', 1)
                            .arg(difference, 0, 'f', 1)
                            .arg(test.t, 0, 'f', 3)
                            .arg(test.degreesOfFreedom, 0, 'f', 1)
                            .arg(test.p, 0, 'g', 3)
                            .arg(test.significant() ? QStringLiteral("differs (p < 0.05)") : QStringLiteral("within the spread"));
            }
        }
        out(line);
    }
    return Ok;
}

int CommandLine::renameRun()
{
    if (m_positional.size() != 2)
        return usageError(QStringLiteral("rename takes a run number and a name"));
    RunStore store;
    qint64 runId = 0;
    if (const int status = openStore(store, true))
        return status;
    if (const int status = findRun(store, m_positional.first(), &runId))
        return status;
    if (RunInfo::cleanName(m_positional.at(1)).isEmpty())
        return usageError(QStringLiteral("a run needs a name with visible characters, not '%1'").arg(m_positional.at(1)));
    if (!store.renameRun(runId, m_positional.at(1))) {
        err(QStringLiteral("exitscope-cli: ") + store.lastError());
        return Failed;
    }
    return Ok;
}

int CommandLine::deleteRun()
{
    if (m_positional.size() != 1)
        return usageError(QStringLiteral("delete takes one run number"));
    RunStore store;
    qint64 runId = 0;
    if (const int status = openStore(store, true))
        return status;
    if (const int status = findRun(store, m_positional.first(), &runId))
        return status;
    if (!store.deleteRun(runId)) {
        err(QStringLiteral("exitscope-cli: ") + store.lastError());
        return Failed;
    }
    return Ok;
}

namespace {
// Counts the samples a replay delivers and, for a salvage, keeps every record.
class SalvageSink : public RecordSink
{
public:
    explicit SalvageSink(RecordBuffer *kept)
        : m_kept(kept)
    {
    }
    qint64 samples = 0;
    void handshake(const Handshake &r) override
    {
        if (m_kept)
            m_kept->handshake(r);
    }
    void sample(const Sample &r) override
    {
        ++samples;
        if (m_kept)
            m_kept->sample(r);
    }
    void marker(const Marker &r) override
    {
        if (m_kept)
            m_kept->marker(r);
    }
    void heartbeat(const Heartbeat &r) override
    {
        if (m_kept)
            m_kept->heartbeat(r);
    }
    void error(const ErrorRecord &r) override
    {
        if (m_kept)
            m_kept->error(r);
    }
    void reasonSample(const ReasonSample &r) override
    {
        if (m_kept)
            m_kept->reasonSample(r);
    }
    void gap(quint64 first, quint64 last) override
    {
        if (m_kept)
            m_kept->gap(first, last);
    }

private:
    RecordBuffer *m_kept;
};
} // namespace

int CommandLine::checkStore()
{
    if (!m_positional.isEmpty())
        return usageError(QStringLiteral("check takes no run number: it checks every run"));
    RunStore salvaged;
    if (!m_salvage.isEmpty()) {
        OutputGuard guard;
        guard.protect(m_storePath, QStringLiteral("the run database being checked"), OutputGuard::Kind::Database);
        if (const auto refusal = guard.refusal(m_salvage); !refusal.isEmpty())
            return usageError(refusal);
        // A new file only: salvaged runs must not mix with another store's.
        if (QFileInfo(m_salvage).exists() && QFileInfo(m_salvage).size() > 0)
            return usageError(QStringLiteral("--salvage %1 exists; name a new file").arg(m_salvage));
    }
    RunStore store;
    if (const int status = openStore(store, true))
        return status;
    bool damaged = false;
    const auto problems = store.integrityProblems();
    if (problems.isEmpty()) {
        out(QStringLiteral("%1: SQLite finds the file sound").arg(m_storePath));
    } else {
        damaged = true;
        out(QStringLiteral("%1: SQLite finds damage:").arg(m_storePath));
        for (const auto &problem : problems)
            out(QStringLiteral("  ") + problem);
    }
    if (!m_salvage.isEmpty() && !salvaged.open(m_salvage)) {
        err(QStringLiteral("exitscope-cli: cannot create %1: %2").arg(m_salvage, salvaged.lastError()));
        return Failed;
    }
    const auto runs = store.listRuns();
    int salvagedRuns = 0;
    for (const auto &run : runs) {
        RecordBuffer kept;
        SalvageSink sink(m_salvage.isEmpty() ? nullptr : &kept);
        const bool readable = store.replay(run.id, &sink);
        if (readable) {
            out(QStringLiteral("run %1: ok, %2 samples, %3 markers (%4)")
                    .arg(run.id)
                    .arg(run.sampleCount)
                    .arg(run.markerCount)
                    .arg(RunInfo::stateName(run.state)));
        } else {
            damaged = true;
            out(QStringLiteral("run %1: damaged: %2").arg(run.id).arg(store.lastError()));
        }
        if (m_salvage.isEmpty())
            continue;
        RunInfo copy = run;
        const auto id = salvaged.createRun(copy);
        if (id < 0 || !salvaged.appendRecords(id, kept.records())
            || !salvaged.finishRun(id, readable ? run.state : RunInfo::State::Damaged,
                                   readable ? run.failure
                                            : QStringLiteral("salvaged from run %1 of %2: %3 of its %4 samples could be read")
                                                  .arg(run.id)
                                                  .arg(m_storePath)
                                                  .arg(sink.samples)
                                                  .arg(run.sampleCount))) {
            err(QStringLiteral("exitscope-cli: cannot salvage run %1 into %2: %3").arg(run.id).arg(m_salvage, salvaged.lastError()));
            return Failed;
        }
        ++salvagedRuns;
        out(QStringLiteral("  salvaged as run %1 of %2: %3 samples").arg(id).arg(m_salvage).arg(sink.samples));
    }
    if (!m_salvage.isEmpty())
        out(QStringLiteral("salvaged %1 of %2 runs into %3").arg(salvagedRuns).arg(runs.size()).arg(m_salvage));
    if (damaged) {
        err(QStringLiteral("exitscope-cli: %1 is damaged (above)%2")
                .arg(m_storePath,
                     m_salvage.isEmpty() ? QStringLiteral("; --salvage NEW copies what can be read into a new run database")
                                         : QString()));
        return StoreUnusable;
    }
    return Ok;
}

} // namespace ExitScope
