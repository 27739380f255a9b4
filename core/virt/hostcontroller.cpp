// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/hostcontroller.h"

#include "virt/libvirterror.h"
#include "virt/libvirteventloop.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>

#include <libvirt/libvirt.h>

Q_LOGGING_CATEGORY(lcVirt, "exitscope.virt", QtWarningMsg)

namespace ExitScope {

namespace {

const auto AgentChannel = QLatin1String("org.exitscope.agent.0");

QString versionText(unsigned long version)
{
    return QStringLiteral("%1.%2.%3").arg(version / 1000000).arg(version / 1000 % 1000).arg(version % 1000);
}

QString details(const QString &error)
{
    const auto hint = LibvirtError::hint(error);
    return hint.isEmpty() ? error : error + QStringLiteral("\n\n") + hint;
}

QVector<DomainInfo> listDomains(virConnectPtr connection, QString *error)
{
    QVector<DomainInfo> result;
    virDomainPtr *domains = nullptr;
    const int count = virConnectListAllDomains(connection, &domains, 0);
    if (count < 0) {
        *error = LibvirtError::last();
        return result;
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
            d.hasAgentChannel = QString::fromUtf8(xml).contains(QLatin1String("name='") + AgentChannel + QLatin1Char('\''))
                || QString::fromUtf8(xml).contains(QLatin1String("name=\"") + AgentChannel + QLatin1Char('"'));
            free(xml);
        }
        virDomainFree(domains[i]);
        result.append(d);
    }
    free(domains);
    std::sort(result.begin(), result.end(), [](const DomainInfo &a, const DomainInfo &b) { return a.name < b.name; });
    return result;
}

} // namespace

HostController::HostController(QObject *parent)
    : QObject(parent)
    , m_workerContext(new QObject)
{
    LibvirtEventLoop::ensureRunning();
    m_thread.setObjectName(QStringLiteral("libvirt"));
    m_workerContext->moveToThread(&m_thread);
    m_thread.start();
}

