// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experiment/experimentrecipe.h"
#include "experiment/experimentresult.h"
#include "recording/recordingsession.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace ExitScope {

class HostController;
class RunStore;

// Runs an experiment: one recording session per repetition, the recipe's steps driven in the guest
// through its agent and libvirt, each step waited for by its event (the agent's hello, its boot and
// workload end markers, libvirt's lifecycle events), never by a fixed pause; then the result. Each
// repetition is a run in the store, named and noted with the experiment and its number. A failed
// repetition ends the experiment; cancel() ends it after stopping the current recording. Either way
// the repetitions finished before stay stored.
class ExperimentRunner : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString uri;
        QString guest;       // empty: the recipe's
        int repetitions = 0; // 0: the recipe's
        bool subtractOwnExits = false;
        int helloTimeoutSeconds = 600; // the agent's first word after a start
        int stepTimeoutSeconds = 900;  // the boot marker, a workload's end, the guest off
        // A repetition whose guest was reset, crashed or never spoke while it booted (seen under
        // nested emulation) is discarded, its guest forced off, and run again, at most this often
        // over the experiment; each time is reported. 0: such a repetition fails the experiment.
        int bootRetries = 0;
    };

    enum class Outcome { Completed, Cancelled, Failed };
    Q_ENUM(Outcome)

    explicit ExperimentRunner(RunStore *store, QObject *parent = nullptr);
    ~ExperimentRunner() override;

    // False, with lastError(), when the recipe or options cannot be run.
    bool start(const ExperimentRecipe &recipe, const Options &options);
    void cancel();
    bool isRunning() const { return m_running; }
    QString lastError() const { return m_lastError; }

    const ExperimentRecipe &recipe() const { return m_recipe; }
    int repetitionCount() const { return m_repetitionCount; }
    // The current repetition's recording, for a live view; null between repetitions.
    RecordingSession *session() const { return m_session; }
    const ExperimentResult &result() const { return m_result; }

Q_SIGNALS:
    void connecting(const QString &uri);
    void repetitionStarted(int repetition, int repetitions, qint64 runId);
    // step is 0-based into recipe().steps.
    void stepStarted(int repetition, int step, const QString &description);
    // Once a second while a step waits for its event.
    void waiting(int secondsWaited, int timeoutSeconds, const QString &what);
    void settling(double seconds);
    // Something the user should know that does not stop the experiment (a boot that cannot be measured).
    void notice(const QString &message);
    void repetitionEnded(int repetition, qint64 runId, bool ok, const QString &message);
    // A repetition whose boot failed was discarded (its run is kept, named so) and runs again.
    void repetitionDiscarded(int repetition, qint64 runId, const QString &why);
    void finished(ExitScope::ExperimentRunner::Outcome outcome, const QString &message);

private:
    enum class Wait { Nothing, Hello, Boot, WorkloadEnd, GuestOff, Idle, Settle, ForcedOff };

    void beginRepetition();
    void nextStep();
    void runStep(const ExperimentStep &step);
    void waitFor(Wait wait, const QString &what, int timeoutSeconds);
    void stepDone();
    void scanMarkers();
    void onHandshake(const Handshake &handshake);
    void onSessionEnded(qint64 runId, RecordingSession::Outcome outcome, const QString &message);
    void failRepetition(const QString &message);
    void retryAfterForcedOff();
    QString channelHistory() const;
    void finish(Outcome outcome, const QString &message);

    RunStore *m_store;
    HostController *m_host = nullptr;
    RecordingSession *m_session = nullptr;
    ExperimentRecipe m_recipe;
    Options m_options;
    QString m_guest;
    int m_repetitionCount = 0;
    int m_repetition = 0; // 1-based, 0 before the first
    int m_step = -1;
    bool m_running = false;
    bool m_cancelling = false;
    bool m_handshakeSeen = false;
    bool m_bootSeen = false;
    bool m_bootFault = false; // the failure happened while the guest booted
    int m_retriesLeft = 0;
    int m_discarded = 0;
    QString m_repetitionFailure;
    // The workload a Run step waits for: its start marker's span id once seen.
    QString m_workload;
    quint32 m_workloadSpan = 0;
    int m_markerCursor = 0;
    // The agent's channel in this repetition, for a hello that does not come.
    int m_channelOpenedAfter = -1; // seconds into the wait for the hello
    int m_channelOpenings = 0;
    QString m_channelClosedBecause;
    Wait m_wait = Wait::Nothing;
    QString m_waitWhat;
    int m_waitTimeout = 0;
    QElapsedTimer m_waitClock;
    QTimer m_tick;
    QTimer m_pause; // idle steps and the settle time
    QVector<ExperimentResult::Repetition> m_done;
    ExperimentResult m_result;
    QString m_lastError;
};

} // namespace ExitScope
