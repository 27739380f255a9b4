// SPDX-License-Identifier: GPL-3.0-or-later
// A small recorded stream for the GUI and CLI tests: a boot marker, a workload span, a counter wrap.
#pragma once

#include "protocol/streamwriter.h"

#include <QFile>

namespace ExitScope::TestFixture {

struct StreamShape
{
    int samples = 200;
    quint64 periodNs = 10'000'000; // 100 Hz
    quint32 firstExits = 0xFFFF0000u; // wraps after a few samples
    quint64 exitsPerSample = 4000;
    quint64 cyclesPerExit = 1500;
    // Also per-reason readings after every sample (SVM numbering): HLT, IOIO and NPF take 50, 30
    // and 20 % of every interval's exits, so that they add up to the total exactly.
    bool reasons = false;
    // The boot marker comes just before this sample (0: with the first, so that it measures nothing).
    int bootAtSample = 0;
};

constexpr quint32 FixtureReasons[] = {0x78, 0x7b, 0x400};

// Exits per second between two samples is exitsPerSample / period, i.e. 400,000/s by default;
// the workload span covers samples 50..100 and doubles the rate there.
inline QByteArray makeStream(const StreamShape &shape = {})
{
    QByteArray out;
    quint64 seq = 0;
    Handshake h;
    h.seq = seq++;
    h.sourceKind = SourceKind::Synthetic;
    h.cpuVendor = CpuVendor::AmdSvm;
    h.abiVersion = 1;
    h.sessionId = 77;
    h.periodNs = shape.periodNs;
    h.sender = QStringLiteral("test fixture");
    h.host = QStringLiteral("fixture");
    StreamWriter::append(out, h);
    quint64 exits = shape.firstExits;
    quint64 cycles = 1'000'000'000;
    quint64 reasonExits[] = {1000, 2000, 3000};
    quint64 reasonCycles[] = {10'000'000, 20'000'000, 30'000'000};
    for (int i = 0; i < shape.samples; ++i) {
        const quint64 t = 5'000'000'000ULL + quint64(i) * shape.periodNs;
        if (i == shape.bootAtSample) {
            Marker boot;
            boot.seq = seq++;
            boot.tNs = t;
            boot.kind = MarkerKind::Boot;
            boot.text = QStringLiteral("boot: uptime 5.0 s");
            StreamWriter::append(out, boot);
        }
        if (i == 50 || i == 100) {
            Marker m;
            m.seq = seq++;
            m.tNs = t - 1;
            m.exits = quint32(exits);
            m.cycles = cycles;
            m.flags = Marker::CountersValid;
            m.kind = i == 50 ? MarkerKind::WorkloadStart : MarkerKind::WorkloadEnd;
            m.span = 1;
            m.text = i == 50 ? QStringLiteral("write 8") : QStringLiteral("ok 8 MiB");
            StreamWriter::append(out, m);
        }
        StreamWriter::append(out, Sample{seq++, t, quint32(exits), cycles, quint64(i + 1)});
        const quint64 step = (i >= 50 && i < 100) ? 2 * shape.exitsPerSample : shape.exitsPerSample;
        if (shape.reasons) {
            for (int r = 0; r < 3; ++r)
                StreamWriter::append(out, ReasonSample{seq++, t, FixtureReasons[r], quint32(reasonExits[r]), reasonCycles[r]});
            const quint64 split[] = {step * 5 / 10, step * 3 / 10, step - step * 5 / 10 - step * 3 / 10};
            for (int r = 0; r < 3; ++r) {
                reasonExits[r] += split[r];
                reasonCycles[r] += split[r] * shape.cyclesPerExit * quint64(r + 1);
            }
        }
        exits += step;
        cycles += step * shape.cyclesPerExit;
    }
    return out;
}

inline bool writeStream(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

} // namespace ExitScope::TestFixture
