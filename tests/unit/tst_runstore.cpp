// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/recordbuffer.h"
#include "store/runstore.h"
#include "syntheticstream.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>

using namespace ExitScope;

namespace {

// Everything a replay delivers, in order, with every field.
class LoggingSink : public RecordSink
{
public:
    QStringList log;
    QVector<Sample> samples;

    void handshake(const Handshake &h) override
    {
        log << QStringLiteral("H %1 %2 %3 %4 %5 %6").arg(h.seq).arg(h.sessionId).arg(h.periodNs).arg(h.sender, h.host)
                   .arg(int(h.cpuVendor));
    }
    void sample(const Sample &s) override
    {
        samples.append(s);
        log << QStringLiteral("S %1 %2 %3 %4 %5").arg(s.seq).arg(s.tNs).arg(s.exits).arg(s.cycles).arg(s.ownCpuid);
    }
    void marker(const Marker &m) override
    {
        log << QStringLiteral("M %1 %2 %3 %4 %5 %6 %7 %8")
                   .arg(m.seq)
                   .arg(m.tNs)
                   .arg(m.exits)
                   .arg(m.cycles)
                   .arg(int(m.kind))
                   .arg(m.flags)
                   .arg(m.span)
                   .arg(m.text);
    }
    void heartbeat(const Heartbeat &h) override { log << QStringLiteral("B %1 %2 %3").arg(h.seq).arg(h.tNs).arg(h.dropped); }
    void error(const ErrorRecord &e) override
    {
        log << QStringLiteral("E %1 %2 %3 %4").arg(e.seq).arg(e.tNs).arg(e.code).arg(e.text);
    }
    void reasonSample(const ReasonSample &r) override
    {
        log << QStringLiteral("R %1 %2 %3 %4 %5").arg(r.seq).arg(r.tNs).arg(r.reason).arg(r.exits).arg(r.cycles);
    }
    void gap(quint64 first, quint64 last) override { log << QStringLiteral("G %1 %2").arg(first).arg(last); }
};

QStringList logOf(const QVector<BufferedRecord> &records)
{
    LoggingSink sink;
    for (const auto &r : records)
        RecordBuffer::deliver(r, &sink);
    return sink.log;
}

Marker makeMarker(quint64 seq, MarkerKind kind, quint32 span, const QString &text)
{
    Marker m;
    m.seq = seq;
    m.tNs = seq * 1000;
    m.kind = kind;
    m.span = span;
    m.text = text;
    return m;
}

RunInfo makeInfo(const QString &name)
{
    RunInfo info;
    info.name = name;
    info.host = QStringLiteral("l1-host");
    info.kernel = QStringLiteral("6.1.0-exitscope");
    info.guest = QStringLiteral("l2-debian");
    info.source = QStringLiteral("command: exitscope-probe");
    info.leafLayout = QStringLiteral("total 0x4fffffff");
    info.notes = QStringLiteral("first try");
    info.startedAt = QDateTime(QDate(2026, 3, 4), QTime(5, 6, 7, 890), Qt::UTC);
    return info;
}

} // namespace

class TestRunStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString dbPath(const QString &name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void createListRenameNotesDelete()
    {
        RunStore store;
        QVERIFY2(store.open(dbPath(QStringLiteral("crud.sqlite"))), qPrintable(store.lastError()));
        QVERIFY(store.isOpen());
        QVERIFY(store.listRuns().isEmpty());

        const auto a = store.createRun(makeInfo(QStringLiteral("boot, cold")));
        const auto b = store.createRun(makeInfo(QStringLiteral("fio 4k")));
        QVERIFY(a >= 0 && b > a);
        auto runs = store.listRuns();
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs.at(0).id, a);
        QCOMPARE(runs.at(0).name, QStringLiteral("boot, cold"));
        QCOMPARE(runs.at(0).host, QStringLiteral("l1-host"));
        QCOMPARE(runs.at(0).kernel, QStringLiteral("6.1.0-exitscope"));
        QCOMPARE(runs.at(0).guest, QStringLiteral("l2-debian"));
        QCOMPARE(runs.at(0).source, QStringLiteral("command: exitscope-probe"));
        QCOMPARE(runs.at(0).leafLayout, QStringLiteral("total 0x4fffffff"));
        QCOMPARE(runs.at(0).notes, QStringLiteral("first try"));
        QCOMPARE(runs.at(0).startedAt, makeInfo({}).startedAt);
        QCOMPARE(runs.at(0).state, RunInfo::State::Recording);
        QCOMPARE(runs.at(1).name, QStringLiteral("fio 4k"));

        QVERIFY(store.renameRun(a, QStringLiteral("boot — warm ✓")));
        QVERIFY(store.setNotes(b, QStringLiteral("line 1\nline 2, \"quoted\"")));
        QVERIFY(store.finishRun(a, RunInfo::State::Failed, QStringLiteral("probe crashed")));
        QVERIFY(store.finishRun(b, RunInfo::State::Complete));
        RunInfo info;
        QVERIFY(store.runInfo(a, &info));
        QCOMPARE(info.name, QStringLiteral("boot — warm ✓"));
        QCOMPARE(info.state, RunInfo::State::Failed);
        QCOMPARE(info.failure, QStringLiteral("probe crashed"));
        QVERIFY(info.finishedAt.isValid());
        QVERIFY(store.runInfo(b, &info));
        QCOMPARE(info.notes, QStringLiteral("line 1\nline 2, \"quoted\""));
        QCOMPARE(info.state, RunInfo::State::Complete);

        // Samples go with their run.
        QVERIFY(store.appendRecords(a, {Sample{1, 2, 3, 4, 5}, makeMarker(2, MarkerKind::UserMark, 0, {})}));
        QVERIFY(store.appendRecords(b, {Sample{1, 2, 3, 4, 5}}));
        QVERIFY(store.deleteRun(a));
        runs = store.listRuns();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.at(0).id, b);
        QVERIFY(!store.runInfo(a, &info));
        QVERIFY(store.lastError().contains(QString::number(a)));
        LoggingSink sink;
        QVERIFY(!store.replay(a, &sink));
        QVERIFY(sink.log.isEmpty());
        QVERIFY(store.replay(b, &sink));
        QCOMPARE(sink.log.size(), 1);
        // No orphaned rows are left behind (checked on a second connection to the same file).
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect-crud"));
            db.setDatabaseName(dbPath(QStringLiteral("crud.sqlite")));
            QVERIFY(db.open());
            QSqlQuery count(db);
            QVERIFY(count.exec(QStringLiteral("SELECT (SELECT COUNT(*) FROM samples WHERE run_id = %1) + "
                                              "(SELECT COUNT(*) FROM events WHERE run_id = %1)")
                                   .arg(a)));
            QVERIFY(count.next());
            QCOMPARE(count.value(0).toInt(), 0);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("inspect-crud"));

        // Operations on a run that does not exist fail and say so.
        QVERIFY(!store.renameRun(a, QStringLiteral("x")));
        QVERIFY(store.lastError().contains(QString::number(a)));
        QVERIFY(!store.setNotes(a, QStringLiteral("x")));
        QVERIFY(!store.deleteRun(a));
        QCOMPARE(store.listRuns().size(), 1);
    }

    void runsSurviveReopening()
    {
        const auto path = dbPath(QStringLiteral("reopen.sqlite"));
        qint64 id = -1;
        {
            RunStore store;
            QVERIFY(store.open(path));
            id = store.createRun(makeInfo(QStringLiteral("kept")));
            QVERIFY(store.appendRecords(id, {Sample{1, 10, 100, 1000, 1}, Sample{2, 20, 200, 2000, 2}}));
            QVERIFY(store.setNotes(id, QStringLiteral("kept notes")));
        }
        RunStore store;
        QVERIFY(store.open(path));
        RunInfo info;
        QVERIFY(store.runInfo(id, &info));
        QCOMPARE(info.name, QStringLiteral("kept"));
        QCOMPARE(info.notes, QStringLiteral("kept notes"));
        QCOMPARE(info.sampleCount, qint64(2));
    }

    // Samples and events live in different tables; a replay must interleave them exactly as they
    // arrived, also when a run is continued by a later connection.
    void replayKeepsArrivalOrder()
    {
        const auto path = dbPath(QStringLiteral("order.sqlite"));
        auto hs = Synthetic::handshake(50'000'000);
        QVector<BufferedRecord> first = {
            hs,
            Sample{1, 1000, 11, 111, 1},
            makeMarker(2, MarkerKind::IoStart, 9, QStringLiteral("vda write 12 MiB")),
            Sample{3, 3000, 33, 333, 3},
            GapRecord{4, 6},
            Sample{7, 7000, 77, 777, 7},
            Heartbeat{8, 8000, 2},
        };
        QVector<BufferedRecord> second = {
            ErrorRecord{9, 9000, 3, QStringLiteral("diskstats unreadable")},
            ReasonSample{10, 10000, 0x1E, 500, 123456},
            makeMarker(11, MarkerKind::IoEnd, 9, QStringLiteral("ok 80 MiB/s")),
            Sample{12, 12000, 1212, 121212, 12},
            Sample{13, 13000, 1313, 131313, 13},
        };
        QVector<BufferedRecord> third = {
            GapRecord{14, 14},
            makeMarker(15, MarkerKind::UserMark, 0, QStringLiteral("after reopen")),
            Sample{16, 16000, 1616, 161616, 16},
        };
        qint64 id = -1;
        {
            RunStore store;
            QVERIFY(store.open(path));
            id = store.createRun(makeInfo(QStringLiteral("order")));
            // Another run's records in between must not disturb this one's order.
            const auto other = store.createRun(makeInfo(QStringLiteral("other")));
            QVERIFY(store.appendRecords(id, first));
            QVERIFY(store.appendRecords(other, {Sample{99, 1, 2, 3, 4}}));
            QVERIFY(store.appendRecords(id, second));
        }
        RunStore store;
        QVERIFY(store.open(path));
        QVERIFY(store.appendRecords(id, third));
        LoggingSink sink;
        QVector<qint64> progress;
        QVERIFY(store.replay(id, &sink, [&](qint64 done, qint64 total) {
            progress << done << total;
            return true;
        }));
        QCOMPARE(sink.log, logOf(first + second + third));
        QCOMPARE(progress, (QVector<qint64>{6, 6})); // the final report: done == total == samples
        RunInfo info;
        QVERIFY(store.runInfo(id, &info));
        QCOMPARE(info.sampleCount, qint64(6));
        QCOMPARE(info.markerCount, qint64(3));
    }

    // Long runs of samples are written in multi-row statements; whatever the mix, order and values
    // come back as they went in.
    void largeMixedBatchesRoundTrip()
    {
        RunStore store;
        QVERIFY(store.open(dbPath(QStringLiteral("large.sqlite"))));
        const auto id = store.createRun(makeInfo(QStringLiteral("large")));
        QVector<BufferedRecord> batch;
        quint64 seq = 0;
        const auto samples = [&](int count) {
            for (int i = 0; i < count; ++i, ++seq)
                batch.append(Sample{seq, seq * 7, quint32(0xFFFFFFF0u + seq), 0xFFFFFFFFFFFFFF00ULL + seq, seq * 3});
        };
        samples(100);
        batch.append(makeMarker(seq++, MarkerKind::UserMark, 0, QStringLiteral("after 100")));
        samples(63);
        batch.append(GapRecord{seq, seq + 1});
        seq += 2;
        samples(64);
        samples(129);
        batch.append(Heartbeat{seq++, 1, 2});
        samples(1);
        const auto first = batch;
        QVERIFY(store.appendRecords(id, first));
        batch.clear();
        samples(64);
        batch.append(makeMarker(seq++, MarkerKind::UserMark, 0, QStringLiteral("last")));
        const auto second = batch;
        QVERIFY(store.appendRecords(id, second));

        LoggingSink sink;
        QVERIFY(store.replay(id, &sink));
        QCOMPARE(sink.log, logOf(first + second));
        RunInfo info;
        QVERIFY(store.runInfo(id, &info));
        QCOMPARE(info.sampleCount, qint64(100 + 63 + 64 + 129 + 1 + 64));
        QCOMPARE(info.markerCount, qint64(2));
    }

    // One store object opened on one file, then on another: writes go to the file open now.
    void reopeningOnAnotherFileWritesThere()
    {
        RunStore store;
        QVERIFY(store.open(dbPath(QStringLiteral("first.sqlite"))));
        const auto a = store.createRun(makeInfo(QStringLiteral("a")));
        QVector<BufferedRecord> records;
        for (quint64 i = 0; i < 70; ++i)
            records.append(Synthetic::sample(i, 1'000'000));
        QVERIFY(store.appendRecords(a, records));
        QVERIFY(store.open(dbPath(QStringLiteral("second.sqlite"))));
        const auto b = store.createRun(makeInfo(QStringLiteral("b")));
        QVERIFY2(store.appendRecords(b, records), qPrintable(store.lastError()));
        QVERIFY(store.appendRecords(b, records.mid(0, 3)));
        RunInfo info;
        QVERIFY(store.runInfo(b, &info));
        QCOMPARE(info.name, QStringLiteral("b"));
        QCOMPARE(info.sampleCount, qint64(73));
        LoggingSink sink;
        QVERIFY(store.replay(b, &sink));
        QCOMPARE(sink.samples.size(), 73);
    }

    void replayCanBeCancelled()
    {
        RunStore store;
        QVERIFY(store.open(dbPath(QStringLiteral("cancel.sqlite"))));
        const auto id = store.createRun(makeInfo(QStringLiteral("long")));
        QVector<BufferedRecord> records;
        for (quint64 i = 0; i < 20'000; ++i)
            records.append(Synthetic::sample(i, 1'000'000));
        QVERIFY(store.appendRecords(id, records));
        LoggingSink sink;
        QVERIFY(!store.replay(id, &sink, [](qint64 done, qint64 total) { return done < total / 2; }));
        QVERIFY(sink.samples.size() < 20'000);
        QVERIFY(!store.lastError().isEmpty());
    }

    // A damaged page in the middle of a run used to pass for the end of its rows: the replay
    // delivered what came before it and reported success.
    void damagedPageIsAnErrorNotTheEndOfTheRun()
    {
        const auto path = dbPath(QStringLiteral("damaged-page.sqlite"));
        constexpr int Samples = 200'000;
        {
            RunStore store;
            QVERIFY(store.open(path));
            const auto id = store.createRun(makeInfo(QStringLiteral("to be damaged")));
            QCOMPARE(id, qint64(1));
            QVector<BufferedRecord> records;
            for (quint64 i = 0; i < Samples; ++i)
                records.append(Synthetic::sample(i, 1'000'000));
            QVERIFY(store.appendRecords(id, records));
            LoggingSink sink;
            QVERIFY2(store.replay(id, &sink), qPrintable(store.lastError()));
            QCOMPARE(sink.samples.size(), Samples);
        }
        // Closing the last connection checkpoints the WAL into the file; one page of it is then
        // overwritten with noise, as a bad sector or a stray write would.
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")) || QFileInfo(path + QStringLiteral("-wal")).size() == 0);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 pageSize = 4096;
        const qint64 page = file.size() / pageSize / 2;
        QByteArray noise(pageSize, Qt::Uninitialized);
        QRandomGenerator rng(77);
        rng.fillRange(reinterpret_cast<quint32 *>(noise.data()), noise.size() / 4);
        QVERIFY(file.seek(page * pageSize));
        QCOMPARE(file.write(noise), pageSize);
        file.close();

        RunStore store;
        QVERIFY2(store.open(path), qPrintable(store.lastError()));
        LoggingSink sink;
        QVERIFY(!store.replay(1, &sink));
        QVERIFY(sink.samples.size() < Samples);
        QVERIFY2(store.lastError().contains(QStringLiteral("Run 1 is damaged")), qPrintable(store.lastError()));
        QVERIFY2(store.lastError().contains(QStringLiteral("of its 200000 samples")), qPrintable(store.lastError()));
    }

    // Deleting runs used to leave the file as large as ever: the space goes back to the file system,
    // also in a store made before incremental auto-vacuum (compacted once most of it is free).
    void deletingRunsShrinksTheStore_data()
    {
        QTest::addColumn<bool>("legacy");
        QTest::newRow("new store") << false;
        QTest::newRow("store without auto-vacuum") << true;
    }
    void deletingRunsShrinksTheStore()
    {
        QFETCH(bool, legacy);
        const auto path = dbPath(legacy ? QStringLiteral("shrink-legacy.sqlite") : QStringLiteral("shrink.sqlite"));
        qint64 full = 0;
        {
            RunStore store;
            QVERIFY(store.open(path));
            if (legacy) {
                auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("legacy"));
                db.setDatabaseName(path);
                QVERIFY(db.open());
                QSqlQuery q(db);
                QVERIFY(q.exec(QStringLiteral("PRAGMA auto_vacuum=NONE")));
                QVERIFY(q.exec(QStringLiteral("VACUUM")));
                QVERIFY(q.exec(QStringLiteral("PRAGMA auto_vacuum")) && q.next());
                QCOMPARE(q.value(0).toInt(), 0);
                q.finish();
                db.close();
                db = {};
                QSqlDatabase::removeDatabase(QStringLiteral("legacy"));
            }
            QVector<BufferedRecord> records;
            for (quint64 i = 0; i < 100'000; ++i)
                records.append(Synthetic::sample(i, 1'000'000));
            const auto keep = store.createRun(makeInfo(QStringLiteral("kept")));
            QVERIFY(store.appendRecords(keep, records.mid(0, 1000)));
            const auto big = store.createRun(makeInfo(QStringLiteral("big")));
            QVERIFY(store.appendRecords(big, records));
            QVERIFY(store.finishRun(big, RunInfo::State::Complete));
            QVERIFY(store.finishRun(keep, RunInfo::State::Complete));
        }
        full = QFileInfo(path).size();
        {
            RunStore store;
            QVERIFY(store.open(path));
            QVERIFY(store.deleteRun(2));
            LoggingSink sink;
            QVERIFY(store.replay(1, &sink)); // what stays is intact
            QCOMPARE(sink.samples.size(), 1000);
        }
        const auto after = QFileInfo(path).size();
        qInfo("store of 101,000 samples: %lld bytes; after deleting 100,000: %lld bytes", full, after);
        QVERIFY2(after * 5 < full, qPrintable(QStringLiteral("%1 -> %2 bytes").arg(full).arg(after)));
    }

    // A run whose rows are fewer than it recorded (rows deleted behind its back) is not complete.
    void missingRowsAreAnError()
    {
        RunStore store;
        const auto path = dbPath(QStringLiteral("missing-rows.sqlite"));
        QVERIFY(store.open(path));
        const auto id = store.createRun(makeInfo(QStringLiteral("short")));
        QVector<BufferedRecord> records;
        for (quint64 i = 0; i < 1000; ++i)
            records.append(Synthetic::sample(i, 1'000'000));
        QVERIFY(store.appendRecords(id, records));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("behind"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM samples WHERE ord >= 900")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("behind"));
        LoggingSink sink;
        QVERIFY(!store.replay(id, &sink));
        QCOMPARE(sink.samples.size(), 900);
        QVERIFY2(store.lastError().contains(QStringLiteral("900 of its 1000 samples")), qPrintable(store.lastError()));
    }

    void unsigned64BitValuesRoundTrip()
    {
        RunStore store;
        QVERIFY(store.open(dbPath(QStringLiteral("u64.sqlite"))));
        const auto id = store.createRun(makeInfo(QStringLiteral("big")));
        constexpr quint64 Max = std::numeric_limits<quint64>::max();
        constexpr quint64 High = 0x8000000000000001ULL; // 2^63 + 1
        Handshake h = Synthetic::handshake(High);
        h.sessionId = 0xFEDCBA9876543210ULL;
        Marker m = makeMarker(High + 1, MarkerKind::WorkloadEnd, 0xFFFFFFFFu, QStringLiteral("big"));
        m.tNs = Max - 1;
        m.exits = 0xFFFFFFFFu;
        m.cycles = Max;
        m.flags = 0xFF;
        const QVector<BufferedRecord> records = {
            h,
            Sample{Max, Max - 2, 0xFFFFFFFFu, Max, High},
            Sample{High, 0x9000000000000000ULL, 0x80000000u, High + 7, Max - 3},
            m,
            Heartbeat{High + 2, Max, Max - 9},
            ReasonSample{High + 3, High, 0xFFFFFFFFu, 0xFFFFFFFEu, Max},
            ErrorRecord{High + 4, Max, 0xFFFF, QStringLiteral("e")},
            GapRecord{High + 5, Max},
        };
        QVERIFY(store.appendRecords(id, records));
        LoggingSink sink;
        QVERIFY(store.replay(id, &sink));
        QCOMPARE(sink.log, logOf(records));
        QCOMPARE(sink.samples.at(0).cycles, Max);
        QCOMPARE(sink.samples.at(1).tNs, quint64(0x9000000000000000ULL));
    }

    void missingFolderIsCreated()
    {
        const auto path = m_dir.filePath(QStringLiteral("not/yet/there/runs.sqlite"));
        RunStore store;
        QVERIFY2(store.open(path), qPrintable(store.lastError()));
        QVERIFY(QFile::exists(path));
        QVERIFY(store.createRun(makeInfo(QStringLiteral("x"))) >= 0);
    }

    void folderThatCannotBeCreatedIsAnError()
    {
        // A regular file where a folder would have to be.
        const auto blocker = m_dir.filePath(QStringLiteral("blocker"));
        QFile file(blocker);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        RunStore store;
        QVERIFY(!store.open(blocker + QStringLiteral("/sub/runs.sqlite")));
        QVERIFY(!store.isOpen());
        QVERIFY2(store.lastError().contains(QStringLiteral("folder")), qPrintable(store.lastError()));
        QVERIFY(store.lastError().contains(blocker));
    }

    void corruptFileIsRefusedClearly()
    {
        const auto path = dbPath(QStringLiteral("corrupt.sqlite"));
        QByteArray junk(64 * 1024, Qt::Uninitialized);
        QRandomGenerator rng(4242);
        rng.fillRange(reinterpret_cast<quint32 *>(junk.data()), junk.size() / 4);
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(junk);
        file.close();

        RunStore store;
        QVERIFY(!store.open(path));
        QVERIFY(!store.isOpen());
        QVERIFY2(store.lastError().contains(QStringLiteral("not a readable ExitScope run database")),
                 qPrintable(store.lastError()));
        QVERIFY(store.lastError().contains(path));
        // SQLite's own reason is in the details.
        QVERIFY2(store.lastError().contains(QStringLiteral("not a database"), Qt::CaseInsensitive),
                 qPrintable(store.lastError()));
        // Refusing it must not have touched it.
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), junk);
    }

    // Another program's database (user_version 0, tables of its own) used to be given ExitScope's
    // tables and switched to WAL mode.
    void foreignDatabaseIsRefusedAndLeftAlone()
    {
        const auto path = dbPath(QStringLiteral("foreign.sqlite"));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE contacts (name TEXT, phone TEXT)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO contacts VALUES ('Ada', '123')")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto before = file.readAll();
        file.close();

        RunStore store;
        QVERIFY(!store.open(path));
        QVERIFY(!store.isOpen());
        QVERIFY2(store.lastError().contains(QStringLiteral("another program's SQLite database (tables contacts)")),
                 qPrintable(store.lastError()));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), before); // not converted to WAL, no tables added
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    }

    // An empty file (as `touch` makes) is set up as a run database.
    void emptyFileBecomesARunDatabase()
    {
        const auto path = dbPath(QStringLiteral("empty.sqlite"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        RunStore store;
        QVERIFY2(store.open(path), qPrintable(store.lastError()));
        QVERIFY(store.createRun(makeInfo(QStringLiteral("first"))) > 0);
    }

    void newerSchemaIsRefused()
    {
        const auto path = dbPath(QStringLiteral("newer.sqlite"));
        {
            RunStore store;
            QVERIFY(store.open(path));
            QVERIFY(store.createRun(makeInfo(QStringLiteral("from the future"))) >= 0);
        }
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bump"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=3")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("bump"));
        RunStore store;
        QVERIFY(!store.open(path));
        QVERIFY(!store.isOpen());
        QVERIFY2(store.lastError().contains(QStringLiteral("newer ExitScope")), qPrintable(store.lastError()));
        QVERIFY(store.lastError().contains(QStringLiteral("schema 3")));
    }

    // A run this process is recording stays "recording" when another connection opens the store, and
    // cannot be deleted from under it; once finished it can.
    void aLiveRecordingIsNeitherInterruptedNorDeleted()
    {
        const auto path = dbPath(QStringLiteral("live.sqlite"));
        RunStore recorder;
        QVERIFY(recorder.open(path));
        const auto id = recorder.createRun(makeInfo(QStringLiteral("live")));
        QVERIFY(recorder.appendRecords(id, {Synthetic::sample(0, 1'000'000)}));

        RunStore other;
        QVERIFY2(other.open(path), qPrintable(other.lastError()));
        RunInfo info;
        QVERIFY(other.runInfo(id, &info));
        QCOMPARE(info.state, RunInfo::State::Recording);
        QVERIFY(!other.deleteRun(id));
        QVERIFY2(other.lastError().contains(QStringLiteral("is being recorded (process %1").arg(QCoreApplication::applicationPid())),
                 qPrintable(other.lastError()));
        QVERIFY(recorder.appendRecords(id, {Synthetic::sample(1, 1'000'000)}));
        QVERIFY(recorder.finishRun(id, RunInfo::State::Complete));
        QVERIFY2(other.deleteRun(id), qPrintable(other.lastError()));
    }

    // A run deleted behind a recorder's back (by a tool that does not ask) used to take the
    // recorder's later batches as rows of no run, reported as stored.
    void appendingToADeletedRunFails()
    {
        const auto path = dbPath(QStringLiteral("deleted-live.sqlite"));
        RunStore store;
        QVERIFY(store.open(path));
        const auto id = store.createRun(makeInfo(QStringLiteral("doomed")));
        QVERIFY(store.appendRecords(id, {Synthetic::sample(0, 1'000'000)}));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("vandal"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM samples")));
            QVERIFY(q.exec(QStringLiteral("DELETE FROM runs")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("vandal"));
        QVERIFY(!store.appendRecords(id, {Synthetic::sample(1, 1'000'000), Synthetic::sample(2, 1'000'000)}));
        QVERIFY2(store.lastError().contains(QStringLiteral("deleted while it was being recorded")),
                 qPrintable(store.lastError()));
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("count"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM samples")) && q.next());
            QCOMPARE(q.value(0).toInt(), 0); // no orphan rows
        }
        db.close();
        db = {};
        QSqlDatabase::removeDatabase(QStringLiteral("count"));
    }

    // A store of schema 1 (before runs knew their recorder) is upgraded in place; a run it had left
    // recording cannot be recorded by anyone any more and becomes interrupted.
    void schemaOneIsUpgraded()
    {
        const auto path = dbPath(QStringLiteral("schema1.sqlite"));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v1"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            for (const auto *statement :
                 {"CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, host TEXT, kernel TEXT, "
                  "guest TEXT, source TEXT, leaf_layout TEXT, notes TEXT, started_at TEXT, finished_at TEXT, "
                  "state INTEGER NOT NULL, failure TEXT, sample_count INTEGER NOT NULL DEFAULT 0, "
                  "marker_count INTEGER NOT NULL DEFAULT 0)",
                  "CREATE TABLE samples (run_id INTEGER NOT NULL, ord INTEGER NOT NULL, seq INTEGER NOT NULL, "
                  "t_ns INTEGER NOT NULL, exits INTEGER NOT NULL, cycles INTEGER NOT NULL, own_cpuid INTEGER NOT NULL, "
                  "PRIMARY KEY (run_id, ord)) WITHOUT ROWID",
                  "CREATE TABLE events (run_id INTEGER NOT NULL, ord INTEGER NOT NULL, type INTEGER NOT NULL, seq INTEGER, "
                  "t_ns INTEGER, exits INTEGER, cycles INTEGER, kind INTEGER, flags INTEGER, span INTEGER, value INTEGER, "
                  "text TEXT, PRIMARY KEY (run_id, ord)) WITHOUT ROWID",
                  "INSERT INTO runs (name, state, sample_count) VALUES ('old complete', 1, 0)",
                  "INSERT INTO runs (name, state, sample_count) VALUES ('old unfinished', 0, 0)", "PRAGMA user_version=1"})
                QVERIFY2(q.exec(QString::fromLatin1(statement)), qPrintable(q.lastError().text()));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("v1"));
        RunStore store;
        QVERIFY2(store.open(path), qPrintable(store.lastError()));
        const auto runs = store.listRuns();
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs.at(0).state, RunInfo::State::Complete);
        QCOMPARE(runs.at(1).state, RunInfo::State::Interrupted);
        const auto id = store.createRun(makeInfo(QStringLiteral("new")));
        QVERIFY(store.appendRecords(id, {Synthetic::sample(0, 1'000'000)}));
    }

    // A recording process killed with SIGKILL loses at most about the last second of samples.
    void killedRecorderLosesAtMostTheLastSecond()
    {
        const auto path = dbPath(QStringLiteral("crash.sqlite"));
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QStringLiteral(EXITSCOPE_TEST_RECORDER), {path, QStringLiteral("10")});
        QVERIFY2(child.waitForStarted(10'000), qPrintable(child.errorString()));

        QByteArray output;
        const auto steadyNs = [] {
            return qint64(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count());
        };
        qint64 firstSampleNs = 0;
        const auto deadline = steadyNs() + 60'000'000'000LL;
        // Let it record for 2.5 s of samples (about 225 of them at 10 ms).
        while (steadyNs() < deadline) {
            child.waitForReadyRead(100);
            output += child.readAllStandardOutput();
            if (!firstSampleNs && output.contains("sample "))
                firstSampleNs = steadyNs();
            if (firstSampleNs && steadyNs() - firstSampleNs > 2'500'000'000LL)
                break;
            QVERIFY2(child.state() == QProcess::Running, "the recording child ended by itself");
        }
        const auto killNs = steadyNs();
        child.kill(); // SIGKILL
        QVERIFY(child.waitForFinished(10'000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        output += child.readAllStandardOutput();

        qint64 runId = -1;
        QVector<quint64> generated;
        QVector<qint64> generatedAt;
        for (const auto &line : output.split('\n')) {
            const auto fields = line.split(' ');
            if (fields.size() == 2 && fields.at(0) == "run") {
                runId = fields.at(1).toLongLong();
            } else if (fields.size() == 3 && fields.at(0) == "sample") {
                generated << fields.at(1).toULongLong();
                generatedAt << fields.at(2).toLongLong();
            }
        }
        QVERIFY(runId >= 0);
        QVERIFY2(generated.size() >= 50, qPrintable(QString::number(generated.size())));

        RunStore store;
        QVERIFY2(store.open(path), qPrintable(store.lastError()));
        const auto runs = store.listRuns();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.at(0).id, runId);
        // It never got to finish: opening the store finds its process gone and says so.
        QCOMPARE(runs.at(0).state, RunInfo::State::Interrupted);
        QVERIFY2(runs.at(0).failure.contains(QStringLiteral("ended without finishing the run")),
                 qPrintable(runs.at(0).failure));
        QVERIFY(runs.at(0).failure.contains(QStringLiteral("the %1 samples").arg(runs.at(0).sampleCount)));
        LoggingSink sink;
        QVERIFY(store.replay(runId, &sink));
        QCOMPARE(qint64(sink.samples.size()), runs.at(0).sampleCount);
        QVERIFY2(!sink.log.isEmpty(), "nothing of the killed recording survived");
        QVERIFY(sink.log.first().startsWith(QLatin1String("H 0 ")));

        // What survived is a prefix of what was generated, intact.
        QVERIFY(sink.samples.size() <= generated.size() + 1);
        for (int i = 0; i < sink.samples.size(); ++i) {
            const auto seq = sink.samples.at(i).seq;
            QCOMPARE(seq, i < generated.size() ? generated.at(i) : seq);
            QVERIFY(sink.samples.at(i) == Synthetic::sample(seq, 10'000'000));
        }
        // Everything generated more than a second before the kill is there.
        int old = 0;
        for (int i = 0; i < generated.size(); ++i) {
            if (generatedAt.at(i) > killNs - 1'000'000'000LL)
                break;
            ++old;
        }
        QVERIFY(old > 0);
        qInfo("generated %lld samples, %d of them over 1 s before the kill; %lld survived",
              qint64(generated.size()), old, qint64(sink.samples.size()));
        QVERIFY2(sink.samples.size() >= old,
                 qPrintable(QStringLiteral("only %1 of the %2 samples older than 1 s survived")
                                .arg(sink.samples.size())
                                .arg(old)));
        // The database itself is consistent.
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA integrity_check")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
        }
        db.close();
        db = {};
        QSqlDatabase::removeDatabase(QStringLiteral("check"));
    }

    void unnamedRunGetsAName()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("unnamed.sqlite"))));
        const auto id = store.createRun(RunInfo{});
        QVERIFY2(id > 0, qPrintable(store.lastError()));
        RunInfo info;
        QVERIFY(store.runInfo(id, &info));
        QVERIFY(info.name.startsWith(QLatin1String("run of ")));
    }

    // Tabs, line breaks and other control characters in a name broke every list of runs.
    void namesAreOneCleanLine()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("names.sqlite"))));
        RunInfo given;
        given.name = QStringLiteral("  boot\tof\r\nL2\x1b[31m  red ");
        const auto id = store.createRun(given);
        RunInfo info;
        QVERIFY(store.runInfo(id, &info));
        QCOMPARE(info.name, QStringLiteral("boot of L2 [31m red"));
        QVERIFY(!store.renameRun(id, QStringLiteral(" \t\n ")));
        QVERIFY(store.lastError().contains(QLatin1String("no visible characters")));
        QVERIFY(store.renameRun(id, QString(500, QLatin1Char('x'))));
        QVERIFY(store.runInfo(id, &info));
        QCOMPARE(info.name.size(), RunInfo::MaxNameLength);
    }
};

QTEST_GUILESS_MAIN(TestRunStore)
#include "tst_runstore.moc"
