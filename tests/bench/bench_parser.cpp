// SPDX-License-Identifier: GPL-3.0-or-later
// Parser throughput in sample records per second on one core (target: at least 5 million). Rates are
// per CPU second: on a shared machine wall time measures the neighbours, not the parser.
#include "series/exitseries.h"
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"
#include "protocol/streamwriter.h"

#include <benchmark/benchmark.h>

using namespace ExitScope;

namespace {

constexpr int SampleCount = 200'000;

// Touches every field so that nothing is optimised away, as a real consumer would.
class SummingSink : public RecordSink
{
public:
    quint64 sum = 0;
    void sample(const Sample &s) override { sum += s.seq ^ s.tNs ^ s.exits ^ s.cycles ^ s.ownCpuid; }
};

const QByteArray &stream()
{
    static const QByteArray bytes = [] {
        QByteArray out;
        out.reserve(SampleCount * 44 + 256);
        Handshake h;
        h.sessionId = 1;
        h.periodNs = 1'000'000;
        StreamWriter::append(out, h);
        for (quint64 seq = 1; seq <= SampleCount; ++seq)
            StreamWriter::append(out, Sample{seq, seq * 1'000'000, quint32(seq * 977), seq * 977 * 3, seq});
        return out;
    }();
    return bytes;
}

// The stream fed in chunks of the given size, as a source delivers it (FileReplaySource reads 256 KiB).
void BM_ParseSamples(benchmark::State &state)
{
    const auto &bytes = stream();
    const auto chunk = qsizetype(state.range(0));
    SummingSink sink;
    for (auto _ : state) {
        StreamParser parser(&sink);
        for (qsizetype pos = 0; pos < bytes.size(); pos += chunk)
            parser.feed(QByteArrayView(bytes).sliced(pos, qMin(chunk, bytes.size() - pos)));
        parser.finish();
        if (parser.stats().records != SampleCount + 1)
            state.SkipWithError("records lost");
    }
    benchmark::DoNotOptimize(sink.sum);
    state.SetItemsProcessed(state.iterations() * SampleCount);
    state.SetBytesProcessed(state.iterations() * bytes.size());
    state.counters["records/s"] = benchmark::Counter(double(state.iterations()) * SampleCount, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseSamples)->Arg(256 * 1024)->Arg(4096)->Arg(61)->Unit(benchmark::kMillisecond);

// Parsing straight into the series model (unwrap and deltas), which is what a live recording does.
void BM_ParseIntoSeries(benchmark::State &state)
{
    const auto &bytes = stream();
    for (auto _ : state) {
        ExitSeries series;
        StreamParser parser(&series);
        parser.feed(bytes);
        parser.finish();
        benchmark::DoNotOptimize(series.totalExits());
    }
    state.SetItemsProcessed(state.iterations() * SampleCount);
    state.counters["records/s"] = benchmark::Counter(double(state.iterations()) * SampleCount, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseIntoSeries)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
