// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/filereplaysource.h"
#include "sources/processsource.h"
#include "protocol/recordbuffer.h"
#include "recording/recorder.h"
#include "store/runstore.h"
#include "protocol/streamwriter.h"
#include "syntheticstream.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

namespace {

constexpr quint64 PeriodNs = 10'000'000; // what the emitter and syntheticstream.h use
constexpr int Timeout = 30'000;

// Counts what a replay delivers.
class CountingSink : public RecordSink
{
public:
    QVector<quint64> sampleSeqs;
    QVector<QPair<quint64, quint64>> gaps;
    int handshakes = 0;
    int markers = 0;

    void handshake(const Handshake &) override { ++handshakes; }
    void sample(const Sample &s) override { sampleSeqs.append(s.seq); }
    void marker(const Marker &) override { ++markers; }
    void gap(quint64 first, quint64 last) override { gaps.append({first, last}); }
};

// handshake, samples 1..count (10 ms apart), a marker after every 25th sample
QByteArray syntheticFile(int count, quint64 periodNs = PeriodNs)
{
    QByteArray out;
    StreamWriter::append(out, Synthetic::handshake(periodNs));
    quint64 seq = 1;
    for (int i = 1; i <= count; ++i) {
        StreamWriter::append(out, Synthetic::sample(seq, periodNs));
        ++seq;
        if (i % 25 == 0) {
            StreamWriter::append(out, Synthetic::marker(seq, periodNs - 1, QStringLiteral("after %1").arg(i)));
            ++seq;
        }
    }
    return out;
}

// Offsets of each record in a stream of well-formed records.
QVector<qsizetype> recordOffsets(const QByteArray &bytes)
{
    QVector<qsizetype> offsets;
    for (qsizetype pos = 0; pos < bytes.size(); pos += 16 + quint8(bytes.at(pos + 3)))
        offsets.append(pos);
    return offsets;
}

QVector<quint64> storedSampleSeqs(RunStore *store, qint64 runId)
{
    CountingSink sink;
    if (!store->replay(runId, &sink))
        return {};
    return sink.sampleSeqs;
}

// The seqs of the samples in syntheticFile(count): every 25th sample is followed by a marker.
QVector<quint64> syntheticSampleSeqs(int count)
{
    QVector<quint64> seqs;
    for (int i = 1; i <= count; ++i)
        seqs.append(quint64(i + (i - 1) / 25));
    return seqs;
}

QVector<quint64> seqRange(quint64 first, quint64 last)
{
    QVector<quint64> seqs;
    for (auto s = first; s <= last; ++s)
        seqs.append(s);
    return seqs;
}

} // namespace

