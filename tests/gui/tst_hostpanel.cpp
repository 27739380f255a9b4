// SPDX-License-Identifier: GPL-3.0-or-later
// The Host dock against libvirt's test driver: guests listed, actions enabled by state, the agent's
// recording wired to the recorder.
#include "domainlistmodel.h"
#include "virt/hostcontroller.h"
#include "hostpanel.h"
#include "mainwindow.h"
#include "recording/recordingsession.h"

#include "../virt/silentport.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

class TestHostPanel : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    const QString m_uri = QStringLiteral("test://") + QStringLiteral(EXITSCOPE_TEST_DATA "/libvirt-node.xml");

    QPushButton *button(QWidget *panel, const QString &text)
    {
        for (auto b : panel->findChildren<QPushButton *>())
            if (b->text() == text)
                return b;
        return nullptr;
    }

    QString labels(QWidget *panel)
    {
        QStringList texts;
        for (auto label : panel->findChildren<QLabel *>())
            texts << label->text();
        return texts.join(QLatin1Char('\n'));
    }

    QString silentSshUri(quint16 port)
    {
        return QStringLiteral("qemu+ssh://root@127.0.0.1:%1/system?keyfile=/secret/id_ed25519&known_hosts=/secret/known_hosts"
                              "&no_tty=1")
            .arg(port);
    }

private Q_SLOTS:
    void actionsFollowTheSelectedGuest()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("runs.sqlite"))));
        auto panel = window.hostPanel();
        QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy connected(window.host(), &HostController::connected);
        window.connectToHost(m_uri);
        QVERIFY(connected.wait(10000));
        QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 2, 5000);

        panel->selectDomain(QStringLiteral("exitscope-l2"));
        QVERIFY(!button(panel, QStringLiteral("Start"))->isEnabled());
        QVERIFY(button(panel, QStringLiteral("Shut down"))->isEnabled());
        QVERIFY(button(panel, QStringLiteral("Record agent"))->isEnabled());
        QVERIFY(!button(panel, QStringLiteral("Boot and record"))->isEnabled()); // it runs already
        QVERIFY(!button(panel, QStringLiteral("Run in guest"))->isEnabled()); // nothing recorded yet

        panel->selectDomain(QStringLiteral("plain-guest"));
        QVERIFY(!button(panel, QStringLiteral("Record agent"))->isEnabled()); // no channel

        panel->selectDomain(QStringLiteral("exitscope-l2"));
        button(panel, QStringLiteral("Shut down"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(button(panel, QStringLiteral("Start"))->isEnabled(), 5000);
        QCOMPARE(panel->selectedDomain(), QStringLiteral("exitscope-l2")); // the refresh kept the selection
        QVERIFY(button(panel, QStringLiteral("Boot and record"))->isEnabled());
        QVERIFY(!button(panel, QStringLiteral("Shut down"))->isEnabled());
        QCOMPARE(window.host()->domain(QStringLiteral("exitscope-l2"))->state, DomainInfo::State::ShutOff);

        button(panel, QStringLiteral("Start"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(button(panel, QStringLiteral("Shut down"))->isEnabled(), 5000);
        QCOMPARE(window.host()->domain(QStringLiteral("exitscope-l2"))->state, DomainInfo::State::Running);
        QVERIFY(!button(panel, QStringLiteral("Start"))->isEnabled());
        QVERIFY(!button(panel, QStringLiteral("Boot and record"))->isEnabled());
    }

    // The test driver has no channels, so recording ends at once, with the reason shown and a failed
    // run stored; the guest was still started as asked.
    void bootAndRecordReportsAMissingChannel()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("boot.sqlite"))));
        QSignalSpy connected(window.host(), &HostController::connected);
        window.connectToHost(m_uri);
        QVERIFY(connected.wait(10000));
        QSignalSpy finished(window.host(), &HostController::actionFinished);
        window.host()->destroyDomain(QStringLiteral("exitscope-l2"));
        QVERIFY(finished.wait(5000));

        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.recordAgent(m_uri, QStringLiteral("exitscope-l2"), true));
        QVERIFY(ended.wait(10000));
        QCOMPARE(ended.first().at(1).toBool(), false);
        QVERIFY2(window.lastError().contains(QLatin1String("has no channel org.exitscope.agent.0")), qPrintable(window.lastError()));
        QTRY_COMPARE_WITH_TIMEOUT(window.host()->domain(QStringLiteral("exitscope-l2"))->state, DomainInfo::State::Running, 5000);
        QCOMPARE(window.session()->info().state, RunInfo::State::Failed);
        QCOMPARE(window.session()->info().guest, QStringLiteral("exitscope-l2"));
    }

    // An unreachable host: the button cancels, the label counts the seconds and names the host, never
    // the key files in the URI.
    void connectingCanBeCancelled()
    {
        SilentPort port;
        QVERIFY(port.isListening());
        HostController host;
        HostPanel panel(&host);
        panel.setUri(silentSshUri(port.port()));
        QSignalSpy errors(&panel, &HostPanel::errorOccurred);
        QTest::mouseClick(button(&panel, QStringLiteral("Connect")), Qt::LeftButton);

        auto cancel = button(&panel, QStringLiteral("Cancel"));
        QVERIFY(cancel);
        QVERIFY(cancel->isEnabled());
        const auto host0 = QStringLiteral("127.0.0.1:%1").arg(port.port());
        QVERIFY2(labels(&panel).contains(QStringLiteral("Connecting to %1… 0 s of 30 s").arg(host0)), qPrintable(labels(&panel)));
        QTRY_VERIFY_WITH_TIMEOUT(labels(&panel).contains(QStringLiteral("Connecting to %1… 1 s of 30 s").arg(host0)), 5000);
        QVERIFY(!labels(&panel).contains(QLatin1String("secret")));

        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(!host.isConnecting());
        QCOMPARE(cancel->text(), QStringLiteral("Connect"));
        QVERIFY(labels(&panel).contains(QLatin1String("Not connected.")));
        QVERIFY(errors.isEmpty()); // a cancel is no error

        // Usable at once: connect to the test driver through the same button.
        QSignalSpy connected(&host, &HostController::connected);
        panel.setUri(m_uri);
        QTest::mouseClick(button(&panel, QStringLiteral("Connect")), Qt::LeftButton);
        QVERIFY(connected.wait(10000));
        QVERIFY(button(&panel, QStringLiteral("Disconnect")));
        QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), 2, 5000);
    }

    void connectTimeoutIsShown()
    {
        SilentPort port;
        QVERIFY(port.isListening());
        HostController host;
        host.setConnectTimeout(2);
        HostPanel panel(&host);
        panel.setUri(silentSshUri(port.port()));
        QSignalSpy errors(&panel, &HostPanel::errorOccurred);
        button(&panel, QStringLiteral("Connect"))->click();
        QVERIFY(labels(&panel).contains(QLatin1String("0 s of 2 s")));
        QVERIFY(errors.wait(20000));
        const auto message = QStringLiteral("Cannot connect to 127.0.0.1:%1: no answer within 2 s").arg(port.port());
        QCOMPARE(errors.first().at(0).toString(), message);
        QVERIFY(labels(&panel).contains(message));
        QVERIFY(!labels(&panel).contains(QLatin1String("secret")));
        QVERIFY(button(&panel, QStringLiteral("Connect"))->isEnabled());
    }
};

QTEST_MAIN(TestHostPanel)
#include "tst_hostpanel.moc"
