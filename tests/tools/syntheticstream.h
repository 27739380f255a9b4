// SPDX-License-Identifier: GPL-3.0-or-later
// A deterministic synthetic stream shared by the test helper programs and the tests that check
// what they produced: record n of a session is a pure function of n.
#pragma once

#include "protocol/records.h"

namespace ExitScope::Synthetic {

constexpr quint64 SessionId = 0x5EED0000C0FFEEULL;

inline Handshake handshake(quint64 periodNs, quint64 seq = 0)
{
    Handshake h;
    h.seq = seq;
    h.sourceKind = SourceKind::Synthetic;
    h.cpuVendor = CpuVendor::IntelVmx;
    h.abiVersion = 1;
    h.sessionId = SessionId;
    h.periodNs = periodNs;
    h.sender = QStringLiteral("exitscope synthetic test stream");
    h.host = QStringLiteral("synthetic");
    return h;
}

// Starts just below the wrap of the 32-bit counter, so that every stream crosses it early; cycles
// start above 2^63, so that every stored stream exercises unsigned 64-bit values.
inline Sample sample(quint64 seq, quint64 periodNs)
{
    Sample s;
    s.seq = seq;
    s.tNs = 1'000'000'000ULL + seq * periodNs;
    s.exits = quint32(0xFFFFF000u + quint32(seq) * 1'003u);
    s.cycles = 0x8000000000000000ULL + seq * 1'003ULL * 1'500ULL;
    s.ownCpuid = seq;
    return s;
}

inline Marker marker(quint64 seq, quint64 periodNs, const QString &text)
{
    Marker m;
    m.seq = seq;
    m.tNs = 1'000'000'000ULL + seq * periodNs;
    m.kind = MarkerKind::UserMark;
    m.text = text;
    return m;
}

} // namespace ExitScope::Synthetic
