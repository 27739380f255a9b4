// SPDX-License-Identifier: GPL-3.0-or-later
// Replot cost of the live plot holding a million points, offscreen; run with
// --benchmark_repetitions to get the median the performance target is stated in.
#include "exitplot.h"
#include "series/exitseries.h"
#include "qcustomplot_wrapper.h"

#include <QApplication>

#include <benchmark/benchmark.h>

using namespace ExitScope;

namespace {

// A boot-like million samples at 1 kHz: bursts of exits over a quiet base, so that adaptive
// sampling has real structure to keep rather than a flat line.
ExitSeries &millionPoints()
{
    static ExitSeries series = [] {
        ExitSeries s;
        quint32 exits = 0;
        quint64 cycles = 0;
        for (quint64 i = 0; i < 1'000'000; ++i) {
            const quint32 step = 200 + quint32((i * 2654435761u) % 97) + ((i / 5000) % 7 == 0 ? 30'000 : 0);
            exits += step;
            cycles += quint64(step) * (1200 + i % 300);
            s.append(Sample{i, i * 1'000'000, exits, cycles, i});
        }
        for (quint64 i = 0; i < 200; ++i) {
            Marker m;
            m.tNs = i * 5'000'000'000ULL;
            m.kind = MarkerKind::IoStart;
            m.text = QStringLiteral("burst %1").arg(i);
            s.appendMarker(m);
        }
        return s;
    }();
    return series;
}

void BM_ReplotMillionPoints(benchmark::State &state)
{
    ExitPlot plot;
    plot.resize(1600, 900);
    plot.show();
    plot.setSeries(std::shared_ptr<const ExitSeries>(std::shared_ptr<const ExitSeries>(), &millionPoints()));
    if (plot.plottedPoints() != 1'000'000) {
        state.SkipWithError("the plot did not take all points");
        return;
    }
    for (auto _ : state)
        plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
    state.counters["points"] = plot.plottedPoints();
}
BENCHMARK(BM_ReplotMillionPoints)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a live tick costs at a million points: append a 30 Hz batch, replot.
void BM_LiveTickAtMillionPoints(benchmark::State &state)
{
    auto &series = millionPoints();
    ExitPlot plot;
    plot.resize(1600, 900);
    plot.show();
    plot.setSeries(std::shared_ptr<const ExitSeries>(std::shared_ptr<const ExitSeries>(), &series));
    quint64 seq = 1'000'000;
    quint32 exits = series.at(series.size() - 1).exitsRaw;
    quint64 cycles = series.at(series.size() - 1).cycles;
    for (auto _ : state) {
        state.PauseTiming();
        for (int i = 0; i < 33; ++i, ++seq) {
            exits += 250;
            cycles += 250 * 1300;
            series.append(Sample{seq, seq * 1'000'000, exits, cycles, seq});
        }
        state.ResumeTiming();
        plot.refreshNow();
    }
}
BENCHMARK(BM_LiveTickAtMillionPoints)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
