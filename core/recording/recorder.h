// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/exitseries.h"
#include "protocol/recordbuffer.h"
#include "store/runinfo.h"
#include "sources/source.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace ExitScope {

class RunStore;

// Records one run: takes a source's records into the series (for plots) and into the run store,
// in batched transactions at least every flushInterval(), so that a killed process loses at most the
// records of the last interval. Everything already stored stays stored whatever the source does.
class Recorder : public QObject, private RecordSink
{
    Q_OBJECT
public:
    explicit Recorder(RunStore *store, QObject *parent = nullptr);
    ~Recorder() override;

    // Takes ownership of the source. Returns false (and sets lastError) if the run cannot be created.
    bool start(Source *source, RunInfo info);
    // Adds a marker of ExitScope's own (a host event) at the sender's latest time, stored and shown
    // like the sender's markers.
    // code: for a HostEvent, its HostEventCode (stored in the marker's span field).
    // reading: the host's counters as read for this event (e.g. just before the guest's start).
    void hostMarker(MarkerKind kind, const QString &text, quint32 code = 0, const Sample *reading = nullptr);
    // Ends the recording; with a failure, the run is stored as failed with that reason.
    void stop(const QString &failure = {}, const QString &details = {});
    bool isRecording() const { return m_source != nullptr; }

    const ExitSeries &series() const { return *m_series; }
    ExitSeries &series() { return *m_series; }
    // The series of the current (or last) run, for views: it lives as long as they hold it.
    std::shared_ptr<const ExitSeries> sharedSeries() const { return m_series; }
    qint64 runId() const { return m_runId; }
    const RunInfo &info() const { return m_info; }
    QString lastError() const { return m_lastError; }
    const Source *source() const { return m_source; }
    Source *source() { return m_source; }
    // What the parser made of the stream so far; after the end, of the whole recording.
    ParserStats streamStats() const { return m_source ? m_source->stats() : m_finalStats; }

    static constexpr int FlushIntervalMs = 250;
    // What a run with damaged input says of it (RunInfo::failure of a damaged run).
    static QString damageText(const ParserStats &stats);

Q_SIGNALS:
    // New points or markers in series(); emitted at most once per delivered batch.
    void updated();
    void handshakeReceived(const ExitScope::Handshake &handshake);
    void senderError(const ExitScope::ErrorRecord &error);
    // The recording ended at the end of its input; the run is complete in the store, or damaged
    // (info().state says which; info().failure what was lost).
    void finished(qint64 runId);
    // The recording ended early; what arrived before is stored. runId is -1 when nothing had arrived:
    // no run was kept.
    void failed(qint64 runId, const QString &message, const QString &details);
    void progress(qint64 done, qint64 total);
    // Another process has held the run database's write lock for blockedMs: pendingRecords wait in
    // memory and are written as soon as it lets go (storeResumed). The recording goes on meanwhile.
    void storeBlocked(qint64 pendingRecords, qint64 blockedMs);
    void storeResumed(qint64 blockedMs);

private:
    void handshake(const Handshake &h) override;
    void sample(const Sample &s) override;
    void marker(const Marker &m) override;
    void heartbeat(const Heartbeat &h) override;
    void error(const ErrorRecord &e) override;
    void reasonSample(const ReasonSample &r) override;
    void gap(quint64 first, quint64 last) override;
    void unsupportedVersion(quint16 major, quint16 minor) override;

    enum class FlushResult { Stored, Busy, Failed };
    FlushResult flush(int busyTimeoutMs);
    void flushOnTimer();
    void end(bool ok, const QString &message, const QString &details);

    RunStore *m_store;
    QPointer<Source> m_source;
    std::shared_ptr<ExitSeries> m_series;
    RecordBuffer m_pending;
    RunInfo m_info;
    QTimer m_flushTimer;
    qint64 m_runId = -1;
    QString m_lastError;
    QString m_protocolError;
    ParserStats m_finalStats;
    quint64 m_lastSenderNs = 0; // the sender's clock at its latest record
    QElapsedTimer m_blockedSince; // valid while the store is locked by another process
    bool m_storeFailed = false; // a write failed for good; the recording ends from the event loop

    // A flush during the recording waits this long for another process's lock, then tries again at
    // the next tick: the GUI thread never stalls for the store's full busy timeout.
    static constexpr int LiveBusyTimeoutMs = 100;
    // The last flush, when the recording ends, waits this long before it gives the records up.
    static constexpr int FinalBusyTimeoutMs = 60'000;
};

} // namespace ExitScope
