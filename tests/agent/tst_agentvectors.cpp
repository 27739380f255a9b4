// SPDX-License-Identifier: GPL-3.0-or-later
// The senders' C encoder (guest-agent/protocol.c) and the core's StreamParser and StreamWriter against
// the same vectors (tests/agent/vectors), both ways: the parser reads the vector bytes and the C
// encoder's bytes into the records the vectors describe, and both encoders produce the vector bytes.
#include "protocol.h"
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"
#include "protocol/streamwriter.h"

#include <QFile>
#include <QTest>

#include <typeinfo>
#include <variant>

using namespace ExitScope;

namespace {

using AnyRecord = std::variant<Handshake, Sample, Marker, Heartbeat, ErrorRecord, ReasonSample>;

class CollectingSink : public RecordSink
{
public:
    QVector<AnyRecord> records;
    int gaps = 0;
    void handshake(const Handshake &r) override { records.append(r); }
    void sample(const Sample &r) override { records.append(r); }
    void marker(const Marker &r) override { records.append(r); }
    void heartbeat(const Heartbeat &r) override { records.append(r); }
    void error(const ErrorRecord &r) override { records.append(r); }
    void reasonSample(const ReasonSample &r) override { records.append(r); }
    void gap(quint64, quint64) override { ++gaps; }
};

// One line of records.tsv: the record as the parser must deliver it, and the raw string inputs.
struct Vector
{
    QByteArray line;
    AnyRecord expected;
    QByteArray str1, str2; // sender input before any cut
};

QByteArray unescape(const QByteArray &in)
{
    QByteArray out;
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in[i] == '\\' && i + 1 < in.size()) {
            const char n = in[i + 1];
            if (n == '\\') {
                out += '\\';
                ++i;
            } else if (n == 't') {
                out += '\t';
                ++i;
            } else if (n == 'x') {
                out += char(in.mid(i + 2, 2).toInt(nullptr, 16));
                i += 3;
            }
        } else {
            out += in[i];
        }
    }
    return out;
}

// The cut the protocol prescribes: at most max bytes, never inside a UTF-8 sequence.
QString cut(const QByteArray &utf8, qsizetype max)
{
    qsizetype n = utf8.size();
    if (n > max) {
        n = max;
        while (n > 0 && (uchar(utf8[n]) & 0xC0) == 0x80)
            --n;
    }
    return QString::fromUtf8(utf8.left(n));
}

quint64 num(const QByteArray &s)
{
    bool ok = false;
    const quint64 v = s.startsWith("0x") ? s.mid(2).toULongLong(&ok, 16) : s.toULongLong(&ok, 10);
    if (!ok)
        qFatal("records.tsv: '%s' is not a number", s.constData());
    return v;
}

QVector<Vector> loadVectors()
{
    QFile f(QStringLiteral(EXITSCOPE_SOURCE_DIR "/tests/agent/vectors/records.tsv"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(f.fileName()));
    QVector<Vector> out;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QList<QByteArray> f = line.split('\t');
        Vector v;
        v.line = line;
        const QByteArray &type = f[0];
        const quint64 seq = num(f[1]);
        if (type == "handshake") {
            Handshake h;
            h.seq = seq;
            h.sourceKind = SourceKind(num(f[2]));
            h.cpuVendor = CpuVendor(num(f[3]));
            h.abiVersion = quint16(num(f[4]));
            h.totalLeaf = quint32(num(f[5]));
            h.reasonLeaf = quint32(num(f[6]));
            h.discoveryLeaf = quint32(num(f[7]));
            h.sessionId = num(f[8]);
            h.periodNs = num(f[9]);
            v.str1 = unescape(f[10]);
            v.str2 = unescape(f[11]);
            h.sender = cut(v.str1, ES_MAX_HANDSHAKE_STRING);
            h.host = cut(v.str2, ES_MAX_HANDSHAKE_STRING);
            v.expected = h;
        } else if (type == "sample") {
            v.expected = Sample{seq, num(f[2]), quint32(num(f[3])), num(f[4]), num(f[5])};
        } else if (type == "marker") {
            Marker m;
            m.seq = seq;
            m.tNs = num(f[2]);
            m.exits = quint32(num(f[3]));
            m.cycles = num(f[4]);
            m.kind = MarkerKind(num(f[5]));
            m.flags = quint8(num(f[6]));
            m.span = quint32(num(f[7]));
            v.str1 = unescape(f[8]);
            m.text = cut(v.str1, ES_MAX_MARKER_TEXT);
            v.expected = m;
        } else if (type == "heartbeat") {
            v.expected = Heartbeat{seq, num(f[2]), num(f[3])};
        } else if (type == "error") {
            v.str1 = unescape(f[4]);
            v.expected = ErrorRecord{seq, num(f[2]), quint16(num(f[3])), cut(v.str1, ES_MAX_ERROR_TEXT)};
        } else if (type == "reason") {
            v.expected = ReasonSample{seq, num(f[2]), quint32(num(f[3])), quint32(num(f[4])), num(f[5])};
        } else {
            qFatal("records.tsv: unknown record type %s", type.constData());
        }
        out.append(v);
    }
    return out;
}

