// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/exitseries.h"

#include <QHash>

#include <algorithm>

namespace ExitScope {

void ExitSeries::clear()
{
    // Whether the sampler's own exits are subtracted is how the user wants the data shown, not data:
    // a new recording started with it on must keep it on.
    const bool subtractOwn = m_subtractOwn;
    *this = ExitSeries{};
    m_subtractOwn = subtractOwn;
}

void ExitSeries::beginSession(const Handshake &handshake)
{
    m_periodNs = handshake.periodNs;
    m_vendor = handshake.cpuVendor;
    // The sender repeats its handshake whenever a reader reconnects, and a headless start is upgraded by
    // the first one: only a different session id means that the sender restarted.
    if (m_haveSession && handshake.sessionId != m_sessionId && !m_points.isEmpty())
        m_sessionPending = true;
    m_haveSession = true;
    m_sessionId = handshake.sessionId;
}

void ExitSeries::appendReason(const ReasonSample &reading)
{
    auto it = std::lower_bound(m_reasons.begin(), m_reasons.end(), reading.reason,
                               [](const ReasonTotal &r, quint32 reason) { return r.reason < reason; });
    if (it == m_reasons.end() || it->reason != reading.reason) {
        ReasonTotal first;
        first.reason = reading.reason;
        first.lastExitsRaw = reading.exits;
        first.lastCycles = reading.cycles;
        first.t = m_haveTime && reading.tNs >= m_firstNs ? double(reading.tNs - m_firstNs) / 1e9 + m_axisOffset : 0;
        first.readings = 1;
        first.windowStart = first.t;
        m_reasons.insert(it, first);
        m_reasonPoints.append({first.t, first.reason, 0, 0, 0, 0});
        return;
    }
    // As for the totals: the exit count going down is a wrap when the cycles grew by at least the
    // wrapped count (every exit costs cycles), a restart of the host's counters otherwise; a restart
    // continues from the new readings.
    quint64 exits = 0;
    quint64 cycles = 0;
    if (reading.cycles < it->lastCycles) {
        exits = reading.exits;
        cycles = reading.cycles;
    } else if (reading.exits >= it->lastExitsRaw) {
        exits = reading.exits - it->lastExitsRaw;
        cycles = reading.cycles - it->lastCycles;
    } else {
        const quint64 wrapped = (quint64(1) << 32) + reading.exits - it->lastExitsRaw;
        cycles = reading.cycles - it->lastCycles;
        exits = cycles >= wrapped ? wrapped : reading.exits;
        if (cycles < wrapped)
            cycles = reading.cycles; // a restart whose cycles happen to exceed the last reading's
    }
    it->exitsTotal += exits;
    it->cyclesTotal += cycles;
    it->lastExitsRaw = reading.exits;
    it->lastCycles = reading.cycles;
    if (m_haveTime && reading.tNs >= m_firstNs)
        it->t = double(reading.tNs - m_firstNs) / 1e9 + m_axisOffset;
    ++it->readings;
    m_reasonPoints.append({it->t, it->reason, exits, cycles, it->exitsTotal, it->cyclesTotal});
    if (it->t - it->windowStart >= ReasonTotal::RateWindowSeconds) {
        it->rate = double(it->exitsTotal - it->windowStartExits) / (it->t - it->windowStart);
        it->windowStart = it->t;
        it->windowStartExits = it->exitsTotal;
    }
}

double ExitSeries::placeOnAxis(quint64 tNs)
{
    if (!m_haveTime) {
        m_haveTime = true;
        m_firstNs = tNs;
        m_lastNs = tNs;
        return 0;
    }
    if (tNs < m_lastNs) {
        // The sender's clock started over (a guest reboot restarts CLOCK_BOOTTIME). Continue the axis
        // one period after the last reading; the true pause is unknown to the stream.
        const double last = m_axisOffset + double(m_lastNs - m_firstNs) * 1e-9;
        const double step = double(m_periodNs ? m_periodNs : 1'000'000) * 1e-9;
        m_axisOffset = last + step;
        m_firstNs = tNs;
        m_clockRestarted = true;
    }
    m_lastNs = tNs;
    return m_axisOffset + double(tNs - m_firstNs) * 1e-9;
}

int ExitSeries::append(const Sample &sample)
{
    SeriesPoint p;
    p.seq = sample.seq;
    p.tNs = sample.tNs;
    p.exitsRaw = sample.exits;
    p.cycles = sample.cycles;
    p.ownCpuid = sample.ownCpuid;
    p.t = placeOnAxis(sample.tNs);

    if (m_points.isEmpty()) {
        p.flags = SeriesPoint::First;
    } else {
        const auto &prev = m_points.last();
        // Across a restart of the sender's clock the axis steps one period, but the real pause is
        // unknown while the host's counters went on: no length to divide the deltas by, so no rate.
        p.interval = m_clockRestarted ? 0 : p.t - prev.t;
        const quint64 wrappedDelta = quint32(sample.exits - prev.exitsRaw);
        const bool cyclesWentBack = sample.cycles < prev.cycles;
        const bool wrapImplausible = sample.exits < prev.exitsRaw && sample.cycles - prev.cycles < wrappedDelta;
        if (cyclesWentBack || wrapImplausible) {
            p.flags |= SeriesPoint::CounterReset;
            ++m_resets;
            // Counters restarted from zero at the reload: what they hold now happened since.
            p.deltaExits = sample.exits;
            p.deltaCycles = sample.cycles;
        } else {
            p.deltaExits = wrappedDelta;
            p.deltaCycles = sample.cycles - prev.cycles;
        }
        // A restarted sender counts its own CPUIDs from zero again.
        p.deltaOwn = sample.ownCpuid >= prev.ownCpuid && !m_sessionPending ? sample.ownCpuid - prev.ownCpuid
                                                                           : sample.ownCpuid;
        p.exitsTotal = prev.exitsTotal + p.deltaExits;
        p.cyclesTotal = prev.cyclesTotal + p.deltaCycles;
        if (m_gapPending)
            p.flags |= SeriesPoint::GapBefore;
        if (m_sessionPending)
            p.flags |= SeriesPoint::NewSession;
    }
    m_gapPending = false;
    m_sessionPending = false;
    m_clockRestarted = false;
    m_points.append(p);
    return int(m_points.size() - 1);
}

void ExitSeries::appendMarker(const Marker &marker)
{
    SeriesMarker m;
    m.marker = marker;
    m.t = placeOnAxis(marker.tNs);
    m.sampleIndex = int(m_points.size() - 1);
    if (marker.countersValid() && m.sampleIndex >= 0) {
        const auto &prev = m_points.last();
        // Read after that sample, so the counter can only have moved forward (modulo the wrap).
        if (marker.cycles >= prev.cycles) {
            m.hasTotals = true;
            m.exitsTotal = prev.exitsTotal + quint32(marker.exits - prev.exitsRaw);
            m.cyclesTotal = prev.cyclesTotal + (marker.cycles - prev.cycles);
        }
    }
    m_markers.append(m);
}

quint64 ExitSeries::exitsInInterval(int index) const
{
    const auto &p = m_points.at(index);
    if (!m_subtractOwn)
        return p.deltaExits;
    return p.deltaExits > p.deltaOwn ? p.deltaExits - p.deltaOwn : 0;
}

double ExitSeries::exitsPerSecond(int index) const
{
    const auto &p = m_points.at(index);
    if (!p.hasRate())
        return NaN;
    return double(exitsInInterval(index)) / p.interval;
}

double ExitSeries::cyclesPerExit(int index) const
{
    const auto &p = m_points.at(index);
    if (!p.hasRate() || p.deltaExits == 0)
        return NaN;
    return double(p.deltaCycles) / double(p.deltaExits);
}

QVector<Span> ExitSeries::spans() const
{
    QVector<Span> result;
    QHash<quint32, int> open; // span id -> index into m_markers
    for (int i = 0; i < m_markers.size(); ++i) {
        const auto &m = m_markers.at(i);
        const auto kind = m.marker.kind;
        if (m.marker.span == 0)
            continue;
        if (kind == MarkerKind::IoStart || kind == MarkerKind::WorkloadStart) {
            open.insert(m.marker.span, i);
            continue;
        }
        if (kind != MarkerKind::IoEnd && kind != MarkerKind::WorkloadEnd)
            continue;
        const auto it = open.find(m.marker.span);
        if (it == open.end() || m_points.isEmpty())
            continue;
        const auto &start = m_markers.at(*it);
        open.erase(it);
        Span s;
        s.id = m.marker.span;
        s.kind = start.marker.kind;
        s.startText = start.marker.text;
        s.endText = m.marker.text;
        s.start = start.t;
        s.end = m.t;
        quint64 e0 = 0, c0 = 0, e1 = 0, c1 = 0;
        const bool exactStart = markerTotals(start, &e0, &c0);
        const bool exactEnd = markerTotals(m, &e1, &c1);
        s.exact = exactStart && exactEnd;
        s.exits = e1 >= e0 ? e1 - e0 : 0;
        s.cycles = c1 >= c0 ? c1 - c0 : 0;
        result.append(s);
    }
    appendBootSpans(&result);
    // In the order they began, as a reader of the table expects: an I/O burst inside a workload ends
    // first but starts later.
    std::stable_sort(result.begin(), result.end(), [](const Span &a, const Span &b) { return a.start < b.start; });
    return result;
}

bool ExitSeries::markerTotals(const SeriesMarker &m, quint64 *exits, quint64 *cycles) const
{
    if (m.hasTotals) {
        *exits = m.exitsTotal;
        *cycles = m.cyclesTotal;
        return true;
    }
    // Without its own reading, the last sample before the marker is the best estimate.
    const auto &p = m_points.at(qMax(0, m.sampleIndex));
    *exits = p.exitsTotal;
    *cycles = p.cyclesTotal;
    return false;
}

void ExitSeries::appendBootSpans(QVector<Span> *spans) const
{
    if (m_points.isEmpty())
        return;
    // Where the next boot began: the guest's start or reboot as the host reported it, else the first
    // sample of the sender's session (a rebooted guest's agent starts a new one).
    struct Origin
    {
        double t = 0;
        quint64 exits = 0;
        quint64 cycles = 0;
        bool exact = false;
        bool fromGuestStart = false;
        int reading = 0; // the sample whose totals it uses
        // The host's counters as read just before the guest's start (carried by its marker), when
        // they were: they measure a boot that ends before the sender's first sample.
        const Marker *hostReading = nullptr;
    };
    const auto sessionStart = [this](int index) {
        const auto &p = m_points.at(index);
        return Origin{p.t, p.exitsTotal, p.cyclesTotal, true, false, index};
    };
    Origin origin = sessionStart(0);
    bool haveOrigin = true; // false once a boot has used it, until the next start
    int nextPoint = 1;
    for (const auto &m : m_markers) {
        // Sessions that began before this marker.
        for (; nextPoint < m_points.size() && m_points.at(nextPoint).t <= m.t; ++nextPoint) {
            if (m_points.at(nextPoint).flags & SeriesPoint::NewSession) {
                if (!haveOrigin || !origin.fromGuestStart || origin.t < m_points.at(nextPoint - 1).t)
                    origin = sessionStart(nextPoint);
                haveOrigin = true;
            }
        }
        const auto kind = m.marker.kind;
        if (kind == MarkerKind::HostEvent) {
            const auto code = HostEventCode(m.marker.span);
            if (code == HostEventCode::GuestStarted || code == HostEventCode::GuestRebooted) {
                Origin o;
                o.t = m.t;
                o.exact = markerTotals(m, &o.exits, &o.cycles) && m.sampleIndex >= 0;
                o.fromGuestStart = true;
                o.reading = qMax(0, m.sampleIndex);
                if (m.marker.countersValid())
                    o.hostReading = &m.marker;
                origin = o;
                haveOrigin = true;
            }
            continue;
        }
        if (kind != MarkerKind::Boot || !haveOrigin)
            continue;
        if (m.t <= origin.t)
            continue;
        Span s;
        s.kind = MarkerKind::Boot;
        s.startText = markerKindName(MarkerKind::Boot);
        s.endText = m.marker.text;
        s.start = origin.t;
        s.end = m.t;
        s.fromGuestStart = origin.fromGuestStart;
        const Marker *hostReading = origin.hostReading;
        if (hostReading && m.marker.countersValid() && m.marker.cycles >= hostReading->cycles) {
            // Both ends read the host's counters: their difference is the boot's cost, whether or not
            // a sample lies between them (cycles that went back: the counters were reset in between).
            s.exact = true;
            s.exits = quint32(m.marker.exits - hostReading->exits);
            s.cycles = m.marker.cycles - hostReading->cycles;
        } else {
            // Otherwise only a reading after the origin's measures anything: a boot marker with no
            // reading of its own and no sample since the origin's (an agent that starts as the boot
            // ends says so before its first sample) would show a boot that cost nothing.
            const bool measured = m.hasTotals ? m.sampleIndex >= origin.reading : m.sampleIndex > origin.reading;
            if (!measured)
                continue;
            quint64 e1 = 0, c1 = 0;
            s.exact = markerTotals(m, &e1, &c1) && origin.exact;
            s.exits = e1 >= origin.exits ? e1 - origin.exits : 0;
            s.cycles = c1 >= origin.cycles ? c1 - origin.cycles : 0;
        }
        spans->append(s);
        // One boot per start: a second boot marker without a new start has no span of its own.
        haveOrigin = false;
    }
}

int ExitSeries::indexAt(double t) const
{
    const auto it = std::lower_bound(m_points.begin(), m_points.end(), t,
                                     [](const SeriesPoint &p, double time) { return p.t < time; });
    return it == m_points.end() ? -1 : int(it - m_points.begin());
}

RangeSummary ExitSeries::summarize(double from, double to) const
{
    RangeSummary summary;
    if (to < from)
        std::swap(from, to);
    const auto byTime = [](const SeriesPoint &p, double t) { return p.t < t; };
    const auto first = std::lower_bound(m_points.begin(), m_points.end(), from, byTime);
    auto pastLast = std::lower_bound(first, m_points.end(), to, byTime);
    if (pastLast != m_points.end() && pastLast->t == to)
        ++pastLast;
    if (pastLast - first < 2)
        return summary;
    const auto last = pastLast - 1;
    summary.valid = true;
    summary.start = first->t;
    summary.end = last->t;
    summary.exits = last->exitsTotal - first->exitsTotal;
    summary.cycles = last->cyclesTotal - first->cyclesTotal;
    for (auto it = first + 1; it != pastLast; ++it)
        summary.ownCpuids += it->deltaOwn;

    QHash<quint32, int> rowOf;
    for (const auto &r : m_reasonPoints) {
        if (r.t <= summary.start || r.t > summary.end)
            continue;
        auto it = rowOf.find(r.reason);
        if (it == rowOf.end()) {
            it = rowOf.insert(r.reason, int(summary.reasons.size()));
            ReasonPoint row;
            row.reason = r.reason;
            summary.reasons.append(row);
        }
        auto &row = summary.reasons[*it];
        row.deltaExits += r.deltaExits;
        row.deltaCycles += r.deltaCycles;
    }
    std::stable_sort(summary.reasons.begin(), summary.reasons.end(),
                     [](const ReasonPoint &a, const ReasonPoint &b) { return a.deltaExits > b.deltaExits; });
    return summary;
}

} // namespace ExitScope
