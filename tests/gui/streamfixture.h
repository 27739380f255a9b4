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
};

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
    for (int i = 0; i < shape.samples; ++i) {
        const quint64 t = 5'000'000'000ULL + quint64(i) * shape.periodNs;
        if (i == 0) {
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
