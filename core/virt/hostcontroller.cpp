// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/hostcontroller.h"

#include "virt/hostkeypolicy.h"

#include "virt/libvirtfailure.h"
#include "virt/libvirteventloop.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QMutex>
#include <QPointer>
#include <QUrl>

#include <libvirt/libvirt.h>

#include <thread>

Q_LOGGING_CATEGORY(lcVirt, "exitscope.virt", QtWarningMsg)

namespace ExitScope {

namespace {

const auto AgentChannel = QStringLiteral("org.exitscope.agent.0");
// virConnectIsAlive() only reads the client's state; keepalive and the close callback do the real
// work on remote connections, this catches what they do not report.
constexpr int AliveCheckMs = 5000;
constexpr int KeepAliveIntervalS = 5;
constexpr int KeepAliveCount = 3;

QString versionText(unsigned long version)
{
    return QStringLiteral("%1.%2.%3").arg(version / 1000000).arg(version / 1000 % 1000).arg(version % 1000);
}

bool listDomains(virConnectPtr connection, QVector<DomainInfo> *result, LibvirtFailure *failure)
{
    result->clear();
    virDomainPtr *domains = nullptr;
    const int count = virConnectListAllDomains(connection, &domains, 0);
    if (count < 0) {
        *failure = LibvirtFailure::last();
        return false;
    }
    for (int i = 0; i < count; ++i) {
        DomainInfo d;
        d.name = QString::fromUtf8(virDomainGetName(domains[i]));
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDString(domains[i], uuid) == 0)
            d.uuid = QString::fromLatin1(uuid);
        virDomainInfo info;
        if (virDomainGetInfo(domains[i], &info) == 0) {
            d.state = DomainInfo::State(info.state);
            d.vcpus = info.nrVirtCpu;
            d.memoryKiB = info.memory;
        }
        if (char *xml = virDomainGetXMLDesc(domains[i], 0)) {
            d.hasAgentChannel = DomainInfo::declaresChannel(QString::fromUtf8(xml), AgentChannel);
            free(xml);
        }
        virDomainFree(domains[i]);
        result->append(d);
    }
    free(domains);
    std::sort(result->begin(), result->end(), [](const DomainInfo &a, const DomainInfo &b) { return a.name < b.name; });
    return true;
}

QString closeReason(int reason)
{
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        return QCoreApplication::translate("HostController", "the host stopped answering keepalive messages");
    case VIR_CONNECT_CLOSE_REASON_EOF:
        return QCoreApplication::translate("HostController", "the host closed the connection");
    case VIR_CONNECT_CLOSE_REASON_ERROR:
        return QCoreApplication::translate("HostController", "the connection failed");
    default:
        return QCoreApplication::translate("HostController", "the connection was closed");
    }
}

} // namespace

// One connectTo(), shared by the controller, the thread that opens the connection and the worker.
// Whoever comes last closes a connection nobody wants any more.
struct HostController::ConnectAttempt
{
    quint64 id = 0;
    QString uri;
    HostController *controller = nullptr;

    QMutex lock;
    bool abandoned = false; // timed out, cancelled or superseded
    bool adopted = false; // the worker took the connection
    // Written by the opening thread before it hands the attempt to the worker.
    virConnectPtr connection = nullptr;
    HostInfo host;
    QVector<DomainInfo> domains;
    LibvirtFailure failure;
};

// libvirt calls event and close callbacks on its event-loop thread, possibly after they were
// deregistered and after the controller is gone; every callback holds the relay, which forwards to
// the worker while there is a controller.
struct HostController::EventRelay
{
    QMutex lock;
    HostController *controller = nullptr;

    struct Handle
    {
        std::shared_ptr<EventRelay> relay;
        quint64 generation;
    };

    template<typename Function>
    static void post(void *opaque, Function &&function)
    {
        const auto handle = static_cast<Handle *>(opaque);
        QMutexLocker lock(&handle->relay->lock);
        if (HostController *controller = handle->relay->controller)
            QMetaObject::invokeMethod(
                controller->m_workerContext,
                [controller, generation = handle->generation, function = std::forward<Function>(function)] {
                    function(controller, generation);
                },
                Qt::QueuedConnection);
    }

    // Only non-blocking accessors here: the event loop must not wait for the network.
    static int lifecycle(virConnectPtr, virDomainPtr domain, int event, int detail, void *opaque)
    {
        const auto name = QString::fromUtf8(virDomainGetName(domain));
        post(opaque, [name, event, detail](HostController *c, quint64 generation) {
            c->eventOnWorker(generation, name, event, detail, false);
        });
        return 0;
    }