QByteArray vectorBytes()
{
    QFile f(QStringLiteral(EXITSCOPE_SOURCE_DIR "/tests/agent/vectors/stream.bin"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(f.fileName()));
    return f.readAll();
}

// The C encoder, fed the same inputs as the vector line.
QByteArray encodeWithC(const Vector &v)
{
    uint8_t buf[ES_MAX_RECORD];
    size_t len = 0;
    const QByteArray s1 = v.str1, s2 = v.str2; // NUL-terminated copies for C
    std::visit(
        [&](const auto &r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, Handshake>) {
                es_handshake h{quint8(r.sourceKind), quint8(r.cpuVendor), r.abiVersion, r.totalLeaf,
                               r.reasonLeaf, r.discoveryLeaf, r.sessionId, r.periodNs, s1.constData(),
                               s2.constData()};
                len = es_encode_handshake(buf, r.seq, &h);
            } else if constexpr (std::is_same_v<T, Sample>) {
                es_sample s{r.tNs, r.exits, r.cycles, r.ownCpuid};
                len = es_encode_sample(buf, r.seq, &s);
            } else if constexpr (std::is_same_v<T, Marker>) {
                es_marker m{r.tNs, r.exits, r.cycles, quint8(r.kind), r.flags, r.span, s1.constData()};
                len = es_encode_marker(buf, r.seq, &m);
            } else if constexpr (std::is_same_v<T, Heartbeat>) {
                es_heartbeat h{r.tNs, r.dropped};
                len = es_encode_heartbeat(buf, r.seq, &h);
            } else if constexpr (std::is_same_v<T, ErrorRecord>) {
                es_error e{r.tNs, r.code, s1.constData()};
                len = es_encode_error(buf, r.seq, &e);
            } else {
                es_reason_sample rs{r.tNs, r.reason, r.exits, r.cycles};
                len = es_encode_reason_sample(buf, r.seq, &rs);
            }
        },
        v.expected);
    return QByteArray(reinterpret_cast<const char *>(buf), qsizetype(len));
}

// The core encoder, fed the uncut inputs: it must cut the same way.
QByteArray encodeWithCore(const Vector &v)
{
    return std::visit(
        [&](auto r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, Handshake>) {
                r.sender = QString::fromUtf8(v.str1);
                r.host = QString::fromUtf8(v.str2);
            } else if constexpr (std::is_same_v<T, Marker> || std::is_same_v<T, ErrorRecord>) {
                r.text = QString::fromUtf8(v.str1);
            }
            return StreamWriter::encode(r);
        },
        v.expected);
}

QString describe(const AnyRecord &r)
{
    return std::visit([](const auto &x) { return QStringLiteral("seq %1 (%2)").arg(x.seq).arg(QLatin1String(typeid(x).name())); },
                      r);
}

void compareRecords(const QVector<AnyRecord> &got, const QVector<Vector> &want)
{
    QCOMPARE(got.size(), want.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        if (!(got[i] == want[i].expected))
            QFAIL(qPrintable(QStringLiteral("record %1 decodes to %2, not to what line '%3' says")
                                 .arg(i)
                                 .arg(describe(got[i]), QString::fromUtf8(want[i].line.left(60)))));
    }
}

} // namespace

class TestAgentVectors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        m_vectors = loadVectors();
        m_bytes = vectorBytes();
        QVERIFY2(m_vectors.size() >= 10, "records.tsv holds too few vectors");
    }

    // Vector bytes -> core parser, whole and split into two chunks at every offset.
    void parserReadsVectors()
    {
        for (qsizetype split = 0; split <= m_bytes.size(); ++split) {
            CollectingSink sink;
            StreamParser parser(&sink);
            parser.feed(QByteArrayView(m_bytes).first(split));
            parser.feed(QByteArrayView(m_bytes).sliced(split));
            parser.finish();
            QVERIFY2(parser.stats().clean(), qPrintable(QStringLiteral("split at %1").arg(split)));
            QCOMPARE(sink.gaps, 0);
            compareRecords(sink.records, m_vectors);
            if (QTest::currentTestFailed())
                QFAIL(qPrintable(QStringLiteral("split at %1").arg(split)));
        }
    }

    // C encoder -> exactly the vector bytes, and -> core parser -> the described records.
    void cEncoderOutputParsedByCore()
    {
        QByteArray all;
        qsizetype pos = 0;
        for (const Vector &v : std::as_const(m_vectors)) {
            const QByteArray bytes = encodeWithC(v);
            QCOMPARE(bytes.toHex(' '), m_bytes.mid(pos, bytes.size()).toHex(' '));
            pos += bytes.size();
            all += bytes;
        }
        QCOMPARE(pos, m_bytes.size());
        CollectingSink sink;
        StreamParser parser(&sink);
        for (qsizetype i = 0; i < all.size(); ++i) // byte by byte: the worst case for resuming
            parser.feed(QByteArrayView(all).sliced(i, 1));
        parser.finish();
        QVERIFY(parser.stats().clean());
        compareRecords(sink.records, m_vectors);
    }

    // Core encoder -> exactly the vector bytes, cutting long strings the way the C encoder does.
    void coreEncoderMatchesVectors()
    {
        qsizetype pos = 0;
        for (const Vector &v : std::as_const(m_vectors)) {
            const QByteArray bytes = encodeWithCore(v);
            QCOMPARE(bytes.toHex(' '), m_bytes.mid(pos, bytes.size()).toHex(' '));
            pos += bytes.size();
        }
        QCOMPARE(pos, m_bytes.size());
    }

private:
    QVector<Vector> m_vectors;
    QByteArray m_bytes;
};

QTEST_GUILESS_MAIN(TestAgentVectors)
#include "tst_agentvectors.moc"
