// SPDX-License-Identifier: GPL-3.0-or-later
// The deployment panel driven through its buttons, against a real sshd on 127.0.0.1 (this machine as
// the host, up to the point where a deployment would change it), and the main window's way to it.
#include "../ssh/loopbacksshd.h"
#include "deploypanel.h"
#include "hostpanel.h"
#include "userprompts.h"
#include "virt/hostcontroller.h"
#include "mainwindow.h"

#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSysInfo>
#include <QTest>
#include <QTreeWidget>

using namespace ExitScope;

class TestDeployPanel : public QObject
{
    Q_OBJECT

private:
    TestFixture::LoopbackSshd m_sshd;

    static QString stateOf(QTreeWidget *stages, const QString &stage)
    {
        for (int row = 0; row < stages->topLevelItemCount(); ++row) {
            if (stages->topLevelItem(row)->text(0) == stage)
                return stages->topLevelItem(row)->text(1);
        }
        return QStringLiteral("(no such stage)");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QSettings().clear(); // every run starts from no settings (the test has a configuration folder of its own)
        const auto problem = m_sshd.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void inspectShowsTheHostAndChangesNothing()
    {
        DeployPanel panel;
        QString uri = m_sshd.uri();
        panel.setUriProvider([&] { return uri; });
        DeployOptions base;
        base.probeBinary = QStringLiteral("/bin/true");
        panel.setBaseOptions(base);
        panel.show();
        QSignalSpy finished(&panel, &DeployPanel::deploymentFinished);
        QSignalSpy busy(&panel, &DeployPanel::hostBusyChanged);
        auto inspect = panel.findChild<QPushButton *>(QStringLiteral("inspect"));
        auto deploy = panel.findChild<QPushButton *>(QStringLiteral("deploy"));
        auto cancel = panel.findChild<QPushButton *>(QStringLiteral("cancel"));
        QVERIFY(inspect && deploy && cancel);
        QVERIFY(!cancel->isEnabled());
        QTest::mouseClick(inspect, Qt::LeftButton);
        QVERIFY(!deploy->isEnabled());
        QVERIFY(cancel->isEnabled());
        QVERIFY(finished.wait(60000));
        QVERIFY(busy.isEmpty()); // a dry run does not take the host away from the guests
        const auto summary = panel.findChild<QLabel *>(QStringLiteral("hostSummary"))->text();
        QVERIFY2(summary.contains(QSysInfo::kernelVersion()), qPrintable(summary));
        QVERIFY(summary.contains(QLatin1String("KVM: ")));
        auto stages = panel.findChild<QTreeWidget *>(QStringLiteral("stages"));
        QVERIFY(stateOf(stages, QStringLiteral("inspect")) == QLatin1String("done")
                || stateOf(stages, QStringLiteral("inspect")) == QLatin1String("failed"));
        QCOMPARE(stateOf(stages, QStringLiteral("upload")), QString());
        QVERIFY(deploy->isEnabled());
        QVERIFY(!cancel->isEnabled());
    }

    void aChangedHostKeyFailsTheInspectStageAndSaysWhy()
    {
        DeployPanel panel;
        QString uri = m_sshd.uri(QStringLiteral("changed_known_hosts"));
        panel.setUriProvider([&] { return uri; });
        DeployOptions base;
        base.probeBinary = QStringLiteral("/bin/true");
        panel.setBaseOptions(base);
        QSignalSpy finished(&panel, &DeployPanel::deploymentFinished);
        QSignalSpy errors(&panel, &DeployPanel::errorOccurred);
        QSignalSpy busy(&panel, &DeployPanel::hostBusyChanged);
        QTest::mouseClick(panel.findChild<QPushButton *>(QStringLiteral("deploy")), Qt::LeftButton);
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().at(0).toBool(), false);
        QCOMPARE(errors.size(), 1);
        QVERIFY(errors.first().at(0).toString().contains(QLatin1String("not the one on record")));
        QCOMPARE(stateOf(panel.findChild<QTreeWidget *>(QStringLiteral("stages")), QStringLiteral("inspect")), QStringLiteral("failed"));
        // The guests were held while it ran and are free again.
        QCOMPARE(busy.size(), 2);
        QCOMPARE(busy.at(0).at(0).toBool(), true);
        QCOMPARE(busy.at(1).at(0).toBool(), false);
        QVERIFY(panel.findChild<QPlainTextEdit *>(QStringLiteral("log"))->toPlainText().contains(QLatin1String("failed at inspect")));
        QVERIFY(!panel.findChild<QPushButton *>(QStringLiteral("keepWaiting"))->isVisible());
    }

