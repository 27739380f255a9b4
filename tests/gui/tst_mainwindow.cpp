// SPDX-License-Identifier: GPL-3.0-or-later
#include "comparisonmodel.h"
#include "comparisonview.h"
#include "exitplot.h"
#include "recording/sourcespec.h"
#include "hostpanel.h"
#include "mainwindow.h"
#include "qcustomplot_wrapper.h"
#include "recording/recordingsession.h"
#include "reasonmodel.h"
#include "runlistmodel.h"
#include "savedconnections.h"
#include "spanmodel.h"
#include "streamfixture.h"
#include "userprompts.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCommandLinkButton>
#include <QStackedWidget>
#include <QDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QTimer>
#include <QComboBox>
#include <QDockWidget>
#include <QSettings>
#include <QElapsedTimer>
#include <QFile>
#include <QTcpServer>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QImage>
#include <QLocale>
#include <QDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <utility>
#include <cmath>

using namespace ExitScope;

namespace {

// Answers the window's questions as a user would, from a script, and remembers what was asked.
class ScriptedPrompts : public UserPrompts
{
public:
    QString openPath;
    QString savePath;
    QStringList texts; // answers to text(), in order; none left means Cancel
    bool confirmAnswer = true;
    QStringList asked;
    // Runs while a question is open, as the event loop of a modal dialog would run other work.
    std::function<void()> whileAsking;

