// SPDX-License-Identifier: GPL-3.0-or-later
// exitscope-cli as a script sees it: exit codes, messages, files.
#include "../gui/streamfixture.h"
#include "series/csvexporter.h"
#include "series/exitseries.h"
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QDir>
#include <QTest>

using namespace ExitScope;

namespace {
struct Result
{
    int code = -1;
    QString out;
    QString err;
};
} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_recording;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    Result cli(const QStringList &arguments, int timeoutMs = 30000)
    {
        QProcess process;
        process.start(QStringLiteral(EXITSCOPE_CLI), arguments);
        Result r;
        if (!process.waitForFinished(timeoutMs)) {
            process.kill();
            process.waitForFinished();
            r.err = QStringLiteral("timed out");
            return r;
        }
        r.code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
        r.out = QString::fromUtf8(process.readAllStandardOutput());
        r.err = QString::fromUtf8(process.readAllStandardError());
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_recording = path(QStringLiteral("fixture.exs"));
        QVERIFY(TestFixture::writeStream(m_recording, TestFixture::makeStream()));
    }

    // exitscope --help and --version answer where there is no display (a terminal over ssh): they
    // used to abort in QApplication before the parser could answer.
    void guiAnswersHelpWithoutADisplay()
    {
        for (const auto &argument : {QStringLiteral("--help"), QStringLiteral("--version")}) {
            QProcess process;
            auto env = QProcessEnvironment::systemEnvironment();
            env.remove(QStringLiteral("DISPLAY"));
            env.remove(QStringLiteral("WAYLAND_DISPLAY"));
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb")); // what a desktop would use
            process.setProcessEnvironment(env);
            process.start(QStringLiteral(EXITSCOPE_GUI), {argument});
            QVERIFY(process.waitForFinished(30000));
            QCOMPARE(process.exitStatus(), QProcess::NormalExit);
            QCOMPARE(process.exitCode(), 0);
            const auto out = QString::fromUtf8(process.readAllStandardOutput());
            QVERIFY2(out.contains(argument == QLatin1String("--help") ? QStringLiteral("--replay") : QStringLiteral("exitscope ")),
                     qPrintable(out + QString::fromUtf8(process.readAllStandardError())));
        }
    }

    // What a desktop does when a recording is opened from a file manager (Exec=exitscope %f): the
    // recording, as the only argument, is replayed into the run database.
    void guiReplaysARecordingGivenAsItsArgument()
    {
        QProcess process;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        process.setProcessEnvironment(env);
        const auto store = path(QStringLiteral("opened.sqlite"));
        const auto shot = path(QStringLiteral("opened.png"));
        process.start(QStringLiteral(EXITSCOPE_GUI), {QStringLiteral("--store"), store, QStringLiteral("--fast"),
                                                      QStringLiteral("--screenshot"), shot, m_recording});
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitCode(), 0);
        QVERIFY(QImage(shot).width() > 0);
        auto r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QLatin1String("fixture.exs")), qPrintable(r.out));

        // Two recordings at once are refused with a message.
        process.start(QStringLiteral(EXITSCOPE_GUI), {QStringLiteral("--store"), store, m_recording, m_recording});
        QVERIFY(process.waitForFinished(30000));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(process.readAllStandardError().contains("one recording at a time"));
    }

    // The reasons a run sampled, in long format: every reading of every reason, named in the
    // sender's numbering, its deltas adding up to the run's exits.
    void reasonsCsvIsLongFormat()
    {
        TestFixture::StreamShape shape;
        shape.reasons = true;
        const auto recording = path(QStringLiteral("reasons.exs"));
        QVERIFY(TestFixture::writeStream(recording, TestFixture::makeStream(shape)));
        const auto csv = path(QStringLiteral("reasons.csv"));
        const auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), path(QStringLiteral("reasons.sqlite")),
                            QStringLiteral("--file"), recording, QStringLiteral("--reasons-csv"), csv});
        QCOMPARE(r.code, 0);
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(file.readAll()).split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QStringLiteral("t_s,reason,reason_name,exits,cycles,exits_total,cycles_total"));
        QCOMPARE(lines.size(), 1 + 3 * shape.samples);
        QHash<QString, quint64> exits;
        for (int i = 1; i < lines.size(); ++i) {
            const auto fields = lines.at(i).split(QLatin1Char(','));
            QCOMPARE(fields.size(), 7);
            exits[fields.at(2)] += fields.at(3).toULongLong();
        }
        QCOMPARE(exits.keys().size(), 3);
        // 199 intervals: 49 of 4,000, 50 of 8,000, 100 of 4,000 (the last sample's step is after it).
        const quint64 total = 149 * 4000 + 50 * 8000;
        QCOMPARE(exits.value(QStringLiteral("HLT")) + exits.value(QStringLiteral("IOIO")) + exits.value(QStringLiteral("NPF")), total);
        QCOMPARE(exits.value(QStringLiteral("HLT")), total / 2);
    }

    // export --report: a folder with the page, the plot and the CSVs, for a stored run; a folder
    // with something in it is refused with exit status 1 and left as it was.
    void reportFolder()
    {
        TestFixture::StreamShape shape;
        shape.reasons = true;
        const auto recording = path(QStringLiteral("report.exs"));
        QVERIFY(TestFixture::writeStream(recording, TestFixture::makeStream(shape)));
        const auto store = path(QStringLiteral("report.sqlite"));
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), recording,
                      QStringLiteral("--name"), QStringLiteral("<i>report</i>")});
        QCOMPARE(r.code, 0);
        const auto folder = path(QStringLiteral("report-1"));
        r = cli({QStringLiteral("export"), QStringLiteral("1"), QStringLiteral("--store"), store, QStringLiteral("--report"), folder,
                 QStringLiteral("--size"), QStringLiteral("800x450")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains(QStringLiteral("wrote %1/index.html").arg(folder)), qPrintable(r.err));
        QCOMPARE(QDir(folder).entryList(QDir::Files, QDir::Name),
                 (QStringList{QStringLiteral("index.html"), QStringLiteral("plot.png"), QStringLiteral("reasons.csv"),
                              QStringLiteral("samples.csv")}));
        QCOMPARE(QImage(QDir(folder).filePath(QStringLiteral("plot.png"))).size(), QSize(800, 450));
        QFile page(QDir(folder).filePath(QStringLiteral("index.html")));
        QVERIFY(page.open(QIODevice::ReadOnly));
        const auto html = QString::fromUtf8(page.readAll());
        QVERIFY(html.contains(QStringLiteral("<h1>Run 1: &lt;i&gt;report&lt;/i&gt;</h1>")));
        QVERIFY(html.contains(QStringLiteral("<td>NPF</td>")));

        r = cli({QStringLiteral("export"), QStringLiteral("1"), QStringLiteral("--store"), store, QStringLiteral("--report"), folder});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QStringLiteral("is not empty")), qPrintable(r.err));
        QCOMPARE(QDir(folder).entryList(QDir::Files).size(), 4);
    }

    // compare: spans of repetitions side by side with their spread; fewer than two runs is a usage error.
    void compareSummarizesRuns()
    {
        const auto store = path(QStringLiteral("compare.sqlite"));
        TestFixture::StreamShape shapes[2];
        shapes[1].exitsPerSample = 6000;
        for (int i = 0; i < 2; ++i) {
            const auto recording = path(QStringLiteral("compare-%1.exs").arg(i));
            QVERIFY(TestFixture::writeStream(recording, TestFixture::makeStream(shapes[i])));
            QCOMPARE(cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), recording}).code, 0);
        }
        auto r = cli({QStringLiteral("compare"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        const auto lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3); // header, the whole runs, the workload
        QVERIFY(lines.at(0).startsWith(QStringLiteral("span\truns\texits_mean\texits_sd")));
        QVERIFY(lines.at(0).endsWith(QStringLiteral("\texits_run1\texits_run2")));
        // The workload, samples 50..100: 50 intervals of twice the exits per sample, 8,000 and 12,000.
        const auto workload = lines.at(2).split(QLatin1Char('\t'));
        QCOMPARE(workload.at(0), QStringLiteral("write 8"));
        QCOMPARE(workload.at(1), QStringLiteral("2"));
        QCOMPARE(workload.at(2), QStringLiteral("500000.0")); // mean of 400,000 and 600,000
        QCOMPARE(workload.at(3), QStringLiteral("141421.4")); // sd: 200,000 / sqrt(2)
        QCOMPARE(workload.at(10), QStringLiteral("400000"));
        QCOMPARE(workload.at(11), QStringLiteral("600000"));

        r = cli({QStringLiteral("compare"), QStringLiteral("1"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains(QStringLiteral("compare takes two or more run numbers")));
        r = cli({QStringLiteral("compare"), QStringLiteral("1"), QStringLiteral("9"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 4);
    }

    // Two groups of repetitions: Welch's test says whether their exits differ by more than their
    // spread. Workloads of 400,000 and 410,000 exits against 600,000 and 610,000: t = -28.28 with
    // 2 degrees of freedom, p = 1 - |t| / sqrt(t² + 2) = 0.00125.
    void compareVersusTestsTheGroups()
    {
        const auto store = path(QStringLiteral("versus.sqlite"));
        for (const int perSample : {4000, 4100, 6000, 6100}) {
            TestFixture::StreamShape shape;
            shape.exitsPerSample = perSample;
            const auto recording = path(QStringLiteral("versus-%1.exs").arg(perSample));
            QVERIFY(TestFixture::writeStream(recording, TestFixture::makeStream(shape)));
            QCOMPARE(cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), recording}).code, 0);
        }
        auto r = cli({QStringLiteral("compare"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("vs"), QStringLiteral("3"),
                      QStringLiteral("4"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        const auto lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines.at(0).endsWith(QStringLiteral("\texits_mean_a\texits_mean_b\tdifference_percent\twelch_t\twelch_df\twelch_p\tverdict")));
        const auto workload = lines.at(2).split(QLatin1Char('\t'));
        QCOMPARE(workload.at(0), QStringLiteral("write 8"));
        QCOMPARE(workload.at(14), QStringLiteral("405000.0"));
        QCOMPARE(workload.at(15), QStringLiteral("605000.0"));
        QCOMPARE(workload.at(16), QStringLiteral("49.4"));
        QCOMPARE(workload.at(17), QStringLiteral("-28.284"));
        QCOMPARE(workload.at(18), QStringLiteral("2.0"));
        QCOMPARE(workload.at(19), QStringLiteral("0.00125"));
        QCOMPARE(workload.at(20), QStringLiteral("differs (p < 0.05)"));

        r = cli({QStringLiteral("compare"), QStringLiteral("1"), QStringLiteral("vs"), QStringLiteral("3"), QStringLiteral("4"),
                 QStringLiteral("--store"), store});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains(QStringLiteral("two runs or more on each side of 'vs'")));
    }

    void helpAndVersion()
    {
        auto r = cli({QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QLatin1String("Exit codes")));
        r = cli({QStringLiteral("--version")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith(QLatin1String("exitscope-cli ")));
    }

    void badArgumentsExitWithTwo_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        const auto store = path(QStringLiteral("unused.sqlite"));
        QTest::newRow("nothing") << QStringList{} << QStringLiteral("no command given");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("fly")} << QStringLiteral("unknown command 'fly'");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("runs"), QStringLiteral("--fly")}
                                        << QStringLiteral("Unknown option 'fly'");
        QTest::newRow("record without source") << QStringList{QStringLiteral("record"), QStringLiteral("--store"), store}
                                               << QStringLiteral("exactly one of --file, --command, --agent or --probe");
        QTest::newRow("record with two sources")
            << QStringList{QStringLiteral("record"), QStringLiteral("--file"), m_recording, QStringLiteral("--command"),
                           QStringLiteral("true")}
            << QStringLiteral("exactly one of --file, --command, --agent or --probe");
        QTest::newRow("bad size") << QStringList{QStringLiteral("export"), QStringLiteral("1"), QStringLiteral("--png"),
                                                 QStringLiteral("x.png"), QStringLiteral("--size"), QStringLiteral("big")}
                                  << QStringLiteral("--size must look like 1600x900");
        QTest::newRow("bad speed") << QStringList{QStringLiteral("record"), QStringLiteral("--file"), m_recording,
                                                  QStringLiteral("--speed"), QStringLiteral("-1")}
                                   << QStringLiteral("--speed needs a positive number");
        QTest::newRow("agent without host") << QStringList{QStringLiteral("record"), QStringLiteral("--agent"), QStringLiteral("l2")}
                                            << QStringLiteral("record --agent needs --connect URI");
        QTest::newRow("boot without agent") << QStringList{QStringLiteral("record"), QStringLiteral("--file"), m_recording,
                                                           QStringLiteral("--boot")}
                                            << QStringLiteral("--boot goes with --agent");
        QTest::newRow("probe without ssh") << QStringList{QStringLiteral("record"), QStringLiteral("--probe"), QStringLiteral("--connect"),
                                                          QStringLiteral("qemu:///system")}
                                           << QStringLiteral("does not reach its host over SSH");
        QTest::newRow("export without output") << QStringList{QStringLiteral("export"), QStringLiteral("1")}
                                               << QStringLiteral("at least one of --csv, --reasons-csv, --png, --pdf, --report");
    }

    void badArgumentsExitWithTwo()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const auto r = cli(arguments);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("exitscope-cli --help")));
    }

    void missingStoreExitsWithThree()
    {
        const auto missing = path(QStringLiteral("no/such/runs.sqlite"));
        for (const auto &verb : {QStringLiteral("runs"), QStringLiteral("spans")}) {
            QStringList arguments = {verb, QStringLiteral("--store"), missing};
            if (verb == QLatin1String("spans"))
                arguments << QStringLiteral("1");
            const auto r = cli(arguments);
            QCOMPARE(r.code, 3);
            QVERIFY2(r.err.contains(QLatin1String("there is no run database at")) && r.err.contains(missing), qPrintable(r.err));
        }
        QVERIFY(!QFile::exists(missing)); // reading never creates a database
    }

    void corruptStoreExitsWithThree()
    {
        const auto corrupt = path(QStringLiteral("corrupt.sqlite"));
        QFile file(corrupt);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QByteArray junk(64 * 1024, '\0');
        for (int i = 0; i < junk.size(); ++i)
            junk[i] = char((i * 7919) ^ (i >> 3));
        file.write(junk);
        file.close();
        const auto before = junk;
        for (const auto &arguments : {QStringList{QStringLiteral("runs"), QStringLiteral("--store"), corrupt},
                                      QStringList{QStringLiteral("record"), QStringLiteral("--store"), corrupt,
                                                  QStringLiteral("--file"), m_recording}}) {
            const auto r = cli(arguments);
            QCOMPARE(r.code, 3);
            QVERIFY2(r.err.contains(QLatin1String("is not a readable ExitScope run database")), qPrintable(r.err));
        }
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), before); // a damaged file is left alone for the user to rescue
    }

    // One damaged page in the middle of a run: export used to write the rows before it and exit 0.
    void damagedRunIsNotExportedInPart()
    {
        const auto store = path(QStringLiteral("damaged-page.sqlite"));
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--command"),
                      QStringLiteral("%1 --samples 200000").arg(QStringLiteral(EXITSCOPE_TEST_EMITTER)),
                      QStringLiteral("--quiet")}, 120000);
        QCOMPARE(r.code, 0);
        QFile file(store);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 pageSize = 4096;
        QVERIFY(file.seek(file.size() / pageSize / 2 * pageSize));
        QByteArray noise(pageSize, '\0');
        for (int i = 0; i < noise.size(); ++i)
            noise[i] = char((i * 7919) ^ (i >> 3));
        file.write(noise);
        file.close();
        const auto csv = path(QStringLiteral("damaged-page.csv"));
        r = cli({QStringLiteral("export"), QStringLiteral("1"), QStringLiteral("--store"), store, QStringLiteral("--csv"), csv});
        QCOMPARE(r.code, 3);
        QVERIFY2(r.err.contains(QLatin1String("Run 1 is damaged")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("of its 200000 samples")), qPrintable(r.err));
        QVERIFY(!QFile::exists(csv)); // no partial export left behind to be mistaken for the run

        // check finds it, and salvages what can be read into a new store, marked damaged.
        r = cli({QStringLiteral("check"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 3);
        QVERIFY2(r.out.contains(QLatin1String("SQLite finds damage")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("run 1: damaged: Run 1 is damaged")), qPrintable(r.out));
        const auto rescued = path(QStringLiteral("salvaged.sqlite"));
        r = cli({QStringLiteral("check"), QStringLiteral("--store"), store, QStringLiteral("--salvage"), rescued});
        QCOMPARE(r.code, 3);
        QVERIFY2(r.out.contains(QLatin1String("salvaged 1 of 1 runs")), qPrintable(r.out));
        r = cli({QStringLiteral("check"), QStringLiteral("--store"), rescued});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QLatin1String("SQLite finds the file sound")), qPrintable(r.out));
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), rescued});
        const auto row = r.out.split(QLatin1Char('\n')).value(1).split(QLatin1Char('\t'));
        QCOMPARE(row.value(2), QStringLiteral("damaged"));
        QVERIFY2(row.value(1).toInt() > 0 && row.value(1).toInt() < 200000, qPrintable(r.out));
        // A salvage never writes over the store it reads, or over a file that exists.
        r = cli({QStringLiteral("check"), QStringLiteral("--store"), store, QStringLiteral("--salvage"), store});
        QCOMPARE(r.code, 2);
        r = cli({QStringLiteral("check"), QStringLiteral("--store"), store, QStringLiteral("--salvage"), rescued});
        QCOMPARE(r.code, 2);
    }

    // A duration too large for any clock (1e99, inf) means "until the input ends"; it used to overflow
    // a conversion to an integer and stop the recording at once, with status 0.
    void hugeDurationsRecordUntilTheInputEnds_data()
    {
        QTest::addColumn<QString>("duration");
        QTest::newRow("1e99") << QStringLiteral("1e99");
        QTest::newRow("inf") << QStringLiteral("inf");
    }
    void hugeDurationsRecordUntilTheInputEnds()
    {
        QFETCH(QString, duration);
        const auto store = path(QStringLiteral("huge-%1.sqlite").arg(duration));
        const auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--command"),
                            QStringLiteral("%1 --samples 50 --interval-ms 10").arg(QStringLiteral(EXITSCOPE_TEST_EMITTER)),
                            QStringLiteral("--duration"), duration, QStringLiteral("--quiet")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QLatin1String(": 50 samples")), qPrintable(r.out + r.err));
    }

    // An output that is the input, the run database or another output destroys data as it opens:
    // refused before anything is written.
    void outputsNeverOverwriteInputs()
    {
        const auto store = path(QStringLiteral("guarded.sqlite"));
        const auto recording = path(QStringLiteral("guarded.exs"));
        QVERIFY(QFile::copy(m_recording, recording));
        const auto before = QFileInfo(recording).size();
        const QStringList record{QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), recording};
        auto r = cli(record + QStringList{QStringLiteral("--save-stream"), recording});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("the recording being read")), qPrintable(r.err));
        QCOMPARE(QFileInfo(recording).size(), before);
        QVERIFY(!QFileInfo::exists(store)); // refused before the database was made

        // The same file under another name, through a link.
        QVERIFY(QFile::link(recording, path(QStringLiteral("alias.exs"))));
        r = cli(record + QStringList{QStringLiteral("--csv"), path(QStringLiteral("alias.exs"))});
        QCOMPARE(r.code, 2);
        QCOMPARE(QFileInfo(recording).size(), before);

        r = cli(record + QStringList{QStringLiteral("--name"), QStringLiteral("kept")});
        QCOMPARE(r.code, 0);
        const auto storeSize = QFileInfo(store).size();
        for (const auto &option : {QStringLiteral("--csv"), QStringLiteral("--png"), QStringLiteral("--pdf")}) {
            r = cli({QStringLiteral("export"), QStringLiteral("--store"), store, QStringLiteral("1"), option, store});
            QCOMPARE(r.code, 2);
            QVERIFY2(r.err.contains(QLatin1String("the run database")), qPrintable(r.err));
        }
        r = cli({QStringLiteral("export"), QStringLiteral("--store"), store, QStringLiteral("1"), QStringLiteral("--csv"),
                 store + QStringLiteral("-wal")});
        QCOMPARE(r.code, 2);
        QCOMPARE(QFileInfo(store).size(), storeSize);
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QLatin1String("kept")));

        r = cli({QStringLiteral("export"), QStringLiteral("--store"), store, QStringLiteral("1"), QStringLiteral("--csv"),
                 path(QStringLiteral("twice.out")), QStringLiteral("--png"), path(QStringLiteral("twice.out"))});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("are the same file")), qPrintable(r.err));
    }

    // Names are one line in the tab-separated `runs` table, and a run always has one.
    void runNamesStayOneFieldAndNeverEmpty()
    {
        const auto store = path(QStringLiteral("names.sqlite"));
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), m_recording,
                      QStringLiteral("--name"), QStringLiteral("boot\tof\nthe\rguest"), QStringLiteral("--quiet")});
        QCOMPARE(r.code, 0);
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        const auto lines = r.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines.at(1).split(QLatin1Char('\t')).size(), 5);
        QVERIFY(lines.at(1).endsWith(QLatin1String("\tboot of the guest")));
        for (const auto &blank : {QString(), QStringLiteral("  \t ")}) {
            r = cli({QStringLiteral("rename"), QStringLiteral("--store"), store, QStringLiteral("1"), blank});
            QCOMPARE(r.code, 2);
        }
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QVERIFY(r.out.contains(QLatin1String("\tboot of the guest")));
    }

    void recordListExportAndManage()
    {
        const auto store = path(QStringLiteral("runs.sqlite"));
        const auto csv = path(QStringLiteral("run.csv"));
        const auto png = path(QStringLiteral("run.png"));
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), m_recording,
                      QStringLiteral("--name"), QStringLiteral("fixture, replayed"), QStringLiteral("--csv"), csv,
                      QStringLiteral("--png"), png, QStringLiteral("--size"), QStringLiteral("640x480")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.startsWith(QLatin1String("run 1: 200 samples, 3 markers, 1.990 s, 996000 exits")), qPrintable(r.out));
        QVERIFY2(!r.out.contains(QLatin1String("damaged")), qPrintable(r.out));
        QCOMPARE(QImage(png).size(), QSize(640, 480));

        // The CSV is exactly what the exporter makes of the same stream.
        ExitSeries series;
        StreamParser parser(&series);
        parser.feed(TestFixture::makeStream());
        QByteArray expected;
        {
            QBuffer buffer(&expected);
            buffer.open(QIODevice::WriteOnly);
            QVERIFY(CsvExporter::write(series, &buffer));
        }
        QFile written(csv);
        QVERIFY(written.open(QIODevice::ReadOnly));
        QCOMPARE(written.readAll(), expected);

        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        const auto lines = r.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines.at(1).startsWith(QLatin1String("1\t200\tcomplete\t")));
        QVERIFY(lines.at(1).endsWith(QLatin1String("fixture, replayed")));

        r = cli({QStringLiteral("spans"), QStringLiteral("1"), QStringLiteral("--store"), store});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QLatin1String("0.500\t0.500\t400000\t600000000\tyes\twrite 8 -> ok 8 MiB")), qPrintable(r.out));

        const auto pdf = path(QStringLiteral("run.pdf"));
        r = cli({QStringLiteral("export"), QStringLiteral("1"), QStringLiteral("--store"), store, QStringLiteral("--pdf"), pdf});
        QCOMPARE(r.code, 0);
        QVERIFY(QFileInfo(pdf).size() > 1000);
        // What the PDF holds, read back by poppler (scripts/setup installs poppler-utils): one page of
        // the export size, the title naming the run, the axes and the workload's label as text.
        const auto tool = [](const QString &program, const QStringList &arguments) {
            QProcess process;
            process.start(program, arguments);
            if (!process.waitForFinished(30000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
                return QStringLiteral("FAILED: %1 %2 (is poppler-utils installed?)").arg(program, process.errorString());
            return QString::fromUtf8(process.readAllStandardOutput());
        };
        const auto info = tool(QStringLiteral("pdfinfo"), {pdf});
        QVERIFY2(info.contains(QRegularExpression(QStringLiteral("Pages:\\s+1\\n"))), qPrintable(info));
        QVERIFY2(info.contains(QRegularExpression(QStringLiteral("Page size:\\s+1600 x 900 pts"))), qPrintable(info));
        // The font sets "fi" as a ligature, which pdftotext gives back as one character.
        const auto text = tool(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")}).replace(QChar(0xFB01), QStringLiteral("fi"));
        for (const auto &expected : {QStringLiteral("Run 1: fixture, replayed"), QStringLiteral("exits/s"),
                                     QStringLiteral("cycles/exit"), QStringLiteral("time (s)"), QStringLiteral("write 8")})
            QVERIFY2(text.contains(expected), qPrintable(expected + QStringLiteral(" not in:\n") + text));

        r = cli({QStringLiteral("export"), QStringLiteral("9"), QStringLiteral("--store"), store, QStringLiteral("--csv"), csv});
        QCOMPARE(r.code, 4);
        QVERIFY(r.err.contains(QLatin1String("there is no run 9")));
        r = cli({QStringLiteral("export"), QStringLiteral("one"), QStringLiteral("--store"), store, QStringLiteral("--csv"), csv});
        QCOMPARE(r.code, 2);

        QCOMPARE(cli({QStringLiteral("rename"), QStringLiteral("1"), QStringLiteral("boot A"), QStringLiteral("--store"), store}).code, 0);
        QVERIFY(cli({QStringLiteral("runs"), QStringLiteral("--store"), store}).out.contains(QLatin1String("boot A")));
        QCOMPARE(cli({QStringLiteral("delete"), QStringLiteral("1"), QStringLiteral("--store"), store}).code, 0);
        QCOMPARE(cli({QStringLiteral("delete"), QStringLiteral("1"), QStringLiteral("--store"), store}).code, 4);
        QCOMPARE(cli({QStringLiteral("runs"), QStringLiteral("--store"), store}).out.trimmed().count(QLatin1Char('\n')), 0);
    }

    // A byte flipped in one record: the record is lost, the rest stored, and the summary says so.
    void damagedStreamIsRecordedAndReported()
    {
        auto bytes = TestFixture::makeStream();
        bytes[bytes.size() / 2] = char(bytes.at(bytes.size() / 2) ^ 0x5a);
        const auto damaged = path(QStringLiteral("damaged.exs"));
        QVERIFY(TestFixture::writeStream(damaged, bytes));
        const auto store = path(QStringLiteral("damaged.sqlite"));
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), damaged});
        QCOMPARE(r.code, 1); // it used to exit 0: a script took the run for a clean one
        QVERIFY2(r.err.contains(QLatin1String("run 1 is stored as damaged")), qPrintable(r.err));
        QVERIFY2(r.out.startsWith(QLatin1String("run 1: 199 samples")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("run 1: damaged stream: 1 malformed record(s)")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("1 gap(s) with 1 record(s) lost")), qPrintable(r.out));
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QVERIFY2(r.out.contains(QLatin1String("1\t199\tdamaged\t")), qPrintable(r.out));
    }

    // A full disk: the message used to say everything received was stored when the store was what
    // failed. A 1 MiB file system of its own (a mount namespace, as root) fills up for real.
    void fullDiskSaysWhatWasKept()
    {
        const auto mountPoint = path(QStringLiteral("tiny"));
        QVERIFY(QDir().mkpath(mountPoint));
        QProcess process;
        process.start(QStringLiteral("unshare"),
                      {QStringLiteral("--mount"), QStringLiteral("--propagation"), QStringLiteral("private"),
                       QStringLiteral("sh"), QStringLiteral("-c"),
                       QStringLiteral("mount -t tmpfs -o size=1m exitscope-full \"$1\" && exec \"$2\" record --store \"$1/runs.sqlite\" "
                                      "--command \"$3 --samples 200000\" --quiet"),
                       QStringLiteral("sh"), mountPoint, QStringLiteral(EXITSCOPE_CLI), QStringLiteral(EXITSCOPE_TEST_EMITTER)});
        QVERIFY(process.waitForFinished(120000));
        const auto err = QString::fromUtf8(process.readAllStandardError());
        QCOMPARE(process.exitCode(), 1);
        QVERIFY2(err.contains(QLatin1String("could not be stored")), qPrintable(err));
        QVERIFY2(err.contains(QLatin1String("full")), qPrintable(err)); // SQLite's own reason
        QVERIFY2(!err.contains(QLatin1String("Everything received")), qPrintable(err));
    }

    // A store on read-only media (here a read-only bind mount in a mount namespace of its own, as
    // root) used to be refused as "not a readable run database". It is listed and exported; a write
    // says why it fails.
    void readOnlyStoreCanBeRead()
    {
        const auto folder = path(QStringLiteral("read-only"));
        QVERIFY(QDir().mkpath(folder));
        const QString store = folder + QStringLiteral("/runs.sqlite");
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), m_recording,
                      QStringLiteral("--quiet")});
        QCOMPARE(r.code, 0);
        const auto csv = path(QStringLiteral("read-only.csv"));
        QProcess process;
        process.start(QStringLiteral("unshare"),
                      {QStringLiteral("--mount"), QStringLiteral("--propagation"), QStringLiteral("private"),
                       QStringLiteral("sh"), QStringLiteral("-c"),
                       QStringLiteral("mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" || exit 99; "
                                      "\"$2\" runs --store \"$1/runs.sqlite\" && \"$2\" export 1 --store \"$1/runs.sqlite\" --csv \"$3\" "
                                      "&& ! \"$2\" rename 1 renamed --store \"$1/runs.sqlite\""),
                       QStringLiteral("sh"), folder, QStringLiteral(EXITSCOPE_CLI), csv});
        QVERIFY(process.waitForFinished(60000));
        const auto out = QString::fromUtf8(process.readAllStandardOutput());
        const auto err = QString::fromUtf8(process.readAllStandardError());
        QCOMPARE(process.exitCode(), 0);
        QVERIFY2(out.contains(QLatin1String("1\t200\tcomplete")), qPrintable(out + err));
        QVERIFY2(err.contains(QLatin1String("readonly database")), qPrintable(err));
        QFile exported(csv);
        QVERIFY(exported.open(QIODevice::ReadOnly));
        QVERIFY(exported.readAll().count("\nsample,") >= 199);
    }

    // A text file given as a recording: an error, not an empty "complete" run.
    void inputWithoutARecordIsAnError()
    {
        const auto text = path(QStringLiteral("notes.txt"));
        QFile file(text);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray("just some notes\n").repeated(100));
        file.close();
        const auto store = path(QStringLiteral("text.sqlite"));
        const auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), text});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QLatin1String("no valid ExitScope record (1600 bytes read)")), qPrintable(r.err));
    }

    void failingCommandKeepsWhatArrived()
    {
        const auto store = path(QStringLiteral("failing.sqlite"));
        const auto command = QStringLiteral("sh -c \"cat '%1'; echo 'probe: lost /dev/kvm' >&2; exit 3\"").arg(m_recording);
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--command"), command});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QLatin1String("sh exited with status 3")), qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("probe: lost /dev/kvm")));
        QVERIFY(r.err.contains(QLatin1String("Everything received before this point is stored in run 1")));
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QVERIFY2(r.out.contains(QLatin1String("1\t200\tfailed\t")), qPrintable(r.out));
        // The raw copy is the stream byte for byte, so it replays into the same run.
        const auto saved = path(QStringLiteral("saved.exs"));
        r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--command"), command,
                 QStringLiteral("--save-stream"), saved});
        QCOMPARE(r.code, 1);
        QFile savedFile(saved);
        QVERIFY(savedFile.open(QIODevice::ReadOnly));
        QCOMPARE(savedFile.readAll(), TestFixture::makeStream());
    }

    void missingProgramAndFile()
    {
        const auto store = path(QStringLiteral("missing-program.sqlite"));
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--command"),
                      QStringLiteral("exitscope-no-such-program --rate 5")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QLatin1String("Cannot run exitscope-no-such-program")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("Nothing was received, so no run was kept.")), qPrintable(r.err));
        r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--file"), path(QStringLiteral("none.exs"))});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains(QLatin1String("no such file")));
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QCOMPARE(r.out.count(QLatin1Char('\n')), 1); // the header only: no empty failed runs
    }

    // libvirt's test driver has guests but no channels: the recording ends with the reason, and as
    // nothing arrived no run is kept.
    void agentOnAHostWithoutChannels()
    {
        const auto store = path(QStringLiteral("agent.sqlite"));
        const QString uri = QStringLiteral("test://") + QStringLiteral(EXITSCOPE_TEST_DATA "/libvirt-node.xml");
        auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--connect"), uri,
                      QStringLiteral("--agent"), QStringLiteral("exitscope-l2")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QLatin1String("The guest exitscope-l2 has no channel org.exitscope.agent.0")), qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("needs a QEMU host")));
        QVERIFY2(r.err.contains(QLatin1String("no run was kept")), qPrintable(r.err));
        r = cli({QStringLiteral("runs"), QStringLiteral("--store"), store});
        QCOMPARE(r.out.count(QLatin1Char('\n')), 1);
        r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--connect"), uri,
                 QStringLiteral("--agent"), QStringLiteral("no-such-guest")});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains(QLatin1String("Cannot find the guest no-such-guest")));
    }

    void durationStopsAnEndlessSource()
    {
        const auto store = path(QStringLiteral("endless.sqlite"));
        const auto command = QStringLiteral("sh -c \"cat '%1'; exec sleep 60\"").arg(m_recording);
        QElapsedTimer clock;
        clock.start();
        const auto r = cli({QStringLiteral("record"), QStringLiteral("--store"), store, QStringLiteral("--command"), command,
                            QStringLiteral("--duration"), QStringLiteral("1")});
        QCOMPARE(r.code, 0);
        QVERIFY(clock.elapsed() < 20000);
        QVERIFY2(r.out.startsWith(QLatin1String("run 1: 200 samples")), qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
