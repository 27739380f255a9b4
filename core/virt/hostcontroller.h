// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "virt/domainaction.h"
#include "virt/domainevent.h"
#include "virt/domaininfo.h"
#include "virt/libvirtfailure.h"

#include <QElapsedTimer>
#include <QObject>
#include <QThread>
#include <QTimer>
#include <QVector>

#include <memory>

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
// signals on the controller's thread.
//
// Opening a connection runs on a thread of its own: libvirt cannot interrupt virConnectOpen, and an
// unreachable host keeps it for minutes, so a timeout or a cancel abandons the open instead of waiting
// for it. An abandoned open that succeeds later is closed at once; it never becomes the connection.
//
// Domain states follow libvirt's lifecycle events, whoever caused them (this controller, virsh, the
// guest). Only a connection that cannot deliver events is polled. A lost connection is noticed by
// libvirt's close callback (keepalive) and a slow liveness check.
class HostController : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultConnectTimeoutSeconds = 30;

    explicit HostController(QObject *parent = nullptr);
    ~HostController() override;

    // Closes any connection, then connects. Ends in connected(), connectionFailed() (also on
    // timeout) or, after cancelConnect(), connectCancelled(); until then connectProgress() every second.
    void connectTo(const QString &uri);
    void cancelConnect();
    void disconnectFromHost();
    // For the next connectTo(), and for one under way.
    void setConnectTimeout(int seconds);
    int connectTimeout() const { return m_connectTimeout; }
    // What the last failed connect ran into, by libvirt's codes (Other for a timeout or a lost connection).
    LibvirtFailure::Kind lastConnectFailure() const { return m_lastConnectFailure; }
    bool isConnecting() const { return m_attempt != nullptr; }
    // The host being connected to, as displayName() shows it; empty when not connecting.
    QString connectingTo() const;
    bool isConnected() const { return m_connected; }
    // Whether domain changes arrive as libvirt events; false: they are polled.
    bool followsEvents() const { return m_followsEvents; }
    const HostInfo &host() const { return m_host; }
    const QVector<DomainInfo> &domains() const { return m_domains; }
    const DomainInfo *domain(const QString &name) const;

    // How often domains are polled when the connection has no events.
    void setPollInterval(int ms);
    void refresh();
    void startDomain(const QString &name);
    void shutdownDomain(const QString &name);
    void destroyDomain(const QString &name);
    void rebootDomain(const QString &name);
    // Defines (or redefines) a persistent domain from its XML.
    void defineDomain(const QString &xml);

    // A libvirt URI as people may see it: host and port, or for a local URI its scheme and path.
    // Never the user or the query, which names key files.
    static QString displayName(const QString &uri);

Q_SIGNALS:
    void connectProgress(int secondsWaited, int timeoutSeconds);
    void connected();
    void connectCancelled();
    void disconnected();
    // lastConnectFailure() says what kind of failure it was.
    void connectionFailed(const QString &message, const QString &details);
    void domainsChanged();
    // After domainsChanged() for the same event, so that domain() tells the new state.
    void domainLifecycle(const QString &domain, ExitScope::DomainEvent event);
    void actionFinished(const QString &domain, ExitScope::DomainAction action);
    // kind: what libvirt's codes say went wrong, e.g. InvalidState for forcing off a guest that is off.
    void actionFailed(const QString &domain, ExitScope::DomainAction action, const QString &message,
                      const QString &details, ExitScope::LibvirtFailure::Kind kind);

private:
    LibvirtFailure::Kind m_lastConnectFailure = LibvirtFailure::Kind::Other;
    struct ConnectAttempt;
    struct EventRelay;

    template<typename Function>
    void onWorker(Function &&function);
    template<typename Function>
    void back(Function &&function);

    // The controller's thread.
    void endAttempt();
    void abandonAttempt();
    void connectTimedOut();
    // The opening thread.
    static void openConnection(const std::shared_ptr<ConnectAttempt> &attempt);
    // The worker thread.
    void adoptOnWorker(const std::shared_ptr<ConnectAttempt> &attempt);
    // Events, keepalive and the close callback for m_connection; polling where events fail.
    void watchOnWorker();
    void closeOnWorker();
    void eventOnWorker(quint64 generation, const QString &domain, int event, int detail, bool reboot);
    void listOnWorker();
    void checkAliveOnWorker();
    void lostOnWorker(quint64 generation, const QString &reason);
    void runAction(const QString &name, DomainAction action, int (*call)(void *));

    QThread m_thread;
    QObject *m_workerContext;
    std::shared_ptr<EventRelay> m_relay;

    // Touched only on the worker thread.
    void *m_connection = nullptr;
    quint64 m_generation = 0; // the attempt m_connection came from: older events are dropped
    QVector<int> m_eventCallbacks; // libvirt's ids of this controller's domain event callbacks
    bool m_closeCallback = false;
    QTimer *m_pollTimer = nullptr; // only without events
    QTimer *m_aliveTimer = nullptr;
    int m_pollInterval = 1000;
    QVector<QPair<QString, DomainEvent>> m_pendingEvents; // waiting for the next listing
    bool m_listQueued = false;

    // Touched only on the controller's thread.
    std::shared_ptr<ConnectAttempt> m_attempt; // the connect under way
    quint64 m_attempts = 0;
    int m_connectTimeout = DefaultConnectTimeoutSeconds;
    QTimer m_progressTimer;
    QTimer m_timeoutTimer;
    QElapsedTimer m_connectClock;
    bool m_connected = false;
    bool m_followsEvents = false;
    HostInfo m_host;
    QVector<DomainInfo> m_domains;
};

} // namespace ExitScope
