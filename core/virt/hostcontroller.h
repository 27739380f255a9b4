// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "virt/domaininfo.h"

#include <QObject>
#include <QThread>
#include <QTimer>
#include <QVector>

namespace ExitScope {

// What ExitScope knows of the connected host.
struct HostInfo
{
    QString uri;
    QString hostname;
    QString hypervisor; // libvirt's driver name, e.g. QEMU
    QString hypervisorVersion;
    QString libvirtVersion;
};

// A libvirt connection to an L1 host and its guests. Every libvirt call blocks (over SSH, for
// seconds), so they all run, in order, on a worker thread of this controller; results come back as
// signals on the controller's thread. Domain states are polled (as virt-manager does without
// events); actions refresh them at once.
class HostController : public QObject
{
    Q_OBJECT
public:
    explicit HostController(QObject *parent = nullptr);
    ~HostController() override;

    void connectTo(const QString &uri);
    void disconnectFromHost();
    bool isConnected() const { return m_connected; }
    const HostInfo &host() const { return m_host; }
    const QVector<DomainInfo> &domains() const { return m_domains; }
    const DomainInfo *domain(const QString &name) const;

    void setPollInterval(int ms);
    void refresh();
    void startDomain(const QString &name);
    void shutdownDomain(const QString &name);
    void destroyDomain(const QString &name);
    void rebootDomain(const QString &name);
    // Defines (or redefines) a persistent domain from its XML.
    void defineDomain(const QString &xml);

Q_SIGNALS:
    void connected();
    void disconnected();
    void connectionFailed(const QString &message, const QString &details);
    void domainsChanged();
    void actionFinished(const QString &domain, const QString &action);
    void actionFailed(const QString &domain, const QString &action, const QString &message, const QString &details);

private:
    template<typename Function>
    void onWorker(Function &&function);
    template<typename Function>
    void back(Function &&function);
    void runAction(const QString &name, const QString &action, int (*call)(void *));
    void pollOnWorker();

    QThread m_thread;
    QObject *m_workerContext;
    // Touched only on the worker thread.
    void *m_connection = nullptr;
    QTimer *m_pollTimer = nullptr;
    int m_pollInterval = 1000;

    // Touched only on the controller's thread.
    bool m_connected = false;
    HostInfo m_host;
    QVector<DomainInfo> m_domains;
};

} // namespace ExitScope