class TestRecorder : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_files = 0;

    QString writeFile(const QByteArray &bytes)
    {
        const auto path = m_dir.filePath(QStringLiteral("rec-%1.exs").arg(++m_files));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            return {};
        return path;
    }

    // Runs a source to its end outside any recorder; returns false if it failed or hung.
    static bool runSource(Source *source, RecordSink *sink)
    {
        QSignalSpy finished(source, &Source::finished);
        QSignalSpy failed(source, &Source::failed);
        source->setSink(sink);
        source->start();
        QElapsedTimer clock;
        clock.start();
        while (finished.isEmpty() && failed.isEmpty() && clock.elapsed() < Timeout)
            QTest::qWait(5);
        return finished.size() == 1 && failed.isEmpty();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void fastReplayDeliversEverything()
    {
        const auto bytes = syntheticFile(300);
        FileReplaySource source(writeFile(bytes), FileReplaySource::Pace::Fast);
        QVERIFY(source.description().contains(QStringLiteral("rec-")));
        QSignalSpy progress(&source, &Source::progress);
        CountingSink sink;
        QVERIFY(runSource(&source, &sink));
        QCOMPARE(sink.handshakes, 1);
        QCOMPARE(sink.sampleSeqs, syntheticSampleSeqs(300));
        QCOMPARE(sink.markers, 12);
        QVERIFY(source.stats().clean());
        QCOMPARE(source.stats().bytes, quint64(bytes.size()));
        QVERIFY(!source.isRunning());
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().at(0).toLongLong(), qint64(bytes.size()));
        QCOMPARE(progress.last().at(1).toLongLong(), qint64(bytes.size()));
    }

    void recorderStoresAFastReplay()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("fast.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QSignalSpy handshakes(&recorder, &Recorder::handshakeReceived);
        RunInfo info;
        info.name = QStringLiteral("fast replay");
        QVERIFY(recorder.start(new FileReplaySource(writeFile(syntheticFile(300)), FileReplaySource::Pace::Fast), info));
        QVERIFY(recorder.isRecording());
        QVERIFY(finished.wait(Timeout));
        QCOMPARE(finished.first().at(0).toLongLong(), recorder.runId());
        QVERIFY(!recorder.isRecording());
        QCOMPARE(handshakes.size(), 1);
        QCOMPARE(recorder.series().size(), 300);
        QCOMPARE(recorder.series().markers().size(), 12);
        RunInfo stored;
        QVERIFY(store.runInfo(recorder.runId(), &stored));
        QCOMPARE(stored.name, QStringLiteral("fast replay"));
        QCOMPARE(stored.state, RunInfo::State::Complete);
        QCOMPARE(stored.sampleCount, qint64(300));
        QCOMPARE(stored.markerCount, qint64(12));
        QVERIFY(stored.source.contains(QStringLiteral("replay of rec-")));
        QVERIFY2(stored.leafLayout.contains(QStringLiteral("0x4fffffff")), qPrintable(stored.leafLayout));
        QCOMPARE(storedSampleSeqs(&store, recorder.runId()), syntheticSampleSeqs(300));
    }

    // An agent's handshake names the guest it runs in, a probe's the host; what the user gave wins.
    void handshakeFillsTheOriginTheUserLeftOpen()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("origin.sqlite"))));
        const auto stream = [this](SourceKind kind, const QString &host) {
            QByteArray out;
            auto h = Synthetic::handshake(PeriodNs);
            h.sourceKind = kind;
            h.host = host;
            StreamWriter::append(out, h);
            for (quint64 seq = 1; seq <= 5; ++seq)
                StreamWriter::append(out, Synthetic::sample(seq, PeriodNs));
            return writeFile(out);
        };
        const auto record = [&](const QString &file, const RunInfo &info) {
            Recorder recorder(&store);
            QSignalSpy finished(&recorder, &Recorder::finished);
            if (!recorder.start(new FileReplaySource(file, FileReplaySource::Pace::Fast), info) || !finished.wait(Timeout))
                return RunInfo{};
            RunInfo stored;
            store.runInfo(recorder.runId(), &stored);
            return stored;
        };
        auto stored = record(stream(SourceKind::GuestAgent, QStringLiteral("exitscope-l2")), {});
        QCOMPARE(stored.guest, QStringLiteral("exitscope-l2"));
        QVERIFY(stored.host.isEmpty());
        stored = record(stream(SourceKind::HostProbe, QStringLiteral("l1-host")), {});
        QCOMPARE(stored.host, QStringLiteral("l1-host"));
        QVERIFY(stored.guest.isEmpty());
        RunInfo given;
        given.guest = QStringLiteral("named by the user");
        stored = record(stream(SourceKind::GuestAgent, QStringLiteral("exitscope-l2")), given);
        QCOMPARE(stored.guest, QStringLiteral("named by the user"));
    }

    // The CLI's --subtract-own and the GUI's toggle are set before the recording starts.
    void subtractionChosenBeforeStartApplies()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("subtract.sqlite"))));
        Recorder recorder(&store);
        recorder.series().setSubtractOwnExits(true);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QVERIFY(recorder.start(new FileReplaySource(writeFile(syntheticFile(50)), FileReplaySource::Pace::Fast), {}));
        QVERIFY(finished.wait(Timeout));
        QVERIFY(recorder.series().subtractOwnExits());
        const auto &series = recorder.series();
        QVERIFY(series.size() > 2);
        QVERIFY(series.at(2).deltaOwn > 0);
        QCOMPARE(series.exitsInInterval(2), series.at(2).deltaExits - series.at(2).deltaOwn);
    }

    // A long recording replayed fast goes to the store in large early flushes; nothing is lost.
    void largeFastReplayIsStoredCompletely()
    {
        constexpr int Count = 120'000;
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("large.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(recorder.start(new FileReplaySource(writeFile(syntheticFile(Count)), FileReplaySource::Pace::Fast), {}));
        QVERIFY(finished.wait(120'000));
        qInfo("%d samples replayed into the store in %lld ms", Count, clock.elapsed());
        RunInfo stored;
        QVERIFY(store.runInfo(recorder.runId(), &stored));
        QCOMPARE(stored.sampleCount, qint64(Count));
        QCOMPARE(stored.markerCount, qint64(Count / 25));
        QCOMPARE(storedSampleSeqs(&store, recorder.runId()), syntheticSampleSeqs(Count));
        QCOMPARE(recorder.series().size(), Count);
        // The unwrapped total is exact: 1,003 exits per sample seq step, markers included.
        const auto &last = recorder.series().points().last();
        QCOMPARE(last.exitsTotal, (last.seq - 1) * 1'003ULL);
    }

    // About 0.5 s of timestamps replays in about 0.5 s, records arriving as their time comes.
    void pacedReplayTakesTheRecordedTime()
    {
        const auto path = writeFile(syntheticFile(50)); // 0.51 s from the first sample to the last marker
        FileReplaySource source(path, FileReplaySource::Pace::Recorded);
        QVERIFY(source.description().contains(QStringLiteral("recorded speed")));
        QSignalSpy delivered(&source, &Source::recordsDelivered);
        CountingSink sink;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(runSource(&source, &sink));
        const auto elapsed = clock.elapsed();
        qInfo("0.51 s of records replayed in %lld ms, in %lld deliveries", elapsed, qint64(delivered.size()));
        QCOMPARE(sink.sampleSeqs.size(), 50);
        QVERIFY2(elapsed >= 400, qPrintable(QString::number(elapsed)));
        QVERIFY2(elapsed < 10'000, qPrintable(QString::number(elapsed)));
        QVERIFY(delivered.size() >= 5); // progressively, not at once

        FileReplaySource faster(path, FileReplaySource::Pace::Recorded, 4.0);
        CountingSink sink4;
        clock.restart();
        QVERIFY(runSource(&faster, &sink4));
        const auto elapsed4 = clock.elapsed();
        qInfo("at 4x: %lld ms", elapsed4);
        QCOMPARE(sink4.sampleSeqs.size(), 50);
        QVERIFY2(elapsed4 >= 100 && elapsed4 < 10'000, qPrintable(QString::number(elapsed4)));
    }

    // Paced replay reads the file a little ahead of its clock, not whole: what it holds stays bounded
    // by its read-ahead however long the recording is.
    void pacedReplayHoldsABoundedReadAhead()
    {
        constexpr int Count = 200'000;
        QByteArray bytes; // 1 s of samples at 200 kHz
        StreamWriter::append(bytes, Synthetic::handshake(5'000));
        for (int seq = 1; seq <= Count; ++seq)
            StreamWriter::append(bytes, Synthetic::sample(quint64(seq), 5'000));
        const auto path = writeFile(bytes);
        FileReplaySource source(path, FileReplaySource::Pace::Recorded);
        qsizetype mostHeld = 0;
        connect(&source, &Source::recordsDelivered, this, [&] { mostHeld = qMax(mostHeld, source.heldRecords()); });
        CountingSink sink;
        QVERIFY(runSource(&source, &sink));
        QCOMPARE(sink.sampleSeqs.size(), Count);
        QCOMPARE(source.heldRecords(), 0);
        // One chunk more than the read-ahead at most: 256 KiB of the smallest records (16 bytes).
        constexpr qsizetype Bound = FileReplaySource::ReadAheadRecords + 256 * 1024 / 16;
        qInfo("%d samples replayed holding at most %lld decoded records", Count, qint64(mostHeld));
        QVERIFY2(mostHeld > 0 && mostHeld <= Bound, qPrintable(QString::number(mostHeld)));
    }

    // A timestamp that jumps far ahead (here by about 30 years) pauses paced replay briefly, not for
    // as long as it claims.
    void pacedReplayDoesNotWaitForATimestampFarAhead()
    {
        QByteArray bytes;
        StreamWriter::append(bytes, Synthetic::handshake(PeriodNs));
        StreamWriter::append(bytes, Synthetic::sample(1, PeriodNs));
        StreamWriter::append(bytes, Synthetic::sample(2, PeriodNs));
        auto far = Synthetic::sample(3, PeriodNs);
        far.tNs += quint64(1) << 60;
        StreamWriter::append(bytes, far);
        auto after = Synthetic::sample(4, PeriodNs);
        after.tNs = far.tNs + PeriodNs;
        StreamWriter::append(bytes, after);
        FileReplaySource source(writeFile(bytes), FileReplaySource::Pace::Recorded);
        CountingSink sink;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(runSource(&source, &sink));
        QCOMPARE(sink.sampleSeqs, (QList<quint64>{1, 2, 3, 4}));
        qInfo("replayed a jump of 2^60 ns in %lld ms", clock.elapsed());
        QVERIFY2(clock.elapsed() < 10'000, qPrintable(QString::number(clock.elapsed())));
    }

    void missingRecordingFails()
    {
        const auto path = m_dir.filePath(QStringLiteral("no-such-recording.exs"));
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("missing.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QVERIFY(recorder.start(new FileReplaySource(path, FileReplaySource::Pace::Fast), {}));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, Timeout);
        QVERIFY(failed.first().at(1).toString().contains(path));
        QVERIFY(!failed.first().at(2).toString().isEmpty());
        QCOMPARE(recorder.runId(), qint64(-1)); // nothing was read: no empty run is kept
        QVERIFY(store.listRuns().isEmpty());
    }

    void commandThatSucceedsIsStored()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("cmd-ok.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QSignalSpy failed(&recorder, &Recorder::failed);
        auto source = new ProcessSource(QStringLiteral(EXITSCOPE_TEST_EMITTER),
                                        {QStringLiteral("--samples"), QStringLiteral("40"),
                                         QStringLiteral("--interval-ms"), QStringLiteral("2")});
        QVERIFY(source->description().contains(QStringLiteral("--samples 40")));
        QVERIFY(recorder.start(source, {}));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), Timeout);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
        QCOMPARE(storedSampleSeqs(&store, recorder.runId()), seqRange(1, 40));
        RunInfo stored;
        QVERIFY(store.runInfo(recorder.runId(), &stored));
        QCOMPARE(stored.state, RunInfo::State::Complete);
        QVERIFY(stored.failure.isEmpty());
    }

    // Another process holding the write lock for longer than the busy timeout (a delete of a large
    // run takes about 1 s per 800,000 samples) used to end a live recording. The records now wait
    // in memory and are written when the lock is let go; nothing is lost.
    void aLongWriteLockDelaysButDoesNotEndARecording()
    {
        const auto path = m_dir.filePath(QStringLiteral("locked.sqlite"));
        RunStore store;
        QVERIFY(store.open(path));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QSignalSpy blocked(&recorder, &Recorder::storeBlocked);
        QSignalSpy resumed(&recorder, &Recorder::storeResumed);
        QVERIFY(recorder.start(new ProcessSource(QStringLiteral(EXITSCOPE_TEST_EMITTER),
                                                 {QStringLiteral("--samples"), QStringLiteral("400"),
                                                  QStringLiteral("--interval-ms"), QStringLiteral("20")}),
                               {}));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.series().size() > 0, Timeout);

        auto locker = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("locker"));
        locker.setDatabaseName(path);
        QVERIFY(locker.open());
        {
            QSqlQuery lock(locker);
            QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE"))); // the write lock, as a long delete holds it
        }
        constexpr int HeldMs = RunStore::DefaultBusyTimeoutMs + 1500;
        QElapsedTimer held;
        held.start();
        while (held.elapsed() < HeldMs && failed.isEmpty())
            QTest::qWait(50);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
        QVERIFY(!blocked.isEmpty());
        QVERIFY(blocked.last().at(0).toLongLong() > 0); // records waiting
        {
            QSqlQuery unlock(locker);
            QVERIFY(unlock.exec(QStringLiteral("COMMIT")));
        }
        locker.close();
        locker = {};
        QSqlDatabase::removeDatabase(QStringLiteral("locker"));

        QTRY_VERIFY_WITH_TIMEOUT(!resumed.isEmpty(), Timeout);
        QVERIFY(resumed.first().at(0).toLongLong() >= RunStore::DefaultBusyTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), Timeout);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
        QCOMPARE(storedSampleSeqs(&store, recorder.runId()), seqRange(1, 400));
    }

    void commandThatFailsKeepsWhatItSent()
    {
        const auto why = QStringLiteral("exitscope-probe: cannot open /dev/kvm: Permission denied");
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("cmd-fail.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QVERIFY(recorder.start(new ProcessSource(QStringLiteral(EXITSCOPE_TEST_EMITTER),
                                                 {QStringLiteral("--samples"), QStringLiteral("15"),
                                                  QStringLiteral("--exit"), QStringLiteral("3"),
                                                  QStringLiteral("--stderr"), why}),
                               {}));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), Timeout);
        QVERIFY(finished.isEmpty());
        QCOMPARE(failed.size(), 1);
        const auto message = failed.first().at(1).toString();
        const auto details = failed.first().at(2).toString();
        QVERIFY2(message.contains(QStringLiteral("exited with status 3")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("exitscope-test-emitter")), qPrintable(message));
        QCOMPARE(details, why);
        QCOMPARE(storedSampleSeqs(&store, recorder.runId()), seqRange(1, 15));
        RunInfo stored;
        QVERIFY(store.runInfo(recorder.runId(), &stored));
        QCOMPARE(stored.state, RunInfo::State::Failed);
        QCOMPARE(stored.failure, message);
    }

    // The user stops a live recording: the command is ended, what it sent is stored, the run is complete.
    void stoppingALiveCommandCompletesTheRun()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("cmd-stop.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QSignalSpy updated(&recorder, &Recorder::updated);
        QVERIFY(recorder.start(new ProcessSource(QStringLiteral(EXITSCOPE_TEST_EMITTER),
                                                 {QStringLiteral("--samples"), QStringLiteral("100000"),
                                                  QStringLiteral("--interval-ms"), QStringLiteral("5")}),
                               {}));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.series().size() >= 20, Timeout);
        recorder.stop();
        QVERIFY(!recorder.isRecording());
        QCOMPARE(finished.size(), 1);
        QVERIFY(failed.isEmpty());
        QVERIFY(!updated.isEmpty());
        const auto seqs = storedSampleSeqs(&store, recorder.runId());
        QVERIFY(seqs.size() >= 20 && seqs.size() < 100000);
        QCOMPARE(seqs, seqRange(1, quint64(seqs.size())));
        QCOMPARE(qsizetype(recorder.series().size()), seqs.size());
        RunInfo stored;
        QVERIFY(store.runInfo(recorder.runId(), &stored));
        QCOMPARE(stored.state, RunInfo::State::Complete);
        QVERIFY(stored.finishedAt.isValid());
    }

    // What libvirt reports of the guest becomes a marker of the run at the sender's latest time,
    // stored and replayed where it arrived.
    void hostMarkersAreStoredWhereTheyArrived()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("host-marker.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QVERIFY(recorder.start(new ProcessSource(QStringLiteral(EXITSCOPE_TEST_EMITTER),
                                                 {QStringLiteral("--samples"), QStringLiteral("100000"),
                                                  QStringLiteral("--interval-ms"), QStringLiteral("5")}),
                               {}));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.series().size() >= 10, Timeout);
        recorder.hostMarker(MarkerKind::HostEvent, QStringLiteral("guest: shut down"));
        const auto lastT = recorder.series().at(recorder.series().size() - 1).t;
        QTRY_VERIFY_WITH_TIMEOUT(recorder.series().size() >= 20, Timeout);
        recorder.stop();
        QCOMPARE(finished.size(), 1);
        const auto &markers = recorder.series().markers();
        const auto live = std::find_if(markers.begin(), markers.end(),
                                       [](const SeriesMarker &m) { return m.marker.kind == MarkerKind::HostEvent; });
        QVERIFY(live != markers.end());
        QCOMPARE(live->marker.text, QStringLiteral("guest: shut down"));
        QVERIFY(std::abs(live->t - lastT) < 1e-9);

        ExitSeries replayed;
        QVERIFY(store.replay(recorder.runId(), &replayed));
        QCOMPARE(replayed.size(), recorder.series().size());
        QCOMPARE(replayed.markers().size(), markers.size());
        const auto stored = std::find_if(replayed.markers().begin(), replayed.markers().end(),
                                         [](const SeriesMarker &m) { return m.marker.kind == MarkerKind::HostEvent; });
        QVERIFY(stored != replayed.markers().end());
        QCOMPARE(stored->marker.text, live->marker.text);
        QCOMPARE(stored->sampleIndex, live->sampleIndex);
        QCOMPARE(markerKindName(MarkerKind::HostEvent), QStringLiteral("host-event"));
    }

    void missingProgramFails()
    {
        const auto program = QStringLiteral("exitscope-no-such-program-%1").arg(QCoreApplication::applicationPid());
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("cmd-missing.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QVERIFY(recorder.start(new ProcessSource(program, {QStringLiteral("--rate"), QStringLiteral("20")}), {}));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, Timeout);
        const auto message = failed.first().at(1).toString();
        const auto details = failed.first().at(2).toString();
        QVERIFY2(message.contains(QStringLiteral("Cannot run")) && message.contains(program), qPrintable(message));
        QVERIFY2(details.contains(QStringLiteral("PATH")), qPrintable(details));
        // Nothing arrived: no empty "failed" run is left behind (failed starts used to pile up).
        QCOMPARE(failed.first().at(0).toLongLong(), qint64(-1));
        QCOMPARE(recorder.runId(), qint64(-1));
        QVERIFY(store.listRuns().isEmpty());
        QVERIFY(!recorder.isRecording());
    }

    void unsupportedProtocolMajorFailsTheRun()
    {
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("major.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QVERIFY(recorder.start(new ProcessSource(QStringLiteral(EXITSCOPE_TEST_EMITTER),
                                                 {QStringLiteral("--major"), QStringLiteral("2")}),
                               {}));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), Timeout);
        QVERIFY(finished.isEmpty());
        const auto message = failed.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("protocol 2.0")), qPrintable(message));
        QVERIFY(storedSampleSeqs(&store, recorder.runId()).isEmpty()); // nothing a v1 reader cannot read
        QCOMPARE(recorder.series().size(), 0);
        RunInfo stored;
        QVERIFY(store.runInfo(recorder.runId(), &stored));
        QCOMPARE(stored.state, RunInfo::State::Failed);

        // The same from a file, counted as rejected.
        QByteArray bytes;
        auto v2 = Synthetic::handshake(PeriodNs);
        v2.protocolMajor = 2;
        StreamWriter::append(bytes, v2);
        for (quint64 seq = 1; seq <= 5; ++seq)
            StreamWriter::append(bytes, Synthetic::sample(seq, PeriodNs));
        FileReplaySource source(writeFile(bytes), FileReplaySource::Pace::Fast);
        CountingSink sink;
        QVERIFY(runSource(&source, &sink));
        QVERIFY(sink.sampleSeqs.isEmpty());
        QCOMPARE(source.stats().rejected, quint64(5));
    }

    // Damage in the middle of a recording loses the damaged records only; the stats say what happened.
    void corruptStreamLosesOnlyTheDamagedRecords()
    {
        auto bytes = syntheticFile(100);
        const auto offsets = recordOffsets(bytes);
        QCOMPARE(offsets.size(), 1 + 100 + 4);
        // Record index == sample seq for the first 25 samples (index 0 is the handshake).
        bytes[offsets.at(10) + 20] = char(bytes.at(offsets.at(10) + 20) ^ 0x01); // sample 10: CRC fails
        bytes[offsets.at(20) + 3] = char(0xFF); // sample 20: length byte damaged, frame claims 271 bytes
        // Line noise between samples 22 and 23, with a false sync word in it.
        bytes.insert(offsets.at(23), QByteArray("noise \xE5\x58 noise", 14));

        FileReplaySource source(writeFile(bytes), FileReplaySource::Pace::Fast);
        CountingSink sink;
        QVERIFY(runSource(&source, &sink));
        auto expected = syntheticSampleSeqs(100);
        QCOMPARE(expected.at(9), quint64(10));
        QCOMPARE(expected.at(19), quint64(20));
        expected.removeOne(20);
        expected.removeOne(10);
        QCOMPARE(sink.sampleSeqs, expected);
        QCOMPARE(sink.markers, 4);
        const auto &stats = source.stats();
        QCOMPARE(stats.malformed, quint64(3));
        QCOMPARE(stats.skippedBytes, quint64(44 + 44 + 14));
        QCOMPARE(stats.gaps, quint64(2));
        QCOMPARE(stats.lostRecords, quint64(2));
        QCOMPARE(sink.gaps, (QVector<QPair<quint64, quint64>>{{10, 10}, {20, 20}}));

        // Through the recorder: the same records and the gaps are stored, and the run says it was
        // damaged and how (it used to be "complete", with no word of the damage once the replay ended).
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("corrupt.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QVERIFY(recorder.start(new FileReplaySource(writeFile(bytes), FileReplaySource::Pace::Fast), {}));
        QVERIFY(finished.wait(Timeout));
        CountingSink stored;
        QVERIFY(store.replay(recorder.runId(), &stored));
        QCOMPARE(stored.sampleSeqs, expected);
        QCOMPARE(stored.gaps, sink.gaps);
        QCOMPARE(recorder.series().size(), 98);
        QVERIFY(recorder.series().at(9).flags & SeriesPoint::GapBefore); // sample 11, after the lost 10
        RunInfo info;
        QVERIFY(store.runInfo(recorder.runId(), &info));
        QCOMPARE(info.state, RunInfo::State::Damaged);
        QCOMPARE(recorder.info().state, RunInfo::State::Damaged);
        QVERIFY2(info.failure.contains(QStringLiteral("3 damaged record(s)")), qPrintable(info.failure));
        QVERIFY2(info.failure.contains(QStringLiteral("2 record(s) lost in 2 gap(s)")), qPrintable(info.failure));
    }

    // Records missing with every byte sound (a sender dropped what it could not deliver): a gap, not
    // damage. The run is complete and the gap is replayed where it was.
    void aGapAloneIsNotDamage()
    {
        auto bytes = syntheticFile(100);
        const auto offsets = recordOffsets(bytes);
        bytes.remove(offsets.at(10), offsets.at(11) - offsets.at(10)); // sample 10, whole
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("gap-only.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QVERIFY(recorder.start(new FileReplaySource(writeFile(bytes), FileReplaySource::Pace::Fast), {}));
        QVERIFY(finished.wait(Timeout));
        QCOMPARE(recorder.streamStats().gaps, quint64(1));
        QVERIFY(!recorder.streamStats().damaged());
        RunInfo info;
        QVERIFY(store.runInfo(recorder.runId(), &info));
        QCOMPARE(info.state, RunInfo::State::Complete);
        CountingSink stored;
        QVERIFY(store.replay(recorder.runId(), &stored));
        QCOMPARE(stored.gaps, (QVector<QPair<quint64, quint64>>{{10, 10}}));
    }

    // A text file, random bytes: nothing in them is a record. That used to be an empty "complete" run.
    void inputWithoutAValidRecordFails_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("text") << QByteArray("This is a README, not a recording.\n").repeated(40);
        QByteArray noise(8192, Qt::Uninitialized);
        QRandomGenerator rng(99);
        rng.fillRange(reinterpret_cast<quint32 *>(noise.data()), noise.size() / 4);
        QTest::newRow("random") << noise;
    }
    void inputWithoutAValidRecordFails()
    {
        QFETCH(QByteArray, bytes);
        RunStore store;
        QVERIFY(store.open(m_dir.filePath(QStringLiteral("novalid.sqlite"))));
        Recorder recorder(&store);
        QSignalSpy failed(&recorder, &Recorder::failed);
        QSignalSpy finished(&recorder, &Recorder::finished);
        QVERIFY(recorder.start(new FileReplaySource(writeFile(bytes), FileReplaySource::Pace::Fast), {}));
        QVERIFY(failed.wait(Timeout));
        QVERIFY(finished.isEmpty());
        QVERIFY2(failed.at(0).at(1).toString().contains(QStringLiteral("no valid ExitScope record (%1 bytes read)").arg(bytes.size())),
                 qPrintable(failed.at(0).at(1).toString()));
        RunInfo info;
        QVERIFY(store.runInfo(recorder.runId(), &info));
        QCOMPARE(info.state, RunInfo::State::Failed);
    }

    // A damaged length byte close to the end claims more bytes than the file has left; the whole
    // records inside that claim must still be found.
    void damagedLengthNearTheEndLosesOnlyThatRecord()
    {
        auto bytes = syntheticFile(100);
        const auto offsets = recordOffsets(bytes);
        const auto sample97 = offsets.at(offsets.size() - 5); // then samples 98, 99, 100 and a marker
        bytes[sample97 + 3] = char(0xFF);
        FileReplaySource source(writeFile(bytes), FileReplaySource::Pace::Fast);
        CountingSink sink;
        QVERIFY(runSource(&source, &sink));
        QCOMPARE(sink.sampleSeqs.size(), 99);
        QCOMPARE(sink.sampleSeqs.mid(96), (QVector<quint64>{101, 102, 103})); // markers took 3 seqs before
        QCOMPARE(sink.markers, 4);
        QCOMPARE(source.stats().malformed, quint64(1));
        QCOMPARE(source.stats().skippedBytes, quint64(44));
    }
};

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
