// SPDX-License-Identifier: GPL-3.0-or-later
#include "experiment/experimentrunner.h"

#include "protocol/exitreasons.h"
#include "series/exitseries.h"
#include "store/runstore.h"
#include "virt/hostcontroller.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcExperiment, "exitscope.experiment", QtWarningMsg)

namespace ExitScope {

ExperimentRunner::ExperimentRunner(RunStore *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        if (m_waitTimeout <= 0)
            return;
        const int waited = int(m_waitClock.elapsed() / 1000);
        if (waited >= m_waitTimeout) {
            m_bootFault = m_recipe.bootsGuest() && (m_wait == Wait::Hello || m_wait == Wait::Boot);
            QString message = tr("%1 did not come within %2 s").arg(m_waitWhat).arg(m_waitTimeout);
            if (m_wait == Wait::Hello)
                message += QStringLiteral(" (%1)").arg(channelHistory());
            failRepetition(message);
        }
        else
            Q_EMIT waiting(waited, m_waitTimeout, m_waitWhat);
    });
    m_pause.setSingleShot(true);
    connect(&m_pause, &QTimer::timeout, this, [this] {
        if (m_wait == Wait::Idle)
            stepDone();
        else if (m_wait == Wait::Settle)
            beginRepetition();
    });
}

ExperimentRunner::~ExperimentRunner() = default;

bool ExperimentRunner::start(const ExperimentRecipe &recipe, const Options &options)
{
    if (m_running) {
        m_lastError = tr("An experiment is already running");
        return false;
    }
    m_guest = options.guest.isEmpty() ? recipe.guest : options.guest;
    if (options.uri.isEmpty()) {
        m_lastError = tr("No host to run the experiment on");
        return false;
    }
    if (m_guest.isEmpty()) {
        m_lastError = tr("The recipe names no guest; say which guest to run it in");
        return false;
    }
    if (options.repetitions < 0 || options.repetitions > ExperimentRecipe::MaxRepetitions) {
        m_lastError = tr("Repetitions must be from 1 to %1").arg(ExperimentRecipe::MaxRepetitions);
        return false;
    }
    m_recipe = recipe;
    m_options = options;
    m_repetitionCount = options.repetitions > 0 ? options.repetitions : recipe.repetitions;
    m_repetition = 0;
    m_retriesLeft = qMax(0, options.bootRetries);
    m_discarded = 0;
    m_done.clear();
    m_result = {};
    m_cancelling = false;
    m_running = true;
    m_lastError.clear();

    delete m_host;
    m_host = new HostController(this);
    connect(m_host, &HostController::connected, this, [this] {
        const auto *domain = m_host->domain(m_guest);
        if (!domain)
            return finish(Outcome::Failed, tr("The host has no guest named %1").arg(m_guest));
        if (m_recipe.bootsGuest() && !domain->canStart())
            return finish(Outcome::Failed, tr("%1 is %2; the experiment starts it itself: shut it down first")
                                               .arg(m_guest, DomainInfo::stateName(domain->state)));
        if (!m_recipe.bootsGuest() && domain->state != DomainInfo::State::Running)
            return finish(Outcome::Failed, tr("%1 is %2; start it first, or use a recipe that starts it")
                                               .arg(m_guest, DomainInfo::stateName(domain->state)));
        beginRepetition();
    });
    connect(m_host, &HostController::disconnected, this, [this] {
        // The host went away (it rebooted, crashed, or the network did): nothing more can be driven.
        if (!m_running)
            return;
        if (m_session && m_session->isActive())
            failRepetition(tr("The connection to the host was lost"));
        else
            finish(Outcome::Failed, tr("The connection to the host was lost"));
    });
    connect(m_host, &HostController::connectionFailed, this, [this](const QString &message) {
        if (m_running && !m_session)
            finish(Outcome::Failed, tr("Cannot connect to the host: %1").arg(message));
    });
    connect(m_host, &HostController::domainLifecycle, this, [this](const QString &domain, DomainEvent event) {
        const bool off = event == DomainEvent::ShutDown || event == DomainEvent::Stopped || event == DomainEvent::Crashed;
        if (domain == m_guest && off && m_wait == Wait::ForcedOff) {
            retryAfterForcedOff();
            return;
        }
        if (domain != m_guest || !m_session)
            return;
        if (m_wait == Wait::GuestOff) {
            if (off)
                stepDone();
            return;
        }
        // The guest went away or started over in the middle of a repetition: its figures would mix
        // two lives of the guest.
        if (off || event == DomainEvent::Rebooted) {
            // Before the boot marker: the boot went wrong, not a step of the recipe.
            m_bootFault = m_recipe.bootsGuest() && !m_bootSeen;
            failRepetition(tr("%1 %2 during the step '%3'")
                               .arg(m_guest, domainEventName(event),
                                    m_step >= 0 && m_step < m_recipe.steps.size() ? m_recipe.steps.at(m_step).text()
                                                                                  : tr("waiting for the agent")));
        }
    });
    connect(m_host, &HostController::actionFailed, this,
            [this](const QString &domain, DomainAction action, const QString &message, const QString &,
                   LibvirtFailure::Kind kind) {
                if (domain == m_guest && m_wait == Wait::GuestOff)
                    failRepetition(tr("Cannot shut %1 down: %2").arg(domain, message));
                else if (domain == m_guest && m_wait == Wait::ForcedOff && action == DomainAction::ForceOff) {
                    // It may have gone off by itself meanwhile (the shutdown asked for after the failure):
                    // libvirt then refuses as "not running", before its lifecycle event has come.
                    const auto *info = m_host->domain(domain);
                    if (kind == LibvirtFailure::Kind::InvalidState || (info && info->canStart()))
                        retryAfterForcedOff();
                    else
                        finish(Outcome::Failed, tr("Cannot force %1 off to run the repetition again: %2").arg(domain, message));
                }
            });
    Q_EMIT connecting(options.uri);
    m_host->connectTo(options.uri);
    return true;
}

