// SPDX-License-Identifier: GPL-3.0-or-later
// RecordingSession: what every front end records through. Real sources only: the test emitter run as a
// command, and recordings on disk.
#include "protocol/parserstats.h"
#include "recording/recordingsession.h"
#include "recording/sourcespec.h"
#include "series/exitseries.h"
#include "store/runstore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>
#include <unistd.h>

using namespace ExitScope;

namespace {
const QString Emitter = QStringLiteral(EXITSCOPE_TEST_EMITTER);
constexpr int Timeout = 30000;

RecordingSession::Outcome outcomeOf(const QSignalSpy &ended)
{
    return ended.first().at(1).value<RecordingSession::Outcome>();
}
} // namespace

class TestRecordingSession : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    RunStore m_store;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_store.open(m_dir.filePath(QStringLiteral("session.sqlite"))));
    }

    // A spec that cannot be recorded from is refused before any run exists, with a reason.
    void badSpecsAreRefusedWithoutARun()
    {
        RecordingSession session(&m_store);
        const auto before = m_store.listRuns().size();
        QVERIFY(!session.start(SourceSpec::replay(m_dir.filePath(QStringLiteral("missing.exs")), false), {}));
        QCOMPARE(session.startError(), RecordingSession::StartError::BadSpec);
        QVERIFY(session.lastError().contains(QLatin1String("missing.exs")));
        QVERIFY(!session.start(SourceSpec::command(QStringLiteral("   ")), {}));
        QVERIFY(!session.start(SourceSpec::hostProbe(QStringLiteral("qemu:///system"), 50), {}));
        QVERIFY(!session.start(SourceSpec::hostProbe(QStringLiteral("qemu+ssh://root@h/system"), 5000), {}));
        QVERIFY(!session.start(SourceSpec::guestAgent(QStringLiteral("qemu:///system"), QString(), false), {}));
        QCOMPARE(m_store.listRuns().size(), before);
        QCOMPARE(session.phase(), RecordingSession::Phase::Idle);
    }

    // The raw copy of a replay must not be the recording it reads, nor the run database: refused
    // before either is touched.
    void aRawCopyOverItsInputIsRefused()
    {
        const auto recording = m_dir.filePath(QStringLiteral("input.exs"));
        {
            QFile f(recording);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.write("not much of a recording, but it must survive") > 0);
        }
        const auto before = QFileInfo(recording).size();
        const auto runsBefore = m_store.listRuns().size();
        RecordingSession session(&m_store);
        RecordingSession::Options options;
        options.rawCopyPath = recording;
        QVERIFY(!session.start(SourceSpec::replay(recording, false), options));
        QCOMPARE(session.startError(), RecordingSession::StartError::Output);
        QVERIFY2(session.lastError().contains(QLatin1String("the recording being replayed")), qPrintable(session.lastError()));
        QCOMPARE(QFileInfo(recording).size(), before);
        options.rawCopyPath = m_store.path();
        QVERIFY(!session.start(SourceSpec::replay(recording, false), options));
        QVERIFY(session.lastError().contains(QLatin1String("the run database")));
        QCOMPARE(m_store.listRuns().size(), runsBefore);
    }

    // A source that fails inside the start itself ends the session, and it stays ended. A replay whose
    // file cannot be opened does that: here because the process has no file descriptor left.
    void aSourceThatFailsAtOnceEndsTheSession()
    {
        const auto recording = m_dir.filePath(QStringLiteral("tiny.exs"));
        {
            QFile file(recording);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("not even a header");
        }
        RecordingSession session(&m_store);
        QSignalSpy ended(&session, &RecordingSession::ended);
        // One run first, so that the store's own files (its write-ahead log) are open already.
        QVERIFY(session.start(SourceSpec::command(QStringLiteral("%1 --samples 1").arg(Emitter)), {}));
        QVERIFY(ended.wait(Timeout));
        ended.clear();
        rlimit saved{};
        QVERIFY(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        const int lowestFree = dup(0);
        QVERIFY(lowestFree >= 0);
        close(lowestFree);
        rlimit tight = saved;
        tight.rlim_cur = rlim_t(lowestFree); // every descriptor below it is in use: the next open fails (EMFILE)
        QVERIFY(setrlimit(RLIMIT_NOFILE, &tight) == 0);
        const bool started = session.start(SourceSpec::replay(recording, false), {});
        QVERIFY(setrlimit(RLIMIT_NOFILE, &saved) == 0);
        QVERIFY(started);
        QCOMPARE(ended.count(), 1);
        QCOMPARE(outcomeOf(ended), RecordingSession::Outcome::Failed);
        QVERIFY(ended.first().at(3).toString().contains(QLatin1String("tiny.exs")));
        QCOMPARE(session.phase(), RecordingSession::Phase::Ended);
        QVERIFY(!session.isActive());
        QTest::qWait(300); // nothing comes back to life
        QVERIFY(!session.isActive());
        QCOMPARE(ended.count(), 1);
    }

    // A program that does not exist: the session ends as failed, and as nothing arrived no run is
    // kept (failed starts used to pile up as empty "failed" runs).
    void aMissingProgramFails()
    {
        const auto runsBefore = m_store.listRuns().size();
        RecordingSession session(&m_store);
        QSignalSpy ended(&session, &RecordingSession::ended);
        QVERIFY(session.start(SourceSpec::command(QStringLiteral("/nonexistent/exitscope-sender")), {}));
        QVERIFY(ended.count() == 1 || ended.wait(Timeout));
        QCOMPARE(outcomeOf(ended), RecordingSession::Outcome::Failed);
        QVERIFY(!session.isActive());
        QCOMPARE(ended.first().at(0).toLongLong(), qint64(-1));
        QCOMPARE(session.runId(), qint64(-1));
        QCOMPARE(m_store.listRuns().size(), runsBefore);
    }

    // The duration counts from the sender's first record, not from the start: a sender that takes
    // 1.5 s to say anything still gets its whole second of recording.
    void durationCountsFromTheFirstRecord()
    {
        RecordingSession session(&m_store);
        QSignalSpy ended(&session, &RecordingSession::ended);
        QSignalSpy waiting(&session, &RecordingSession::waitingForSender);
        RecordingSession::Options options;
        options.durationSeconds = 1.0;
        options.senderTimeoutSeconds = 60;
        const auto spec = SourceSpec::command(QStringLiteral("sh -c \"sleep 1.5; exec %1 --samples 100000 --interval-ms 5\"").arg(Emitter));
        QVERIFY(session.start(spec, options));
        QCOMPARE(session.phase(), RecordingSession::Phase::WaitingForSender);
        QVERIFY(ended.wait(Timeout));
        QCOMPARE(outcomeOf(ended), RecordingSession::Outcome::Completed);
        QVERIFY2(session.secondsWaitedForSender() >= 1.4, qPrintable(QString::number(session.secondsWaitedForSender())));
        QVERIFY(!waiting.isEmpty());
        // About 200 samples a second were sent for the second that counted; far more than the half
        // second a duration counted from the start would have left.
        QVERIFY2(session.series()->size() >= 150, qPrintable(QString::number(session.series()->size())));
        RunInfo stored;
        QVERIFY(m_store.runInfo(session.runId(), &stored));
        QCOMPARE(stored.state, RunInfo::State::Complete);
        QCOMPARE(stored.sampleCount, qint64(session.series()->size()));
    }

    // A live sender that says nothing within the stated wait ends the session as NoSender; the run
    // is stored as failed with that reason.
    void aSilentSenderEndsAsNoSender()
    {
        RecordingSession session(&m_store);
        QSignalSpy ended(&session, &RecordingSession::ended);
        RecordingSession::Options options;
        options.senderTimeoutSeconds = 1;
        QVERIFY(session.start(SourceSpec::command(QStringLiteral("sleep 30")), options));
        QVERIFY(ended.wait(Timeout));
        QCOMPARE(outcomeOf(ended), RecordingSession::Outcome::NoSender);
        QVERIFY(ended.first().at(3).toString().contains(QLatin1String("within 1 s")));
        QCOMPARE(session.runId(), qint64(-1)); // it said nothing: no empty run is kept
    }

    // Stop is a good end; the raw copy holds exactly the bytes the parser saw; views keep their series.
    void stopKeepsWhatArrivedAndTheRawCopy()
    {
        RecordingSession session(&m_store);
        QSignalSpy ended(&session, &RecordingSession::ended);
        QSignalSpy updated(&session, &RecordingSession::updated);
        RecordingSession::Options options;
        options.rawCopyPath = m_dir.filePath(QStringLiteral("raw.exs"));
        QVERIFY(session.start(SourceSpec::command(QStringLiteral("%1 --samples 100000 --interval-ms 2").arg(Emitter)), options));
        const auto view = session.series();
        QTRY_VERIFY_WITH_TIMEOUT(view->size() >= 100, Timeout);
        session.stop();
        QVERIFY(ended.count() == 1 || ended.wait(Timeout));
        QCOMPARE(outcomeOf(ended), RecordingSession::Outcome::Stopped);
        const auto stats = ended.first().at(2).value<ParserStats>();
        QFile raw(options.rawCopyPath);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        QCOMPARE(quint64(raw.size()), stats.bytes);
        // Throttled: far fewer updates than records (the emitter writes one record per write).
        QVERIFY2(updated.size() < view->size(), qPrintable(QStringLiteral("%1 updates").arg(updated.size())));

        // A new recording gets a new series; the view of the old one still holds it whole.
        const int kept = view->size();
        QVERIFY(session.start(SourceSpec::command(QStringLiteral("%1 --samples 10").arg(Emitter)), {}));
        QVERIFY(ended.wait(Timeout));
        QCOMPARE(view->size(), kept);
        QVERIFY(session.series() != view);
        QCOMPARE(session.series()->size(), 10);
    }

    // Only one recording at a time.
    void aSecondStartIsRefusedWhileRecording()
    {
        RecordingSession session(&m_store);
        QSignalSpy ended(&session, &RecordingSession::ended);
        QVERIFY(session.start(SourceSpec::command(QStringLiteral("%1 --samples 100000 --interval-ms 5").arg(Emitter)), {}));
        QVERIFY(!session.start(SourceSpec::command(QStringLiteral("%1 --samples 1").arg(Emitter)), {}));
        QCOMPARE(session.startError(), RecordingSession::StartError::Busy);
        session.stop();
        QVERIFY(ended.count() == 1 || ended.wait(Timeout));
    }
};

QTEST_MAIN(TestRecordingSession)
#include "tst_recordingsession.moc"