    static void reboot(virConnectPtr, virDomainPtr domain, void *opaque)
    {
        const auto name = QString::fromUtf8(virDomainGetName(domain));
        post(opaque, [name](HostController *c, quint64 generation) { c->eventOnWorker(generation, name, 0, 0, true); });
    }

    static void closed(virConnectPtr, int reason, void *opaque)
    {
        post(opaque, [reason](HostController *c, quint64 generation) { c->lostOnWorker(generation, closeReason(reason)); });
    }

    static void freeHandle(void *opaque) { delete static_cast<Handle *>(opaque); }
};

HostController::HostController(QObject *parent)
    : QObject(parent)
    , m_workerContext(new QObject)
    , m_relay(std::make_shared<EventRelay>())
{
    LibvirtEventLoop::ensureRunning();
    m_relay->controller = this;
    m_thread.setObjectName(QStringLiteral("libvirt"));
    m_workerContext->moveToThread(&m_thread);
    m_thread.start();

    m_progressTimer.setInterval(1000);
    connect(&m_progressTimer, &QTimer::timeout, this, [this] {
        Q_EMIT connectProgress(qRound(m_connectClock.elapsed() / 1000.0), m_connectTimeout);
    });
    m_timeoutTimer.setSingleShot(true);
    m_timeoutTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_timeoutTimer, &QTimer::timeout, this, &HostController::connectTimedOut);
}

