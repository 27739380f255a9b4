// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/fleettarget.h"
#include "recording/recordingsession.h"

#include <QMap>
#include <QObject>
#include <QTimer>

namespace ExitScope {

class RunStore;

// Records one fleet target for as long as the exporter runs: each connection is a recording session
// (a run in the store), a lost sender is reconnected with a growing pause, and a long connection is
// ended and begun again every rollMinutes so that the series in memory stays bounded. The counters
// it reports only grow: what each session counted is carried over into the next.
class TargetRecorder : public QObject
{
    Q_OBJECT
public:
    static constexpr int SenderTimeoutSeconds = 120;
    static constexpr int MaxRetrySeconds = 30;

    struct Counters
    {
        quint64 exits = 0;
        quint64 cycles = 0;
        quint64 ownCpuid = 0; // CPUIDs the sampler itself executed, each one an exit
        quint64 samples = 0;
        quint64 lastSeq = 0; // sequence number of the last sample counted, in the current run
        qint64 runId = -1;   // the run being recorded, -1 between sessions
        bool up = false;     // the sender is connected and has spoken
        quint64 connections = 0;
        quint64 failures = 0; // sessions that ended other than by a roll or stop
        QString lastProblem;
        CpuVendor vendor = CpuVendor::Unknown;
        QMap<quint32, QPair<quint64, quint64>> reasons; // reason -> exits, cycles
    };

    TargetRecorder(FleetTarget target, RunStore *store, int rollMinutes, QObject *parent = nullptr);
    ~TargetRecorder() override;

    const FleetTarget &target() const { return m_target; }
    void start();
    // Ends the current session (its run stays stored) and does not reconnect.
    void stop();
    Counters counters() const;

Q_SIGNALS:
    // For the log: the sender came (up) or went, with why.
    void stateChanged(bool up, const QString &message);

private:
    void begin();
    void collect();
    void onEnded(qint64 runId, RecordingSession::Outcome outcome, const QString &message, const QString &details);

    FleetTarget m_target;
    RunStore *m_store;
    RecordingSession *m_session;
    int m_rollMinutes;
    QTimer m_retry;
    QTimer m_roll;
    int m_retrySeconds = 1;
    bool m_stopping = false;
    bool m_rolling = false;
    int m_seenPoints = 0; // of the current session's series, already added to m_counters
    Counters m_counters;
    // Reason totals of the sessions before the current one.
    QMap<quint32, QPair<quint64, quint64>> m_carriedReasons;
};

} // namespace ExitScope
