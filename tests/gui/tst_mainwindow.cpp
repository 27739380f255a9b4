// SPDX-License-Identifier: GPL-3.0-or-later
#include "exitplot.h"
#include "recording/sourcespec.h"
#include "mainwindow.h"
#include "qcustomplot_wrapper.h"
#include "recording/recordingsession.h"
#include "runlistmodel.h"
#include "spanmodel.h"
#include "streamfixture.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace ExitScope;

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

private Q_SLOTS:
    void initTestCase()
    {
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
        // 2 s of data at 2x: about a second of live plotting.
        QVERIFY(window.record(SourceSpec::replay(m_recording, true, 2.0)));
        QTRY_VERIFY_WITH_TIMEOUT(window.plot()->plottedPoints() > 0, 5000);
        const int early = window.plot()->plottedPoints();
        QVERIFY2(early < 200, "the plot must show data before the replay ends");
        QVERIFY(window.session()->isActive());
        QVERIFY(ended.wait(10000));
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
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