    QString openFile(QWidget *, const QString &title, const QString &) override
    {
        asked << title;
        return openPath;
    }
    QStringList suggested; // what each saveFile() offered
    QString saveFile(QWidget *, const QString &title, const QString &offered, const QString &) override
    {
        asked << title;
        suggested << offered;
        return savePath;
    }
    QString text(QWidget *, const QString &title, const QString &, const QString &, bool *ok) override
    {
        asked << title;
        if (whileAsking)
            std::exchange(whileAsking, nullptr)();
        *ok = !texts.isEmpty();
        return texts.isEmpty() ? QString() : texts.takeFirst();
    }
    QString multiLineText(QWidget *parent, const QString &title, const QString &label, const QString &initial, bool *ok) override
    {
        return text(parent, title, label, initial, ok);
    }
    bool confirm(QWidget *, const QString &title, const QString &) override
    {
        asked << title;
        return confirmAnswer;
    }
};

QAction *action(const MainWindow &window, const char *name)
{
    auto found = window.findChild<QAction *>(QLatin1String(name));
    if (!found)
        qFatal("no action %s", name);
    return found;
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_recording;

    int markerItems(QCustomPlot *plot, const QString &layer)
    {
        int count = 0;
        for (int i = 0; i < plot->itemCount(); ++i)
            if (plot->item(i)->layer()->name() == layer && qobject_cast<QCPItemStraightLine *>(plot->item(i)))
                ++count;
        return count;
    }

    // Writes the fixture stream of that shape as NAME.exs, records it fast into the window's store
    // NAME.sqlite (opened first when asked) and waits for the end. False, with the failure logged,
    // if any step fails.
    bool recordFixture(MainWindow &window, const TestFixture::StreamShape &shape, const QString &name, bool openStore = true)
    {
        const auto recording = m_dir.filePath(name + QStringLiteral(".exs"));
        if (!TestFixture::writeStream(recording, TestFixture::makeStream(shape)))
            return false;
        if (openStore && !window.openStore(m_dir.filePath(name + QStringLiteral(".sqlite"))))
            return false;
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        return window.record(SourceSpec::replay(recording, false)) && ended.wait(10000);
    }

private Q_SLOTS:
    // The boot's cost on screen: a boot span in the span table from the first sample to the boot
    // marker, and the marker's label carrying its exits and cycles.
    void bootMarkerShowsWhatTheBootCost()
    {
        MainWindow window;
        TestFixture::StreamShape shape;
        shape.bootAtSample = 20;
        QVERIFY(recordFixture(window, shape, QStringLiteral("boot-cost")));
        // The marker has no reading of its own: up to sample 19, 19 intervals of 4,000 exits at 1,500
        // cycles each.
        const auto spans = window.series()->spans();
        QCOMPARE(spans.size(), 2);
        const auto &boot = spans.first();
        QCOMPARE(boot.kind, MarkerKind::Boot);
        QCOMPARE(boot.exits, quint64(19 * 4000));
        QCOMPARE(boot.cycles, quint64(19 * 4000 * 1500));
        QVERIFY(!boot.fromGuestStart);

        auto spanView = window.findChild<QTableView *>(QStringLiteral("spanView"));
        QVERIFY(spanView);
        QCOMPARE(spanView->model()->rowCount(), 2);
        QCOMPARE(spanView->model()->index(0, 0).data().toString(),
                 markerKindName(MarkerKind::Boot) + QStringLiteral(" → boot: uptime 5.0 s"));
        QVERIFY(spanView->model()->index(0, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("first sample")));

        auto plot = window.plot();
        QStringList labels;
        for (int i = 0; i < plot->plot()->itemCount(); ++i) {
            if (auto label = qobject_cast<QCPItemText *>(plot->plot()->item(i));
                label && label->layer()->name() == plot->markerLayerName())
                labels.append(label->text());
        }
        const QString cost = ExitPlot::bootCostText(boot);
        QCOMPARE(cost, QStringLiteral("%1 exits, %2 cycles in %3 s")
                           .arg(QLocale().toString(76.0, 'f', 1) + QStringLiteral(" k"),
                                QLocale().toString(114.0, 'f', 1) + QStringLiteral(" M"),
                                QLocale().toString(0.2, 'f', 1)));
        QVERIFY2(labels.contains(QStringLiteral("boot: uptime 5.0 s\n") + cost), qPrintable(labels.join(QLatin1Char('|'))));
    }

    void initTestCase()
    {
        QSettings().clear(); // every run starts from no settings (the test has a configuration folder of its own)
        QCoreApplication::setApplicationVersion(QStringLiteral(EXITSCOPE_VERSION)); // as the program sets it
        QVERIFY(m_dir.isValid());
        m_recording = m_dir.filePath(QStringLiteral("fixture.exs"));
        QVERIFY(TestFixture::writeStream(m_recording, TestFixture::makeStream()));
    }

    void fastReplayPlotsEveryPointAndMarker()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("fast.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.record(SourceSpec::replay(m_recording, false)));
        QVERIFY(ended.wait(10000));
        QCOMPARE(ended.first().at(1).toBool(), true);

        auto plot = window.plot();
        QCOMPARE(plot->plottedPoints(), 200);
        QCOMPARE(plot->rateGraph()->dataCount(), 200);
        // The first sample has no interval: NaN, shown as a hole.
        QVERIFY(std::isnan(plot->rateGraph()->data()->at(0)->value));
        // 4000 exits per 10 ms: 400,000 exits/s, doubled inside the workload span, across the wrap.
        QCOMPARE(plot->rateGraph()->data()->at(10)->value, 400'000.0);
        QCOMPARE(plot->rateGraph()->data()->at(60)->value, 800'000.0);
        QCOMPARE(plot->cyclesGraph()->data()->at(10)->value, 1500.0);
        QCOMPARE(plot->rateGraph()->data()->at(199)->key, 1.99);
        // boot, workload start, workload end: three lines on the marker layer where the markers are,
        // labels on the starts (an end's text is in the span table).
        QCOMPARE(plot->plottedMarkers(), 3);
        QCOMPARE(markerItems(plot->plot(), plot->markerLayerName()), 3);
        QList<double> lineKeys;
        QStringList labels;
        QList<double> labelKeys;
        for (int i = 0; i < plot->plot()->itemCount(); ++i) {
            auto item = plot->plot()->item(i);
            if (item->layer()->name() != plot->markerLayerName())
                continue;
            if (auto line = qobject_cast<QCPItemStraightLine *>(item)) {
                QCOMPARE(line->point1->key(), line->point2->key());
                lineKeys.append(line->point1->key());
            } else if (auto label = qobject_cast<QCPItemText *>(item)) {
                labels.append(label->text());
                labelKeys.append(label->position->key());
            }
        }
        std::sort(lineKeys.begin(), lineKeys.end());
        // Samples every 10 ms from t = 0; the workload markers come 1 ns before samples 50 and 100.
        QCOMPARE(lineKeys.size(), 3);
        QVERIFY(qAbs(lineKeys.at(0) - 0.0) < 1e-6);
        QVERIFY(qAbs(lineKeys.at(1) - 0.5) < 1e-6);
        QVERIFY(qAbs(lineKeys.at(2) - 1.0) < 1e-6);
        QCOMPARE(labels, QStringList({QStringLiteral("boot: uptime 5.0 s"), QStringLiteral("write 8")}));
        QVERIFY(qAbs(labelKeys.at(1) - 0.5) < 1e-6);
        QVERIFY(plot->plot()->layer(plot->markerLayerName())->index()
                > plot->plot()->layer(QStringLiteral("main"))->index());
        QCOMPARE(window.series()->spans().size(), 1);
        QCOMPARE(window.series()->spans().first().exits, quint64(50 * 8000));
    }

    void pacedReplayPlotsWhileRecording()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("paced.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        // 2 s of data at a quarter of its speed: 8 s of live plotting, so that a loaded machine that
        // stalls this thread for seconds still sees the plot grow while the replay runs.
        QVERIFY(window.record(SourceSpec::replay(m_recording, true, 0.25)));
        QTRY_VERIFY_WITH_TIMEOUT(window.plot()->plottedPoints() > 0, 8000);
        const int early = window.plot()->plottedPoints();
        QVERIFY(window.session()->isActive());
        QVERIFY2(early < 200, "the plot must show data before the replay ends");
        QVERIFY(ended.wait(30000));
        QCOMPARE(window.plot()->plottedPoints(), 200);
    }

    void pngExportHasRequestedSizeAndContent()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("png.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.record(SourceSpec::replay(m_recording, false)));
        QVERIFY(ended.wait(10000));
        const auto png = m_dir.filePath(QStringLiteral("plot.png"));
        QVERIFY(window.exportImage(png, 1000, 600));
        QImage image(png);
        QCOMPARE(image.size(), QSize(1000, 600));
        // Not blank: the rate graph's colour fills a good part of the upper plot.
        const auto rateColor = window.plot()->rateGraph()->pen().color().rgb();
        int ratePixels = 0;
        QSet<QRgb> colors;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x) {
                const auto pixel = image.pixel(x, y);
                colors.insert(pixel);
                if ((pixel & 0xFFFFFF) == (rateColor & 0xFFFFFF))
                    ++ratePixels;
            }
        QVERIFY2(ratePixels > 500, qPrintable(QStringLiteral("%1 pixels of the rate colour").arg(ratePixels)));
        QVERIFY(colors.size() > 8);
        const auto pdf = m_dir.filePath(QStringLiteral("plot.pdf"));
        QVERIFY(window.exportImage(pdf, 800, 500));
        QFile file(pdf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.read(5) == "%PDF-");
        QVERIFY(file.size() > 2000);
    }

    void storedRunReloadsIdentically()
    {
        const auto store = m_dir.filePath(QStringLiteral("reload.sqlite"));
        qint64 runId = -1;
        QVector<double> live;
        {
            MainWindow window;
            QVERIFY(window.openStore(store));
            QSignalSpy ended(&window, &MainWindow::recordingEnded);
            QVERIFY(window.record(SourceSpec::replay(m_recording, false)));
            QVERIFY(ended.wait(10000));
            runId = ended.first().at(0).toLongLong();
            for (int i = 1; i < window.series()->size(); ++i)
                live << window.series()->exitsPerSecond(i);
        }
        MainWindow window;
        QVERIFY(window.openStore(store));
        QSignalSpy shown(&window, &MainWindow::runShown);
        window.showRun(runId);
        QVERIFY(shown.wait(10000));
        QCOMPARE(window.series()->size(), 200);
        QVector<double> reloaded;
        for (int i = 1; i < window.series()->size(); ++i)
            reloaded << window.series()->exitsPerSecond(i);
        QCOMPARE(reloaded, live);
        QCOMPARE(window.plot()->plottedMarkers(), 3);
    }

    // A recording that cannot be opened is refused before any run is made, and what was shown stays.
    void missingRecordingIsRefusedAndTheShownRunStays()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("missing.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.record(SourceSpec::replay(m_recording, false)));
        QVERIFY(ended.wait(10000));
        const qint64 runId = ended.first().at(0).toLongLong();
        QSignalSpy shown(&window, &MainWindow::runShown);
        window.showRun(runId); // the recording has ended: loaded from the store
        QVERIFY(shown.count() > 0 || shown.wait(10000));
        const int samples = window.series()->size();
        QVERIFY(samples > 0);

        QVERIFY(!window.record(SourceSpec::replay(m_dir.filePath(QStringLiteral("nope.exs")), false)));
        QVERIFY2(window.lastError().contains(QLatin1String("nope.exs")), qPrintable(window.lastError()));
        QVERIFY(!window.session()->isActive());
        // Before the session, this replot read the stored run's freed series (AddressSanitizer:
        // heap-use-after-free under the dev-asan preset).
        window.plot()->refreshNow();
        QCOMPARE(window.series()->size(), samples);
        QCOMPARE(ended.count(), 1);
    }

    // The menu's actions, as a user triggers them: replay (file chosen in the dialog), stop, and the
    // exports; what is enabled before, during and after.
    void actionsReplayStopAndExport()
    {
        MainWindow window;
        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("actions.sqlite"))));
        QVERIFY(action(window, "replayPaced")->isEnabled());
        QVERIFY(action(window, "replayFast")->isEnabled());
        QVERIFY(action(window, "recordCommand")->isEnabled());
        QVERIFY(!action(window, "stop")->isEnabled());
        QVERIFY(!action(window, "exportCsv")->isEnabled());
        QVERIFY(!action(window, "exportPng")->isEnabled());

