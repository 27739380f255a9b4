// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"
#include "protocol/streamwriter.h"

#include <QTest>

using namespace ExitScope;

namespace {

// Collects everything in order as text so that runs can be compared as a whole.
class CollectingSink : public RecordSink
{
public:
    QStringList log;
    QVector<Sample> samples;
    QVector<Marker> markers;
    QVector<Handshake> handshakes;

    void handshake(const Handshake &h) override
    {
        handshakes.append(h);
        log << QStringLiteral("H %1 %2 %3").arg(h.seq).arg(h.sessionId).arg(h.sender);
    }
    void sample(const Sample &s) override
    {
        samples.append(s);
        log << QStringLiteral("S %1 %2 %3 %4 %5").arg(s.seq).arg(s.tNs).arg(s.exits).arg(s.cycles).arg(s.ownCpuid);
    }
    void marker(const Marker &m) override
    {
        markers.append(m);
        log << QStringLiteral("M %1 %2 %3").arg(m.seq).arg(int(m.kind)).arg(m.text);
    }
    void heartbeat(const Heartbeat &h) override { log << QStringLiteral("B %1 %2").arg(h.seq).arg(h.dropped); }
    void error(const ErrorRecord &e) override { log << QStringLiteral("E %1 %2 %3").arg(e.seq).arg(e.code).arg(e.text); }
    void reasonSample(const ReasonSample &r) override
    {
        log << QStringLiteral("R %1 %2 %3").arg(r.seq).arg(r.reason).arg(r.exits);
    }
    void gap(quint64 first, quint64 last) override { log << QStringLiteral("G %1 %2").arg(first).arg(last); }
    void unsupportedVersion(quint16 major, quint16 minor) override
    {
        log << QStringLiteral("V %1.%2").arg(major).arg(minor);
    }
};

Handshake makeHandshake(quint64 seq, quint64 session = 0x1234)
{
    Handshake h;
    h.seq = seq;
    h.sourceKind = SourceKind::GuestAgent;
    h.cpuVendor = CpuVendor::AmdSvm;
    h.abiVersion = 1;
    h.sessionId = session;
    h.periodNs = 50'000'000;
    h.sender = QStringLiteral("exitscope-agent 1.0.0");
    h.host = QStringLiteral("l2-guest");
    return h;
}

Sample makeSample(quint64 seq)
{
    return Sample{seq, seq * 50'000'000, quint32(0xFFFFFF00u + seq * 100), 1'000'000 * seq, seq};
}

// One of everything, with non-ASCII text, so that splits land inside every field kind.
QByteArray mixedStream()
{
    QByteArray out;
    quint64 seq = 0;
    StreamWriter::append(out, makeHandshake(seq++));
    for (int i = 0; i < 3; ++i)
        StreamWriter::append(out, makeSample(seq++));
    Marker m;
    m.seq = seq++;
    m.tNs = 42;
    m.kind = MarkerKind::IoStart;
    m.flags = Marker::CountersValid;
    m.span = 7;
    m.text = QStringLiteral("vda write 12 MiB — ünïcode");
    StreamWriter::append(out, m);
    StreamWriter::append(out, Heartbeat{seq++, 99, 3});
    StreamWriter::append(out, ErrorRecord{seq++, 100, 3, QStringLiteral("diskstats unreadable")});
    StreamWriter::append(out, ReasonSample{seq++, 101, 0x72, 500, 123456});
    StreamWriter::append(out, makeSample(seq++));
    return out;
}

QStringList parseWhole(const QByteArray &bytes, ParserStats *stats = nullptr)
{
    CollectingSink sink;
    StreamParser parser(&sink);
    parser.feed(bytes);
    parser.finish();
    if (stats)
        *stats = parser.stats();
    return sink.log;
}

} // namespace

class TestStreamParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripsEveryRecordType()
    {
        ParserStats stats;
        const auto log = parseWhole(mixedStream(), &stats);
        QCOMPARE(log.size(), 9);
        QCOMPARE(log.first(), QStringLiteral("H 0 4660 exitscope-agent 1.0.0"));
        QCOMPARE(log.at(4), QStringLiteral("M 4 3 vda write 12 MiB — ünïcode"));
        QCOMPARE(log.at(6), QStringLiteral("E 6 3 diskstats unreadable"));
        QVERIFY2(stats.clean(), "a clean stream must parse without damage");
        QCOMPARE(stats.records, quint64(9));
        QCOMPARE(stats.sessions, quint64(1));
    }

    void handshakeFieldsSurvive()
    {
        CollectingSink sink;
        StreamParser parser(&sink);
        const auto h = makeHandshake(0, 0xDEADBEEFCAFEULL);
        parser.feed(StreamWriter::encode(h));
        QCOMPARE(sink.handshakes.size(), 1);
        QVERIFY(sink.handshakes.first() == h);
        QVERIFY(parser.hasHandshake());
    }

    void sampleIs44Bytes() { QCOMPARE(StreamWriter::encode(makeSample(1)).size(), 44); }

    // The resumability contract: any split, and byte-at-a-time, gives the same records.
    void splitAtEveryOffset()
    {
        const auto bytes = mixedStream();
        const auto expected = parseWhole(bytes);
        for (qsizetype cut = 0; cut <= bytes.size(); ++cut) {
            CollectingSink sink;
            StreamParser parser(&sink);
            parser.feed(QByteArrayView(bytes).first(cut));
            parser.feed(QByteArrayView(bytes).sliced(cut));
            parser.finish();
            QVERIFY2(sink.log == expected, qPrintable(QStringLiteral("split at %1").arg(cut)));
            QVERIFY(parser.stats().clean());
        }
        for (qsizetype a = 1; a < bytes.size(); a += 7) {
            for (qsizetype b = a; b < bytes.size(); b += 11) {
                CollectingSink sink;
                StreamParser parser(&sink);
                parser.feed(QByteArrayView(bytes).first(a));
                parser.feed(QByteArrayView(bytes).sliced(a, b - a));
                parser.feed(QByteArrayView(bytes).sliced(b));
                QCOMPARE(sink.log, expected);
            }
        }
        CollectingSink sink;
        StreamParser parser(&sink);
        for (char c : bytes)
            parser.feed(QByteArrayView(&c, 1));
        QCOMPARE(sink.log, expected);
        QCOMPARE(parser.pendingBytes(), 0);
    }

    void incompleteTailWaitsThenCountsAtFinish()
    {
        auto bytes = mixedStream();
        bytes.chop(5);
        CollectingSink sink;
        StreamParser parser(&sink);
        parser.feed(bytes);
        QCOMPARE(sink.log.size(), 8);
        QVERIFY(parser.pendingBytes() > 0);
        QCOMPARE(parser.stats().malformed, quint64(0));
        parser.finish();
        QCOMPARE(parser.stats().malformed, quint64(1));
        QCOMPARE(parser.pendingBytes(), 0);
    }

    void damagedRecordIsSkippedAndParsingGoesOn()
    {
        auto bytes = mixedStream();
        const auto sampleStart = StreamWriter::encode(makeHandshake(0)).size();
        bytes[sampleStart + 20] = char(bytes[sampleStart + 20] ^ 0x40); // inside the first sample
        ParserStats stats;
        const auto log = parseWhole(bytes, &stats);
        QCOMPARE(log.size(), 9); // 8 records survive, plus the gap report
        QVERIFY(log.contains(QStringLiteral("G 1 1")));
        QCOMPARE(stats.malformed, quint64(1));
        QCOMPARE(stats.gaps, quint64(1));
        QCOMPARE(stats.lostRecords, quint64(1));
        QCOMPARE(stats.skippedBytes, quint64(44));
    }

    // At the end of input, a record whose damaged length claims more bytes than are left must not
    // take the whole records inside that claim with it.
    void damagedLengthAtTheEndLosesOnlyThatRecord()
    {
        QByteArray out;
        StreamWriter::append(out, makeHandshake(0));
        const auto damaged = out.size();
        for (quint64 seq = 1; seq <= 4; ++seq)
            StreamWriter::append(out, makeSample(seq));
        out[damaged + 3] = char(0xFF); // sample 1 now claims 271 bytes; 176 are left
        for (qsizetype chunk : {out.size(), qsizetype(1), qsizetype(45)}) {
            CollectingSink sink;
            StreamParser parser(&sink);
            for (qsizetype pos = 0; pos < out.size(); pos += chunk)
                parser.feed(QByteArrayView(out).sliced(pos, qMin(chunk, out.size() - pos)));
            QCOMPARE(sink.samples.size(), 0); // still waiting for the claimed bytes
            parser.finish();
            QCOMPARE(sink.samples.size(), 3);
            QCOMPARE(sink.samples.first().seq, quint64(2));
            QCOMPARE(sink.log.at(1), QStringLiteral("G 1 1"));
            QCOMPARE(parser.stats().malformed, quint64(1));
            QCOMPARE(parser.stats().skippedBytes, quint64(44));
            QCOMPARE(parser.pendingBytes(), 0);
        }
    }

    void garbageBetweenRecordsIsSkipped()
    {
        QByteArray bytes = "line noise \xE5\xE5\x58 more noise";
        bytes += mixedStream();
        bytes.insert(bytes.size() / 2, QByteArray(300, '\xE5'));
        bytes += "\xE5\x58\x02"; // a truncated header at the very end
        ParserStats stats;
        const auto log = parseWhole(bytes, &stats);
        QVERIFY(log.first().startsWith(QLatin1String("H 0")));
        QVERIFY(stats.malformed >= 2);
        QVERIFY(stats.skippedBytes >= 300);
    }

    void sequenceGapsAreReported()
    {
        QByteArray out;
        StreamWriter::append(out, makeHandshake(0));
        StreamWriter::append(out, makeSample(1));
        StreamWriter::append(out, makeSample(5));
        StreamWriter::append(out, makeSample(4)); // backwards: dropped as malformed
        StreamWriter::append(out, makeSample(6));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(log, (QStringList{QStringLiteral("H 0 4660 exitscope-agent 1.0.0"), log.at(1),
                                   QStringLiteral("G 2 4"), log.at(3), log.at(4)}));
        QCOMPARE(stats.gaps, quint64(1));
        QCOMPARE(stats.lostRecords, quint64(3));
        QCOMPARE(stats.malformed, quint64(1));
        QCOMPARE(stats.records, quint64(4));
    }

    void oneRecordWithAHugeSequenceNumberDoesNotPoisonTheRest()
    {
        // A CRC-valid record numbered 2^64-1 among ordinary ones: it is not believed, and everything
        // after it arrives.
        QByteArray out;
        StreamWriter::append(out, makeHandshake(0));
        for (quint64 seq = 1; seq <= 10; ++seq)
            StreamWriter::append(out, makeSample(seq));
        StreamWriter::append(out, makeSample(~quint64(0)));
        for (quint64 seq = 11; seq <= 100; ++seq)
            StreamWriter::append(out, makeSample(seq));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(stats.records, quint64(101));
        QCOMPARE(log.size(), 101);
        QCOMPARE(stats.gaps, quint64(0));
        QCOMPARE(stats.lostRecords, quint64(0));
        QCOMPARE(stats.malformed, quint64(1));
        QVERIFY(log.last().startsWith(QLatin1String("S 100 ")));

        // The same as the very last record: nothing confirms it either.
        QByteArray tail;
        StreamWriter::append(tail, makeHandshake(0));
        StreamWriter::append(tail, makeSample(1));
        StreamWriter::append(tail, makeSample(~quint64(0)));
        const auto tailLog = parseWhole(tail, &stats);
        QCOMPARE(tailLog.size(), 2);
        QCOMPARE(stats.malformed, quint64(1));
        QCOMPARE(stats.lostRecords, quint64(0));
    }

    void aLongGapIsBelievedWhenTheNextRecordContinuesIt()
    {
        // A reader that comes back after hours of a sender numbering records nobody read.
        const quint64 far = 5 + StreamParser::MaxTrustedGap * 4;
        QByteArray out;
        StreamWriter::append(out, makeHandshake(0));
        StreamWriter::append(out, makeSample(1));
        StreamWriter::append(out, makeHandshake(far));
        StreamWriter::append(out, makeSample(far + 1));
        StreamWriter::append(out, makeSample(far + 2));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(log.size(), 6);
        QCOMPARE(log.at(2), QStringLiteral("G 2 %1").arg(far - 1));
        QVERIFY(log.at(3).startsWith(QStringLiteral("H %1 ").arg(far)));
        QCOMPARE(stats.lostRecords, far - 2);
        QCOMPARE(stats.malformed, quint64(0));
    }

    void newSessionRestartsNumbering()
    {
        QByteArray out;
        StreamWriter::append(out, makeHandshake(0, 1));
        StreamWriter::append(out, makeSample(1));
        StreamWriter::append(out, makeSample(2));
        StreamWriter::append(out, makeHandshake(0, 2)); // sender restarted
        StreamWriter::append(out, makeSample(1));
        StreamWriter::append(out, makeHandshake(2, 2)); // same sender, reader reconnected
        StreamWriter::append(out, makeSample(3));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(log.size(), 7);
        QCOMPARE(stats.sessions, quint64(2));
        QVERIFY(stats.clean());
    }

    void headlessStreamIsAccepted()
    {
        QByteArray out;
        StreamWriter::append(out, makeSample(17));
        StreamWriter::append(out, makeSample(18));
        CollectingSink sink;
        StreamParser parser(&sink);
        parser.feed(out);
        QCOMPARE(sink.samples.size(), 2);
        QVERIFY(!parser.hasHandshake());
        QVERIFY(parser.stats().clean());
    }

    void unknownTypeIsSkippedNotMalformed()
    {
        QByteArray out;
        StreamWriter::append(out, makeHandshake(0));
        StreamWriter::appendRaw(out, 0x7F, 1, QByteArray(17, 'x'));
        StreamWriter::append(out, makeSample(2));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(log.size(), 2);
        QCOMPARE(stats.unknown, quint64(1));
        QVERIFY(stats.clean());
    }

    void shortPayloadIsMalformed()
    {
        QByteArray out;
        StreamWriter::appendRaw(out, quint8(RecordType::Sample), 0, QByteArray(10, '\0'));
        StreamWriter::append(out, makeSample(1));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(log.size(), 1);
        QCOMPARE(stats.malformed, quint64(1));
    }

    void longerPayloadFromLaterMinorIsAccepted()
    {
        QByteArray payload = StreamWriter::encode(makeSample(0)).mid(12, 28);
        payload += QByteArray(8, '\x11');
        QByteArray out;
        StreamWriter::appendRaw(out, quint8(RecordType::Sample), 0, payload);
        CollectingSink sink;
        StreamParser parser(&sink);
        parser.feed(out);
        QCOMPARE(sink.samples.size(), 1);
        QVERIFY(sink.samples.first() == makeSample(0));
    }

    void unsupportedMajorIsRejectedUntilNextHandshake()
    {
        QByteArray out;
        QByteArray v2;
        v2.append('\x02').append('\0').append('\0').append('\0');
        StreamWriter::appendRaw(out, quint8(RecordType::Handshake), 0, v2);
        StreamWriter::append(out, makeSample(1));
        StreamWriter::append(out, makeHandshake(0, 9));
        StreamWriter::append(out, makeSample(1));
        ParserStats stats;
        const auto log = parseWhole(out, &stats);
        QCOMPARE(log.first(), QStringLiteral("V 2.0"));
        QCOMPARE(log.size(), 3);
        QCOMPARE(stats.rejected, quint64(1));
    }

    void longStringsAreCutToFit()
    {
        Marker m;
        m.text = QString(300, QChar(0x00E9)); // 2 bytes each in UTF-8
        const auto bytes = StreamWriter::encode(m);
        QVERIFY(bytes.size() <= Protocol::MaxRecordSize);
        CollectingSink sink;
        StreamParser parser(&sink);
        parser.feed(bytes);
        QCOMPARE(sink.markers.size(), 1);
        QCOMPARE(sink.markers.first().text, QString(114, QChar(0x00E9)));
    }
};

QTEST_GUILESS_MAIN(TestStreamParser)
#include "tst_streamparser.moc"
