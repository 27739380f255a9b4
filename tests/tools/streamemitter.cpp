// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a synthetic stream to standard output, as a sender command would, for ProcessSource tests:
//   exitscope-test-emitter [--samples N] [--interval-ms MS] [--interval-us US] [--wall-clock] [--major M]
//                          [--exit CODE] [--stderr TEXT] [--abi N]
// --wall-clock stamps each sample with CLOCK_MONOTONIC when it is written (for latency measurements in
// another process on the same machine); --interval-us paces finer than --interval-ms.
// --major writes a handshake with that protocol major; --exit ends with that status after writing
// --stderr TEXT to standard error; --abi 0 says, as a stock host does, that there are no leaves.
#include "protocol/streamwriter.h"
#include "syntheticstream.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

using namespace ExitScope;

namespace {

constexpr quint64 PeriodNs = 10'000'000;

void writeOut(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    int samples = 10;
    int intervalMs = 0;
    int intervalUs = 0;
    bool wallClock = false;
    int major = Protocol::Major;
    int exitCode = 0;
    int abi = 1;
    std::string errorText;
    for (int i = 1; i < argc; ++i) {
        const bool hasValue = i + 1 < argc;
        if (!std::strcmp(argv[i], "--samples") && hasValue)
            samples = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--interval-ms") && hasValue)
            intervalMs = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--interval-us") && hasValue)
            intervalUs = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--wall-clock"))
            wallClock = true;
        else if (!std::strcmp(argv[i], "--major") && hasValue)
            major = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--abi") && hasValue)
            abi = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--exit") && hasValue)
            exitCode = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--stderr") && hasValue)
            errorText = argv[++i];
        else {
            std::fprintf(stderr, "exitscope-test-emitter: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    auto handshake = Synthetic::handshake(PeriodNs);
    handshake.protocolMajor = quint16(major);
    handshake.abiVersion = quint16(abi);
    writeOut(StreamWriter::encode(handshake));
    // Paced against a deadline, not by sleeping a period after each write, so the rate holds.
    auto next = std::chrono::steady_clock::now();
    const auto period = std::chrono::microseconds(intervalUs > 0 ? intervalUs : intervalMs * 1000);
    for (int i = 1; i <= samples; ++i) {
        auto sample = Synthetic::sample(quint64(i), PeriodNs);
        if (wallClock)
            sample.tNs = quint64(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
        writeOut(StreamWriter::encode(sample));
        if (period.count() > 0) {
            next += period;
            std::this_thread::sleep_until(next);
        }
    }
    if (!errorText.empty()) {
        std::fprintf(stderr, "%s\n", errorText.c_str());
        std::fflush(stderr);
    }
    return exitCode;
}
