// SPDX-License-Identifier: GPL-3.0-or-later
// HostController and LibvirtChannelSource against libvirt's test driver: a real libvirt connection,
// with a host described by tests/data/libvirt-node.xml. Network tests talk to 127.0.0.1 only.
#include "virt/hostcontroller.h"
#include "virt/hostkeypolicy.h"
#include "virt/libvirteventloop.h"
#include "virt/libvirtfailure.h"
#include "sources/libvirtchannelsource.h"

#include "silentport.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <cerrno>

using namespace ExitScope;

namespace {

// Every test driver connection to a test:///FILE URI has a host of its own, so a second connection
// to it changes nothing the controller sees. test:///default is one host per process, shared by all
// its connections (and reset when the last one closes): that is the one two connections can share.
const auto SharedUri = QStringLiteral("test:///default");
constexpr int ADay = 24 * 3600 * 1000;

bool hasEvent(const QSignalSpy &spy, const QString &domain, DomainEvent event)
{
    for (const auto &arguments : spy)
        if (arguments.at(0).toString() == domain && arguments.at(1).value<DomainEvent>() == event)
            return true;
    return false;
}

QString silentSshUri(quint16 port)
{
    // The key paths must never reach a message or a label.
    return QStringLiteral("qemu+ssh://root@127.0.0.1:%1/system?keyfile=/secret/id_ed25519&known_hosts=/secret/known_hosts"
                          "&no_tty=1")
        .arg(port);
}

} // namespace

class TestHostController : public QObject
{
    Q_OBJECT

private:
    QString m_uri = QStringLiteral("test://") + QStringLiteral(EXITSCOPE_TEST_DATA "/libvirt-node.xml");

    DomainInfo::State stateOf(HostController &host, const QString &name)
    {
        const auto d = host.domain(name);
        return d ? d->state : DomainInfo::State::NoState;
    }

private Q_SLOTS:
    // The guest side of a virtio port, as libvirt writes it into a running domain's XML.
    void guestPortStateFromTheLiveXml()
    {
        const auto xml = [](const char *state) {
            return QStringLiteral("<domain><devices><channel type='unix'><source mode='bind'/>"
                                  "<target type='virtio' name='org.exitscope.agent.0'%1/></channel>"
                                  "<channel type='unix'><target type='virtio' name='other' state='connected'/></channel>"
                                  "</devices></domain>")
                .arg(QLatin1String(state));
        };
        const auto channel = QStringLiteral("org.exitscope.agent.0");
        QCOMPARE(DomainInfo::guestPortState(xml(" state='connected'"), channel), DomainInfo::PortState::Connected);
        QCOMPARE(DomainInfo::guestPortState(xml(" state='disconnected'"), channel), DomainInfo::PortState::Disconnected);
        QCOMPARE(DomainInfo::guestPortState(xml(""), channel), DomainInfo::PortState::Unknown); // not running
        QCOMPARE(DomainInfo::guestPortState(xml(" state='connected'"), QStringLiteral("absent")), DomainInfo::PortState::Unknown);
        QVERIFY(DomainInfo::declaresChannel(xml(""), channel));
    }

    // As every user of libvirt in ExitScope does, also for the tests that call libvirt directly.
    void initTestCase() { LibvirtEventLoop::ensureRunning(); }

    void connectsAndListsDomains()
    {
        HostController host;
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        QVERIFY(host.isConnected());
        QVERIFY(!host.isConnecting());
        QCOMPARE(host.host().hypervisor, QStringLiteral("TEST"));
        QVERIFY(!host.host().libvirtVersion.isEmpty());
        QCOMPARE(host.domains().size(), 2);
        const auto l2 = host.domain(QStringLiteral("exitscope-l2"));
        QVERIFY(l2);
        QCOMPARE(l2->vcpus, 2);
        QCOMPARE(l2->memoryKiB, quint64(256 * 1024));
        QVERIFY(l2->hasAgentChannel);
        QVERIFY(!host.domain(QStringLiteral("plain-guest"))->hasAgentChannel);
        QCOMPARE(l2->state, DomainInfo::State::Running);
        QVERIFY(!l2->canStart());
        QVERIFY(l2->canShutdown());
    }

