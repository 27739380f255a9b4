// SPDX-License-Identifier: GPL-3.0-or-later
// The Host dock against libvirt's test driver: guests listed, actions enabled by state, the agent's
// recording wired to the recorder.
#include "domainlistmodel.h"
#include "virt/hostcontroller.h"
#include "hostpanel.h"
#include "mainwindow.h"
#include "recording/recordingsession.h"

#include <QAbstractItemModelTester>
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
        QCOMPARE(panel->selectedDomain(), QStringLiteral("exitscope-l2")); // the poll kept the selection
        QVERIFY(button(panel, QStringLiteral("Boot and record"))->isEnabled());
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
};

QTEST_MAIN(TestHostPanel)
#include "tst_hostpanel.moc"
