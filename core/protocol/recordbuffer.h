// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/recordsink.h"

#include <QVector>

#include <variant>

namespace ExitScope {

struct GapRecord
{
    quint64 first = 0;
    quint64 last = 0;
};

using BufferedRecord = std::variant<Handshake, Sample, Marker, Heartbeat, ErrorRecord, ReasonSample, GapRecord>;

// Keeps records in arrival order: what the recorder has not stored yet, what a paced replay has not
// released yet.
class RecordBuffer : public RecordSink
{
public:
    void handshake(const Handshake &r) override { m_records.append(r); }
    void sample(const Sample &r) override { m_records.append(r); }
    void marker(const Marker &r) override { m_records.append(r); }
    void heartbeat(const Heartbeat &r) override { m_records.append(r); }
    void error(const ErrorRecord &r) override { m_records.append(r); }
    void reasonSample(const ReasonSample &r) override { m_records.append(r); }
    void gap(quint64 first, quint64 last) override { m_records.append(GapRecord{first, last}); }

    const QVector<BufferedRecord> &records() const { return m_records; }
    qsizetype size() const { return m_records.size(); }
    bool isEmpty() const { return m_records.isEmpty(); }
    void clear() { m_records.clear(); }
    // Forgets the first count records (those already handed on).
    void dropFront(qsizetype count) { m_records.remove(0, qMin(count, m_records.size())); }
    QVector<BufferedRecord> take() { return std::exchange(m_records, {}); }

    // The sender's timestamp of a record, 0 for handshakes and gaps, which carry none.
    static quint64 timestampOf(const BufferedRecord &record);
    static void deliver(const BufferedRecord &record, RecordSink *sink);

private:
    QVector<BufferedRecord> m_records;
};

} // namespace ExitScope
