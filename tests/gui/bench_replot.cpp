// SPDX-License-Identifier: GPL-3.0-or-later
// Replot cost of the live plot holding a million points, offscreen; run with
// --benchmark_repetitions to get the median the performance target is stated in.
#include "exitplot.h"
#include "reasonplot.h"
#include "series/reasonstack.h"
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

// The exit reasons of a long run: 200,000 readings of each of 8 reasons (1.6 M readings, 200 s at
// 1 kHz). What the reasons dock does on each rebuild: bin them, stack the top five, replot.
ExitSeries &reasonReadings()
{
    static ExitSeries series = [] {
        ExitSeries s;
        Handshake h;
        h.cpuVendor = CpuVendor::AmdSvm;
        h.periodNs = 1'000'000;
        s.beginSession(h);
        const quint32 reasons[] = {0x78, 0x7b, 0x400, 0x72, 0x7c, 0x60, 0x61, 0x81};
        quint32 counts[8] = {};
        quint64 cycles[8] = {};
        quint64 seq = 0;
        for (quint64 i = 0; i < 200'000; ++i) {
            const quint64 t = i * 1'000'000;
            s.append(Sample{seq++, t, quint32(i * 300), i * 300 * 1500, i});
            for (int r = 0; r < 8; ++r) {
                counts[r] += quint32((8 - r) * 5 + (i * (r + 7)) % 11);
                cycles[r] += quint64(counts[r]) * 3;
                s.appendReason(ReasonSample{seq++, t, reasons[r], counts[r], cycles[r]});
            }
        }
        return s;
    }();
    return series;
}

void BM_ReasonStackRebuild(benchmark::State &state)
{
    const auto &series = reasonReadings();
    ReasonPlot plot;
    plot.resize(800, 400);
    plot.show();
    for (auto _ : state) {
        plot.setStack(ReasonStack::build(series), series.cpuVendor());
        plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
    }
    state.counters["readings"] = double(series.reasonPoints().size());
}
BENCHMARK(BM_ReasonStackRebuild)->Unit(benchmark::kMillisecond)->UseRealTime();

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
