// SPDX-License-Identifier: GPL-3.0-or-later
#include "recording/recorder.h"

#include "store/runstore.h"
#include "sources/source.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcRecorder, "exitscope.recorder", QtWarningMsg)

namespace ExitScope {

namespace {
// Flush early when a fast source delivers many records between timer ticks, so that a batch
// stays small enough to commit quickly.
constexpr qsizetype MaxPending = 50'000;

QString leafLayoutText(const Handshake &h)
{
    return QStringLiteral("total 0x%1, per-reason 0x%2, discovery 0x%3, ABI %4, %5")
        .arg(h.totalLeaf, 8, 16, QLatin1Char('0'))
        .arg(h.reasonLeaf, 8, 16, QLatin1Char('0'))
        .arg(h.discoveryLeaf, 8, 16, QLatin1Char('0'))
        .arg(h.abiVersion)
        .arg(cpuVendorName(h.cpuVendor));
}
} // namespace

Recorder::Recorder(RunStore *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_series(std::make_shared<ExitSeries>())
{
    m_flushTimer.setInterval(FlushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &Recorder::flushOnTimer);
}

Recorder::~Recorder()
{
    if (m_source)
        stop();
}

bool Recorder::start(Source *source, RunInfo info)
{
    Q_ASSERT(!m_source);
    if (info.source.isEmpty())
        info.source = source->description();
    if (info.name.isEmpty())
        info.name = source->description();
    info.startedAt = QDateTime::currentDateTimeUtc();
    m_runId = m_store->createRun(info);
    if (m_runId < 0) {
        m_lastError = m_store->lastError();
        delete source;
        return false;
    }
    info.id = m_runId;
    m_info = info;
    // A new series for each run: views still showing the last one keep it until they let go.
    const bool subtractOwn = m_series->subtractOwnExits();
    m_series = std::make_shared<ExitSeries>();
    m_series->setSubtractOwnExits(subtractOwn);
    m_finalStats = {};
    m_pending.clear();
    m_storeFailed = false;
    m_blockedSince.invalidate();
    m_protocolError.clear();
    m_lastSenderNs = 0;
    m_source = source;
    source->setParent(this);
    source->setSink(this);
    connect(source, &Source::recordsDelivered, this, [this] {
        // While another process holds the lock, only the timer tries again.
        if (m_pending.size() >= MaxPending && !m_blockedSince.isValid())
            flushOnTimer();
        if (m_source)
            Q_EMIT updated();
    });
    connect(source, &Source::progress, this, &Recorder::progress);
    connect(source, &Source::finished, this, [this] {
        if (m_protocolError.isEmpty())
            end(true, {}, {});
        else
            end(false, m_protocolError, {});
    });
    connect(source, &Source::failed, this,
            [this](const QString &message, const QString &details) { end(false, message, details); });
    m_flushTimer.start();
    source->start();
    return true;
}

void Recorder::stop(const QString &failure, const QString &details)
{
    if (m_source && failure.isEmpty())
        m_source->stop();
    // A source that was already finished does not call back; make sure the run is closed.
    if (m_source)
        end(failure.isEmpty(), failure, details);
}

Recorder::FlushResult Recorder::flush(int busyTimeoutMs)
{
    if (m_pending.isEmpty())
        return FlushResult::Stored;
    m_store->setBusyTimeout(busyTimeoutMs);
    const bool stored = m_store->appendRecords(m_runId, m_pending.records());
    const bool busy = !stored && m_store->lastErrorWasBusy();
    if (!stored)
        m_lastError = m_store->lastError();
    m_store->setBusyTimeout(RunStore::DefaultBusyTimeoutMs);
    if (!stored)
        return busy ? FlushResult::Busy : FlushResult::Failed;
    m_pending.clear();
    return FlushResult::Stored;
}

void Recorder::flushOnTimer()
{
    if (m_storeFailed)
        return;
    switch (flush(LiveBusyTimeoutMs)) {
    case FlushResult::Stored:
        if (m_blockedSince.isValid()) {
            const auto blockedMs = m_blockedSince.elapsed();
            m_blockedSince.invalidate();
            qCInfo(lcRecorder) << "run database free again after" << blockedMs << "ms";
            Q_EMIT storeResumed(blockedMs);
        }
        break;
    case FlushResult::Busy:
        // Another process (a delete, a vacuum, a long export) holds the write lock. The records
        // are kept and tried again: nothing is wrong with the data, and the recording goes on.
        if (!m_blockedSince.isValid())
            m_blockedSince.start();
        Q_EMIT storeBlocked(m_pending.size(), m_blockedSince.elapsed());
        break;
    case FlushResult::Failed:
        // Ended from the event loop, not from here: this may run inside the source's own signal,
        // and ending disposes of the source (a QProcess waited for inside its own readyRead crashed).
        if (!m_storeFailed) {
            m_storeFailed = true;
            QMetaObject::invokeMethod(
                this,
                [this] {
                    end(false, QCoreApplication::translate("Recorder", "Recording stopped: the run database cannot be written"),
                        m_lastError);
                },
                Qt::QueuedConnection);
        }
        break;
    }
}

void Recorder::end(bool ok, const QString &message, const QString &details)
{
    if (!m_source)
        return;
    m_flushTimer.stop();
    auto source = m_source;
    m_source = nullptr;
    m_finalStats = source->stats();
    source->disconnect(this);
    source->setSink(nullptr);
    source->dispose();
    QString storeProblem;
    const auto pending = m_pending.size();
    switch (flush(FinalBusyTimeoutMs)) {
    case FlushResult::Stored:
        m_blockedSince.invalidate();
        break;
    case FlushResult::Busy:
        storeProblem = QCoreApplication::translate("Recorder", "another process held the run database's write lock "
                                                               "for over %1 s; the last %2 record(s) are lost: %3")
                           .arg(FinalBusyTimeoutMs / 1000)
                           .arg(pending)
                           .arg(m_lastError);
        break;
    case FlushResult::Failed:
        storeProblem = m_lastError;
        break;
    }
    bool complete = ok && storeProblem.isEmpty();
    QString failure = message;
    if (!storeProblem.isEmpty())
        failure = QCoreApplication::translate("Recorder", "The last records could not be stored: %1").arg(storeProblem);
    auto state = complete ? RunInfo::State::Complete : RunInfo::State::Failed;
    // An input that held nothing readable (a text file, random bytes) is not an empty run that
    // completed, and one with damage does not pass for a clean one.
    if (complete && m_finalStats.records == 0 && m_pending.isEmpty()) {
        complete = false;
        state = RunInfo::State::Failed;
        failure = m_finalStats.bytes == 0
            ? QCoreApplication::translate("Recorder", "The input was empty: nothing was received")
            : QCoreApplication::translate("Recorder", "The input held no valid ExitScope record (%1 bytes read): "
                                                      "it is not an ExitScope recording or stream, or is damaged "
                                                      "throughout")
                  .arg(m_finalStats.bytes);
    } else if (complete && m_finalStats.damaged()) {
        state = RunInfo::State::Damaged;
        failure = damageText(m_finalStats);
    }
    // A start that failed before anything arrived (a missing program, an unknown guest) leaves no
    // empty run behind: runId() becomes -1, "no run was kept".
    if (!complete && m_finalStats.bytes == 0 && m_pending.isEmpty() && m_store->discardEmptyRun(m_runId)) {
        qCInfo(lcRecorder) << "run" << m_runId << "received nothing: not kept";
        m_runId = -1;
        m_info.id = -1;
    } else {
        m_store->finishRun(m_runId, state, failure);
    }
    m_info.state = state;
    m_info.failure = failure;
    Q_EMIT updated();
    if (complete)
        Q_EMIT finished(m_runId);
    else
        Q_EMIT failed(m_runId, failure, details.isEmpty() ? storeProblem : details);
}

QString Recorder::damageText(const ParserStats &stats)
{
    QStringList parts;
    if (stats.malformed)
        parts << QCoreApplication::translate("Recorder", "%1 damaged record(s) or stretch(es)").arg(stats.malformed);
    if (stats.skippedBytes)
        parts << QCoreApplication::translate("Recorder", "%1 unreadable byte(s) skipped").arg(stats.skippedBytes);
    if (stats.gaps)
        parts << QCoreApplication::translate("Recorder", "%1 record(s) lost in %2 gap(s)").arg(stats.lostRecords).arg(stats.gaps);
    if (stats.rejected)
        parts << QCoreApplication::translate("Recorder", "%1 record(s) of an unsupported protocol ignored").arg(stats.rejected);
    return QCoreApplication::translate("Recorder", "The input was damaged: %1; everything readable is stored")
        .arg(parts.join(QStringLiteral(", ")));
}

void Recorder::handshake(const Handshake &h)
{
    m_pending.handshake(h);
    m_series->handshake(h);
    const auto layout = leafLayoutText(h);
    if (layout != m_info.leafLayout) {
        m_info.leafLayout = layout;
        m_store->updateLeafLayout(m_runId, layout);
    }
    // What the user did not say, the sender does: an agent runs in the guest, the probe on the host.
    // Replays keep what the recording's handshake says, as that is where it was recorded.
    QString host = m_info.host, guest = m_info.guest;
    if (h.sourceKind == SourceKind::GuestAgent && guest.isEmpty())
        guest = h.host;
    else if (h.sourceKind == SourceKind::HostProbe && host.isEmpty())
        host = h.host;
    if (host != m_info.host || guest != m_info.guest) {
        m_info.host = host;
        m_info.guest = guest;
        m_store->updateOrigin(m_runId, host, guest);
    }
    Q_EMIT handshakeReceived(h);
}

void Recorder::hostMarker(MarkerKind kind, const QString &text, quint32 code, const Sample *reading)
{
    if (!m_source)
        return;
    Marker m;
    m.kind = kind;
    m.text = text;
    m.span = code;
    if (reading) {
        m.exits = reading->exits;
        m.cycles = reading->cycles;
        m.flags = Marker::CountersValid;
    }
    m.tNs = m_lastSenderNs;
    marker(m);
    Q_EMIT updated();
}

void Recorder::sample(const Sample &s)
{
    m_lastSenderNs = s.tNs;
    m_pending.sample(s);
    m_series->sample(s);
}

void Recorder::marker(const Marker &m)
{
    m_pending.marker(m);
    m_series->marker(m);
}

void Recorder::heartbeat(const Heartbeat &h)
{
    m_lastSenderNs = std::max(m_lastSenderNs, h.tNs);
    m_pending.heartbeat(h);
}

void Recorder::error(const ErrorRecord &e)
{
    m_pending.error(e);
    qCInfo(lcRecorder) << "sender reported error" << e.code << e.text;
    Q_EMIT senderError(e);
}

void Recorder::reasonSample(const ReasonSample &r)
{
    m_pending.reasonSample(r);
    m_series->reasonSample(r);
}

void Recorder::gap(quint64 first, quint64 last)
{
    m_pending.gap(first, last);
    m_series->gap(first, last);
}

void Recorder::unsupportedVersion(quint16 major, quint16 minor)
{
    m_protocolError = QCoreApplication::translate("Recorder",
                                                  "The sender speaks stream protocol %1.%2; this ExitScope reads "
                                                  "version %3. Update ExitScope or the sender.")
                          .arg(major)
                          .arg(minor)
                          .arg(Protocol::Major);
}

} // namespace ExitScope