void ExperimentRunner::cancel()
{
    if (!m_running || m_cancelling)
        return;
    m_cancelling = true;
    m_pause.stop();
    if (m_session && m_session->isActive()) {
        // A guest this repetition started is asked to shut down, so that the next run can start it.
        if (m_recipe.bootsGuest() && m_host)
            m_host->shutdownDomain(m_guest);
        m_session->stop();
        return;
    }
    finish(Outcome::Cancelled, tr("Cancelled after %1 of %2 repetitions").arg(m_done.size()).arg(m_repetitionCount));
}

void ExperimentRunner::beginRepetition()
{
    ++m_repetition;
    m_handshakeSeen = false;
    m_bootSeen = false;
    m_bootFault = false;
    m_repetitionFailure.clear();
    m_workload.clear();
    m_workloadSpan = 0;
    m_markerCursor = 0;
    m_wait = Wait::Nothing;

    m_session = new RecordingSession(m_store, this);
    connect(m_session, &RecordingSession::handshakeReceived, this, &ExperimentRunner::onHandshake);
    connect(m_session, &RecordingSession::hostCountersRead, this, [this](bool ok, const QString &message) {
        if (!ok)
            Q_EMIT notice(message);
    });
    connect(m_session, &RecordingSession::updated, this, &ExperimentRunner::scanMarkers);
    m_channelOpenedAfter = -1;
    m_channelOpenings = 0;
    m_channelClosedBecause.clear();
    connect(m_session, &RecordingSession::senderConnectionChanged, this, [this](bool open, const QString &reason) {
        if (open) {
            if (m_channelOpenings++ == 0)
                m_channelOpenedAfter = int(m_waitClock.elapsed() / 1000);
            m_channelClosedBecause.clear(); // why it could not be opened before is history now
        } else if (!reason.isEmpty()) {
            m_channelClosedBecause = reason;
        }
    });
    connect(m_session, &RecordingSession::senderError, this, [this](const ErrorRecord &e) {
        // A workload the agent refused or that failed ends the repetition: its figures would be wrong.
        if (m_wait == Wait::WorkloadEnd
            && (e.code == quint16(SenderError::CommandRejected) || e.code == quint16(SenderError::WorkloadFailed)))
            failRepetition(tr("The agent: %1").arg(e.text));
    });
    connect(m_session, &RecordingSession::ended, this,
            [this](qint64 runId, RecordingSession::Outcome outcome, const ParserStats &, const QString &message) {
                onSessionEnded(runId, outcome, message);
            });

    RecordingSession::Options options;
    options.info.name = tr("%1 %2/%3").arg(m_recipe.title).arg(m_repetition).arg(m_repetitionCount);
    options.info.host = HostController::displayName(m_options.uri);
    options.info.guest = m_guest;
    options.info.notes = tr("experiment %1, repetition %2 of %3").arg(m_recipe.name).arg(m_repetition).arg(m_repetitionCount);
    // The runner waits for the hello itself, with progress; the session's own limit is a backstop.
    options.senderTimeoutSeconds = m_options.helloTimeoutSeconds + 30;
    options.subtractOwnExits = m_options.subtractOwnExits;
    options.host = m_host;
    if (!m_session->start(SourceSpec::guestAgent(m_options.uri, m_guest, m_recipe.bootsGuest()), options)) {
        const auto error = m_session->lastError();
        m_session->deleteLater();
        m_session = nullptr;
        return finish(Outcome::Failed, tr("Repetition %1 could not start: %2").arg(m_repetition).arg(error));
    }
    Q_EMIT repetitionStarted(m_repetition, m_repetitionCount, m_session->runId());
    m_step = m_recipe.bootsGuest() ? 0 : -1;
    if (m_step == 0)
        Q_EMIT stepStarted(m_repetition, 0, m_recipe.steps.first().describe());
    waitFor(Wait::Hello, tr("The agent's hello"), m_options.helloTimeoutSeconds);
}

