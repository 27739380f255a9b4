// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/parserstats.h"
#include "protocol/records.h"

#include <QByteArray>
#include <QByteArrayView>

namespace ExitScope {

class RecordSink;

// Resumable decoder of the sample stream (docs/protocol.md). Feed it bytes as they arrive, in chunks
// of any size; it delivers every complete record to the sink, keeps an incomplete tail for the next
// call, resynchronises on the sync word after damage, and checks sequence numbers.
class StreamParser
{
public:
    // A forward jump of the sequence number by more than this many records is believed only when
    // the record after it continues from there: one damaged or hostile record with a huge sequence
    // number would otherwise make every later record look old and be dropped.
    static constexpr quint64 MaxTrustedGap = quint64(1) << 20;

    explicit StreamParser(RecordSink *sink = nullptr);
    void setSink(RecordSink *sink) { m_sink = sink; }

    void feed(QByteArrayView bytes);
    // End of input: an incomplete record left over is counted as damage.
    void finish();

    const ParserStats &stats() const { return m_stats; }
    bool hasHandshake() const { return m_hasHandshake; }
    const Handshake &handshake() const { return m_handshake; }
    qsizetype pendingBytes() const { return m_pending.size(); }

private:
    qsizetype parseBuffer(const uchar *data, qsizetype size);
    // Returns false when the payload does not fit the type's layout.
    bool dispatch(quint8 type, quint64 seq, const uchar *payload, int length);
    bool acceptSequence(quint64 seq);
    // A record held back because its sequence number jumped implausibly far: delivered with its gap
    // once the next record continues from it, dropped as malformed when the next one does not.
    void settleDeferred(quint64 nextSeq);
    void dropDeferred();
    void loseSync(qsizetype bytes);

    RecordSink *m_sink;
    ParserStats m_stats;
    QByteArray m_pending;
    Handshake m_handshake;
    bool m_hasHandshake = false;
    bool m_haveSeq = false;
    bool m_inSync = true;
    bool m_rejecting = false;
    quint64 m_lastSeq = 0;
    struct Deferred
    {
        bool held = false;
        quint8 type = 0;
        quint64 seq = 0;
        QByteArray payload;
    };
    Deferred m_deferred;
    bool m_confirming = false;
    bool m_deferring = false; // the record being dispatched was held back, not delivered
};

} // namespace ExitScope
