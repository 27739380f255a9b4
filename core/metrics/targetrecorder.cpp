// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/targetrecorder.h"

#include "series/exitseries.h"
#include "store/runinfo.h"

#include <QDateTime>

namespace ExitScope {

TargetRecorder::TargetRecorder(FleetTarget target, RunStore *store, int rollMinutes, QObject *parent)
    : QObject(parent)
    , m_target(std::move(target))
    , m_store(store)
    , m_session(new RecordingSession(store, this))
    , m_rollMinutes(rollMinutes)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &TargetRecorder::begin);
    m_roll.setSingleShot(true);
    connect(&m_roll, &QTimer::timeout, this, [this] {
        m_rolling = true;
        m_session->stop();
    });
    connect(m_session, &RecordingSession::updated, this, &TargetRecorder::collect);
    connect(m_session, &RecordingSession::senderConnectionChanged, this, [this](bool open, const QString &reason) {
        if (!open && m_counters.up) {
            m_counters.up = false;
            Q_EMIT stateChanged(false, reason);
        }
    });
    connect(m_session, &RecordingSession::handshakeReceived, this, [this](const Handshake &handshake) {
        m_counters.vendor = handshake.cpuVendor;
        if (!m_counters.up) {
            m_counters.up = true;
            m_retrySeconds = 1;
            Q_EMIT stateChanged(true, QStringLiteral("%1 says hello (%2)").arg(m_target.spec.describe(), handshake.sender));
        }
    });
    connect(m_session, &RecordingSession::ended, this,
            [this](qint64 runId, RecordingSession::Outcome outcome, const ParserStats &, const QString &message, const QString &details) {
                onEnded(runId, outcome, message, details);
            });
}

TargetRecorder::~TargetRecorder()
{
    // The session writes to the store, which its owner keeps until every recorder is gone.
    m_stopping = true;
    m_session->stop();
}

void TargetRecorder::start()
{
    m_stopping = false;
    begin();
}

void TargetRecorder::stop()
{
    m_stopping = true;
    m_retry.stop();
    m_roll.stop();
    m_session->stop();
}

void TargetRecorder::begin()
{
    if (m_stopping || m_session->isActive())
        return;
    RecordingSession::Options options;
    options.info.name = QStringLiteral("%1/%2 (exporter)").arg(m_target.host, m_target.guest);
    options.info.host = m_target.host;
    options.info.guest = m_target.guest;
    options.senderTimeoutSeconds = SenderTimeoutSeconds;
    m_seenPoints = 0;
    if (!m_session->start(m_target.spec, options)) {
        m_counters.lastProblem = m_session->lastError();
        ++m_counters.failures;
        Q_EMIT stateChanged(false, QStringLiteral("cannot record %1: %2; trying again in %3 s")
                                       .arg(m_target.spec.describe(), m_session->lastError())
                                       .arg(m_retrySeconds));
        m_retry.start(m_retrySeconds * 1000);
        m_retrySeconds = std::min(m_retrySeconds * 2, MaxRetrySeconds);
        return;
    }
    ++m_counters.connections;
    m_counters.runId = m_session->runId();
    if (m_rollMinutes > 0)
        m_roll.start(m_rollMinutes * 60 * 1000);
}

void TargetRecorder::collect()
{
    const auto series = m_session->series();
    if (!series)
        return;
    const auto &points = series->points();
    for (int i = m_seenPoints; i < points.size(); ++i) {
        const auto &point = points.at(i);
        m_counters.exits += point.deltaExits;
        m_counters.cycles += point.deltaCycles;
        m_counters.ownCpuid += point.deltaOwn;
        m_counters.lastSeq = point.seq;
        ++m_counters.samples;
    }
    m_seenPoints = points.size();
    m_counters.reasons = m_carriedReasons;
    for (const auto &reason : series->reasonTotals()) {
        auto &sum = m_counters.reasons[reason.reason];
        sum.first += reason.exitsTotal;
        sum.second += reason.cyclesTotal;
    }
}

void TargetRecorder::onEnded(qint64, RecordingSession::Outcome outcome, const QString &message, const QString &details)
{
    collect(); // what arrived after the last update
    m_carriedReasons = m_counters.reasons;
    m_counters.runId = -1;
    m_roll.stop();
    const bool wasUp = m_counters.up;
    m_counters.up = false;
    if (m_stopping)
        return;
    if (m_rolling && outcome == RecordingSession::Outcome::Stopped) {
        m_rolling = false;
        begin(); // a new run, at once
        return;
    }
    m_rolling = false;
    ++m_counters.failures;
    QString why = message;
    if (why.isEmpty()) {
        why = outcome == RecordingSession::Outcome::Completed ? QStringLiteral("its stream ended")
            : outcome == RecordingSession::Outcome::NoSender  ? QStringLiteral("it said nothing for %1 s").arg(SenderTimeoutSeconds)
                                                              : QStringLiteral("it stopped");
    }
    m_counters.lastProblem = details.isEmpty() ? why : QString(why + QStringLiteral(": ") + details);
    Q_EMIT stateChanged(false, QStringLiteral("%1%2 ended: %3; reconnecting in %4 s")
                                   .arg(wasUp ? QString() : QStringLiteral("(never up) "), m_target.spec.describe(),
                                        m_counters.lastProblem)
                                   .arg(m_retrySeconds));
    m_retry.start(m_retrySeconds * 1000);
    m_retrySeconds = std::min(m_retrySeconds * 2, MaxRetrySeconds);
}

TargetRecorder::Counters TargetRecorder::counters() const
{
    return m_counters;
}

} // namespace ExitScope