    void withoutAHostItAsks()
    {
        DeployPanel panel;
        panel.setUriProvider([] { return QString(); });
        QSignalSpy errors(&panel, &DeployPanel::errorOccurred);
        QTest::mouseClick(panel.findChild<QPushButton *>(QStringLiteral("deploy")), Qt::LeftButton);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().at(0).toString(), QStringLiteral("Which host?"));
        QVERIFY(!panel.isRunning());
    }

    // Connecting to a host whose key is not on record shows its fingerprint and records the key only
    // when the user trusts it; a changed key is refused without a question.
    void aNewHostKeyIsShownAndRecordedOnlyWhenTrusted()
    {
        struct Answers : UserPrompts
        {
            bool answer = false;
            QStringList questions;
            bool confirm(QWidget *, const QString &, const QString &question) override
            {
                questions << question;
                return answer;
            }
        } answers;
        HostController host;
        HostPanel panel(&host);
        panel.setPromptsProvider([&] { return &answers; });
        const auto knownHosts = m_sshd.path(QStringLiteral("trust_known_hosts"));
        QFile::remove(knownHosts);
        QVERIFY(QFile(knownHosts).open(QIODevice::WriteOnly));
        const auto uri = m_sshd.uri(QStringLiteral("trust_known_hosts"));
        panel.setUri(uri);
        auto connectButton = panel.findChildren<QPushButton *>().first();
        QCOMPARE(connectButton->text(), QStringLiteral("Connect"));

        QSignalSpy errors(&panel, &HostPanel::errorOccurred);
        QTest::mouseClick(connectButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(answers.questions.size(), 1, 30000);
        QVERIFY2(answers.questions.first().contains(QLatin1String("SHA256:")), qPrintable(answers.questions.first()));
        QTRY_VERIFY_WITH_TIMEOUT(connectButton->isEnabled(), 10000);
        QCOMPARE(QFileInfo(knownHosts).size(), 0); // not trusted: nothing recorded
        QVERIFY(!host.isConnecting() && !host.isConnected());

        answers.answer = true;
        QTest::mouseClick(connectButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(answers.questions.size(), 2, 30000);
        // Recorded, then libvirt is asked (there is none behind this sshd: that connect fails).
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(knownHosts).size() > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(host.isConnecting() || !errors.isEmpty(), 30000);
        host.cancelConnect();

        // A changed key: refused at once, no question.
        errors.clear();
        panel.setUri(m_sshd.uri(QStringLiteral("changed_known_hosts")));
        QTRY_VERIFY_WITH_TIMEOUT(connectButton->isEnabled() && connectButton->text() == QLatin1String("Connect"), 30000);
        QTest::mouseClick(connectButton, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 30000);
        QVERIFY2(errors.last().at(0).toString().contains(QLatin1String("not the one on record")), qPrintable(errors.last().at(0).toString() + QLatin1Char('|') + errors.last().at(1).toString()));
        QCOMPARE(answers.questions.size(), 2);
    }

    void theHostMenuOpensThePanel()
    {
        MainWindow window;
        window.show();
        auto dock = window.findChild<QDockWidget *>(QStringLiteral("deployment"));
        QVERIFY(dock);
        QVERIFY(!dock->isVisible());
        auto action = window.findChild<QAction *>(QStringLiteral("showDeployment"));
        QVERIFY(action);
        action->trigger();
        QVERIFY(dock->isVisible());
        QCOMPARE(dock->widget(), window.deployPanel());
    }
};

QTEST_MAIN(TestDeployPanel)
#include "tst_deploypanel.moc"
