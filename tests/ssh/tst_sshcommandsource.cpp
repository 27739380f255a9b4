// SPDX-License-Identifier: GPL-3.0-or-later
// SshCommandSource against a real sshd on 127.0.0.1, started by the test with keys of its own.
#include "../gui/streamfixture.h"
#include "loopbacksshd.h"
#include "protocol/recordbuffer.h"
#include "sources/sshcommandsource.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QFile>


using namespace ExitScope;

class TestSshCommandSource : public QObject
{
    Q_OBJECT

private:
    TestFixture::LoopbackSshd m_sshd;
    QTemporaryDir m_dir;
    QString m_recording;
    int m_port = 0;

    QString path(const QString &name) const { return m_sshd.path(name); }
    SshTarget target(const QString &knownHosts = QStringLiteral("known_hosts"), const QString &key = QStringLiteral("user"))
    {
        return m_sshd.target(knownHosts, key);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_recording = m_dir.filePath(QStringLiteral("fixture.exs"));
        QVERIFY(TestFixture::writeStream(m_recording, TestFixture::makeStream()));
        const auto problem = m_sshd.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        m_port = m_sshd.port();
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

    // A source's thread that is busy (a GUI drawing, a store writing) holds the remote command back
    // through the SSH window: what waits for it stays bounded, and nothing is lost.
    void aBusyReaderHoldsTheSenderBack()
    {
        QFile fixture(m_recording);
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        const auto once = fixture.readAll();
        const auto big = m_dir.filePath(QStringLiteral("big.exs"));
        QFile out(big);
        QVERIFY(out.open(QIODevice::WriteOnly));
        qint64 size = 0;
        while (size < 32 * 1024 * 1024)
            size += out.write(once);
        out.close();

        SshCommandSource source(target(), QStringLiteral("cat '%1'").arg(big));
        RecordBuffer records;
        source.setSink(&records);
        QSignalSpy finished(&source, &Source::finished);
        source.start();
        QTRY_VERIFY_WITH_TIMEOUT(source.stats().bytes > 0, 20000);
        // This thread now parses nothing: the reader fills what may wait, and stops there.
        constexpr qint64 Bound = ThreadedSource::MaxBytesInFlight + 64 * 1024;
        QElapsedTimer clock;
        clock.start();
        while (source.bytesInFlight() < ThreadedSource::MaxBytesInFlight && clock.elapsed() < 20000)
            QThread::msleep(100);
        QThread::msleep(1000);
        const auto waiting = source.bytesInFlight();
        qInfo("%lld bytes waited while this thread was busy for %lld ms, of a %lld-byte stream", waiting,
              clock.elapsed(), size);
        QVERIFY2(waiting >= ThreadedSource::MaxBytesInFlight && waiting <= Bound, qPrintable(QString::number(waiting)));
        QVERIFY(finished.wait(60000));
        QCOMPARE(qint64(source.stats().bytes), size);
        QCOMPARE(source.bytesInFlight(), 0);
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