void ExperimentRunner::onHandshake(const Handshake &handshake)
{
    if (std::exchange(m_handshakeSeen, true))
        return;
    if (!m_recipe.reasons.isEmpty()) {
        QStringList numbers;
        for (const auto &name : std::as_const(m_recipe.reasons)) {
            const auto reason = ExitReasons::parse(handshake.cpuVendor, name);
            if (!reason)
                return failRepetition(tr("'%1' is no exit reason of this host's numbering").arg(name));
            numbers << QStringLiteral("0x%1").arg(*reason, 0, 16);
        }
        m_session->sendCommand(QStringLiteral("reasons %1").arg(numbers.join(QLatin1Char(','))));
    }
    if (m_wait == Wait::Hello)
        stepDone();
}

QString ExperimentRunner::channelHistory() const
{
    // What the channel did while the hello was awaited: whether the guest got as far as opening its
    // port, and whether anything came, tells a guest that never booted from a stream that was lost.
    const quint64 bytes = m_session ? m_session->streamStats().bytes : 0;
    if (m_channelOpenings == 0)
        return m_channelClosedBecause.isEmpty()
            ? tr("the guest's channel was never opened")
            : tr("the guest's channel was never opened: %1").arg(m_channelClosedBecause);
    QString history = tr("the guest's channel opened after %1 s, %2 times in all; %3 bytes arrived")
                          .arg(m_channelOpenedAfter)
                          .arg(m_channelOpenings)
                          .arg(bytes);
    if (!m_channelClosedBecause.isEmpty())
        history += tr("; last closed: %1").arg(m_channelClosedBecause);
    return history;
}

void ExperimentRunner::waitFor(Wait wait, const QString &what, int timeoutSeconds)
{
    m_wait = wait;
    m_waitWhat = what;
    m_waitTimeout = timeoutSeconds;
    m_waitClock.start();
    if (timeoutSeconds > 0)
        m_tick.start();
    else
        m_tick.stop();
}

void ExperimentRunner::stepDone()
{
    m_wait = Wait::Nothing;
    m_tick.stop();
    // Not from inside the signal that ended the step: the next one may end this session.
    QMetaObject::invokeMethod(this, &ExperimentRunner::nextStep, Qt::QueuedConnection);
}

void ExperimentRunner::nextStep()
{
    if (!m_session || !m_session->isActive() || m_wait != Wait::Nothing || !m_repetitionFailure.isEmpty())
        return;
    ++m_step;
    if (m_step >= m_recipe.steps.size()) {
        m_session->stop();
        return;
    }
    const auto &step = m_recipe.steps.at(m_step);
    Q_EMIT stepStarted(m_repetition, m_step, step.describe());
    runStep(step);
}

void ExperimentRunner::runStep(const ExperimentStep &step)
{
    const int timeout = m_options.stepTimeoutSeconds;
    switch (step.kind) {
    case ExperimentStep::Kind::Start: // the session started the guest; the recipe keeps it first
        stepDone();
        return;
    case ExperimentStep::Kind::WaitBoot:
        if (m_bootSeen)
            stepDone();
        else
            waitFor(Wait::Boot, tr("The guest's boot marker"), timeout);
        return;
    case ExperimentStep::Kind::Idle:
        waitFor(Wait::Idle, step.describe(), 0);
        m_pause.start(int(step.seconds * 1000));
        return;
    case ExperimentStep::Kind::Run:
        m_workload = step.argument;
        m_workloadSpan = 0;
        waitFor(Wait::WorkloadEnd, tr("The end of '%1'").arg(step.argument), timeout);
        m_session->sendCommand(step.argument);
        return;
    case ExperimentStep::Kind::Mark:
        m_session->sendCommand(QStringLiteral("mark %1").arg(step.argument));
        stepDone();
        return;
    case ExperimentStep::Kind::Shutdown:
        waitFor(Wait::GuestOff, tr("%1 shut down").arg(m_guest), timeout);
        m_host->shutdownDomain(m_guest);
        return;
    }
}