HostController::~HostController()
{
    QMetaObject::invokeMethod(
        m_workerContext,
        [this] {
            delete m_pollTimer;
            m_pollTimer = nullptr;
            if (m_connection)
                virConnectClose(static_cast<virConnectPtr>(m_connection));
            m_connection = nullptr;
        },
        Qt::BlockingQueuedConnection);
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

void HostController::setPollInterval(int ms)
{
    onWorker([this, ms] {
        m_pollInterval = ms;
        if (m_pollTimer)
            m_pollTimer->setInterval(ms);
    });
}

void HostController::connectTo(const QString &uri)
{
    onWorker([this, uri] {
        if (m_connection) {
            delete m_pollTimer;
            m_pollTimer = nullptr;
            virConnectClose(static_cast<virConnectPtr>(m_connection));
            m_connection = nullptr;
        }
        qCDebug(lcVirt) << "connecting to" << uri;
        virConnectPtr connection = virConnectOpen(uri.toUtf8().constData());
        if (!connection) {
            const auto error = LibvirtError::last();
            back([this, uri, error] {
                m_connected = false;
                Q_EMIT connectionFailed(tr("Cannot connect to %1").arg(uri), details(error));
            });
            return;
        }
        m_connection = connection;
        HostInfo host;
        host.uri = uri;
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
        QString error;
        const auto domains = listDomains(connection, &error);
        m_pollTimer = new QTimer;
        m_pollTimer->setInterval(m_pollInterval);
        QObject::connect(m_pollTimer, &QTimer::timeout, m_pollTimer, [this] { pollOnWorker(); });
        m_pollTimer->start();
        back([this, host, domains] {
            m_connected = true;
            m_host = host;
            m_domains = domains;
            Q_EMIT connected();
            Q_EMIT domainsChanged();
        });
    });
}

void HostController::disconnectFromHost()
{
    onWorker([this] {
        delete m_pollTimer;
        m_pollTimer = nullptr;
        if (m_connection)
            virConnectClose(static_cast<virConnectPtr>(m_connection));
        m_connection = nullptr;
        back([this] {
            const bool was = m_connected;
            m_connected = false;
            m_domains.clear();
            if (was) {
                Q_EMIT domainsChanged();
                Q_EMIT disconnected();
            }
        });
    });
}

void HostController::pollOnWorker()
{
    auto connection = static_cast<virConnectPtr>(m_connection);
    if (!connection)
        return;
    if (virConnectIsAlive(connection) != 1) {
        const auto error = LibvirtError::last(tr("the connection was closed"));
        delete m_pollTimer;
        m_pollTimer = nullptr;
        virConnectClose(connection);
        m_connection = nullptr;
        back([this, error] {
            m_connected = false;
            m_domains.clear();
            Q_EMIT domainsChanged();
            Q_EMIT connectionFailed(tr("Lost the connection to %1").arg(m_host.uri), details(error));
            Q_EMIT disconnected();
        });
        return;
    }
    QString error;
    const auto domains = listDomains(connection, &error);
    if (!error.isEmpty()) {
        qCWarning(lcVirt) << "listing domains failed:" << error;
        return;
    }
    back([this, domains] {
        if (domains == m_domains)
            return;
        m_domains = domains;
        Q_EMIT domainsChanged();
    });
}

void HostController::refresh()
{
    onWorker([this] { pollOnWorker(); });
}

void HostController::runAction(const QString &name, const QString &action, int (*call)(void *))
{
    onWorker([this, name, action, call] {
        auto connection = static_cast<virConnectPtr>(m_connection);
        if (!connection) {
            back([this, name, action] {
                Q_EMIT actionFailed(name, action, tr("Not connected to a host"), tr("Connect to a host first."));
            });
            return;
        }
        virDomainPtr domain = virDomainLookupByName(connection, name.toUtf8().constData());
        int result = -1;
        QString error;
        if (domain) {
            result = call(domain);
            if (result < 0)
                error = LibvirtError::last();
            virDomainFree(domain);
        } else {
            error = LibvirtError::last();
        }
        if (result < 0) {
            back([this, name, action, error] {
                Q_EMIT actionFailed(name, action, tr("Cannot %1 %2").arg(action, name), details(error));
            });
        } else {
            back([this, name, action] { Q_EMIT actionFinished(name, action); });
        }
        pollOnWorker();
    });
}

void HostController::startDomain(const QString &name)
{
    runAction(name, tr("start"), [](void *d) { return virDomainCreate(static_cast<virDomainPtr>(d)); });
}

void HostController::shutdownDomain(const QString &name)
{
    runAction(name, tr("shut down"), [](void *d) { return virDomainShutdown(static_cast<virDomainPtr>(d)); });
}

void HostController::destroyDomain(const QString &name)
{
    runAction(name, tr("force off"), [](void *d) { return virDomainDestroy(static_cast<virDomainPtr>(d)); });
}

void HostController::rebootDomain(const QString &name)
{
    runAction(name, tr("reboot"), [](void *d) { return virDomainReboot(static_cast<virDomainPtr>(d), 0); });
}

void HostController::defineDomain(const QString &xml)
{
    onWorker([this, xml] {
        auto connection = static_cast<virConnectPtr>(m_connection);
        if (!connection) {
            back([this] { Q_EMIT actionFailed({}, tr("define"), tr("Not connected to a host"), tr("Connect to a host first.")); });
            return;
        }
        virDomainPtr domain = virDomainDefineXML(connection, xml.toUtf8().constData());
        if (!domain) {
            const auto error = LibvirtError::last();
            back([this, error] { Q_EMIT actionFailed({}, tr("define"), tr("The guest definition was refused"), details(error)); });
            return;
        }
        const auto name = QString::fromUtf8(virDomainGetName(domain));
        virDomainFree(domain);
        back([this, name] { Q_EMIT actionFinished(name, tr("define")); });
        pollOnWorker();
    });
}

} // namespace ExitScope
