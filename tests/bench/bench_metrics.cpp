// SPDX-License-Identifier: GPL-3.0-or-later
// What a Prometheus scrape of exitscope-cli serve costs, at 100 and 1,000 series: rendering the
// metric families, and the whole request over loopback (connect, request, answer, close) as a
// scraper sees it. The target is 50 ms at 1,000 series (docs/fleet.md).
#include "metrics/fleetexporter.h"
#include "metrics/metricsserver.h"
#include "store/runstore.h"

#include <QCoreApplication>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <benchmark/benchmark.h>

using namespace ExitScope;

namespace {

constexpr int FamiliesPerTarget = 9; // exits, cycles, sampler exits, samples, up, connections, failures, seq, run

// Targets that are never started: rendering costs the same whatever the counters hold.
QVector<FleetTarget> targets(int series)
{
    QVector<FleetTarget> all;
    for (int i = 0; i < series / FamiliesPerTarget; ++i)
        all.append({QStringLiteral("host%1").arg(i / 8), QStringLiteral("guest%1").arg(i), SourceSpec::command(QStringLiteral("true"))});
    return all;
}

void BM_Render(benchmark::State &state)
{
    QTemporaryDir dir;
    RunStore store;
    store.open(dir.filePath(QStringLiteral("runs.sqlite")));
    FleetExporter exporter(targets(int(state.range(0))), &store, 60);
    qint64 bytes = 0;
    for (auto _ : state) {
        const auto text = exporter.render(OpenMetricsWriter::Format::OpenMetrics);
        bytes = text.size();
        benchmark::DoNotOptimize(text.constData());
    }
    state.counters["series"] = double(exporter.recorders().size() * FamiliesPerTarget);
    state.counters["bytes"] = double(bytes);
}

void BM_Scrape(benchmark::State &state)
{
    QTemporaryDir dir;
    RunStore store;
    store.open(dir.filePath(QStringLiteral("runs.sqlite")));
    FleetExporter exporter(targets(int(state.range(0))), &store, 60);
    MetricsServer server([&exporter](OpenMetricsWriter::Format format) { return exporter.render(format); });
    QString error;
    if (!server.listen(QHostAddress::LocalHost, 0, &error)) {
        state.SkipWithError(qPrintable(error));
        return;
    }
    qint64 bytes = 0;
    for (auto _ : state) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, server.port());
        socket.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n");
        QByteArray answer;
        // The server lives in this thread: turn its event loop until the answer is complete.
        while (!answer.endsWith("# EOF\n")) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            answer += socket.readAll();
        }
        bytes = answer.size();
    }
    state.counters["series"] = double(exporter.recorders().size() * FamiliesPerTarget);
    state.counters["bytes"] = double(bytes);
}

} // namespace

BENCHMARK(BM_Render)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Scrape)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