HostController::~HostController()
{
    abandonAttempt();
    {
        QMutexLocker lock(&m_relay->lock);
        m_relay->controller = nullptr;
    }
    QMetaObject::invokeMethod(m_workerContext, [this] { closeOnWorker(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_workerContext;
}

template<typename Function>
void HostController::onWorker(Function &&function)
{
    QMetaObject::invokeMethod(m_workerContext, std::forward<Function>(function), Qt::QueuedConnection);
}

template<typename Function>
void HostController::back(Function &&function)
{
    QPointer<HostController> self(this);
    QMetaObject::invokeMethod(
        this,
        [self, function = std::forward<Function>(function)]() mutable {
            if (self)
                function();
        },
        Qt::QueuedConnection);
}

const DomainInfo *HostController::domain(const QString &name) const
{
    for (const auto &d : m_domains)
        if (d.name == name)
            return &d;
    return nullptr;
}

QString HostController::displayName(const QString &uri)
{
    const QUrl url(uri);
    if (!url.host().isEmpty()) {
        const auto host = url.host().contains(QLatin1Char(':')) ? QLatin1Char('[') + url.host() + QLatin1Char(']') : url.host();
        return url.port() > 0 ? host + QLatin1Char(':') + QString::number(url.port()) : host;
    }
    return url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment);
}

QString HostController::connectingTo() const
{
    return m_attempt ? displayName(m_attempt->uri) : QString();
}

void HostController::setPollInterval(int ms)
{
    onWorker([this, ms] {
        m_pollInterval = ms;
        if (m_pollTimer)
            m_pollTimer->setInterval(ms);
    });
}

void HostController::setConnectTimeout(int seconds)
{
    m_connectTimeout = qMax(1, seconds);
    if (m_attempt)
        m_timeoutTimer.start(int(qMax<qint64>(0, m_connectTimeout * 1000LL - m_connectClock.elapsed())));
}

void HostController::connectTo(const QString &uri)
{
    abandonAttempt();
    if (m_connected) {
        m_connected = false;
        m_followsEvents = false;
        m_domains.clear();
        Q_EMIT domainsChanged();
        Q_EMIT disconnected();
    }
    onWorker([this] { closeOnWorker(); });

    // Refused before anything is sent: the ssh client would accept whatever key answers.
    if (const auto refusal = HostKeyPolicy::refusal(uri); !refusal.isEmpty()) {
        m_lastConnectFailure = LibvirtFailure::Kind::HostKeyRejected;
        const auto message = tr("Refusing to connect to %1").arg(displayName(uri));
        QMetaObject::invokeMethod(
            this, [this, message, refusal] { Q_EMIT connectionFailed(message, refusal); }, Qt::QueuedConnection);
        return;
    }

    auto attempt = std::make_shared<ConnectAttempt>();
    attempt->id = ++m_attempts;
    attempt->uri = uri;
    attempt->controller = this;
    m_attempt = attempt;
    m_connectClock.start();
    m_progressTimer.start();
    m_timeoutTimer.start(m_connectTimeout * 1000);
    qCDebug(lcVirt) << "connecting to" << displayName(uri);
    std::thread([attempt] { openConnection(attempt); }).detach();
    Q_EMIT connectProgress(0, m_connectTimeout);
}

void HostController::openConnection(const std::shared_ptr<ConnectAttempt> &attempt)
{
    virConnectPtr connection = virConnectOpen(attempt->uri.toUtf8().constData());
    LibvirtFailure failure;
    HostInfo host;
    QVector<DomainInfo> domains;
    if (connection) {
        // Still part of connecting: over a stalled link these block as long as the open could.
        host.uri = attempt->uri;
        if (char *name = virConnectGetHostname(connection)) {
            host.hostname = QString::fromUtf8(name);
            free(name);
        }
        if (const char *type = virConnectGetType(connection))
            host.hypervisor = QString::fromUtf8(type);
        unsigned long version = 0;
        if (virConnectGetVersion(connection, &version) == 0)
            host.hypervisorVersion = versionText(version);
        if (virConnectGetLibVersion(connection, &version) == 0)
            host.libvirtVersion = versionText(version);
        LibvirtFailure listFailure;
        if (!listDomains(connection, &domains, &listFailure))
            qCWarning(lcVirt) << "listing domains failed:" << listFailure.message;
    } else {
        failure = LibvirtFailure::last();
    }

    QMutexLocker lock(&attempt->lock);
    if (attempt->abandoned) {
        lock.unlock();
        if (connection) {
            qCDebug(lcVirt) << "closing the abandoned connection to" << displayName(attempt->uri);
            virConnectClose(connection);
        }
        return;
    }
    attempt->connection = connection;
    attempt->host = host;
    attempt->domains = domains;
    attempt->failure = failure;
    // Under the lock: the controller abandons every attempt before it goes away.
    HostController *controller = attempt->controller;
    QMetaObject::invokeMethod(
        controller->m_workerContext, [controller, attempt] { controller->adoptOnWorker(attempt); }, Qt::QueuedConnection);
}

void HostController::adoptOnWorker(const std::shared_ptr<ConnectAttempt> &attempt)
{
    virConnectPtr connection = nullptr;
    {
        QMutexLocker lock(&attempt->lock);
        connection = std::exchange(attempt->connection, nullptr);
        if (attempt->abandoned) {
            lock.unlock();
            if (connection)
                virConnectClose(connection);
            return;
        }
        attempt->adopted = true;
    }
    if (!connection) {
        back([this, attempt] {
            if (m_attempt != attempt)
                return;
            endAttempt();
            m_lastConnectFailure = attempt->failure.kind();
            Q_EMIT connectionFailed(tr("Cannot connect to %1").arg(displayName(attempt->uri)), attempt->failure.details());
        });
        return;
    }
    closeOnWorker();
    m_connection = connection;
    m_generation = attempt->id;
    watchOnWorker();
    m_aliveTimer = new QTimer;
    m_aliveTimer->setInterval(AliveCheckMs);
    QObject::connect(m_aliveTimer, &QTimer::timeout, m_aliveTimer, [this] { checkAliveOnWorker(); });
    m_aliveTimer->start();
    const bool events = !m_eventCallbacks.isEmpty();
    back([this, attempt, events] {
        if (m_attempt != attempt)
            return; // abandoned meanwhile; abandonAttempt() had the worker close it
        endAttempt();
        m_connected = true;
        m_followsEvents = events;
        m_host = attempt->host;
        m_domains = attempt->domains;
        Q_EMIT connected();
        Q_EMIT domainsChanged();
    });
}

void HostController::watchOnWorker()
{
    auto connection = static_cast<virConnectPtr>(m_connection);
    const auto handle = [this] { return new EventRelay::Handle{m_relay, m_generation}; };

    auto lifecycleHandle = handle();
    const int lifecycle = virConnectDomainEventRegisterAny(connection, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                           VIR_DOMAIN_EVENT_CALLBACK(EventRelay::lifecycle),
                                                           lifecycleHandle, EventRelay::freeHandle);
    if (lifecycle < 0) {
        // libvirt frees the handle only for callbacks it registered.
        delete lifecycleHandle;
        qCWarning(lcVirt) << "no domain events on this connection, polling every" << m_pollInterval
                          << "ms instead:" << LibvirtFailure::last().message;
        m_pollTimer = new QTimer;
        m_pollTimer->setInterval(m_pollInterval);
        QObject::connect(m_pollTimer, &QTimer::timeout, m_pollTimer, [this] { listOnWorker(); });
        m_pollTimer->start();
    } else {
        m_eventCallbacks.append(lifecycle);
        auto rebootHandle = handle();
        const int reboot = virConnectDomainEventRegisterAny(connection, nullptr, VIR_DOMAIN_EVENT_ID_REBOOT,
                                                            VIR_DOMAIN_EVENT_CALLBACK(EventRelay::reboot),
                                                            rebootHandle, EventRelay::freeHandle);
        if (reboot < 0) {
            delete rebootHandle;
            qCWarning(lcVirt) << "no reboot events on this connection:" << LibvirtFailure::last().message;
        } else {
            m_eventCallbacks.append(reboot);
        }
    }

    // Keepalive (a probe every 5 s, gone after 3 unanswered) turns a dead link into the close callback
    // within 20 s; without it a remote connection notices only when a call fails. Local drivers refuse it.
    if (virConnectSetKeepAlive(connection, KeepAliveIntervalS, KeepAliveCount) < 0)
        qCDebug(lcVirt) << "no keepalive:" << LibvirtFailure::last().message;
    auto closeHandle = handle();
    if (virConnectRegisterCloseCallback(connection, EventRelay::closed, closeHandle, EventRelay::freeHandle) == 0) {
        m_closeCallback = true;
    } else {
        delete closeHandle;
        qCDebug(lcVirt) << "no close callback, the liveness check remains:" << LibvirtFailure::last().message;
    }
}

void HostController::closeOnWorker()
{
    delete m_pollTimer;
    m_pollTimer = nullptr;
    delete m_aliveTimer;
    m_aliveTimer = nullptr;
    m_pendingEvents.clear();
    auto connection = static_cast<virConnectPtr>(std::exchange(m_connection, nullptr));
    m_generation = 0;
    if (!connection)
        return;
    // Before the close: a callback left registered would outlive the connection's last reference.
    for (int id : std::as_const(m_eventCallbacks))
        virConnectDomainEventDeregisterAny(connection, id);
    m_eventCallbacks.clear();
    if (std::exchange(m_closeCallback, false))
        virConnectUnregisterCloseCallback(connection, EventRelay::closed);
    virConnectClose(connection);
}

void HostController::endAttempt()
{
    m_progressTimer.stop();
    m_timeoutTimer.stop();
    m_attempt.reset();
}

void HostController::abandonAttempt()
{
    const auto attempt = m_attempt;
    endAttempt();
    if (!attempt)
        return;
    bool adopted = false;
    {
        QMutexLocker lock(&attempt->lock);
        attempt->abandoned = true;
        adopted = attempt->adopted;
    }
    // Not yet adopted: the opening thread or adoptOnWorker() closes the connection when they see it.
    if (adopted) {
        const auto id = attempt->id;
        onWorker([this, id] {
            if (m_generation == id)
                closeOnWorker();
        });
    }
}

void HostController::connectTimedOut()
{
    if (!m_attempt)
        return;
    const auto host = displayName(m_attempt->uri);
    abandonAttempt();
    m_lastConnectFailure = LibvirtFailure::Kind::Unreachable;
    Q_EMIT connectionFailed(tr("Cannot connect to %1: no answer within %2 s").arg(host).arg(m_connectTimeout),
                            tr("libvirt did not finish connecting to %1 in time. Check that the host is up and "
                               "reachable at this address and port, that sshd and libvirtd run there, and that no "
                               "firewall drops the connection (ssh to the same address shows it).")
                                .arg(host));
}

void HostController::cancelConnect()
{
    if (!m_attempt)
        return;
    abandonAttempt();
    Q_EMIT connectCancelled();
}

void HostController::disconnectFromHost()
{
    if (m_attempt) {
        abandonAttempt();
        Q_EMIT connectCancelled();
    }
    onWorker([this] {
        closeOnWorker();
        back([this] {
            const bool was = m_connected;
            m_connected = false;
            m_followsEvents = false;
            m_domains.clear();
            if (was) {
                Q_EMIT domainsChanged();
                Q_EMIT disconnected();
            }
        });
    });
}

void HostController::eventOnWorker(quint64 generation, const QString &domain, int event, int detail, bool reboot)
{
    if (!m_connection || generation != m_generation)
        return;
    const auto what = reboot ? std::optional<DomainEvent>(DomainEvent::Rebooted) : domainEventFromLibvirt(event, detail);
    qCDebug(lcVirt) << "event" << domain << event << detail << (reboot ? "reboot" : "");
    if (what)
        m_pendingEvents.append({domain, *what});
    // Events come in bursts (shutdown, then stopped; several guests): one listing serves them all.
    if (!m_listQueued) {
        m_listQueued = true;
        onWorker([this] { listOnWorker(); });
    }
}

void HostController::listOnWorker()
{
    m_listQueued = false;
    const auto events = std::exchange(m_pendingEvents, {});
    auto connection = static_cast<virConnectPtr>(m_connection);
    if (!connection)
        return;
    QVector<DomainInfo> domains;
    LibvirtFailure failure;
    const bool listed = listDomains(connection, &domains, &failure);
    if (!listed)
        qCWarning(lcVirt) << "listing domains failed:" << failure.message;
    back([this, listed, domains, events] {
        if (!m_connected)
            return; // from a connection closed since
        if (listed && domains != m_domains) {
            m_domains = domains;
            Q_EMIT domainsChanged();
        }
        for (const auto &event : events)
            Q_EMIT domainLifecycle(event.first, event.second);
    });
}

void HostController::refresh()
{
    onWorker([this] { listOnWorker(); });
}

void HostController::checkAliveOnWorker()
{
    auto connection = static_cast<virConnectPtr>(m_connection);
    if (connection && virConnectIsAlive(connection) != 1)
        lostOnWorker(m_generation, LibvirtFailure::last(tr("the connection was closed")).message);
}

void HostController::lostOnWorker(quint64 generation, const QString &reason)
{
    if (!m_connection || generation != m_generation)
        return;
    closeOnWorker();
    back([this, reason] {
        if (!m_connected)
            return;
        m_connected = false;
        m_followsEvents = false;
        m_domains.clear();
        Q_EMIT domainsChanged();
        m_lastConnectFailure = LibvirtFailure::Kind::ConnectionClosed;
        Q_EMIT connectionFailed(tr("Lost the connection to %1").arg(displayName(m_host.uri)), reason);
        Q_EMIT disconnected();
    });
}

void HostController::runAction(const QString &name, DomainAction action, int (*call)(void *))
{
    onWorker([this, name, action, call] {
        auto connection = static_cast<virConnectPtr>(m_connection);
        if (!connection) {
            back([this, name, action] {
                Q_EMIT actionFailed(name, action, tr("Not connected to a host"), tr("Connect to a host first."),
                                    LibvirtFailure::Kind::Other);
            });
            return;
        }
        virDomainPtr domain = virDomainLookupByName(connection, name.toUtf8().constData());
        int result = -1;
        LibvirtFailure failure;
        if (domain) {
            result = call(domain);
            if (result < 0)
                failure = LibvirtFailure::last(); // before virDomainFree() resets it
            virDomainFree(domain);
        } else {
            failure = LibvirtFailure::last();
        }
        if (result < 0) {
            back([this, name, action, failure] {
                Q_EMIT actionFailed(name, action, tr("Cannot %1 %2").arg(domainActionVerb(action), name), failure.details(),
                                    failure.kind());
            });
        } else {
            back([this, name, action] { Q_EMIT actionFinished(name, action); });
        }
        // With events, the action's own event brings the new state.
        if (m_eventCallbacks.isEmpty())
            listOnWorker();
    });
}

void HostController::startDomain(const QString &name)
{
    runAction(name, DomainAction::Start, [](void *d) { return virDomainCreate(static_cast<virDomainPtr>(d)); });
}

void HostController::shutdownDomain(const QString &name)
{
    runAction(name, DomainAction::ShutDown, [](void *d) { return virDomainShutdown(static_cast<virDomainPtr>(d)); });
}

void HostController::destroyDomain(const QString &name)
{
    runAction(name, DomainAction::ForceOff, [](void *d) { return virDomainDestroy(static_cast<virDomainPtr>(d)); });
}

void HostController::rebootDomain(const QString &name)
{
    runAction(name, DomainAction::Reboot, [](void *d) { return virDomainReboot(static_cast<virDomainPtr>(d), 0); });
}

void HostController::defineDomain(const QString &xml)
{
    onWorker([this, xml] {
        auto connection = static_cast<virConnectPtr>(m_connection);
        if (!connection) {
            back([this] {
                Q_EMIT actionFailed({}, DomainAction::Define, tr("Not connected to a host"), tr("Connect to a host first."),
                                    LibvirtFailure::Kind::Other);
            });
            return;
        }
        virDomainPtr domain = virDomainDefineXML(connection, xml.toUtf8().constData());
        if (!domain) {
            const auto failure = LibvirtFailure::last();
            back([this, failure] {
                Q_EMIT actionFailed({}, DomainAction::Define, tr("The guest definition was refused"), failure.details(),
                                    failure.kind());
            });
            return;
        }
        const auto name = QString::fromUtf8(virDomainGetName(domain));
        virDomainFree(domain);
        back([this, name] { Q_EMIT actionFinished(name, DomainAction::Define); });
        if (m_eventCallbacks.isEmpty())
            listOnWorker();
    });
}

} // namespace ExitScope
