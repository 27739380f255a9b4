// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

#include <cstdio>

namespace ExitScope {

class ExitSeries;
class RecordingSession;
class RunStore;
struct SourceSpec;
struct DeployOptions;

// exitscope-cli: record, list and export runs from scripts. Exit codes are part of the interface
// (docs/cli.md): 0 done, 1 the work failed, 2 bad arguments, 3 the run database cannot be used,
// 4 no such run; deploy adds 5 refused before the host changed and 6 the host may be left changed.
class CommandLine
{
public:
    enum ExitCode { Ok = 0, Failed = 1, Usage = 2, StoreUnusable = 3, NoSuchRun = 4, DeployRefused = 5, HostLeftChanged = 6 };

    int run(const QStringList &arguments);

private:
    int record();
    int deploy(DeployOptions options);
    int serve(const QString &listen, const QString &configPath, int rollMinutes);
    // What --file, --command, --agent or --probe ask to record from: Ok, or the exit code after the message.
    int sourceSpec(SourceSpec *spec);
    static QString progressLine(const ExitSeries &series, int from, double secondsLeft);
    int reportRecording(const RecordingSession &session, RunStore &store, int outcome, const QString &failure, const QString &details);
    int listRuns();
    int exportRun();
    int listSpans();
    int compareRuns();
    // experiment list | show NAME | run NAME|FILE (app/cli/experimentcommand.cpp)
    int experiment();
    // Ctrl+C and SIGTERM end the work in hand cleanly (what was recorded is kept).
    static void catchInterrupts(bool on);
    static bool interruptRequested();
    int renameRun();
    int deleteRun();
    int checkStore();

    int openStore(RunStore &store, bool mustExist);
    // Checks that idText names a run of the store: Ok, Usage or NoSuchRun (with the message printed).
    int findRun(RunStore &store, const QString &idText, qint64 *runId);
    int loadRun(RunStore &store, const QString &idText, ExitSeries *series, qint64 *runId);
    // Usage (with the message) when an output would overwrite the run database, the input or another output.
    int checkOutputs(const QString &input);
    int writeOutputs(const ExitSeries &series, RunStore &store, qint64 runId);
    bool parseSize(int *width, int *height);
    int usageError(const QString &message);
    void out(const QString &text);
    void err(const QString &text);

    QStringList m_positional;
    QString m_storePath;
    QString m_file;
    QString m_command;
    QString m_connect;
    QString m_agent;
    bool m_boot = false;
    QStringList m_send;
    bool m_probe = false;
    int m_rate = 50;
    QString m_csv;
    QString m_reasonsCsv;
    QString m_report;
    QString m_saveStream;
    QString m_png;
    QString m_pdf;
    QString m_size;
    QString m_salvage;
    QString m_name;
    QString m_notes;
    QString m_host;
    QString m_kernel;
    QString m_guest;
    double m_speed = 1.0;
    double m_duration = 0;
    int m_wait = 300;
    bool m_waitSet = false;
    int m_repeat = 0; // experiment run --repeat; 0: the recipe's
    int m_bootRetries = 0; // experiment run --boot-retries
    bool m_paced = false;
    bool m_subtractOwn = false;
    bool m_quiet = false;
};

} // namespace ExitScope
