// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/records.h"

#include <QtGlobal>

namespace ExitScope {

// One sample placed on the run's time axis, with the interval that ends at it.
struct SeriesPoint
{
    enum Flag : quint8 {
        First = 0x01, // no interval before it
        CounterReset = 0x02, // the host's counters restarted during the interval: no rate
        GapBefore = 0x04, // records were lost during the interval (the deltas are still exact)
        NewSession = 0x08, // the sender restarted (guest reboot) during the interval
    };

    double t = 0; // seconds since the run's first record
    quint64 seq = 0;
    quint64 tNs = 0; // sender's clock
    quint32 exitsRaw = 0;
    quint64 cycles = 0;
    quint64 ownCpuid = 0;
    quint64 exitsTotal = 0; // unwrapped, cumulative since the first sample, across wraps and resets
    quint64 cyclesTotal = 0; // likewise
    quint64 deltaExits = 0; // over the interval ending here
    quint64 deltaCycles = 0;
    quint64 deltaOwn = 0; // CPUIDs the sampler itself executed in the interval
    double interval = 0; // seconds
    quint8 flags = 0;

    bool hasRate() const { return !(flags & (First | CounterReset)) && interval > 0; }
};

// A marker placed on the same axis as the samples.
struct SeriesMarker
{
    Marker marker;
    double t = 0;
    int sampleIndex = -1; // last sample at or before the marker, -1 if none yet
    bool hasTotals = false; // the marker carried counters and they could be unwrapped
    quint64 exitsTotal = 0;
    quint64 cyclesTotal = 0;
};

// One exit reason's counters (leaf 0x4FFFFFFE), unwrapped across the 32-bit exit counter's wraps and
// continued across resets as the totals are, cumulative since its first reading.
struct ReasonTotal
{
    quint32 reason = 0;
    quint64 exitsTotal = 0;
    quint64 cyclesTotal = 0;
    quint32 lastExitsRaw = 0;
    quint64 lastCycles = 0;
    double t = 0; // seconds since the run's first record, of its last reading
    int readings = 0;
    // Exits per second over the last complete window of at least RateWindowSeconds, -1 before one
    // is complete; kept here so that it does not depend on how often a view looks.
    static constexpr double RateWindowSeconds = 1.0;
    double rate = -1;
    double windowStart = 0;
    quint64 windowStartExits = 0;
};

// One reading of one reason, placed on the run's axis, with what it added since that reason's last.
struct ReasonPoint
{
    double t = 0;
    quint32 reason = 0;
    quint64 deltaExits = 0;
    quint64 deltaCycles = 0;
    quint64 exitsTotal = 0;
    quint64 cyclesTotal = 0;
};

// What a stretch of a run chosen on the plot cost: from the first sample at or after its start to
// the last at or before its end, so every figure is an exact difference of two readings.
struct RangeSummary
{
    bool valid = false; // two samples or more inside the range
    double start = 0; // of the first sample inside
    double end = 0; // of the last
    quint64 exits = 0;
    quint64 cycles = 0;
    quint64 ownCpuids = 0; // the sampler's own CPUIDs among those exits
    // Per exit reason sampled inside the range (its readings after the first sample up to the last),
    // most exits first; t is unused.
    QVector<ReasonPoint> reasons;
};

// Exits and cycles between a start marker and its end marker (same span id).
struct Span
{
    quint32 id = 0;
    MarkerKind kind = MarkerKind::WorkloadStart;
    QString startText;
    QString endText;
    double start = 0;
    double end = 0;
    quint64 exits = 0;
    quint64 cycles = 0;
    bool exact = false; // both ends carried counters; otherwise the nearest samples were used
    // A boot span (kind Boot) runs to a boot marker from where the guest started: its start event
    // from the host, or the first sample of the guest's session when none was recorded. Exits before
    // the first sample are not in the run, so one that starts before it is never exact.
    bool fromGuestStart = false;
};

} // namespace ExitScope
