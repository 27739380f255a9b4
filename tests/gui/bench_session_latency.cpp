// SPDX-License-Identifier: GPL-3.0-or-later
//
// Latency from a record's arrival to its point being drawn: a 1 kHz stream, written by
// exitscope-test-emitter with each sample stamped with CLOCK_MONOTONIC as it is written to the pipe,
// goes through a RecordingSession (command source, parser, recorder, store) to an ExitPlot, as in
// the window. Each time QCustomPlot has drawn (afterReplot), the points that became visible are
// matched with their stamps. Prints p50, p95 and the maximum over the run; the goal is p95 <= 100 ms.
//
// usage: bench_session_latency EMITTER [SECONDS]

#include "exitplot.h"
#include "qcustomplot_wrapper.h"
#include "recording/recordingsession.h"
#include "recording/sourcespec.h"
#include "series/exitseries.h"
#include "store/runstore.h"

#include <QApplication>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace ExitScope;

namespace {
quint64 monotonicNs()
{
    return quint64(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = size_t(p * double(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}
} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_session_latency EMITTER [SECONDS]\n");
        return 2;
    }
    const int seconds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10;
    QTemporaryDir dir;
    RunStore store;
    if (!store.open(dir.filePath(QStringLiteral("latency.sqlite")))) {
        std::fprintf(stderr, "cannot open the store: %s\n", qPrintable(store.lastError()));
        return 1;
    }
    RecordingSession session(&store);
    ExitPlot plot;
    plot.resize(1280, 600);
    plot.show();

    std::vector<double> latenciesMs;
    latenciesMs.reserve(size_t(seconds) * 1000);
    std::shared_ptr<const ExitSeries> series;
    int matched = 0;
    int replots = 0;
    QObject::connect(plot.plot(), &QCustomPlot::afterReplot, &app, [&] {
        if (!series)
            return;
        ++replots;
        const quint64 now = monotonicNs();
        const int drawn = plot.plottedPoints();
        for (; matched < drawn; ++matched)
            latenciesMs.push_back(double(now - series->at(matched).tNs) / 1e6);
    });
    QObject::connect(&session, &RecordingSession::updated, &plot, &ExitPlot::scheduleUpdate);
    bool ok = false;
    QObject::connect(&session, &RecordingSession::ended, &app,
                     [&](qint64, RecordingSession::Outcome outcome, const ParserStats &, const QString &message) {
                         ok = outcome == RecordingSession::Outcome::Completed;
                         if (!ok)
                             std::fprintf(stderr, "the recording ended badly: %s\n", qPrintable(message));
                         // The last replot is part of the measurement.
                         QTimer::singleShot(200, &app, &QCoreApplication::quit);
                     });

    const auto spec = SourceSpec::command(QStringLiteral("%1 --samples %2 --interval-us 1000 --wall-clock")
                                              .arg(QString::fromLocal8Bit(argv[1]))
                                              .arg(seconds * 1000));
    if (!session.start(spec, {})) {
        std::fprintf(stderr, "cannot start: %s\n", qPrintable(session.lastError()));
        return 1;
    }
    series = session.series();
    plot.setSeries(series);
    app.exec();

    if (!ok || latenciesMs.size() < size_t(seconds) * 900) {
        std::fprintf(stderr, "only %zu of %d points were drawn\n", latenciesMs.size(), seconds * 1000);
        return 1;
    }
    std::printf("session to plot, 1 kHz for %d s: %zu points drawn in %d replots\n", seconds, latenciesMs.size(),
                replots);
    std::printf("latency from arrival to drawn: p50 %.1f ms, p95 %.1f ms, max %.1f ms (median %.1f ms; goal p95 <= 100 ms)\n",
                percentile(latenciesMs, 0.5), percentile(latenciesMs, 0.95), percentile(latenciesMs, 1.0),
                percentile(latenciesMs, 0.5));
    std::fflush(stdout);
    return 0;
}