    void lifecycleFollowsActions()
    {
        HostController host;
        host.setPollInterval(100);
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        const auto name = QStringLiteral("exitscope-l2");
        QSignalSpy finished(&host, &HostController::actionFinished);

        host.destroyDomain(name);
        QVERIFY(finished.wait(5000));
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(host, name), DomainInfo::State::ShutOff, 5000);
        QVERIFY(host.domain(name)->canStart());

        host.startDomain(name);
        QVERIFY(finished.wait(5000));
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(host, name), DomainInfo::State::Running, 5000);

        host.shutdownDomain(name);
        QVERIFY(finished.wait(5000));
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(host, name), DomainInfo::State::ShutOff, 5000);
        QCOMPARE(finished.size(), 3);
        // The action's identity, whatever language its message is in.
        QCOMPARE(finished.at(0).at(1).value<DomainAction>(), DomainAction::ForceOff);
        QCOMPARE(finished.at(1).at(1).value<DomainAction>(), DomainAction::Start);
        QCOMPARE(finished.at(2).at(1).value<DomainAction>(), DomainAction::ShutDown);
    }

    // No poll timer runs: only libvirt's events can bring these.
    void eventsFollowThisControllersActions()
    {
        HostController host;
        host.setPollInterval(ADay);
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        QVERIFY(host.followsEvents());
        const auto name = QStringLiteral("exitscope-l2");
        QSignalSpy lifecycle(&host, &HostController::domainLifecycle);
        QSignalSpy changed(&host, &HostController::domainsChanged);

        host.destroyDomain(name);
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(lifecycle, name, DomainEvent::Stopped), 5000);
        QCOMPARE(stateOf(host, name), DomainInfo::State::ShutOff); // listed before the event is told
        QVERIFY(!changed.isEmpty());

        host.startDomain(name);
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(lifecycle, name, DomainEvent::Started), 5000);
        QCOMPARE(stateOf(host, name), DomainInfo::State::Running);

        host.shutdownDomain(name);
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(lifecycle, name, DomainEvent::ShutDown), 5000);
        QCOMPARE(stateOf(host, name), DomainInfo::State::ShutOff);
        QCOMPARE(lifecycle.size(), 3);
    }

    // Changes made by someone else (virsh, another ExitScope) arrive the same way.
    void eventsFollowAnotherConnection()
    {
        HostController host;
        host.setPollInterval(ADay);
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(SharedUri);
        QVERIFY(connected.wait(10000));
        QVERIFY(host.followsEvents());
        const auto name = QStringLiteral("test");
        QCOMPARE(stateOf(host, name), DomainInfo::State::Running);

        virConnectPtr other = virConnectOpen(SharedUri.toUtf8().constData());
        QVERIFY(other);
        virDomainPtr domain = virDomainLookupByName(other, "test");
        QVERIFY(domain);
        QSignalSpy lifecycle(&host, &HostController::domainLifecycle);
        QSignalSpy changed(&host, &HostController::domainsChanged);

        const struct
        {
            int (*call)(virDomainPtr);
            DomainEvent event;
            DomainInfo::State state;
        } steps[] = {
            {virDomainSuspend, DomainEvent::Suspended, DomainInfo::State::Paused},
            {virDomainResume, DomainEvent::Resumed, DomainInfo::State::Running},
            {virDomainDestroy, DomainEvent::Stopped, DomainInfo::State::ShutOff},
            {virDomainCreate, DomainEvent::Started, DomainInfo::State::Running},
            {virDomainShutdown, DomainEvent::ShutDown, DomainInfo::State::ShutOff},
        };
        for (const auto &step : steps) {
            lifecycle.clear();
            changed.clear();
            QCOMPARE(step.call(domain), 0);
            QTRY_VERIFY_WITH_TIMEOUT(hasEvent(lifecycle, name, step.event), 5000);
            QCOMPARE(stateOf(host, name), step.state);
            QCOMPARE(changed.size(), 1);
        }

        // A new guest is no run event, yet it is listed.
        changed.clear();
        virDomainPtr defined = virDomainDefineXML(other, "<domain type='test'><name>from-virsh</name><memory>65536</memory>"
                                                         "<os><type>hvm</type></os></domain>");
        QVERIFY(defined);
        QTRY_VERIFY_WITH_TIMEOUT(host.domain(QStringLiteral("from-virsh")) != nullptr, 5000);
        QCOMPARE(lifecycle.size(), 1); // still the shutdown only

        virDomainFree(defined);
        virDomainFree(domain);
        virConnectClose(other);
    }

    void libvirtEventsMapToRunEvents_data()
    {
        QTest::addColumn<int>("event");
        QTest::addColumn<int>("detail");
        QTest::addColumn<int>("expected"); // -1: no run event

        QTest::newRow("booted") << int(VIR_DOMAIN_EVENT_STARTED) << int(VIR_DOMAIN_EVENT_STARTED_BOOTED) << int(DomainEvent::Started);
        QTest::newRow("restored") << int(VIR_DOMAIN_EVENT_STARTED) << int(VIR_DOMAIN_EVENT_STARTED_RESTORED) << int(DomainEvent::Started);
        QTest::newRow("shut down") << int(VIR_DOMAIN_EVENT_STOPPED) << int(VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN) << int(DomainEvent::ShutDown);
        QTest::newRow("destroyed") << int(VIR_DOMAIN_EVENT_STOPPED) << int(VIR_DOMAIN_EVENT_STOPPED_DESTROYED) << int(DomainEvent::Stopped);
        QTest::newRow("saved") << int(VIR_DOMAIN_EVENT_STOPPED) << int(VIR_DOMAIN_EVENT_STOPPED_SAVED) << int(DomainEvent::Stopped);
        QTest::newRow("stopped crashed") << int(VIR_DOMAIN_EVENT_STOPPED) << int(VIR_DOMAIN_EVENT_STOPPED_CRASHED) << int(DomainEvent::Crashed);
        QTest::newRow("panicked") << int(VIR_DOMAIN_EVENT_CRASHED) << int(VIR_DOMAIN_EVENT_CRASHED_PANICKED) << int(DomainEvent::Crashed);
        QTest::newRow("paused") << int(VIR_DOMAIN_EVENT_SUSPENDED) << int(VIR_DOMAIN_EVENT_SUSPENDED_PAUSED) << int(DomainEvent::Suspended);
        QTest::newRow("pm suspended") << int(VIR_DOMAIN_EVENT_PMSUSPENDED) << int(VIR_DOMAIN_EVENT_PMSUSPENDED_MEMORY) << int(DomainEvent::Suspended);
        QTest::newRow("resumed") << int(VIR_DOMAIN_EVENT_RESUMED) << int(VIR_DOMAIN_EVENT_RESUMED_UNPAUSED) << int(DomainEvent::Resumed);
        QTest::newRow("shutting down") << int(VIR_DOMAIN_EVENT_SHUTDOWN) << int(VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED) << -1;
        QTest::newRow("defined") << int(VIR_DOMAIN_EVENT_DEFINED) << int(VIR_DOMAIN_EVENT_DEFINED_ADDED) << -1;
    }

    void libvirtEventsMapToRunEvents()
    {
        QFETCH(int, event);
        QFETCH(int, detail);
        QFETCH(int, expected);
        const auto mapped = domainEventFromLibvirt(event, detail);
        QCOMPARE(mapped ? int(*mapped) : -1, expected);
    }

    void actionOnUnknownDomainExplains()
    {
        HostController host;
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        QSignalSpy failed(&host, &HostController::actionFailed);
        host.startDomain(QStringLiteral("no-such-guest"));
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(0).toString(), QStringLiteral("no-such-guest"));
        QCOMPARE(failed.first().at(1).value<DomainAction>(), DomainAction::Start);
        QVERIFY2(failed.first().at(3).toString().contains(QLatin1String("virsh list --all")),
                 qPrintable(failed.first().at(3).toString()));
    }

    // An experiment forcing off a guest that went off by itself meanwhile (its event not yet seen)
    // learns so from the code, in any language.
    void forcingOffAGuestThatIsOffSaysSoByCode()
    {
        HostController host;
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        host.defineDomain(QStringLiteral("<domain type='test'><name>off</name><memory>65536</memory>"
                                         "<os><type>hvm</type></os></domain>"));
        QTRY_VERIFY_WITH_TIMEOUT(host.domain(QStringLiteral("off")) != nullptr, 5000);
        QSignalSpy failed(&host, &HostController::actionFailed);
        host.destroyDomain(QStringLiteral("off"));
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(1).value<DomainAction>(), DomainAction::ForceOff);
        QCOMPARE(failed.first().at(4).value<LibvirtFailure::Kind>(), LibvirtFailure::Kind::InvalidState);
        failed.clear();
        host.startDomain(QStringLiteral("no-such-guest"));
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(4).value<LibvirtFailure::Kind>(), LibvirtFailure::Kind::NoSuchDomain);
    }

    void definesADomain()
    {
        HostController host;
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        QSignalSpy finished(&host, &HostController::actionFinished);
        QSignalSpy failed(&host, &HostController::actionFailed);
        host.defineDomain(QStringLiteral("<domain type='test'><name>defined</name><memory>65536</memory>"
                                         "<os><type>hvm</type></os></domain>"));
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("defined"));
        QCOMPARE(finished.first().at(1).value<DomainAction>(), DomainAction::Define);
        QTRY_VERIFY_WITH_TIMEOUT(host.domain(QStringLiteral("defined")) != nullptr, 5000);
        QCOMPARE(host.domain(QStringLiteral("defined"))->state, DomainInfo::State::ShutOff);

        host.defineDomain(QStringLiteral("<domain type='test'><name>broken"));
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(1).value<DomainAction>(), DomainAction::Define);
        QCOMPARE(failed.first().at(2).toString(), QStringLiteral("The guest definition was refused"));
    }

    // The verdicts come from libvirt's codes, as the real test driver reports them.
    void failuresAreToldByCode()
    {
        virConnectPtr connection = virConnectOpen(m_uri.toUtf8().constData());
        QVERIFY(connection);

        QVERIFY(!virDomainLookupByName(connection, "no-such-guest"));
        auto failure = LibvirtFailure::last();
        QCOMPARE(failure.code, int(VIR_ERR_NO_DOMAIN));
        QCOMPARE(failure.kind(), LibvirtFailure::Kind::NoSuchDomain);
        QVERIFY(failure.hint().contains(QLatin1String("virsh list --all")));
        QVERIFY(failure.details().startsWith(failure.message));

        virDomainPtr domain = virDomainLookupByName(connection, "plain-guest");
        QVERIFY(domain);
        QCOMPARE(virDomainDestroy(domain), 0);
        QVERIFY(virDomainDestroy(domain) < 0);
        failure = LibvirtFailure::last();
        QCOMPARE(failure.code, int(VIR_ERR_OPERATION_INVALID));
        QCOMPARE(failure.kind(), LibvirtFailure::Kind::InvalidState);
        QVERIFY(!failure.hint().isEmpty());

        virStreamPtr stream = virStreamNew(connection, VIR_STREAM_NONBLOCK);
        QVERIFY(virDomainOpenChannel(domain, "org.exitscope.agent.0", stream, 0) < 0);
        failure = LibvirtFailure::last();
        QCOMPARE(failure.kind(), LibvirtFailure::Kind::Unsupported);
        QVERIFY(failure.hint().contains(QLatin1String("qemu:///system")));
        virStreamFree(stream);
        virDomainFree(domain);
        virConnectClose(connection);

        // The text plays no part: a translated message gets the same verdict, a misleading one none.
        const LibvirtFailure translated{VIR_ERR_NO_DOMAIN, VIR_FROM_TEST, 0, QStringLiteral("Domäne nicht gefunden")};
        QCOMPARE(translated.kind(), LibvirtFailure::Kind::NoSuchDomain);
        const LibvirtFailure misleading{VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU, 0,
                                        QStringLiteral("Domain not found: Host key verification failed")};
        QCOMPARE(misleading.kind(), LibvirtFailure::Kind::Other);
        QVERIFY(misleading.hint().isEmpty());
    }

    void failuresFromAClosedLoopbackPort_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<int>("kind"); // LibvirtFailure::Kind
        QTest::addColumn<int>("systemError");
        // libvirt's own socket code, for plain TCP and for its two SSH libraries
        QTest::newRow("tcp") << QStringLiteral("qemu+tcp://127.0.0.1:%1/system") << int(LibvirtFailure::Kind::Unreachable)
                             << ECONNREFUSED;
        QTest::newRow("libssh") << QStringLiteral("qemu+libssh://root@127.0.0.1:%1/system?no_verify=1")
                                << int(LibvirtFailure::Kind::Unreachable) << ECONNREFUSED;
        QTest::newRow("libssh2") << QStringLiteral("qemu+libssh2://root@127.0.0.1:%1/system?no_verify=1")
                                 << int(LibvirtFailure::Kind::Unreachable) << ECONNREFUSED;
        // the ssh client, whose exit is all libvirt sees
        QTest::newRow("ssh") << QStringLiteral("qemu+ssh://root@127.0.0.1:%1/system?no_verify=1&no_tty=1")
                             << int(LibvirtFailure::Kind::ConnectionClosed) << 0;
    }

    void failuresFromAClosedLoopbackPort()
    {
        QFETCH(QString, uri);
        QFETCH(int, kind);
        QFETCH(int, systemError);
        if (uri.startsWith(QLatin1String("qemu+ssh:")) && QStandardPaths::findExecutable(QStringLiteral("ssh")).isEmpty())
            QSKIP("no ssh client");
        const auto port = SilentPort::closedPort();
        QVERIFY(port != 0);
        QVERIFY(!virConnectOpen(uri.arg(port).toUtf8().constData()));
        const auto failure = LibvirtFailure::last();
        QVERIFY2(int(failure.kind()) == kind, qPrintable(QStringLiteral("code %1 domain %2 errno %3: %4")
                                                       .arg(failure.code)
                                                       .arg(failure.domain)
                                                       .arg(failure.systemError)
                                                       .arg(failure.message)));
        if (systemError)
            QCOMPARE(failure.systemError, systemError);
        QVERIFY(!failure.hint().isEmpty());
    }

    // A URI that turns off the host-key check used to be opened as given: whoever answered on the
    // way to the host was taken for it. It is refused before anything is sent, unless accepted.
    void uncheckedHostKeysAreRefusedUnlessAccepted_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("parameter");
        QTest::newRow("ssh no_verify") << QStringLiteral("no_verify=1") << QStringLiteral("no_verify=1");
        QTest::newRow("libssh ignore") << QStringLiteral("known_hosts_verify=ignore") << QStringLiteral("known_hosts_verify=ignore");
        QTest::newRow("libssh auto") << QStringLiteral("keyfile=/k&known_hosts_verify=AUTO") << QStringLiteral("known_hosts_verify=AUTO");
    }
    void uncheckedHostKeysAreRefusedUnlessAccepted()
    {
        QFETCH(QString, query);
        QFETCH(QString, parameter);
        const QString uri = m_uri + QLatin1Char('?') + query;
        QCOMPARE(HostKeyPolicy::uncheckedParameter(uri), parameter);
        HostController host;
        QSignalSpy failed(&host, &HostController::connectionFailed);
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(uri);
        QVERIFY(failed.wait(5000));
        QVERIFY(connected.isEmpty());
        QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("turns off the check of the host's SSH key (%1)").arg(parameter)),
                 qPrintable(failed.first().at(1).toString()));
        QCOMPARE(host.lastConnectFailure(), LibvirtFailure::Kind::HostKeyRejected);

        // Said by the user: used as given (the test driver ignores the parameter).
        HostKeyPolicy::setUncheckedKeysAccepted(true);
        const auto reset = qScopeGuard([] { HostKeyPolicy::setUncheckedKeysAccepted(false); });
        host.connectTo(uri);
        QVERIFY(connected.wait(10000));
    }

    void checkedHostKeysPass()
    {
        QVERIFY(HostKeyPolicy::uncheckedParameter(QStringLiteral("qemu+ssh://h/system?no_verify=0")).isEmpty());
        QVERIFY(HostKeyPolicy::uncheckedParameter(QStringLiteral("qemu+libssh://h/system?known_hosts_verify=normal")).isEmpty());
        QVERIFY(HostKeyPolicy::uncheckedParameter(QStringLiteral("qemu:///system")).isEmpty());
        QVERIFY(HostKeyPolicy::refusal(QStringLiteral("qemu+ssh://h/system?keyfile=/k")).isEmpty());
    }

    void unreachableHostFailsWithReason()
    {
        HostController host;
        QSignalSpy failed(&host, &HostController::connectionFailed);
        host.connectTo(QStringLiteral("test:///no/such/node.xml"));
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.first().at(0).toString().contains(QLatin1String("test:///no/such/node.xml")));
        QVERIFY(!failed.first().at(1).toString().isEmpty());
        QVERIFY(!host.isConnected());
        QVERIFY(!host.isConnecting());
    }

    void refusedConnectionNamesTheHostAndWhatToCheck()
    {
        HostController host;
        QSignalSpy failed(&host, &HostController::connectionFailed);
        const auto port = SilentPort::closedPort();
        host.connectTo(QStringLiteral("qemu+tcp://root@127.0.0.1:%1/system?keyfile=/secret/key").arg(port));
        QVERIFY(failed.wait(10000));
        const auto message = failed.first().at(0).toString();
        const auto details = failed.first().at(1).toString();
        QCOMPARE(message, QStringLiteral("Cannot connect to 127.0.0.1:%1").arg(port));
        QVERIFY2(details.contains(QLatin1String("cannot be reached")), qPrintable(details));
    }

    void connectTimesOutOnASilentHost()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("ssh")).isEmpty())
            QSKIP("no ssh client");
        SilentPort port;
        QVERIFY(port.isListening());
        HostController host;
        host.setConnectTimeout(3);
        QSignalSpy failed(&host, &HostController::connectionFailed);
        QSignalSpy progress(&host, &HostController::connectProgress);
        QSignalSpy connected(&host, &HostController::connected);
        QElapsedTimer clock;
        clock.start();
        host.connectTo(silentSshUri(port.port()));
        QVERIFY(host.isConnecting());
        QCOMPARE(host.connectingTo(), QStringLiteral("127.0.0.1:%1").arg(port.port()));
        QCOMPARE(progress.size(), 1); // at once, for the label
        QCOMPARE(progress.first().at(0).toInt(), 0);

        // Generous: a loaded two-core machine may be slow, but it cannot make 3 s into 20.
        QVERIFY(failed.wait(20000));
        QVERIFY2(clock.elapsed() >= 2500, qPrintable(QString::number(clock.elapsed())));
        const auto message = failed.first().at(0).toString();
        const auto details = failed.first().at(1).toString();
        QCOMPARE(message, QStringLiteral("Cannot connect to 127.0.0.1:%1: no answer within 3 s").arg(port.port()));
        QVERIFY(details.contains(QLatin1String("sshd")));
        QVERIFY(!message.contains(QLatin1String("secret")) && !details.contains(QLatin1String("secret")));
        QVERIFY(progress.size() >= 3);
        for (int i = 0; i < progress.size(); ++i) {
            QCOMPARE(progress.at(i).at(1).toInt(), 3);
            if (i > 0)
                QVERIFY(progress.at(i).at(0).toInt() > progress.at(i - 1).at(0).toInt());
        }
        QVERIFY(!host.isConnecting());
        QVERIFY(!host.isConnected());

        // The abandoned open ends when the port closes; it must stay silent.
        port.close();
        QTest::qWait(1500);
        QCOMPARE(failed.size(), 1);
        QVERIFY(connected.isEmpty());
    }

    void cancelEndsTheWaitAtOnce()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("ssh")).isEmpty())
            QSKIP("no ssh client");
        SilentPort port;
        QVERIFY(port.isListening());
        HostController host;
        QCOMPARE(host.connectTimeout(), 30);
        QSignalSpy failed(&host, &HostController::connectionFailed);
        QSignalSpy progress(&host, &HostController::connectProgress);
        QSignalSpy cancelled(&host, &HostController::connectCancelled);
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(silentSshUri(port.port()));
        QVERIFY(progress.wait(5000)); // a second has passed, still waiting
        QVERIFY(host.isConnecting());

        QElapsedTimer clock;
        clock.start();
        host.cancelConnect();
        QCOMPARE(cancelled.size(), 1);
        // Far below the 30 s the wait would have lasted, with room for a loaded two-core machine.
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(!host.isConnecting());
        progress.clear();

        // Usable at once, while the abandoned open still hangs in the background.
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        QCOMPARE(host.host().hypervisor, QStringLiteral("TEST"));
        // Now the abandoned open fails; it must not touch the connection that replaced it.
        port.close();
        QTest::qWait(1500);
        QVERIFY(failed.isEmpty());
        QVERIFY(host.isConnected());
        QCOMPARE(connected.size(), 1);
        QCOMPARE(host.domains().size(), 2);
    }

    void disconnectClearsDomains()
    {
        HostController host;
        QSignalSpy connected(&host, &HostController::connected);
        QSignalSpy disconnected(&host, &HostController::disconnected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        host.disconnectFromHost();
        QVERIFY(disconnected.wait(5000));
        QVERIFY(host.domains().isEmpty());
    }

    void displayNameShowsNoKeys()
    {
        QCOMPARE(HostController::displayName(QStringLiteral("qemu+ssh://root@l1.example:2222/system?keyfile=/k&known_hosts=/h")),
                 QStringLiteral("l1.example:2222"));
        QCOMPARE(HostController::displayName(QStringLiteral("qemu+ssh://root@l1/system?keyfile=/k")), QStringLiteral("l1"));
        QCOMPARE(HostController::displayName(QStringLiteral("qemu+ssh://root@[::1]:22/system")), QStringLiteral("[::1]:22"));
        QCOMPARE(HostController::displayName(QStringLiteral("qemu:///system")), QStringLiteral("qemu:///system"));
    }

    // The test driver has no channels: the source must end with a reason, not hang or retry forever.
    void channelSourceFailsClearlyWithoutChannelSupport()
    {
        LibvirtChannelSource source(m_uri, QStringLiteral("exitscope-l2"));
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(failed.wait(10000));
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("has no channel org.exitscope.agent.0")),
                 qPrintable(failed.first().at(0).toString()));
        QVERIFY(failed.first().at(1).toString().contains(QLatin1String("qemu:///system")));
        source.stop();
    }

    void channelSourceFailsForUnknownGuest()
    {
        LibvirtChannelSource source(m_uri, QStringLiteral("no-such-guest"));
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.first().at(0).toString().contains(QLatin1String("Cannot find the guest no-such-guest")));
        QVERIFY(failed.first().at(1).toString().contains(QLatin1String("virsh list --all")));
        source.stop();
    }

    void channelsAreReadFromTheDomainXml()
    {
        const auto withChannel = QStringLiteral(
            "<domain><devices><channel type='unix'><source mode='bind'/>"
            "<target type='virtio' name=\"org.exitscope.agent.0\"/></channel></devices></domain>");
        QVERIFY(DomainInfo::declaresChannel(withChannel, QStringLiteral("org.exitscope.agent.0")));
        QVERIFY(!DomainInfo::declaresChannel(withChannel, QStringLiteral("org.qemu.guest_agent.0")));
        // A target outside a channel (a disk's) is no channel.
        QVERIFY(!DomainInfo::declaresChannel(
            QStringLiteral("<domain><devices><disk><target dev='vda' name='org.exitscope.agent.0'/></disk></devices></domain>"),
            QStringLiteral("org.exitscope.agent.0")));
    }
};

QTEST_GUILESS_MAIN(TestHostController)
#include "tst_hostcontroller.moc"
