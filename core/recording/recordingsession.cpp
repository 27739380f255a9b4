// SPDX-License-Identifier: GPL-3.0-or-later
#include "recording/recordingsession.h"

#include "store/outputguard.h"

#include "recording/hostcounterreading.h"
#include "recording/recorder.h"
#include "recording/sourcefactory.h"
#include "series/exitseries.h"
#include "sources/source.h"
#include "store/runstore.h"
#include "virt/hostcontroller.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <utility>

Q_LOGGING_CATEGORY(lcSession, "exitscope.recording", QtWarningMsg)

namespace ExitScope {

namespace {
constexpr int TickMs = 100;
} // namespace

RecordingSession::RecordingSession(RunStore *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_recorder(new Recorder(store, this))
{
    m_tick.setInterval(TickMs);
    connect(&m_tick, &QTimer::timeout, this, [this, lastReport = qint64(-1)]() mutable {
        const qint64 ms = m_clock.elapsed();
        if (m_phase == Phase::WaitingForSender) {
            const int timeout = m_options.senderTimeoutSeconds;
            if (timeout > 0 && ms >= qint64(timeout) * 1000) {
                finishWith(Outcome::NoSender,
                           tr("No word from the %1 within %2 s").arg(m_spec.describe()).arg(timeout));
                return;
            }
            if (ms / 1000 != lastReport) {
                lastReport = ms / 1000;
                Q_EMIT waitingForSender(int(lastReport), timeout);
            }
        } else if (m_phase == Phase::Recording && m_options.durationSeconds > 0
                   && double(ms) >= m_options.durationSeconds * 1000) {
            finishWith(Outcome::Completed, {});
        }
    });
    m_updateTimer.setSingleShot(true);
    m_updateTimer.setInterval(UpdateIntervalMs);
    connect(&m_updateTimer, &QTimer::timeout, this, [this] {
        if (m_updatePending) {
            m_updatePending = false;
            Q_EMIT updated();
            m_updateTimer.start();
        }
    });

    connect(m_recorder, &Recorder::updated, this, &RecordingSession::onUpdated);
    connect(m_recorder, &Recorder::handshakeReceived, this, [this](const Handshake &h) {
        senderSpoke();
        Q_EMIT handshakeReceived(h);
    });
    connect(m_recorder, &Recorder::senderError, this, &RecordingSession::senderError);
    connect(m_recorder, &Recorder::progress, this, &RecordingSession::progress);
    connect(m_recorder, &Recorder::storeBlocked, this, &RecordingSession::storeBlocked);
    connect(m_recorder, &Recorder::storeResumed, this, &RecordingSession::storeResumed);
    connect(m_recorder, &Recorder::finished, this, [this](qint64) { onRecorderEnded(true, {}, {}); });
    connect(m_recorder, &Recorder::failed, this,
            [this](qint64, const QString &message, const QString &details) { onRecorderEnded(false, message, details); });
}

RecordingSession::~RecordingSession()
{
    // The recorder writes to the store and the raw copy: it ends first, without signals to us.
    disconnect(m_recorder, nullptr, this, nullptr);
    delete m_recorder;
}

bool RecordingSession::start(const SourceSpec &spec, const Options &options)
{
    m_startError = StartError::None;
    if (isActive()) {
        m_startError = StartError::Busy;
        m_lastError = tr("A recording is already running.");
        return false;
    }
    QString error;
    auto source = createSource(spec, &error);
    if (!source) {
        m_startError = StartError::BadSpec;
        m_lastError = error;
        return false;
    }
    m_rawCopy.close();
    if (!options.rawCopyPath.isEmpty()) {
        OutputGuard guard;
        guard.protect(m_store->path(), tr("the run database"), OutputGuard::Kind::Database);
        if (spec.kind == SourceSpec::Kind::Replay)
            guard.protect(spec.path, tr("the recording being replayed"));
        const auto refusal = guard.refusal(options.rawCopyPath);
        if (!refusal.isEmpty()) {
            m_startError = StartError::Output;
            m_lastError = refusal;
            return false;
        }
        m_rawCopy.setFileName(options.rawCopyPath);
        if (!m_rawCopy.open(QIODevice::WriteOnly)) {
            m_startError = StartError::Output;
            m_lastError = tr("Cannot write %1: %2").arg(options.rawCopyPath, m_rawCopy.errorString());
            return false;
        }
        source->setRawCopy(&m_rawCopy);
    }
    m_spec = spec;
    m_options = options;
    m_guestSuspended = false;
    m_ending = false;
    m_updatePending = false;
    connect(source.get(), &Source::connectionChanged, this, &RecordingSession::senderConnectionChanged);
    RunInfo info = options.info;
    if (info.source.isEmpty())
        info.source = spec.describe();
    if (info.name.isEmpty())
        info.name = spec.describe();
    m_recorder->series().setSubtractOwnExits(options.subtractOwnExits);
    // Active before the source starts: a source that fails at once (a program that does not exist)
    // ends the session from inside the recorder's start, and that end must stand.
    const Phase before = m_phase;
    m_clock.start();
    m_waitedMs = 0;
    setPhase(Phase::WaitingForSender);
    m_tick.start();
    Source *raw = source.release(); // the recorder owns it from here, also when start fails
    if (!m_recorder->start(raw, info)) {
        m_tick.stop();
        setPhase(before);
        m_startError = StartError::Store;
        m_lastError = m_recorder->lastError();
        m_rawCopy.close();
        return false;
    }
    if (isActive() && spec.kind == SourceSpec::Kind::GuestAgent)
        watchGuest();
    return true;
}

void RecordingSession::watchGuest()
{
    // One controller serves the boot and the guest's lifecycle events: the caller's when it is
    // connected to the same host, else one of the session's own, connected in the background.
    HostController *host = m_options.host;
    const bool own = !host || !host->isConnected() || host->host().uri != m_spec.uri;
    if (own) {
        m_host = new HostController(this);
        host = m_host;
    }
    const auto guest = m_spec.guest;
    m_hostConnections << connect(host, &HostController::domainLifecycle, this, [this, guest](const QString &domain, DomainEvent event) {
        if (domain != guest || !isActive())
            return;
        // QEMU starts a guest paused and then lets it run: libvirt reports that as "resumed", which is
        // only news after a suspend seen in this recording.
        if (event == DomainEvent::Suspended)
            m_guestSuspended = true;
        else if (event == DomainEvent::Resumed && !std::exchange(m_guestSuspended, false))
            return;
        // The reading taken just before the start goes with it: the boot is measured from there.
        std::optional<Sample> reading;
        if (event == DomainEvent::Started)
            reading = std::exchange(m_guestStartReading, std::nullopt);
        m_recorder->hostMarker(MarkerKind::HostEvent, tr("%1: %2").arg(domain, domainEventName(event)),
                               hostEventCode(event), reading ? &*reading : nullptr);
        Q_EMIT guestEvent(event);
    });
    if (m_spec.bootGuest) {
        // The channel reader is already waiting for the guest; starting it now records its boot whole.
        const auto fail = [this](const QString &message, const QString &details) {
            if (isActive())
                finishWith(Outcome::Failed, message, details);
        };
        m_bootConnections << connect(host, &HostController::connectionFailed, this,
                                     [=](const QString &message, const QString &details) {
                                         fail(tr("Cannot start %1: %2").arg(guest, message), details);
                                     });
        m_bootConnections << connect(host, &HostController::actionFailed, this,
                                     [=](const QString &domain, DomainAction, const QString &message, const QString &details) {
                                         if (domain == guest)
                                             fail(tr("Cannot start %1: %2").arg(domain, message), details);
                                     });
        m_bootConnections << connect(host, &HostController::actionFinished, this, [this, guest](const QString &domain, DomainAction) {
            if (domain != guest)
                return;
            disconnectAll(m_bootConnections);
            Q_EMIT guestStarted(domain);
        });
    }
    if (!own) {
        if (m_spec.bootGuest)
            startGuest(host);
        return;
    }
    if (m_spec.bootGuest)
        m_bootConnections << connect(host, &HostController::connected, this, [this, host] { startGuest(host); });
    else
        // Events are a bonus when the session only reads the channel: a host that cannot be reached
        // this way is said in the log, the recording goes on.
        m_hostConnections << connect(host, &HostController::connectionFailed, this, [](const QString &message) {
            qCInfo(lcSession) << "no lifecycle events for the recording:" << message;
        });
    host->connectTo(m_spec.uri);
}

void RecordingSession::startGuest(HostController *host)
{
    const auto spec = HostCounterReading::probeFor(m_spec.uri);
    if (!spec) {
        host->startDomain(m_spec.guest);
        return;
    }
    // One reading of the host's counters first, so that the boot is measured from the start on.
    // A host that cannot be read still gets its guest started; the boot then goes unmeasured.
    m_hostReading = new HostCounterReading(this);
    const QPointer<HostController> guard(host);
    connect(m_hostReading, &HostCounterReading::read, this, [this, guard](const Sample &reading) {
        m_guestStartReading = reading;
        Q_EMIT hostCountersRead(true, tr("The host's counters were read before the start: %1 exits").arg(reading.exits));
        if (guard && isActive())
            guard->startDomain(m_spec.guest);
    });
    connect(m_hostReading, &HostCounterReading::failed, this, [this, guard](const QString &message) {
        qCInfo(lcSession) << "no reading of the host's counters before the start:" << message;
        Q_EMIT hostCountersRead(false, tr("The boot's cost will not be measured: %1").arg(message));
        if (guard && isActive())
            guard->startDomain(m_spec.guest);
    });
    m_hostReading->start(*spec);
}

void RecordingSession::disconnectAll(QList<QMetaObject::Connection> &connections)
{
    for (const auto &connection : std::as_const(connections))
        disconnect(connection);
    connections.clear();
}

void RecordingSession::unwatchGuest()
{
    disconnectAll(m_bootConnections);
    disconnectAll(m_hostConnections);
    if (m_hostReading) {
        m_hostReading->cancel();
        m_hostReading->deleteLater();
        m_hostReading = nullptr;
    }
    m_guestStartReading.reset();
    if (m_host) {
        m_host->deleteLater();
        m_host = nullptr;
    }
}

void RecordingSession::stop()
{
    if (isActive())
        finishWith(Outcome::Stopped, {});
}

void RecordingSession::finishWith(Outcome outcome, const QString &message, const QString &details)
{
    if (!isActive() || m_ending)
        return;
    m_ending = true;
    m_endOutcome = outcome;
    m_endMessage = message;
    if (outcome == Outcome::Failed || outcome == Outcome::NoSender)
        m_recorder->stop(message.isEmpty() ? tr("The recording failed") : message, details);
    else
        m_recorder->stop();
}

void RecordingSession::senderSpoke()
{
    if (m_phase != Phase::WaitingForSender)
        return;
    m_waitedMs = m_clock.elapsed();
    qCInfo(lcSession) << m_spec.describe() << "spoke after" << m_waitedMs << "ms";
    m_clock.start();
    setPhase(Phase::Recording);
}

void RecordingSession::onUpdated()
{
    if (m_recorder->isRecording() && !m_recorder->series().isEmpty())
        senderSpoke();
    if (m_updateTimer.isActive()) {
        m_updatePending = true;
        return;
    }
    Q_EMIT updated();
    m_updateTimer.start();
}

void RecordingSession::onRecorderEnded(bool ok, const QString &message, const QString &details)
{
    m_tick.stop();
    m_updateTimer.stop();
    m_rawCopy.close();
    unwatchGuest();
    Outcome outcome = ok ? Outcome::Completed : Outcome::Failed;
    QString why = message;
    if (m_ending) {
        outcome = ok ? m_endOutcome : (m_endOutcome == Outcome::NoSender ? Outcome::NoSender : Outcome::Failed);
        if (why.isEmpty())
            why = m_endMessage;
    }
    // A live sender that delivered nothing has not been recorded, whatever ended the wait.
    if (m_spec.isLive() && m_recorder->series().isEmpty() && outcome != Outcome::Failed) {
        outcome = Outcome::NoSender;
        if (why.isEmpty())
            why = tr("No samples arrived from the %1").arg(m_spec.describe());
    }
    m_ending = false;
    setPhase(Phase::Ended);
    Q_EMIT updated();
    Q_EMIT ended(m_recorder->runId(), outcome, m_recorder->streamStats(), why, details);
}

void RecordingSession::setPhase(Phase phase)
{
    if (m_phase == phase)
        return;
    m_phase = phase;
    Q_EMIT phaseChanged(phase);
}

qint64 RecordingSession::runId() const
{
    return m_recorder->runId();
}

const RunInfo &RecordingSession::info() const
{
    return m_recorder->info();
}

std::shared_ptr<const ExitSeries> RecordingSession::series() const
{
    return m_recorder->sharedSeries();
}

ParserStats RecordingSession::streamStats() const
{
    return m_recorder->streamStats();
}

double RecordingSession::elapsedSeconds() const
{
    return isActive() ? double(m_clock.elapsed()) / 1000.0 : 0.0;
}

void RecordingSession::setSubtractOwnExits(bool subtract)
{
    m_recorder->series().setSubtractOwnExits(subtract);
}

bool RecordingSession::acceptsCommands() const
{
    const auto source = m_recorder->source();
    return source && source->acceptsCommands();
}

bool RecordingSession::sendCommand(const QString &line)
{
    auto source = const_cast<Source *>(m_recorder->source());
    if (!source || !source->acceptsCommands())
        return false;
    source->sendCommand(line);
    return true;
}

} // namespace ExitScope
