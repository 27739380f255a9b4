// SPDX-License-Identifier: GPL-3.0-or-later
#include "markerfactory.h"
#include "report/runreport.h"
#include "series/csvexporter.h"
#include "series/exitseries.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

namespace {

using TestFixture::makeMarker;
using TestFixture::makeMarkerWithCounters;

constexpr quint64 Base = 1'000'000'000;
constexpr quint64 Tenth = 100'000'000;
const QString Hostile = QStringLiteral("<script>alert(1)</script> & \"x\"");

// 1,200 exits in 1 s at 25 cycles each; an I/O span of 400 exits read at its markers; CPUID sampled
// with 300 exits and HLT with 100 after their first readings; a marker whose text is markup.
ExitSeries series(int extraMarkers = 0)
{
    Handshake h;
    h.sessionId = 7;
    h.periodNs = Tenth;
    h.cpuVendor = CpuVendor::AmdSvm;
    ExitSeries s;
    s.beginSession(h);
    s.appendMarker(makeMarker(1, Base, MarkerKind::Boot, 0, Hostile));
    s.append({2, Base, 1000, 50'000, 1});
    s.appendReason({3, Base, 0x72, 10, 1000}); // CPUID
    s.appendReason({4, Base, 0x78, 5, 500}); // HLT
    s.appendMarker(makeMarkerWithCounters(5, Base + 2 * Tenth, MarkerKind::IoStart, 1, QStringLiteral("vda write 8 MiB"), 1100, 52'500));
    s.appendMarker(makeMarkerWithCounters(6, Base + 6 * Tenth, MarkerKind::IoEnd, 1, QStringLiteral("done"), 1500, 62'500));
    s.appendReason({7, Base + 9 * Tenth, 0x72, 310, 31'000});
    s.appendReason({8, Base + 9 * Tenth, 0x78, 105, 2'500});
    s.append({9, Base + 10 * Tenth, 2200, 80'000, 11});
    for (int i = 0; i < extraMarkers; ++i)
        s.appendMarker(makeMarker(10 + quint64(i), Base + 10 * Tenth, MarkerKind::UserMark, 0, QStringLiteral("m%1").arg(i)));
    return s;
}

RunInfo info()
{
    RunInfo run;
    run.id = 12;
    run.name = QStringLiteral("<b>boot</b> cost");
    run.host = QStringLiteral("l1.example");
    run.kernel = QStringLiteral("6.1.0-57-amd64");
    run.guest = QStringLiteral("exitscope-l2");
    run.leafLayout = QStringLiteral("0x4FFFFFFF/0x4FFFFFFE abi 1 AMD SVM");
    run.state = RunInfo::State::Complete;
    return run;
}

RunReport::PlotWriter fakePlot(bool ok = true)
{
    return [ok](const QString &path, QString *error) {
        if (!ok) {
            *error = QStringLiteral("the plot is broken");
            return false;
        }
        QFile f(path);
        return f.open(QIODevice::WriteOnly) && f.write("\x89PNG fake") > 0;
    };
}

QString read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// Whatever a failed write left in folder's parent besides what was there before.
QStringList leftovers(const QTemporaryDir &parent, const QStringList &before)
{
    auto now = QDir(parent.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    for (const auto &name : before)
        now.removeAll(name);
    return now;
}

} // namespace

class TestRunReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesPageCsvsAndPlot()
    {
        QTemporaryDir parent;
        const auto folder = parent.filePath(QStringLiteral("report"));
        const auto s = series();
        QString error;
        QVERIFY2(RunReport::write(folder, info(), s, fakePlot(), &error), qPrintable(error));
        const QDir dir(folder);
        QCOMPARE(dir.entryList(QDir::Files, QDir::Name),
                 (QStringList{QStringLiteral("index.html"), QStringLiteral("plot.png"), QStringLiteral("reasons.csv"),
                              QStringLiteral("samples.csv")}));
        QVERIFY(leftovers(parent, {QStringLiteral("report")}).isEmpty());

        const auto page = read(dir.filePath(QStringLiteral("index.html")));
        // The run's description and totals.
        QVERIFY(page.contains(QStringLiteral("<h1>Run 12: &lt;b&gt;boot&lt;/b&gt; cost</h1>")));
        QVERIFY(page.contains(QStringLiteral("<td>6.1.0-57-amd64</td>")));
        QVERIFY(page.contains(QStringLiteral("<td>0x4FFFFFFF/0x4FFFFFFE abi 1 AMD SVM</td>")));
        QVERIFY2(page.contains(QStringLiteral("<td>1.000</td><td>1,200</td><td>10</td><td>30,000</td><td>25</td><td>1,200.0</td>")),
                 qPrintable(page));
        // The span, read at its markers: 400 exits, 10,000 cycles.
        QVERIFY(page.contains(QStringLiteral("<td>vda write 8 MiB</td><td>0.200</td><td>0.400</td><td>400</td><td>10,000</td>"
                                             "<td>25</td><td>markers</td><td>–</td>")));
        // No sample lies inside that span, so no reason reading does: the column says so.
        QVERIFY(page.contains(QStringLiteral("<th>Exit reasons</th>")));
        // Reasons by exits, named for SVM, with their share of the sampled reasons: 300 of 400.
        QVERIFY(page.contains(QStringLiteral("<td>CPUID</td><td>300</td><td>30,000</td><td>100</td><td>75.0 %</td>")));
        QVERIFY(page.contains(QStringLiteral("<td>HLT</td><td>100</td><td>2,000</td><td>20</td><td>25.0 %</td>")));
        QVERIFY(page.indexOf(QStringLiteral("<td>CPUID</td>")) < page.indexOf(QStringLiteral("<td>HLT</td>")));
        // Guest text is shown, never run.
        QVERIFY(!page.contains(QStringLiteral("<script")));
        QVERIFY(page.contains(QStringLiteral("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;")));
        QVERIFY(page.contains(QStringLiteral("<img src=\"plot.png\"")));
        QVERIFY(page.contains(QStringLiteral("<a href=\"reasons.csv\">")));

        // The CSVs are the exporter's, byte for byte.
        const auto csvCopy = parent.filePath(QStringLiteral("copy.csv"));
        QVERIFY(CsvExporter::writeFile(s, csvCopy));
        QCOMPARE(read(dir.filePath(QStringLiteral("samples.csv"))), read(csvCopy));
        QVERIFY(read(dir.filePath(QStringLiteral("reasons.csv"))).startsWith(CsvExporter::reasonHeader()));
    }

    void fillsAnEmptyFolder()
    {
        QTemporaryDir parent;
        const auto folder = parent.filePath(QStringLiteral("empty"));
        QVERIFY(QDir().mkdir(folder));
        QString error;
        QVERIFY2(RunReport::write(folder, info(), series(), fakePlot(), &error), qPrintable(error));
        QVERIFY(QFile::exists(QDir(folder).filePath(QStringLiteral("index.html"))));
    }

    void refusesAFolderWithSomethingInIt()
    {
        QTemporaryDir parent;
        const auto folder = parent.filePath(QStringLiteral("mine"));
        QVERIFY(QDir().mkdir(folder));
        const auto keep = QDir(folder).filePath(QStringLiteral("thesis.tex"));
        {
            QFile f(keep);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("mine");
        }
        QString error;
        QVERIFY(!RunReport::write(folder, info(), series(), fakePlot(), &error));
        QVERIFY2(error.contains(QStringLiteral("is not empty")), qPrintable(error));
        QCOMPARE(QDir(folder).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{QStringLiteral("thesis.tex")});
        QCOMPARE(read(keep), QStringLiteral("mine"));
        QVERIFY(leftovers(parent, {QStringLiteral("mine")}).isEmpty());

        // A file of that name is not a folder either.
        QVERIFY(!RunReport::write(keep, info(), series(), fakePlot(), &error));
        QVERIFY2(error.contains(QStringLiteral("is a file")), qPrintable(error));
        QCOMPARE(read(keep), QStringLiteral("mine"));
    }

    void aFailedPlotLeavesNoHalfReport()
    {
        QTemporaryDir parent;
        const auto folder = parent.filePath(QStringLiteral("report"));
        QString error;
        QVERIFY(!RunReport::write(folder, info(), series(), fakePlot(false), &error));
        QVERIFY2(error.contains(QStringLiteral("the plot is broken")), qPrintable(error));
        QVERIFY(!QFileInfo::exists(folder));
        QVERIFY(leftovers(parent, {}).isEmpty());
    }

    void withoutPlotOrReasonsThePageSaysSo()
    {
        QTemporaryDir parent;
        Handshake h;
        h.periodNs = Tenth;
        ExitSeries s;
        s.beginSession(h);
        s.append({1, Base, 10, 100, 0});
        s.append({2, Base + Tenth, 20, 200, 0});
        const auto folder = parent.filePath(QStringLiteral("plain"));
        QString error;
        QVERIFY2(RunReport::write(folder, RunInfo{}, s, {}, &error), qPrintable(error));
        QCOMPARE(QDir(folder).entryList(QDir::Files, QDir::Name),
                 (QStringList{QStringLiteral("index.html"), QStringLiteral("samples.csv")}));
        const auto page = read(QDir(folder).filePath(QStringLiteral("index.html")));
        QVERIFY(page.contains(QStringLiteral("No plot was written.")));
        QVERIFY(page.contains(QStringLiteral("The run sampled no exit reasons.")));
        QVERIFY(page.contains(QStringLiteral("No spans")));
        QVERIFY(!page.contains(QStringLiteral("reasons.csv")));
    }

    void listsAtMostTheCappedNumberOfMarkers()
    {
        const auto s = series(RunReport::MaxListedMarkers + 100);
        const auto page = RunReport::html(info(), s, false, false);
        // Boot, I/O start and end, and the user marks: 503 + 100 - 500 more.
        QCOMPARE(page.count(QStringLiteral("<td>mark</td>")) + 3, RunReport::MaxListedMarkers);
        QVERIFY2(page.contains(QStringLiteral("103 more markers are in <a href=\"samples.csv\">")), qPrintable(page.right(400)));
    }
};

QTEST_GUILESS_MAIN(TestRunReport)
#include "tst_runreport.moc"
