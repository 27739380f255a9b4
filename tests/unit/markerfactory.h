// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/records.h"

// Markers for the core tests, built the way a sender's records arrive.
namespace TestFixture {

inline ExitScope::Marker makeMarker(quint64 seq, quint64 tNs, ExitScope::MarkerKind kind, quint32 span, const QString &text)
{
    ExitScope::Marker m;
    m.seq = seq;
    m.tNs = tNs;
    m.kind = kind;
    m.span = span;
    m.text = text;
    return m;
}

// A marker that carries the counters, as the agent's workload and I/O markers do.
inline ExitScope::Marker makeMarkerWithCounters(quint64 seq, quint64 tNs, ExitScope::MarkerKind kind, quint32 span,
                                                const QString &text, quint32 exits, quint64 cycles)
{
    auto m = makeMarker(seq, tNs, kind, span, text);
    m.flags = ExitScope::Marker::CountersValid;
    m.exits = exits;
    m.cycles = cycles;
    return m;
}

} // namespace TestFixture