        // Cancelled dialog: nothing starts.
        action(window, "replayPaced")->trigger();
        QVERIFY(!window.session()->isActive());

        // A paced replay at a tenth of recorded speed: 20 s, stopped by the Stop action.
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        prompts->openPath = m_recording;
        action(window, "replayPaced")->trigger();
        QVERIFY(window.session()->isActive());
        QVERIFY(!action(window, "replayPaced")->isEnabled());
        QVERIFY(!action(window, "replayFast")->isEnabled());
        QVERIFY(!action(window, "recordCommand")->isEnabled());
        QVERIFY(action(window, "stop")->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(window.plot()->plottedPoints() > 0, 10000);
        action(window, "stop")->trigger();
        QVERIFY(ended.count() == 1 || ended.wait(5000));
        QCOMPARE(ended.first().at(1).toBool(), true); // stopped by the user: a good run
        QVERIFY(!window.session()->isActive());
        QVERIFY(action(window, "replayPaced")->isEnabled());
        QVERIFY(!action(window, "stop")->isEnabled());
        QVERIFY(action(window, "exportCsv")->isEnabled());
        const int shown = window.series()->size();
        QVERIFY(shown > 0 && shown < 200);

        // Export CSV through the action: the file holds what is shown.
        prompts->savePath = m_dir.filePath(QStringLiteral("actions.csv"));
        action(window, "exportCsv")->trigger();
        QFile csv(prompts->savePath);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const auto rows = csv.readAll().split('\n');
        QCOMPARE(int(std::count_if(rows.begin(), rows.end(), [](const QByteArray &r) { return r.startsWith("sample,"); })), shown);

        // Export PNG through the action, with the size asked for.
        prompts->savePath = m_dir.filePath(QStringLiteral("actions.png"));
        prompts->texts = {QStringLiteral("800x500")};
        action(window, "exportPng")->trigger();
        QCOMPARE(QImage(prompts->savePath).size(), QSize(800, 500));
        // A size that is not one is refused with a message, and nothing is written.
        prompts->savePath = m_dir.filePath(QStringLiteral("bad.png"));
        prompts->texts = {QStringLiteral("huge")};
        action(window, "exportPng")->trigger();
        QVERIFY(!QFile::exists(prompts->savePath));
        QVERIFY(window.lastError().contains(QLatin1String("huge")));

        // A fast replay through its action runs to the end.
        prompts->openPath = m_recording;
        action(window, "replayFast")->trigger();
        QVERIFY(ended.count() == 2 || ended.wait(10000));
        QCOMPARE(window.series()->size(), 200);
    }

