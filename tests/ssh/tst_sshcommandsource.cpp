// SPDX-License-Identifier: GPL-3.0-or-later
// SshCommandSource against a real sshd on 127.0.0.1, started by the test with keys of its own.
#include "../gui/streamfixture.h"
#include "protocol/recordbuffer.h"
#include "sources/sshcommandsource.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <pwd.h>
#include <unistd.h>

using namespace ExitScope;

class TestSshCommandSource : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_sshd;
    int m_port = 0;
    QString m_user;
    QString m_recording;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    bool run(const QString &program, const QStringList &arguments)
    {
        QProcess p;
        p.start(program, arguments);
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

    bool keygen(const QString &name)
    {
        return run(QStringLiteral("ssh-keygen"), {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                                                  QStringLiteral("-N"), QString(), QStringLiteral("-C"), name,
                                                  QStringLiteral("-f"), path(name)});
    }

    QByteArray publicKey(const QString &name)
    {
        QFile f(path(name + QStringLiteral(".pub")));
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
    }

    bool writeFile(const QString &name, const QByteArray &bytes)
    {
        QFile f(path(name));
        return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
    }

    SshTarget target(const QString &knownHosts = QStringLiteral("known_hosts"), const QString &key = QStringLiteral("user"))
    {
        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = m_port;
        t.user = m_user;
        t.keyFile = path(key);
        t.knownHostsFile = path(knownHosts);
        return t;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_recording = path(QStringLiteral("fixture.exs"));
        QVERIFY(TestFixture::writeStream(m_recording, TestFixture::makeStream()));
        m_user = QString::fromLocal8Bit(getpwuid(getuid())->pw_name);
        const QString sshd = QStringLiteral("/usr/sbin/sshd");
        QVERIFY2(QFile::exists(sshd), "this test needs a real sshd: apt-get install openssh-server");
        QVERIFY2(getuid() == 0, "sshd on loopback needs root to switch to the test user's session");
        QDir().mkpath(QStringLiteral("/run/sshd")); // sshd's privilege separation directory
        QVERIFY(keygen(QStringLiteral("host")));
        QVERIFY(keygen(QStringLiteral("other-host")));
        QVERIFY(keygen(QStringLiteral("user")));
        QVERIFY(keygen(QStringLiteral("stranger")));
        QVERIFY(writeFile(QStringLiteral("authorized_keys"), publicKey(QStringLiteral("user")) + '\n'));
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            m_port = probe.serverPort();
        }
        const auto config = QStringLiteral("Port %1\nListenAddress 127.0.0.1\nHostKey %2\nPidFile %3\n"
                                           "AuthorizedKeysFile %4\nPasswordAuthentication no\n"
                                           "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                                           "PermitRootLogin prohibit-password\nAllowUsers %5\n")
                                .arg(m_port)
                                .arg(path(QStringLiteral("host")), path(QStringLiteral("sshd.pid")),
                                     path(QStringLiteral("authorized_keys")), m_user);
        QVERIFY(writeFile(QStringLiteral("sshd_config"), config.toUtf8()));
        const auto entry = QStringLiteral("[127.0.0.1]:%1 ").arg(m_port).toUtf8();
        const auto keyOnly = [](const QByteArray &pub) { return pub.split(' ').mid(0, 2).join(' '); };
        QVERIFY(writeFile(QStringLiteral("known_hosts"), entry + keyOnly(publicKey(QStringLiteral("host"))) + '\n'));
        QVERIFY(writeFile(QStringLiteral("changed_known_hosts"), entry + keyOnly(publicKey(QStringLiteral("other-host"))) + '\n'));
        QVERIFY(writeFile(QStringLiteral("empty_known_hosts"), {}));

        m_sshd.setProcessChannelMode(QProcess::MergedChannels);
        m_sshd.start(sshd, {QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), path(QStringLiteral("sshd_config"))});
        QVERIFY(m_sshd.waitForStarted());
        QElapsedTimer clock;
        clock.start();
        bool up = false;
        while (!up && clock.elapsed() < 15000 && m_sshd.state() == QProcess::Running) {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, quint16(m_port));
            up = socket.waitForConnected(500);
            if (!up)
                QTest::qWait(100);
        }
        QVERIFY2(up, m_sshd.readAll().constData());
    }

    void cleanupTestCase()
    {
        m_sshd.terminate();
        m_sshd.waitForFinished(5000);
    }

    void targetFromLibvirtUri()
    {
        SshTarget t;
        QString error;
        QVERIFY(SshTarget::fromLibvirtUri(
            QStringLiteral("qemu+ssh://root@127.0.0.1:2222/system?keyfile=/k/id%20lab&known_hosts=/k/known_hosts&no_verify=0"), &t,
            &error));
        QCOMPARE(t.host, QStringLiteral("127.0.0.1"));
        QCOMPARE(t.port, 2222);
        QCOMPARE(t.user, QStringLiteral("root"));
        QCOMPARE(t.keyFile, QStringLiteral("/k/id lab"));
        QCOMPARE(t.knownHostsFile, QStringLiteral("/k/known_hosts"));
        QVERIFY(SshTarget::fromLibvirtUri(QStringLiteral("qemu+libssh://ada@l1.example/system"), &t, &error));
        QCOMPARE(t.port, 22);
        QCOMPARE(t.user, QStringLiteral("ada"));
        QVERIFY(t.keyFile.isEmpty());
        QVERIFY(!SshTarget::fromLibvirtUri(QStringLiteral("qemu:///system"), &t, &error));
        QVERIFY(error.contains(QLatin1String("does not reach its host over SSH")));
    }

    void readsACommandsStream()
    {
        RecordBuffer records;
        SshCommandSource source(target(), QStringLiteral("cat '%1'").arg(m_recording));
        source.setSink(&records);
        QSignalSpy finished(&source, &Source::finished);
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(finished.wait(20000) || !failed.isEmpty());
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(0).toString() + failed.first().at(1).toString()));
        int samples = 0;
        for (const auto &r : records.records())
            samples += std::holds_alternative<Sample>(r) ? 1 : 0;
        QCOMPARE(samples, 200);
        QVERIFY(source.stats().clean());
        QVERIFY(source.description().contains(QStringLiteral("127.0.0.1:%1").arg(m_port)));
    }

    void refusesAnUnknownHost()
    {
        SshCommandSource source(target(QStringLiteral("empty_known_hosts")), QStringLiteral("true"));
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(failed.wait(20000));
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("is not a known SSH host")),
                 qPrintable(failed.first().at(0).toString()));
        QVERIFY(failed.first().at(1).toString().contains(QLatin1String("SHA256:")));
    }

    void refusesAChangedHostKey()
    {
        SshCommandSource source(target(QStringLiteral("changed_known_hosts")), QStringLiteral("true"));
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(failed.wait(20000));
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("is not the one on record")),
                 qPrintable(failed.first().at(0).toString()));
        QVERIFY(failed.first().at(1).toString().contains(path(QStringLiteral("changed_known_hosts"))));
    }

    void reportsARefusedLogin()
    {
        SshCommandSource source(target(QStringLiteral("known_hosts"), QStringLiteral("stranger")), QStringLiteral("true"));
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(failed.wait(20000));
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("refused the SSH login")),
                 qPrintable(failed.first().at(0).toString()));
    }

    void failingCommandKeepsWhatArrivedAndSaysWhy()
    {
        RecordBuffer records;
        SshCommandSource source(target(), QStringLiteral("cat '%1'; echo 'no /dev/kvm here' >&2; exit 3").arg(m_recording));
        source.setSink(&records);
        QSignalSpy failed(&source, &Source::failed);
        source.start();
        QVERIFY(failed.wait(20000));
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("exited with status 3")),
                 qPrintable(failed.first().at(0).toString()));
        QCOMPARE(failed.first().at(1).toString(), QStringLiteral("no /dev/kvm here"));
        QVERIFY(records.size() > 200);
    }

    void stopEndsAnEndlessCommand()
    {
        SshCommandSource source(target(), QStringLiteral("cat '%1'; exec sleep 60").arg(m_recording));
        RecordBuffer records;
        source.setSink(&records);
        QSignalSpy finished(&source, &Source::finished);
        source.start();
        QTRY_VERIFY_WITH_TIMEOUT(records.size() > 200, 20000);
        QElapsedTimer clock;
        clock.start();
        source.stop();
        QVERIFY(clock.elapsed() < 5000);
        QCOMPARE(finished.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSshCommandSource)
#include "tst_sshcommandsource.moc"
