// SPDX-License-Identifier: GPL-3.0-or-later
// Run store inserts: samples per second through RunStore::appendRecords in batches (target: at least
// 200,000). The database goes to a temporary folder under EXITSCOPE_BENCH_DIR, or the system's
// temporary folder. Rates are per CPU second of the process (SQLite's writes are system time in it):
// on a shared machine wall time measures the neighbours; the Time column still shows it.
#include "protocol/recordbuffer.h"
#include "store/runstore.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <benchmark/benchmark.h>

using namespace ExitScope;

namespace {

QString benchFolder()
{
    const auto dir = qEnvironmentVariable("EXITSCOPE_BENCH_DIR");
    return dir.isEmpty() ? QDir::tempPath() : dir;
}

void BM_StoreAppendSamples(benchmark::State &state)
{
    const auto batch = int(state.range(0));
    QTemporaryDir dir(benchFolder() + QStringLiteral("/exitscope-bench-XXXXXX"));
    RunStore store;
    if (!dir.isValid() || !store.open(dir.filePath(QStringLiteral("runs.sqlite")))) {
        state.SkipWithError("cannot open a run database");
        return;
    }
    RunInfo info;
    info.name = QStringLiteral("benchmark");
    const auto runId = store.createRun(info);
    QVector<BufferedRecord> records;
    records.reserve(batch);
    quint64 seq = 0;
    for (auto _ : state) {
        state.PauseTiming();
        records.clear();
        for (int i = 0; i < batch; ++i, ++seq)
            records.append(Sample{seq, seq * 1'000'000, quint32(seq * 977), 0x8000000000000000ULL + seq * 2931, seq});
        state.ResumeTiming();
        if (!store.appendRecords(runId, records)) {
            state.SkipWithError(qPrintable(store.lastError()));
            return;
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["samples/s"] = benchmark::Counter(double(state.iterations()) * batch, benchmark::Counter::kIsRate);
}
// 250 ms of a 1 kHz sender, a recorder's early flush (50,000), and sizes between.
BENCHMARK(BM_StoreAppendSamples)->Arg(250)->Arg(5'000)->Arg(50'000)->Unit(benchmark::kMillisecond);

// A realistic mix: samples with a marker every 100 and a heartbeat every 1,000.
void BM_StoreAppendMixed(benchmark::State &state)
{
    constexpr int Batch = 10'000;
    QTemporaryDir dir(benchFolder() + QStringLiteral("/exitscope-bench-XXXXXX"));
    RunStore store;
    if (!dir.isValid() || !store.open(dir.filePath(QStringLiteral("runs.sqlite")))) {
        state.SkipWithError("cannot open a run database");
        return;
    }
    RunInfo info;
    info.name = QStringLiteral("benchmark");
    const auto runId = store.createRun(info);
    QVector<BufferedRecord> records;
    quint64 seq = 0;
    qint64 samples = 0;
    for (auto _ : state) {
        state.PauseTiming();
        records.clear();
        for (int i = 0; i < Batch; ++i, ++seq) {
            if (seq % 1000 == 999) {
                records.append(Heartbeat{seq, seq * 1'000'000, 0});
            } else if (seq % 100 == 99) {
                Marker m;
                m.seq = seq;
                m.tNs = seq * 1'000'000;
                m.text = QStringLiteral("vda write 12 MiB");
                records.append(m);
            } else {
                records.append(Sample{seq, seq * 1'000'000, quint32(seq * 977), seq * 2931, seq});
                ++samples;
            }
        }
        state.ResumeTiming();
        if (!store.appendRecords(runId, records)) {
            state.SkipWithError(qPrintable(store.lastError()));
            return;
        }
    }
    state.SetItemsProcessed(state.iterations() * Batch);
    state.counters["samples/s"] = benchmark::Counter(double(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StoreAppendMixed)->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv); // Qt SQL wants an application object
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
