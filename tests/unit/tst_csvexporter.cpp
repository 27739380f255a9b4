// SPDX-License-Identifier: GPL-3.0-or-later
#include "markerfactory.h"
#include "series/csvexporter.h"
#include "series/exitseries.h"

#include <QBuffer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

namespace {

using TestFixture::makeMarker;

constexpr quint64 Base = 1'000'000'000;
constexpr quint64 Tenth = 100'000'000;

const QString BootText = QStringLiteral("boot: kernel 2.31 s, userspace 0.84 s");
const QString QuotedText = QStringLiteral("say \"hi\", then\r\na new line");
const QString EndText = QStringLiteral("ok, \"fast\"\nreally");

// A small series with one of everything the CSV has to express; the values are worked out by hand
// in tst_exitseries.cpp's manner and checked again below.
ExitSeries smallSeries()
{
    Handshake h;
    h.sessionId = 1;
    h.periodNs = Tenth;
    ExitSeries s;
    s.beginSession(h);
    s.appendMarker(makeMarker(1, Base, MarkerKind::Boot, 0, BootText)); // before any sample
    s.append({2, Base, 4'294'967'000u, 1'000'000, 1});
    s.append({3, Base + Tenth, 4'294'967'200u, 1'004'000, 2}); // +200 exits, 20 cycles each
    auto mark = makeMarker(4, Base + Tenth + Tenth / 2, MarkerKind::UserMark, 0, QuotedText);
    mark.flags = Marker::CountersValid;
    mark.exits = 4'294'967'250u; // 50 exits after the sample before it
    mark.cycles = 1'005'000;
    s.appendMarker(mark);
    s.append({5, Base + 2 * Tenth, 104, 1'010'000, 3}); // wrap: 96 + 104 = 200 exits, 30 cycles each
    s.noteGap(); // seq 6 lost
    s.append({7, Base + 4 * Tenth, 504, 1'018'000, 5}); // +400 exits over 0.2 s, 2 of them own
    s.append({8, Base + 5 * Tenth, 50, 1'000, 6}); // cycles went back: KVM was reloaded
    s.append({9, Base + 6 * Tenth, 150, 3'000, 7}); // +100 exits, 20 cycles each
    s.appendMarker(makeMarker(10, Base + 6 * Tenth, MarkerKind::IoStart, 3, QStringLiteral("vda write 12 MiB")));
    s.appendMarker(makeMarker(11, Base + 7 * Tenth, MarkerKind::IoEnd, 3, EndText));
    return s;
}

// An RFC 4180 reader independent of the exporter: records end with CRLF, fields with a comma, and
// a field in double quotes may hold commas, CR, LF and doubled quotes. Returns false on anything else.
bool parseCsv(const QByteArray &bytes, QVector<QStringList> *records)
{
    const QString text = QString::fromUtf8(bytes);
    QStringList record;
    QString field;
    qsizetype i = 0;
    while (i < text.size()) {
        if (text.at(i) == QLatin1Char('"')) {
            if (!field.isEmpty())
                return false; // a quote inside an unquoted field
            ++i;
            for (;;) {
                if (i >= text.size())
                    return false; // unterminated
                if (text.at(i) == QLatin1Char('"')) {
                    if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('"')) {
                        field += QLatin1Char('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text.at(i++);
            }
            if (i < text.size() && text.at(i) != QLatin1Char(',') && text.at(i) != QLatin1Char('\r'))
                return false; // text after the closing quote
            continue;
        }
        if (text.at(i) == QLatin1Char(',')) {
            record << field;
            field.clear();
            ++i;
        } else if (text.at(i) == QLatin1Char('\r')) {
            if (i + 1 >= text.size() || text.at(i + 1) != QLatin1Char('\n'))
                return false; // a bare CR
            record << field;
            field.clear();
            records->append(record);
            record.clear();
            i += 2;
        } else if (text.at(i) == QLatin1Char('\n')) {
            return false; // a bare LF outside quotes
        } else {
            field += text.at(i++);
        }
    }
    return record.isEmpty() && field.isEmpty(); // the last record ended with CRLF too
}

QByteArray exportToBytes(const ExitSeries &series)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QString error;
    if (!CsvExporter::write(series, &buffer, &error))
        qWarning("export failed: %s", qPrintable(error));
    return buffer.data();
}

QString goldenPath()
{
    return QStringLiteral(EXITSCOPE_TEST_DATA "/csv/small-series.csv");
}

} // namespace

class TestCsvExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesGoldenFile()
    {
        // The golden file is kept by hand, never written by the exporter: every value in it is worked
        // out from smallSeries() in tests/data/csv/README.md.
        const auto bytes = exportToBytes(smallSeries());
        QFile golden(goldenPath());
        QVERIFY2(golden.open(QIODevice::ReadOnly), qPrintable(goldenPath()));
        const auto expected = golden.readAll();
        if (bytes != expected) {
            const auto got = bytes.split('\n');
            const auto want = expected.split('\n');
            for (qsizetype i = 0; i < qMin(got.size(), want.size()); ++i)
                QCOMPARE(QString::fromUtf8(got.at(i)), QString::fromUtf8(want.at(i)));
            QCOMPARE(got.size(), want.size());
        }
        QVERIFY(bytes == expected);
    }

    void isRfc4180()
    {
        const auto bytes = exportToBytes(smallSeries());
        QVector<QStringList> rows;
        QVERIFY2(parseCsv(bytes, &rows), "not RFC 4180");
        // Every LF in the file belongs to a CRLF, except the ones inside quoted marker text.
        QCOMPARE(bytes.count("\r\n"), qsizetype(rows.size() + 1)); // one more CRLF inside QuotedText
        QCOMPARE(rows.size(), 1 + 6 + 4);
        const auto header = CsvExporter::header().split(QLatin1Char(','));
        QCOMPARE(rows.first(), header);
        QCOMPARE(header.size(), 20);
        for (const auto &row : rows)
            QCOMPARE(row.size(), header.size());

        const auto col = [&](const QStringList &row, const char *name) {
            const auto index = header.indexOf(QLatin1String(name));
            return index >= 0 ? row.at(index) : QStringLiteral("<no column %1>").arg(QLatin1String(name));
        };
        // Rows in time order: the boot marker, two samples, the user mark, four samples, the span.
        QStringList kinds;
        for (qsizetype i = 1; i < rows.size(); ++i)
            kinds << col(rows.at(i), "row");
        QCOMPARE(kinds.join(QLatin1Char(' ')),
                 QStringLiteral("marker sample sample marker sample sample sample sample marker marker"));

        // Text survives quoting exactly.
        QCOMPARE(col(rows.at(1), "text"), BootText);
        QCOMPARE(col(rows.at(4), "text"), QuotedText);
        QCOMPARE(col(rows.at(10), "text"), EndText);
        QCOMPARE(col(rows.at(10), "marker_kind"), QStringLiteral("io-end"));
        QCOMPARE(col(rows.at(10), "span"), QStringLiteral("3"));

        // The wrap: 96 + 104 = 200 exits; totals go on past 2^32 of raw counter.
        const auto &wrap = rows.at(5);
        QCOMPARE(col(wrap, "exits_raw"), QStringLiteral("104"));
        QCOMPARE(col(wrap, "delta_exits"), QStringLiteral("200"));
        QCOMPARE(col(wrap, "exits_total"), QStringLiteral("400"));
        QCOMPARE(col(wrap, "exits_per_s"), QStringLiteral("2000.000"));
        QCOMPARE(col(wrap, "net_exits_per_s"), QStringLiteral("1990.000"));
        QCOMPARE(col(wrap, "cycles_per_exit"), QStringLiteral("30.000"));
        QCOMPARE(col(wrap, "flags"), QString());

        // The user mark carries counters: 200 + 50 exits since the first sample.
        QCOMPARE(col(rows.at(4), "exits_total"), QStringLiteral("250"));
        QCOMPARE(col(rows.at(4), "cycles_total"), QStringLiteral("5000"));
        QCOMPARE(col(rows.at(1), "exits_total"), QString()); // the boot marker has none

        // The gap: 400 exits over 0.2 s, 2 of them the sampler's.
        const auto &gap = rows.at(6);
        QCOMPARE(col(gap, "flags"), QStringLiteral("gap"));
        QCOMPARE(col(gap, "interval_s"), QStringLiteral("0.200000"));
        QCOMPARE(col(gap, "exits_per_s"), QStringLiteral("2000.000"));
        QCOMPARE(col(gap, "net_exits_per_s"), QStringLiteral("1990.000"));

        // The reset: no rates, totals continue.
        const auto &reset = rows.at(7);
        QCOMPARE(col(reset, "flags"), QStringLiteral("reset"));
        QCOMPARE(col(reset, "exits_per_s"), QString());
        QCOMPARE(col(reset, "net_exits_per_s"), QString());
        QCOMPARE(col(reset, "cycles_per_exit"), QString());
        QCOMPARE(col(reset, "delta_exits"), QStringLiteral("50"));
        QCOMPARE(col(reset, "exits_total"), QStringLiteral("850"));

        const auto &first = rows.at(2);
        QCOMPARE(col(first, "flags"), QStringLiteral("first"));
        QCOMPARE(col(first, "t_s"), QStringLiteral("0.000000"));
        QCOMPARE(col(first, "exits_per_s"), QString());
        QCOMPARE(col(rows.at(8), "t_s"), QStringLiteral("0.600000"));
        QCOMPARE(col(rows.at(8), "exits_total"), QStringLiteral("950"));
    }

    void markerTextIsNeverAFormula()
    {
        // Guest-controlled text that a spreadsheet would evaluate gets a leading apostrophe.
        QCOMPARE(CsvExporter::textField(QStringLiteral("=HYPERLINK(\"http://x\",\"y\")")),
                 QStringLiteral("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""));
        QCOMPARE(CsvExporter::textField(QStringLiteral("+1")), QStringLiteral("'+1"));
        QCOMPARE(CsvExporter::textField(QStringLiteral("-2+3")), QStringLiteral("'-2+3"));
        QCOMPARE(CsvExporter::textField(QStringLiteral("@SUM(A1)")), QStringLiteral("'@SUM(A1)"));
        QCOMPARE(CsvExporter::textField(QStringLiteral("\t=1")), QStringLiteral("'\t=1"));
        QCOMPARE(CsvExporter::textField(QStringLiteral("vda write 8 MiB")), QStringLiteral("vda write 8 MiB"));
        QCOMPARE(CsvExporter::textField(QStringLiteral("a=b")), QStringLiteral("a=b"));
        QCOMPARE(CsvExporter::textField(QString()), QString());

        ExitSeries series;
        Marker m;
        m.seq = 1;
        m.tNs = 1;
        m.kind = MarkerKind::UserMark;
        m.text = QStringLiteral("=cmd|' /C calc'!A0");
        series.marker(m);
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QString error;
        QVERIFY(CsvExporter::write(series, &buffer, &error));
        QVERIFY2(buffer.data().contains(",'=cmd|' /C calc'!A0\r\n"), buffer.data().constData());
    }

    void quotesOnlyWhatNeedsIt()
    {
        QCOMPARE(CsvExporter::quote(QStringLiteral("plain text")), QStringLiteral("plain text"));
        QCOMPARE(CsvExporter::quote(QString()), QString());
        QCOMPARE(CsvExporter::quote(QStringLiteral("a,b")), QStringLiteral("\"a,b\""));
        QCOMPARE(CsvExporter::quote(QStringLiteral("say \"x\"")), QStringLiteral("\"say \"\"x\"\"\""));
        QCOMPARE(CsvExporter::quote(QStringLiteral("cr\rhere")), QStringLiteral("\"cr\rhere\""));
        QCOMPARE(CsvExporter::quote(QStringLiteral("lf\nhere")), QStringLiteral("\"lf\nhere\""));
    }

    void emptySeriesIsJustTheHeader()
    {
        const auto bytes = exportToBytes(ExitSeries());
        QCOMPARE(bytes, CsvExporter::header().toUtf8() + "\r\n");
    }

    void writeFileWritesTheSameBytesAndReportsErrors()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto path = dir.filePath(QStringLiteral("out.csv"));
        QString error;
        QVERIFY2(CsvExporter::writeFile(smallSeries(), path, &error), qPrintable(error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), exportToBytes(smallSeries()));

        const auto bad = dir.filePath(QStringLiteral("no/such/folder/out.csv"));
        QVERIFY(!CsvExporter::writeFile(smallSeries(), bad, &error));
        QVERIFY2(error.contains(bad), qPrintable(error));
        QVERIFY(!QFile::exists(bad));
    }
};

QTEST_GUILESS_MAIN(TestCsvExporter)
#include "tst_csvexporter.moc"
