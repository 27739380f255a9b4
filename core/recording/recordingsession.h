// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/parserstats.h"
#include "protocol/records.h"
#include "recording/sourcespec.h"
#include "store/runinfo.h"
#include "virt/domainevent.h"

#include <QElapsedTimer>
#include <QFile>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>
#include <optional>

namespace ExitScope {

class ExitSeries;
class HostController;
class HostCounterReading;
class Recorder;
class RunStore;

// One recording, whatever it records from: every front end (the window, the command line, the
// tests) hands it a SourceSpec and options and listens to its signals. It owns the source (through
// the recorder), the raw copy, the duration limit and the boot order: the reader is in place before
// the guest is started, and the duration counts from the sender's first record, so a slow boot
// takes nothing from it. A live sender that says nothing within senderTimeoutSeconds ends the
// session with NoSender. Views get the series as a shared pointer and can never outlive it.
class RecordingSession : public QObject
{
    Q_OBJECT
public:
    enum class Phase { Idle, WaitingForSender, Recording, Ended };
    Q_ENUM(Phase)
    enum class Outcome {
        Completed, // the input ended, or the duration was reached
        Stopped,   // stop() was called
        NoSender,  // a live sender delivered nothing (within the timeout, or at all)
        Failed,    // the source or the run store failed; what arrived before is stored
    };
    Q_ENUM(Outcome)

    struct Options
    {
        RunInfo info;
        double durationSeconds = 0;   // 0: until the input ends or stop()
        int senderTimeoutSeconds = 0; // live senders; 0: wait until stop()
        QString rawCopyPath;          // also save the stream as received (*.exs)
        bool subtractOwnExits = false;
        // GuestAgent with bootGuest: start the guest through this connected controller (the window's)
        // rather than through a connection of the session's own.
        QPointer<HostController> host;
    };

    // Why start() refused.
    enum class StartError { None, Busy, BadSpec, Output, Store };
    Q_ENUM(StartError)

    static constexpr int UpdateIntervalMs = 33; // about 30 updates a second at most

    explicit RecordingSession(RunStore *store, QObject *parent = nullptr);
    ~RecordingSession() override;

    // Returns false (and sets lastError) when nothing was started: a bad spec, an output that
    // cannot be written, a store that refuses the run.
    bool start(const SourceSpec &spec, const Options &options);
    void stop();

    Phase phase() const { return m_phase; }
    bool isActive() const { return m_phase == Phase::WaitingForSender || m_phase == Phase::Recording; }
    const SourceSpec &spec() const { return m_spec; }
    qint64 runId() const;
    const RunInfo &info() const;
    std::shared_ptr<const ExitSeries> series() const;
    ParserStats streamStats() const;
    QString lastError() const { return m_lastError; }
    StartError startError() const { return m_startError; }
    // Seconds of data the duration counts (from the first record on), or waited for the sender.
    double elapsedSeconds() const;
    // How long the sender took to say its first word.
    double secondsWaitedForSender() const { return double(m_waitedMs) / 1000.0; }

    void setSubtractOwnExits(bool subtract);
    bool acceptsCommands() const;
    // To the guest agent; queued while its channel is closed. False if this source takes no commands.
    bool sendCommand(const QString &line);

Q_SIGNALS:
    void phaseChanged(ExitScope::RecordingSession::Phase phase);
    // Once a second while a live sender has not said anything yet; timeout 0 means none.
    void waitingForSender(int secondsWaited, int timeoutSeconds);
    void senderConnectionChanged(bool open, const QString &reason);
    // Before a boot: the host's counters were read (ok), or could not be, and why; without that
    // reading the boot's cost cannot be measured, the recording goes on.
    void hostCountersRead(bool ok, const QString &message);
    void guestStarted(const QString &guest);
    // libvirt reported this of the recorded guest; it is also a marker in the run.
    void guestEvent(ExitScope::DomainEvent event);
    void handshakeReceived(const ExitScope::Handshake &handshake);
    void senderError(const ExitScope::ErrorRecord &error);
    void progress(qint64 done, qint64 total);
    // Another process holds the run database's write lock; the records wait in memory (Recorder).
    void storeBlocked(qint64 pendingRecords, qint64 blockedMs);
    void storeResumed(qint64 blockedMs);
    // New data in series(); at most once every UpdateIntervalMs, the first at once.
    void updated();
    void ended(qint64 runId, ExitScope::RecordingSession::Outcome outcome, const ExitScope::ParserStats &stats,
               const QString &message, const QString &details);

private:
    void setPhase(Phase phase);
    void senderSpoke();
    void onUpdated();
    void onRecorderEnded(bool ok, const QString &message, const QString &details);
    void watchGuest();
    void unwatchGuest();
    void startGuest(HostController *host);
    static void disconnectAll(QList<QMetaObject::Connection> &connections);
    void finishWith(Outcome outcome, const QString &message, const QString &details = {});

    RunStore *m_store;
    Recorder *m_recorder;
    HostController *m_host = nullptr; // the session's own, when the caller's cannot serve
    QList<QMetaObject::Connection> m_bootConnections;
    QList<QMetaObject::Connection> m_hostConnections;
    bool m_guestSuspended = false;
    HostCounterReading *m_hostReading = nullptr;
    std::optional<Sample> m_guestStartReading; // for the guest's "started" marker
    SourceSpec m_spec;
    Options m_options;
    Phase m_phase = Phase::Idle;
    QFile m_rawCopy;
    QElapsedTimer m_clock; // since start, then since the sender's first record
    qint64 m_waitedMs = 0;
    QTimer m_tick;         // duration limit, sender timeout, waiting progress
    QTimer m_updateTimer;
    bool m_updatePending = false;
    // Set when the session itself ends the recording, to say why.
    bool m_ending = false;
    Outcome m_endOutcome = Outcome::Completed;
    QString m_endMessage;
    QString m_lastError;
    StartError m_startError = StartError::None;
};

} // namespace ExitScope
