// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/recordsink.h"
#include "series/seriespoint.h"

#include <QVector>

#include <limits>

namespace ExitScope {

// The run as a time series: turns raw readings of the totals leaf into unwrapped totals and
// per-interval rates. Readings are global host counters, so missing samples lose resolution, not
// exits: every interval's delta is exact even across sequence gaps.
//
// Wrap or reset? EAX is 32 bits and wraps after 4.3 G exits; the cycle counter is 64 bits and does
// not wrap in practice. When EAX goes down, a wrap implies the cycles grew by at least as many as the
// wrapped delta (every exit costs more than a cycle); anything else, or cycles going down, means the
// host's counters restarted (KVM was reloaded). The totals then continue from the new readings.
class ExitSeries : public RecordSink
{
public:
    static constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

    void clear();
    void setSubtractOwnExits(bool subtract) { m_subtractOwn = subtract; }
    bool subtractOwnExits() const { return m_subtractOwn; }

    void beginSession(const Handshake &handshake);
    // Returns the index of the appended point.
    int append(const Sample &sample);
    void appendMarker(const Marker &marker);
    void noteGap() { m_gapPending = true; }
    void appendReason(const ReasonSample &reading);

    // As a sink, the series builds itself from a stream or a stored run.
    void handshake(const Handshake &h) override { beginSession(h); }
    void sample(const Sample &s) override { append(s); }
    void marker(const Marker &m) override { appendMarker(m); }
    void reasonSample(const ReasonSample &r) override { appendReason(r); }
    void gap(quint64, quint64) override { noteGap(); }

    int size() const { return int(m_points.size()); }
    bool isEmpty() const { return m_points.isEmpty(); }
    const SeriesPoint &at(int index) const { return m_points.at(index); }
    const QVector<SeriesPoint> &points() const { return m_points; }
    const QVector<SeriesMarker> &markers() const { return m_markers; }

    // Exits in the interval ending at index, less the sampler's own when that is switched on.
    quint64 exitsInInterval(int index) const;
    // NaN where the interval has no defined rate (first sample, counter reset).
    double exitsPerSecond(int index) const;
    double cyclesPerExit(int index) const;

    // The marked spans and, for each boot marker, the boot span leading to it, in order of start.
    QVector<Span> spans() const;
    // The sample whose interval holds time t (the first sample at or after t), -1 if none.
    int indexAt(double t) const;
    // The stretch between from and to (seconds on the run's axis), measured at the samples inside it.
    RangeSummary summarize(double from, double to) const;
    // Per exit reason sampled (leaf 0x4FFFFFFE), unwrapped like the totals, in reason order.
    const QVector<ReasonTotal> &reasonTotals() const { return m_reasons; }
    // Every reason reading, in arrival order (for the long-format CSV).
    const QVector<ReasonPoint> &reasonPoints() const { return m_reasonPoints; }
    // The numbering of the reasons, from the sender's handshake.
    CpuVendor cpuVendor() const { return m_vendor; }
    int resetCount() const { return m_resets; }
    double duration() const { return m_points.isEmpty() ? 0 : m_points.last().t; }
    quint64 totalExits() const { return m_points.isEmpty() ? 0 : m_points.last().exitsTotal; }
    quint64 totalCycles() const { return m_points.isEmpty() ? 0 : m_points.last().cyclesTotal; }

private:
    double placeOnAxis(quint64 tNs);
    // A marker's own counter reading if it has one (true), else the last sample's before it.
    bool markerTotals(const SeriesMarker &m, quint64 *exits, quint64 *cycles) const;
    void appendBootSpans(QVector<Span> *spans) const;

    QVector<SeriesPoint> m_points;
    QVector<SeriesMarker> m_markers;
    bool m_subtractOwn = false;
    bool m_gapPending = false;
    bool m_sessionPending = false;
    bool m_haveSession = false;
    quint64 m_sessionId = 0;
    bool m_clockRestarted = false; // since the last point
    bool m_haveTime = false;
    quint64 m_firstNs = 0;
    double m_axisOffset = 0; // added when a restarted sender's clock starts over
    quint64 m_lastNs = 0;
    quint64 m_periodNs = 0;
    int m_resets = 0;
    QVector<ReasonTotal> m_reasons;
    QVector<ReasonPoint> m_reasonPoints;
    CpuVendor m_vendor = CpuVendor::Unknown;
};

} // namespace ExitScope