    // A byte-flipped recording used to become a "complete" run with no word of the damage, and a text
    // file an empty "complete" one. Both go through the Replay action, as a user opens them.
    void damagedAndForeignInputsAreReported()
    {
        MainWindow window;
        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("damaged-input.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);

        auto bytes = TestFixture::makeStream();
        bytes[bytes.size() / 2] = char(bytes.at(bytes.size() / 2) ^ 0x5a);
        prompts->openPath = m_dir.filePath(QStringLiteral("flipped.exs"));
        QVERIFY(TestFixture::writeStream(prompts->openPath, bytes));
        action(window, "replayFast")->trigger();
        QVERIFY(ended.count() == 1 || ended.wait(10000));
        QCOMPARE(ended.first().at(1).toBool(), true); // everything readable is stored
        const auto damagedRun = ended.first().at(0).toLongLong();
        QVERIFY2(window.lastError().contains(QStringLiteral("Run %1 is stored as damaged").arg(damagedRun)),
                 qPrintable(window.lastError()));
        const auto summary = window.findChild<QLabel *>(QStringLiteral("runSummary"));
        QVERIFY(summary);
        QVERIFY2(summary->text().contains(QLatin1String("The input was damaged")), qPrintable(summary->text()));
        const auto runs = qobject_cast<QTableView *>(window.findChild<QDockWidget *>(QStringLiteral("runs"))->widget());
        QVERIFY(runs);
        QStringList states;
        for (int row = 0; row < runs->model()->rowCount(); ++row)
            for (int column = 0; column < runs->model()->columnCount(); ++column)
                states << runs->model()->index(row, column).data().toString();
        QVERIFY2(states.contains(QStringLiteral("damaged")), qPrintable(states.join(QLatin1Char('|'))));

        // Shown again later, from the store: it still says so.
        QSignalSpy shown(&window, &MainWindow::runShown);
        window.showRun(damagedRun);
        QVERIFY(shown.wait(10000));
        QVERIFY2(summary->text().contains(QLatin1String("damaged: The input was damaged")), qPrintable(summary->text()));

        // A text file: an error, and the run it made is failed, not complete.
        prompts->openPath = m_dir.filePath(QStringLiteral("readme.exs"));
        QVERIFY(TestFixture::writeStream(prompts->openPath, QByteArray("not a recording\n").repeated(50)));
        action(window, "replayFast")->trigger();
        QVERIFY(ended.count() == 2 || ended.wait(10000));
        QCOMPARE(ended.at(1).at(1).toBool(), false);
        QVERIFY2(window.lastError().contains(QLatin1String("no valid ExitScope record")), qPrintable(window.lastError()));
    }

    // Stop returns at once even when the source is stuck in a connect: the host probe's SSH
    // connection to a port that accepts and then says nothing (the SSH timeout is 15 s).
    void stopReturnsAtOnceDuringAConnect()
    {
        QTcpServer silent; // listens on loopback and never answers: SSH waits for a banner
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("stop.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        const auto uri = QStringLiteral("qemu+ssh://root@127.0.0.1:%1/system").arg(silent.serverPort());
        QVERIFY(window.recordProbe(uri, 10));
        QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections(), 10000);
        QElapsedTimer clock;
        clock.start();
        action(window, "stop")->trigger();
        const auto took = clock.elapsed();
        // Joining the reader would take the rest of the 15 s SSH timeout; returning takes a few ms.
        QVERIFY2(took < 3000, qPrintable(QStringLiteral("Stop took %1 ms").arg(took)));
        QVERIFY(ended.count() == 1 || ended.wait(5000));
        QVERIFY(!window.session()->isActive());
        QVERIFY(action(window, "replayFast")->isEnabled());
    }

    // Rename, notes and delete go through the prompts; a cancelled delete deletes nothing.
    void runActionsRenameAnnotateAndDelete()
    {
        MainWindow window;
        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("runactions.sqlite"))));
        QVERIFY(!action(window, "renameRun")->isEnabled());
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.record(SourceSpec::replay(m_recording, false)));
        QVERIFY(ended.wait(10000));
        QVERIFY(action(window, "renameRun")->isEnabled());
        QVERIFY(action(window, "deleteRun")->isEnabled());
        auto runs = window.findChild<RunListModel *>();
        QVERIFY(runs);
        QCOMPARE(runs->rowCount(), 1);

        prompts->texts = {QStringLiteral("renamed run")};
        action(window, "renameRun")->trigger();
        QCOMPARE(runs->run(0)->name, QStringLiteral("renamed run"));
        prompts->texts = {QStringLiteral("a note")};
        action(window, "editNotes")->trigger();
        QCOMPARE(runs->run(0)->notes, QStringLiteral("a note"));

        prompts->confirmAnswer = false;
        action(window, "deleteRun")->trigger();
        QCOMPARE(runs->rowCount(), 1);
        prompts->confirmAnswer = true;
        action(window, "deleteRun")->trigger();
        QCOMPARE(runs->rowCount(), 0);
        QVERIFY(!action(window, "exportCsv")->isEnabled());
    }

    // The run list is replaced while the rename dialog is open (a recording ends meanwhile): the
    // name goes to the run that was selected when the dialog opened. The window read the run's id
    // through a pointer into the replaced list after the dialog.
    void renameWhileTheRunListChanges()
    {
        MainWindow window;
        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("rename-race.sqlite"))));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.record(SourceSpec::replay(m_recording, false), RunInfo{}));
        QVERIFY(ended.wait(10000));
        const qint64 first = ended.first().at(0).toLongLong();
        auto runs = window.findChild<RunListModel *>();
        QCOMPARE(runs->rowCount(), 1);
        const QString firstName = runs->run(0)->name;

        prompts->whileAsking = [&] {
            QVERIFY(window.record(SourceSpec::replay(m_recording, false)));
            QVERIFY(ended.wait(10000));
            QCOMPARE(runs->rowCount(), 2);
        };
        prompts->texts = {QStringLiteral("first, renamed")};
        action(window, "renameRun")->trigger();
        QCOMPARE(ended.count(), 2);
        for (int row = 0; row < runs->rowCount(); ++row) {
            const auto run = runs->run(row);
            QCOMPARE(run->name, run->id == first ? QStringLiteral("first, renamed") : firstName);
        }
    }

    void modelsPassTheTester()
    {
        RunListModel runs;
        QAbstractItemModelTester runTester(&runs, QAbstractItemModelTester::FailureReportingMode::QtTest);
        RunInfo a;
        a.id = 1;
        a.name = QStringLiteral("boot");
        a.sampleCount = 10;
        RunInfo b = a;
        b.id = 2;
        runs.setRuns({a, b});
        QCOMPARE(runs.rowCount(), 2);
        QCOMPARE(runs.rowOfRun(2), 1);
        QCOMPARE(runs.data(runs.index(1, RunListModel::IdColumn), RunListModel::RunIdRole).toLongLong(), 2);

        SpanModel spans;
        QAbstractItemModelTester spanTester(&spans, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Span s;
        s.id = 1;
        s.startText = QStringLiteral("write 8");
        s.endText = QStringLiteral("ok");
        s.end = 2;
        s.exits = 1000;
        s.cycles = 3'000'000;
        s.exact = true;
        spans.setSpans({s});
        Span t = s;
        t.id = 2;
        t.start = 3;
        spans.setSpans({s, t});
        QCOMPARE(spans.rowCount(), 2);
        QCOMPARE(spans.data(spans.index(0, SpanModel::CyclesPerExitColumn), Qt::EditRole).toDouble(), 3000.0);
        spans.setSpans({t});
        QCOMPARE(spans.rowCount(), 1);
    }

    // Layout, view options and the hosts connected to come back after a restart; the lab is the
    // standing first entry of the saved connections.
    void settingsSurviveARestart()
    {
        QSettings().clear();
        SavedConnections::forgetAll();
        const auto uri = QStringLiteral("qemu+ssh://ada@l1.example:2222/system?keyfile=/k/id&known_hosts=/k/kh");
        {
            MainWindow window;
            window.show();
            window.findChild<QAction *>(QStringLiteral("logScale"))->setChecked(true);
            window.findChild<QAction *>(QStringLiteral("subtractOwn"))->setChecked(true);
            window.findChild<QAction *>(QStringLiteral("showDeployment"))->trigger();
            SavedConnections::remember(uri); // what a successful connect does
            window.close();
        }
        MainWindow again;
        again.show();
        QVERIFY(again.findChild<QAction *>(QStringLiteral("logScale"))->isChecked());
        QVERIFY(again.findChild<QAction *>(QStringLiteral("subtractOwn"))->isChecked());
        QVERIFY(again.findChild<QDockWidget *>(QStringLiteral("deployment"))->isVisible());
        QCOMPARE(again.hostPanel()->uri(), uri);
        auto saved = again.hostPanel()->findChild<QComboBox *>(QStringLiteral("savedConnections"));
        QVERIFY(saved);
        QCOMPARE(saved->count(), 3); // "Saved…", the lab, the host
        QVERIFY(saved->itemText(1).contains(QLatin1String("lab")));
        QCOMPARE(saved->itemText(2), QStringLiteral("ada@l1.example:2222"));
        again.hostPanel()->setUri(QString());
        saved->setCurrentIndex(2);
        Q_EMIT saved->activated(2);
        QCOMPARE(again.hostPanel()->uri(), uri);

        // The most recent comes first, nothing twice, at most MaxEntries.
        for (int i = 0; i < SavedConnections::MaxEntries + 3; ++i)
            SavedConnections::remember(QStringLiteral("qemu+ssh://root@h%1/system").arg(i));
        SavedConnections::remember(QStringLiteral("qemu+ssh://root@h5/system"));
        const auto entries = SavedConnections::entries();
        QCOMPARE(entries.size(), SavedConnections::MaxEntries + 1);
        QVERIFY(entries.first().isLab());
        QCOMPARE(entries.at(1).name, QStringLiteral("root@h5"));
        QCOMPARE(std::count_if(entries.begin(), entries.end(), [](const auto &e) { return e.name == QLatin1String("root@h5"); }), 1);
    }

    void recentRecordingsReplayAgainFromTheMenu()
    {
        QSettings().remove(QStringLiteral("recent/recordings"));
        MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("recent.sqlite"))));
        auto recent = window.findChild<QMenu *>(QStringLiteral("recentRecordings"));
        QVERIFY(recent);
        Q_EMIT recent->aboutToShow();
        QCOMPARE(recent->actions().size(), 1);
        QVERIFY(!recent->actions().first()->isEnabled()); // "No recordings replayed yet"

        // A second recording, so that the order shows; both replayed fast, the fixture last.
        const auto other = m_dir.filePath(QStringLiteral("other.exs"));
        QFile::remove(other);
        QVERIFY(QFile::copy(m_recording, other));
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        for (const auto &path : {other, m_recording}) {
            QVERIFY(window.record(SourceSpec::replay(path, false)));
            QTRY_VERIFY_WITH_TIMEOUT(!window.session()->isActive(), 10000);
        }
        QCOMPARE(window.recentRecordings(), QStringList({m_recording, other}));

        // Another window (a restart) offers them, newest first; choosing one replays it into a new run.
        MainWindow again;
        QVERIFY(again.openStore(m_dir.filePath(QStringLiteral("recent.sqlite"))));
        recent = again.findChild<QMenu *>(QStringLiteral("recentRecordings"));
        Q_EMIT recent->aboutToShow();
        QCOMPARE(recent->actions().at(0)->text(), QStringLiteral("fixture.exs"));
        QCOMPARE(recent->actions().at(1)->text(), QStringLiteral("other.exs"));
        QSignalSpy againEnded(&again, &MainWindow::recordingEnded);
        recent->actions().at(1)->trigger();
        QVERIFY(again.session()->isActive());
        again.stopRecording();
        QTRY_VERIFY_WITH_TIMEOUT(!again.session()->isActive(), 10000);
        QCOMPARE(again.recentRecordings().first(), other); // chosen again: first now

        // A recording that has gone is reported, and nothing starts.
        QVERIFY(QFile::remove(other));
        Q_EMIT recent->aboutToShow();
        recent->actions().at(0)->trigger();
        QVERIFY(!again.session()->isActive());
        QVERIFY2(again.lastError().contains(QLatin1String("is gone")), qPrintable(again.lastError()));

        // Never more than MaxRecentRecordings.
        for (int i = 0; i < MainWindow::MaxRecentRecordings + 2; ++i) {
            const auto path = m_dir.filePath(QStringLiteral("r%1.exs").arg(i));
            QFile::remove(path);
            QVERIFY(QFile::copy(m_recording, path));
            QVERIFY(again.record(SourceSpec::replay(path, false)));
            QTRY_VERIFY_WITH_TIMEOUT(!again.session()->isActive(), 10000);
        }
        QCOMPARE(again.recentRecordings().size(), MainWindow::MaxRecentRecordings);
    }

    void aboutNamesTheLibraryVersions()
    {
        MainWindow window;
        window.show();
        QString shown;
        // The dialog is modal: read it and close it from inside its own event loop.
        QTimer::singleShot(0, &window, [&shown] {
            QTRY_VERIFY(qobject_cast<QDialog *>(QApplication::activeModalWidget()));
            auto dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
            shown = dialog->findChild<QLabel *>(QStringLiteral("versions"))->text();
            // docs/images/about.png is made this way: EXITSCOPE_ABOUT_PNG=docs/images/about.png tst_mainwindow aboutNamesTheLibraryVersions
            if (const auto png = qEnvironmentVariable("EXITSCOPE_ABOUT_PNG"); !png.isEmpty())
                QVERIFY(dialog->grab().save(png));
            QVERIFY(!dialog->findChild<QLabel *>(QStringLiteral("aboutIcon"))->pixmap().isNull());
            dialog->findChild<QPushButton *>(QStringLiteral("copyVersions"))->click();
            dialog->reject();
        });
        window.findChild<QAction *>(QStringLiteral("about"))->trigger();
        for (const auto library : {"Qt ", "QCustomPlot 2.", "libvirt ", "libssh 0."})
            QVERIFY2(shown.contains(QLatin1String(library)), qPrintable(shown));
        QVERIFY(!shown.contains(QLatin1String("unknown")));
        QVERIFY(shown.startsWith(QStringLiteral("ExitScope " EXITSCOPE_VERSION "\n")));
        QCOMPARE(QGuiApplication::clipboard()->text(), shown);
    }

    // An empty window shows the ways in; the shipped recording is one click away, described by the
    // recordings' README, and once a run shows the plot takes the page's place.
    void firstStartShowsTheWaysIn()
    {
        MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("welcome.sqlite"))));
        auto central = qobject_cast<QStackedWidget *>(window.centralWidget());
        QVERIFY(central);
        auto welcome = window.findChild<QWidget *>(QStringLiteral("welcome"));
        QCOMPARE(central->currentWidget(), welcome);
        // docs/images/welcome.png: EXITSCOPE_WELCOME_PNG=docs/images/welcome.png tst_mainwindow firstStartShowsTheWaysIn
        if (const auto png = qEnvironmentVariable("EXITSCOPE_WELCOME_PNG"); !png.isEmpty()) {
            window.resize(1280, 800);
            QVERIFY(window.grab().save(png));
        }
        const auto replays = welcome->findChildren<QCommandLinkButton *>(QStringLiteral("welcomeReplay"));
        QCOMPARE(replays.size(), 1);
        QCOMPARE(replays.first()->text(), QStringLiteral("Replay l2-boot-and-io.exs"));
        QVERIFY2(replays.first()->description().startsWith(QLatin1String("exitscope-agent in an L2 guest")),
                 qPrintable(replays.first()->description()));

        auto hostDock = window.findChild<QDockWidget *>(QStringLiteral("host"));
        hostDock->hide();
        welcome->findChild<QCommandLinkButton *>(QStringLiteral("welcomeConnect"))->click();
        QVERIFY(hostDock->isVisible());

        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        welcome->findChild<QCommandLinkButton *>(QStringLiteral("welcomeCommand"))->click();
        QCOMPARE(prompts->asked, QStringList({QStringLiteral("Record a command's output")})); // cancelled: nothing starts
        QCOMPARE(central->currentWidget(), welcome);

        replays.first()->click();
        QVERIFY(window.session()->isActive());
        QVERIFY(central->currentWidget() != welcome);
        QTRY_VERIFY_WITH_TIMEOUT(window.plot()->plottedPoints() > 0, 10000);
        window.stopRecording();
        QTRY_VERIFY_WITH_TIMEOUT(!window.session()->isActive(), 10000);
        QVERIFY(central->currentWidget() != welcome); // the run stays shown
    }

    // A run that sampled reasons shows them like kvm_stat: named in the SVM numbering, sortable,
    // filtered by name; the rows add up to the run's total, the "(other)" row holding the rest.
    void reasonTableAddsUpAndFilters()
    {
        TestFixture::StreamShape shape;
        shape.reasons = true;
        const auto recording = m_dir.filePath(QStringLiteral("reasons.exs"));
        QVERIFY(TestFixture::writeStream(recording, TestFixture::makeStream(shape)));
        MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("reasons.sqlite"))));
        auto dock = window.findChild<QDockWidget *>(QStringLiteral("reasons"));
        QVERIFY(!dock->isVisible());
        QSignalSpy ended(&window, &MainWindow::recordingEnded);
        QVERIFY(window.record(SourceSpec::replay(recording, false)));
        QVERIFY(ended.wait(10000));
        QVERIFY(dock->isVisible()); // it came into view with the first reasons

        auto view = window.findChild<QTableView *>(QStringLiteral("reasonView"));
        auto model = view->model();
        QCOMPARE(model->rowCount(), 4); // three reasons and "(other)"
        quint64 sum = 0;
        QStringList names;
        for (int row = 0; row < model->rowCount(); ++row) {
            names << model->index(row, ReasonModel::ReasonColumn).data().toString();
            sum += model->index(row, ReasonModel::ExitsColumn).data(Qt::EditRole).toULongLong();
        }
        // Sorted by exits, most first: HLT has half, IOIO 30 %, NPF 20 %, nothing else.
        QCOMPARE(names, QStringList({QStringLiteral("HLT"), QStringLiteral("IOIO"), QStringLiteral("NPF"), QStringLiteral("(other)")}));
        QCOMPARE(sum, window.series()->totalExits());
        QCOMPARE(model->index(3, ReasonModel::ExitsColumn).data(Qt::EditRole).toULongLong(), 0ULL);
        QCOMPARE(model->index(0, ReasonModel::ShareColumn).data(Qt::EditRole).toDouble(), 50.0);
        // The first complete second (the one window of this 2 s run): 50 samples of 4,000 exits and
        // 50 of 8,000, half of them HLT: 300,000 exits/s.
        const double hltRate = model->index(0, ReasonModel::RateColumn).data(Qt::EditRole).toDouble();
        QVERIFY2(std::abs(hltRate - 300000.0) < 3000.0, qPrintable(QString::number(hltRate)));
        QCOMPARE(model->index(2, ReasonModel::CyclesPerExitColumn).data(Qt::EditRole).toDouble(), 3.0 * shape.cyclesPerExit);

        // The stacked plot below the table: one layer per reason, HLT at the bottom, and the top of
        // the stack at the run's rate of 400,000 exits/s outside the workload.
        auto reasonPlot = window.findChild<QCustomPlot *>(QStringLiteral("reasonPlot"));
        QVERIFY(reasonPlot);
        QCOMPARE(reasonPlot->graphCount(), 3);
        QCOMPARE(reasonPlot->graph(0)->name(), QStringLiteral("HLT"));
        const auto topLayer = reasonPlot->graph(2)->data();
        QVERIFY(topLayer->size() > 100);
        QVERIFY2(std::abs(topLayer->at(10)->value - 400000.0) < 1.0, qPrintable(QString::number(topLayer->at(10)->value)));

        // A picture of the dock, to check by eye: EXITSCOPE_REASONS_PNG=FILE tst_mainwindow reasonTableAddsUpAndFilters
        if (const auto png = qEnvironmentVariable("EXITSCOPE_REASONS_PNG"); !png.isEmpty()) {
            dock->resize(700, 700);
            QVERIFY(dock->grab().save(png));
        }

        // Sorting by another column, and the filter.
        view->sortByColumn(ReasonModel::CyclesPerExitColumn, Qt::DescendingOrder);
        QCOMPARE(model->index(0, ReasonModel::ReasonColumn).data().toString(), QStringLiteral("NPF"));
        window.findChild<QLineEdit *>(QStringLiteral("reasonFilter"))->setText(QStringLiteral("io"));
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(model->index(0, ReasonModel::ReasonColumn).data().toString(), QStringLiteral("IOIO"));

        // File ▸ Export exit reasons writes the long-format CSV; a run without reasons cannot.
        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        prompts->savePath = m_dir.filePath(QStringLiteral("reasons.csv"));
        auto exportReasons = window.findChild<QAction *>(QStringLiteral("exportReasons"));
        QVERIFY(exportReasons->isEnabled());
        exportReasons->trigger();
        QFile csv(prompts->savePath);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll().count("\r\n"), 1 + 3 * shape.samples);

        // The stored run shows the same table when loaded again.
        window.findChild<QLineEdit *>(QStringLiteral("reasonFilter"))->clear();
        MainWindow again;
        QVERIFY(again.openStore(m_dir.filePath(QStringLiteral("reasons.sqlite"))));
        QSignalSpy shown(&again, &MainWindow::runShown);
        again.showRun(window.session()->runId());
        QVERIFY(shown.wait(10000));
        auto againModel = again.findChild<QTableView *>(QStringLiteral("reasonView"))->model();
        QCOMPARE(againModel->rowCount(), 4);
        QAbstractItemModelTester tester(againModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    // Record ▸ Write a report: a new folder with the page, a real PNG of the plot and both CSVs; a
    // folder with something in it is refused, named in the error, and left as it was.
    void writeReportAction()
    {
        TestFixture::StreamShape shape;
        shape.reasons = true;
        MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("report.sqlite"))));
        auto writeReport = window.findChild<QAction *>(QStringLiteral("writeReport"));
        QVERIFY(writeReport);
        QVERIFY(!writeReport->isEnabled()); // nothing shown yet
        QVERIFY(recordFixture(window, shape, QStringLiteral("report"), false));
        QVERIFY(writeReport->isEnabled());

        auto prompts = new ScriptedPrompts;
        window.setPrompts(std::unique_ptr<UserPrompts>(prompts));
        prompts->savePath = m_dir.filePath(QStringLiteral("report-folder"));
        writeReport->trigger();
        QDir folder(prompts->savePath);
        QCOMPARE(folder.entryList(QDir::Files, QDir::Name),
                 (QStringList{QStringLiteral("index.html"), QStringLiteral("plot.png"), QStringLiteral("reasons.csv"),
                              QStringLiteral("samples.csv")}));
        QImage plot(folder.filePath(QStringLiteral("plot.png")));
        QCOMPARE(plot.size(), QSize(1600, 900));
        QFile page(folder.filePath(QStringLiteral("index.html")));
        QVERIFY(page.open(QIODevice::ReadOnly));
        const auto html = QString::fromUtf8(page.readAll());
        QVERIFY(html.contains(QStringLiteral("<td>HLT</td>")));
        // The workload's reasons, read inside it: the fixture's split, half of them HLT.
        QVERIFY2(html.contains(QStringLiteral("<td>HLT 50.0 %, IOIO 30.0 %, NPF 20.0 %</td>")), qPrintable(html));
        QVERIFY(html.contains(QStringLiteral("<td>%1</td>").arg(QLocale(QLocale::English).toString(qulonglong(window.series()->totalExits())))));

        // The same folder again: it is not empty now, so nothing is written and the error says why.
        writeReport->trigger();
        QVERIFY2(window.lastError().contains(QStringLiteral("is not empty")), qPrintable(window.lastError()));
        QCOMPARE(folder.entryList(QDir::Files).size(), 4);
        // The second question started where the first answer went; the plot says which run it shows.
        QCOMPARE(prompts->suggested.size(), 2);
        QCOMPARE(prompts->suggested.at(1), QDir(m_dir.path()).filePath(QStringLiteral("run-%1-report").arg(window.session()->runId())));
        QVERIFY2(window.plot()->title().startsWith(QStringLiteral("Run %1").arg(window.session()->runId())),
                 qPrintable(window.plot()->title()));
    }

    // A click on a span zooms the plot to it and shades it; Shift+drag across the plot measures the
    // stretch: its exits are the series' own figures for that range.
    void spanClickZoomsAndShiftDragMeasures()
    {
        TestFixture::StreamShape shape;
        shape.reasons = true;
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(recordFixture(window, shape, QStringLiteral("measure")));
        window.plot()->refreshNow();

        auto spanView = window.findChild<QTableView *>(QStringLiteral("spanView"));
        QVERIFY(spanView);
        QCOMPARE(spanView->model()->rowCount(), 1);
        const auto rowRect = spanView->visualRect(spanView->model()->index(0, 0));
        QTest::mouseClick(spanView->viewport(), Qt::LeftButton, {}, rowRect.center());
        auto time = window.plot()->rateGraph()->keyAxis();
        // The workload covers samples 50..100 of 10 ms each: 0.49 .. 0.99 s after the first.
        const double first = window.series()->at(0).t;
        QVERIFY2(time->range().lower > first + 0.3 && time->range().upper < first + 1.2,
                 qPrintable(QStringLiteral("%1 .. %2").arg(time->range().lower).arg(time->range().upper)));
        QVERIFY(window.plot()->hasHighlight());
        QVERIFY(!window.plot()->followLive());

        // The pointer over the plot reads out the interval under it: inside the workload, twice the
        // run's 400,000 exits/s (less the sampler's own, if an earlier test left that view option on).
        const int readoutY = window.plot()->rateGraph()->valueAxis()->axisRect()->center().y();
        QMouseEvent hover(QEvent::MouseMove, QPointF(time->coordToPixel(first + 0.7), readoutY),
                          window.plot()->plot()->mapToGlobal(QPointF(time->coordToPixel(first + 0.7), readoutY)), Qt::NoButton,
                          Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(window.plot()->plot(), &hover);
        const double hoveredRate = window.series()->exitsPerSecond(window.series()->indexAt(first + 0.7));
        QVERIFY(hoveredRate > 799000 && hoveredRate <= 800000);
        QVERIFY2(window.plot()->readout().contains(QStringLiteral(": %1 exits/s").arg(QLocale().toString(hoveredRate, 'f', 0))),
                 qPrintable(window.plot()->readout()));

        // Shift+drag from 0.6 to 0.8 s after the first sample, on the rate plot's own pixels.
        auto plot = window.plot()->plot();
        const int y = window.plot()->rateGraph()->valueAxis()->axisRect()->center().y();
        const QPoint from(int(time->coordToPixel(first + 0.6)), y);
        const QPoint to(int(time->coordToPixel(first + 0.8)), y);
        const auto send = [plot](QEvent::Type type, QPoint pos, Qt::MouseButtons buttons) {
            QMouseEvent event(type, QPointF(pos), plot->mapToGlobal(QPointF(pos)), Qt::LeftButton, buttons, Qt::ShiftModifier);
            QApplication::sendEvent(plot, &event);
        };
        send(QEvent::MouseButtonPress, from, Qt::LeftButton);
        send(QEvent::MouseMove, (from + to) / 2, Qt::LeftButton);
        send(QEvent::MouseMove, to, Qt::LeftButton);
        send(QEvent::MouseButtonRelease, to, Qt::NoButton);
        const auto label = window.findChild<QLabel *>(QStringLiteral("selectionSummary"))->text();
        const auto expected = window.series()->summarize(time->pixelToCoord(from.x()), time->pixelToCoord(to.x()));
        QVERIFY(expected.valid);
        QVERIFY2(label.contains(QStringLiteral(" %1 exits").arg(QLocale().toString(qulonglong(expected.exits)))), qPrintable(label));
        QVERIFY2(label.contains(QStringLiteral("by reason: HLT")), qPrintable(label));
        // Inside the workload every interval has twice the exits: 20 intervals of 8,000.
        QVERIFY2(expected.exits >= 19 * 8000 && expected.exits <= 21 * 8000, qPrintable(QString::number(expected.exits)));
    }

    // Run ▸ Compare selected runs: two runs selected in the list are loaded and overlaid, aligned as
    // chosen, their spans side by side with the difference of the second from the first.
    void compareTwoRuns()
    {
        TestFixture::StreamShape slower;
        TestFixture::StreamShape busier;
        busier.exitsPerSample = 6000;
        MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("compare.sqlite"))));
        QVERIFY(recordFixture(window, slower, QStringLiteral("compare-a"), false));
        QVERIFY(recordFixture(window, busier, QStringLiteral("compare-b"), false));
        auto compare = window.findChild<QAction *>(QStringLiteral("compareRuns"));
        auto runView = qobject_cast<QTableView *>(window.findChild<QDockWidget *>(QStringLiteral("runs"))->widget());
        QVERIFY(compare && runView);
        runView->clearSelection();
        QVERIFY(!compare->isEnabled());
        runView->selectAll();
        QVERIFY(compare->isEnabled());

        QSignalSpy shown(&window, &MainWindow::comparisonShown);
        compare->trigger();
        QVERIFY(shown.wait(10000));
        QVERIFY(window.findChild<QDockWidget *>(QStringLiteral("comparison"))->isVisible());
        auto view = window.comparisonView();
        const auto comparison = view->comparison();
        QCOMPARE(comparison->runCount(), 2);
        QCOMPARE(view->plot()->graphCount(), 2);

        // The whole runs and the workload, the second run's exits against the first's.
        auto model = view->model();
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(model->index(1, 0).data().toString(), QStringLiteral("write 8"));
        const double first = double(comparison->entry(0).series->totalExits());
        const double second = double(comparison->entry(1).series->totalExits());
        QVERIFY(first != second);
        const double diff = model->index(0, model->column(1, ComparisonModel::ExitsDifferenceMeasure)).data(Qt::EditRole).toDouble();
        QVERIFY2(std::abs(diff - RunComparison::percentDifference(second, first)) < 1e-9, qPrintable(QString::number(diff)));
        QVERIFY(std::abs(std::abs(diff) - 50.0) < 1e-6 || std::abs(std::abs(diff) - 100.0 / 3) < 1e-6);
        QCOMPARE(model->index(1, model->column(0, ComparisonModel::DurationMeasure)).data(Qt::EditRole).toDouble(),
                 model->index(1, model->column(1, ComparisonModel::DurationMeasure)).data(Qt::EditRole).toDouble());

        // The last columns summarize the two runs: the workload's exits, 8,000 and 12,000 per
        // sample over 50 samples, have a mean of 500,000.
        const auto meanColumn = model->summaryColumn(ComparisonModel::ExitsSpread);
        QCOMPARE(meanColumn, model->columnCount() - int(ComparisonModel::SummaryCount));
        QCOMPARE(model->index(1, meanColumn).data(Qt::EditRole).toDouble(), 500000.0);
        QVERIFY2(model->index(1, meanColumn).data().toString().endsWith(QStringLiteral("(n=2)")),
                 qPrintable(model->index(1, meanColumn).data().toString()));

        // Aligned at the first spans: the workload starts at sample 50, half a second in.
        QCOMPARE(view->plot()->graph(0)->data()->at(0)->key, 0.0);
        auto align = view->findChild<QComboBox *>(QStringLiteral("comparisonAlignment"));
        align->setCurrentIndex(align->findData(int(RunComparison::Alignment::FirstSpan)));
        QCOMPARE(view->alignment(), RunComparison::Alignment::FirstSpan);
        QCOMPARE(view->plot()->graphCount(), 2);
        QVERIFY(std::abs(view->plot()->graph(0)->data()->at(0)->key + 0.5) < 1e-6);
        QVERIFY(view->alignmentNote().isEmpty());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
