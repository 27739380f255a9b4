// SPDX-License-Identifier: GPL-3.0-or-later
// HostCounterReading: the one reading of the host's counters taken before a guest's start. The test
// emitter run as a command stands in for exitscope-probe, with the same stream.
#include "recording/hostcounterreading.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

namespace {
const QString Emitter = QStringLiteral(EXITSCOPE_TEST_EMITTER);
constexpr int Timeout = 30000;

QString failureOf(const QSignalSpy &failed)
{
    return failed.first().at(0).toString();
}
} // namespace

class TestHostCounterReading : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The first sample is the reading; the sender is not listened to any further.
    void theFirstSampleIsTheReading()
    {
        HostCounterReading reading;
        QSignalSpy read(&reading, &HostCounterReading::read);
        QSignalSpy failed(&reading, &HostCounterReading::failed);
        reading.start(SourceSpec::command(QStringLiteral("%1 --samples 100000 --interval-ms 5").arg(Emitter)));
        QVERIFY(reading.isActive());
        QVERIFY(read.wait(Timeout));
        QVERIFY(!reading.isActive());
        const auto sample = read.first().at(0).value<Sample>();
        // The emitter's first sample (tests/tools/syntheticstream.h).
        QCOMPARE(sample.seq, quint64(1));
        QCOMPARE(sample.exits, quint32(0xFFFFF000u + 1'003u));
        QCOMPARE(sample.cycles, 0x8000000000000000ULL + 1'003ULL * 1'500ULL);
        QTest::qWait(200);
        QCOMPARE(read.size(), 1);
        QVERIFY(failed.isEmpty());
    }

    // A host without counters, a sender that ends without a sample, one that says nothing, one that
    // does not exist: each fails once, saying why.
    void failuresSayWhy_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("timeoutSeconds");
        QTest::addColumn<QString>("expected");
        QTest::newRow("stock KVM") << QStringLiteral("%1 --abi 0 --samples 3").arg(Emitter) << 30
                                   << QStringLiteral("stock KVM");
        QTest::newRow("no sample") << QStringLiteral("%1 --samples 0").arg(Emitter) << 30
                                   << QStringLiteral("ended without a reading");
        QTest::newRow("silent") << QStringLiteral("sleep 30") << 1 << QStringLiteral("no reading within 1 s");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/exitscope-probe") << 30 << QStringLiteral("exitscope-probe");
    }

    void failuresSayWhy()
    {
        QFETCH(QString, command);
        QFETCH(int, timeoutSeconds);
        QFETCH(QString, expected);
        HostCounterReading reading;
        QSignalSpy read(&reading, &HostCounterReading::read);
        QSignalSpy failed(&reading, &HostCounterReading::failed);
        reading.start(SourceSpec::command(command), timeoutSeconds);
        QVERIFY(failed.wait(Timeout));
        QVERIFY2(failureOf(failed).contains(expected), qPrintable(failureOf(failed)));
        QTest::qWait(200);
        QCOMPARE(failed.size(), 1);
        QVERIFY(read.isEmpty());
        QVERIFY(!reading.isActive());
    }

    // Cancelled before the sender spoke: neither signal, ever.
    void cancelIsSilent()
    {
        HostCounterReading reading;
        QSignalSpy read(&reading, &HostCounterReading::read);
        QSignalSpy failed(&reading, &HostCounterReading::failed);
        reading.start(SourceSpec::command(QStringLiteral("sh -c \"sleep 0.5; exec %1 --samples 5\"").arg(Emitter)), 2);
        reading.cancel();
        QTest::qWait(2500);
        QVERIFY(read.isEmpty());
        QVERIFY(failed.isEmpty());
    }

    // Which hosts can be read before a start: SSH hosts through the probe over SSH, this machine
    // through a probe on the PATH, nothing else.
    void probeForUri()
    {
        const auto ssh = HostCounterReading::probeFor(QStringLiteral("qemu+libssh://root@l1:2222/system?keyfile=/k"));
        QVERIFY(ssh);
        QCOMPARE(ssh->kind, SourceSpec::Kind::HostProbe);
        QVERIFY(ssh->validate().isEmpty());
        QVERIFY(HostCounterReading::probeFor(QStringLiteral("qemu+ssh://root@l1/system")));
        QVERIFY(!HostCounterReading::probeFor(QStringLiteral("test:///default")));
        QVERIFY(!HostCounterReading::probeFor(QStringLiteral("qemu+tcp://l1/system")));

        QTemporaryDir bin;
        QVERIFY(bin.isValid());
        const auto savedPath = qgetenv("PATH");
        qputenv("PATH", bin.path().toLocal8Bit());
        QVERIFY(!HostCounterReading::probeFor(QStringLiteral("qemu:///system")));
        QFile probe(bin.filePath(QStringLiteral("exitscope-probe")));
        QVERIFY(probe.open(QIODevice::WriteOnly));
        probe.write("#!/bin/sh\n");
        probe.close();
        probe.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        const auto local = HostCounterReading::probeFor(QStringLiteral("qemu:///system"));
        qputenv("PATH", savedPath);
        QVERIFY(local);
        QCOMPARE(local->kind, SourceSpec::Kind::Command);
        QVERIFY(local->commandLine.contains(probe.fileName()));
    }
};

QTEST_GUILESS_MAIN(TestHostCounterReading)
#include "tst_hostcounterreading.moc"
