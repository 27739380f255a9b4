// SPDX-License-Identifier: GPL-3.0-or-later
// HostController and LibvirtChannelSource against libvirt's test driver: a real libvirt connection,
// with a host described by tests/data/libvirt-node.xml.
#include "virt/hostcontroller.h"
#include "sources/libvirtchannelsource.h"

#include <QSignalSpy>
#include <QTest>

using namespace ExitScope;

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
    void connectsAndListsDomains()
    {
        HostController host;
        QSignalSpy connected(&host, &HostController::connected);
        host.connectTo(m_uri);
        QVERIFY(connected.wait(10000));
        QVERIFY(host.isConnected());
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
        QVERIFY2(failed.first().at(3).toString().contains(QLatin1String("virsh list --all")),
                 qPrintable(failed.first().at(3).toString()));
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
        QTRY_VERIFY_WITH_TIMEOUT(host.domain(QStringLiteral("defined")) != nullptr, 5000);
        QCOMPARE(host.domain(QStringLiteral("defined"))->state, DomainInfo::State::ShutOff);

        host.defineDomain(QStringLiteral("<domain type='test'><name>broken"));
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(2).toString(), QStringLiteral("The guest definition was refused"));
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
        source.stop();
    }
};

QTEST_GUILESS_MAIN(TestHostController)
#include "tst_hostcontroller.moc"
