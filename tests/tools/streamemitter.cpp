// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a synthetic stream to standard output, as a sender command would, for ProcessSource tests:
//   exitscope-test-emitter [--samples N] [--interval-ms MS] [--major M] [--exit CODE] [--stderr TEXT]
// --major writes a handshake with that protocol major; --exit ends with that status after writing
// --stderr TEXT to standard error.
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
    int major = Protocol::Major;
    int exitCode = 0;
    std::string errorText;
    for (int i = 1; i < argc; ++i) {
        const bool hasValue = i + 1 < argc;
        if (!std::strcmp(argv[i], "--samples") && hasValue)
            samples = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--interval-ms") && hasValue)
            intervalMs = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--major") && hasValue)
            major = std::atoi(argv[++i]);
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
    writeOut(StreamWriter::encode(handshake));
    for (int i = 1; i <= samples; ++i) {
        writeOut(StreamWriter::encode(Synthetic::sample(quint64(i), PeriodNs)));
        if (intervalMs > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
    }
    if (!errorText.empty()) {
        std::fprintf(stderr, "%s\n", errorText.c_str());
        std::fflush(stderr);
    }
    return exitCode;
}