void ExperimentRunner::scanMarkers()
{
    if (!m_session)
        return;
    const auto series = m_session->series();
    const auto &markers = series->markers();
    for (; m_markerCursor < markers.size(); ++m_markerCursor) {
        const auto &m = markers.at(m_markerCursor).marker;
        switch (m.kind) {
        case MarkerKind::Boot:
            m_bootSeen = true;
            if (m_wait == Wait::Boot)
                stepDone();
            break;
        case MarkerKind::WorkloadStart:
            if (m_wait == Wait::WorkloadEnd && !m_workloadSpan && m.text == m_workload)
                m_workloadSpan = m.span;
            break;
        case MarkerKind::WorkloadEnd:
            if (m_wait != Wait::WorkloadEnd || !m_workloadSpan || m.span != m_workloadSpan)
                break;
            if (m.text.startsWith(QLatin1String("failed")))
                return failRepetition(tr("'%1' failed in the guest: %2").arg(m_workload, m.text));
            stepDone();
            break;
        default:
            break;
        }
    }
}

void ExperimentRunner::failRepetition(const QString &message)
{
    if (!m_repetitionFailure.isEmpty())
        return;
    qCInfo(lcExperiment) << "repetition" << m_repetition << "failed:" << message;
    m_repetitionFailure = message;
    m_wait = Wait::Nothing;
    m_tick.stop();
    m_pause.stop();
    if (m_session && m_session->isActive()) {
        if (m_recipe.bootsGuest() && m_host)
            m_host->shutdownDomain(m_guest);
        m_session->stop();
    } else {
        finish(Outcome::Failed, message);
    }
}

void ExperimentRunner::onSessionEnded(qint64 runId, RecordingSession::Outcome outcome, const QString &message)
{
    const auto series = m_session->series();
    m_session->deleteLater();
    m_session = nullptr;
    m_tick.stop();
    const bool incomplete = m_step < m_recipe.steps.size();
    if (m_repetitionFailure.isEmpty() && !m_cancelling
        && (outcome == RecordingSession::Outcome::Failed || outcome == RecordingSession::Outcome::NoSender || incomplete))
        m_repetitionFailure = message.isEmpty() ? tr("The recording ended before the steps did") : message;
    if (m_cancelling) {
        Q_EMIT repetitionEnded(m_repetition, runId, false, tr("cancelled"));
        return finish(Outcome::Cancelled,
                      tr("Cancelled after %1 of %2 repetitions").arg(m_done.size()).arg(m_repetitionCount));
    }
    if (!m_repetitionFailure.isEmpty() && m_bootFault && m_retriesLeft > 0) {
        // The boot itself went wrong (not a step of the recipe): this repetition measured nothing
        // worth keeping. Its run stays, named so; the guest is forced off and the repetition runs again.
        --m_retriesLeft;
        ++m_discarded;
        RunInfo info;
        if (m_store->runInfo(runId, &info))
            m_store->renameRun(runId, tr("%1 (discarded: %2)").arg(info.name, m_repetitionFailure));
        Q_EMIT repetitionDiscarded(m_repetition, runId, m_repetitionFailure);
        --m_repetition;
        const auto *domain = m_host->domain(m_guest);
        waitFor(Wait::ForcedOff, tr("%1 forced off").arg(m_guest), m_options.stepTimeoutSeconds);
        if (domain && domain->canStart())
            retryAfterForcedOff();
        else
            m_host->destroyDomain(m_guest);
        return;
    }
    if (!m_repetitionFailure.isEmpty()) {
        Q_EMIT repetitionEnded(m_repetition, runId, false, m_repetitionFailure);
        return finish(Outcome::Failed, tr("Repetition %1 of %2 failed: %3")
                                           .arg(m_repetition)
                                           .arg(m_repetitionCount)
                                           .arg(m_repetitionFailure));
    }
    m_done.append({m_repetition, runId, series});
    Q_EMIT repetitionEnded(m_repetition, runId, true, {});
    if (m_repetition >= m_repetitionCount)
        return finish(Outcome::Completed, {});
    waitFor(Wait::Settle, tr("The settle time"), 0);
    Q_EMIT settling(m_recipe.settleSeconds);
    m_pause.start(int(m_recipe.settleSeconds * 1000));
}

void ExperimentRunner::retryAfterForcedOff()
{
    if (m_wait != Wait::ForcedOff)
        return;
    // Off now: the settle time first, as between any two repetitions.
    waitFor(Wait::Settle, tr("The settle time"), 0);
    Q_EMIT settling(m_recipe.settleSeconds);
    m_pause.start(int(m_recipe.settleSeconds * 1000));
}

void ExperimentRunner::finish(Outcome outcome, const QString &message)
{
    if (!m_running)
        return;
    m_running = false;
    m_wait = Wait::Nothing;
    m_tick.stop();
    m_pause.stop();
    // Whatever finished is summarized, also after a failure or a cancel.
    m_result = ExperimentResult::compute(m_recipe, m_done, m_options.subtractOwnExits);
    if (m_host)
        m_host->disconnectFromHost();
    Q_EMIT finished(outcome, message);
}

} // namespace ExitScope
