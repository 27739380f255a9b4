// SPDX-License-Identifier: GPL-3.0-or-later
// SshSession, on which deployment runs, against a real sshd on 127.0.0.1.
#include "loopbacksshd.h"
#include "ssh/sshsession.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QTest>

#include <thread>

using namespace ExitScope;

class TestSshSession : public QObject
{
    Q_OBJECT

private:
    TestFixture::LoopbackSshd m_sshd;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const auto problem = m_sshd.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void runsCommandsWithInputAndStatus()
    {
        SshSession ssh(m_sshd.target());
        SshFailure failure;
        QVERIFY2(ssh.open(&failure), qPrintable(failure.message + failure.details));
        QVERIFY(ssh.hostKeyFingerprint().startsWith(QLatin1String("SHA256:")));
        SshSession::CommandResult result;
        QStringList lines;
        QVERIFY(ssh.run(QStringLiteral("sh -s -- one 'two words'"),
                        "printf '%s|' \"$@\"; echo progress 1 >&2; echo progress 2 >&2; exit 4\n", 30, &result, &failure,
                        [&](const QString &line) { lines << line; }));
        QCOMPARE(result.exitStatus, 4);
        QCOMPARE(result.standardOutput, QByteArray("one|two words|"));
        QCOMPARE(lines, QStringList({QStringLiteral("progress 1"), QStringLiteral("progress 2")}));
        // The session stays usable for the next command.
        QVERIFY(ssh.run(QStringLiteral("echo again"), QByteArray(), 30, &result, &failure));
        QCOMPARE(result.exitStatus, 0);
        QCOMPARE(result.standardOutput, QByteArray("again\n"));
    }

    void aCommandThatOutlivesItsTimeIsEnded()
    {
        SshSession ssh(m_sshd.target());
        SshFailure failure;
        QVERIFY(ssh.open(&failure));
        SshSession::CommandResult result;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(!ssh.run(QStringLiteral("echo started >&2; exec sleep 60"), QByteArray(), 2, &result, &failure));
        QCOMPARE(failure.code, SshError::TimedOut);
        QVERIFY(failure.message.contains(QLatin1String("did not end within 2 s")));
        QVERIFY(failure.details.contains(QLatin1String("started")));
        QVERIFY2(clock.elapsed() < 30000, "the timeout was not kept");
    }

    void cancelStopsACommand()
    {
        SshSession ssh(m_sshd.target());
        SshFailure failure;
        QVERIFY(ssh.open(&failure));
        std::atomic_bool cancel{false};
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            cancel = true;
        });
        SshSession::CommandResult result;
        const bool ran = ssh.run(QStringLiteral("exec sleep 60"), QByteArray(), 0, &result, &failure, {}, &cancel);
        canceller.join();
        QVERIFY(!ran);
        QCOMPARE(failure.code, SshError::Cancelled);
    }

    void uploadsOverSftp()
    {
        SshSession ssh(m_sshd.target());
        SshFailure failure;
        QVERIFY(ssh.open(&failure));
        QByteArray bytes;
        for (int i = 0; i < 200000; ++i)
            bytes += char(i * 7);
        QFile local(m_dir.filePath(QStringLiteral("local.bin")));
        QVERIFY(local.open(QIODevice::WriteOnly));
        QCOMPARE(local.write(bytes), qint64(bytes.size()));
        local.close();
        const auto remote = m_dir.filePath(QStringLiteral("remote.bin"));
        QVERIFY2(ssh.upload(local.fileName(), remote, 0750, &failure), qPrintable(failure.message + failure.details));
        QFile copy(remote);
        QVERIFY(copy.open(QIODevice::ReadOnly));
        QCOMPARE(copy.readAll(), bytes);
        QCOMPARE(QFileInfo(remote).permissions() & (QFileDevice::ExeOwner | QFileDevice::ExeOther), QFileDevice::ExeOwner);

        QVERIFY(!ssh.upload(m_dir.filePath(QStringLiteral("missing")), remote, 0644, &failure));
        QCOMPARE(failure.code, SshError::LocalFileFailed);
        QVERIFY(!ssh.upload(local.fileName(), QStringLiteral("/nonexistent-dir/x"), 0644, &failure));
        QCOMPARE(failure.code, SshError::TransferFailed);
        QVERIFY(failure.message.contains(QLatin1String("/nonexistent-dir/x")));
    }

    void refusesChangedAndUnknownKeysByCode()
    {
        SshFailure failure;
        SshSession changed(m_sshd.target(QStringLiteral("changed_known_hosts")));
        QVERIFY(!changed.open(&failure));
        QCOMPARE(failure.code, SshError::HostKeyChanged);
        QVERIFY(failure.details.contains(changed.hostKeyFingerprint()));
        SshSession unknown(m_sshd.target(QStringLiteral("empty_known_hosts")));
        QVERIFY(!unknown.open(&failure));
        QCOMPARE(failure.code, SshError::HostKeyUnknown);
        SshSession stranger(m_sshd.target(QStringLiteral("known_hosts"), QStringLiteral("stranger")));
        QVERIFY(!stranger.open(&failure));
        QCOMPARE(failure.code, SshError::LoginRefused);
        SshTarget nowhere = m_sshd.target();
        nowhere.port = 1; // nothing listens there
        SshSession closed(nowhere);
        QVERIFY(!closed.open(&failure, 5));
        QCOMPARE(failure.code, SshError::Unreachable);
    }
};

QTEST_GUILESS_MAIN(TestSshSession)
#include "tst_sshsession.moc"
