// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/streamparser.h"

#include "protocol/crc32.h"
#include "protocol/recordsink.h"

#include <cstring>

namespace ExitScope {

namespace {

// Bounds-checked little-endian reader over one payload.
class PayloadReader
{
public:
    PayloadReader(const uchar *data, int size)
        : m_data(data)
        , m_size(size)
    {
    }

    bool ok() const { return m_ok; }

    template<typename T>
    T read()
    {
        if (m_pos + int(sizeof(T)) > m_size) {
            m_ok = false;
            return T{};
        }
        T value = 0;
        for (int i = int(sizeof(T)) - 1; i >= 0; --i)
            value = T(value << 8 | m_data[m_pos + i]);
        m_pos += int(sizeof(T));
        return value;
    }

    QString readString()
    {
        const auto length = read<quint8>();
        if (!m_ok || m_pos + length > m_size) {
            m_ok = false;
            return {};
        }
        auto text = QString::fromUtf8(reinterpret_cast<const char *>(m_data + m_pos), length);
        m_pos += length;
        return text;
    }

private:
    const uchar *m_data;
    int m_size;
    int m_pos = 0;
    bool m_ok = true;
};

quint32 readLe32(const uchar *p)
{
    return quint32(p[0]) | quint32(p[1]) << 8 | quint32(p[2]) << 16 | quint32(p[3]) << 24;
}

quint64 readLe64(const uchar *p)
{
    return quint64(readLe32(p)) | quint64(readLe32(p + 4)) << 32;
}

} // namespace

StreamParser::StreamParser(RecordSink *sink)
    : m_sink(sink)
{
}

void StreamParser::feed(QByteArrayView bytes)
{
    auto data = reinterpret_cast<const uchar *>(bytes.data());
    auto size = bytes.size();
    m_stats.bytes += quint64(size);

    while (size > 0) {
        if (m_pending.isEmpty()) {
            const auto consumed = parseBuffer(data, size);
            m_pending.append(reinterpret_cast<const char *>(data + consumed), size - consumed);
            return;
        }
        // Complete the pending tail with at most one record's worth of new bytes. If that is not
        // enough to get past the old tail, every new byte was needed, so nothing is left to parse.
        const auto oldLength = m_pending.size();
        const auto take = qMin<qsizetype>(size, Protocol::MaxRecordSize);
        m_pending.append(reinterpret_cast<const char *>(data), take);
        const auto consumed =
            parseBuffer(reinterpret_cast<const uchar *>(m_pending.constData()), m_pending.size());
        if (consumed < oldLength) {
            Q_ASSERT(take == size);
            m_pending.remove(0, consumed);
            return;
        }
        const auto usedOfNew = consumed - oldLength;
        m_pending.clear();
        data += usedOfNew;
        size -= usedOfNew;
    }
}

void StreamParser::finish()
{
    // No more bytes will come, so the record at the start of the tail cannot complete. Its length byte
    // may be what is damaged, though, and the bytes it claimed may hold whole records: step over its
    // sync byte and parse on, as after a CRC mismatch.
    while (!m_pending.isEmpty()) {
        loseSync(1);
        const QByteArray rest = m_pending.sliced(1);
        m_pending.clear();
        const auto consumed = parseBuffer(reinterpret_cast<const uchar *>(rest.constData()), rest.size());
        m_pending = rest.sliced(consumed);
    }
    // Nothing came after a record whose sequence number jumped too far to believe on its own.
    dropDeferred();
}

void StreamParser::loseSync(qsizetype bytes)
{
    if (m_inSync) {
        ++m_stats.malformed;
        m_inSync = false;
    }
    m_stats.skippedBytes += quint64(bytes);
}

qsizetype StreamParser::parseBuffer(const uchar *data, qsizetype size)
{
    qsizetype pos = 0;
    while (pos < size) {
        if (data[pos] != Protocol::SyncByte0 || (pos + 1 < size && data[pos + 1] != Protocol::SyncByte1)) {
            // Lost: skip to the next candidate sync byte.
            auto next = static_cast<const uchar *>(
                std::memchr(data + pos + 1, Protocol::SyncByte0, size_t(size - pos - 1)));
            const qsizetype to = next ? next - data : size;
            loseSync(to - pos);
            pos = to;
            continue;
        }
        if (size - pos < Protocol::HeaderSize)
            break;
        const int length = data[pos + 3];
        const qsizetype total = Protocol::HeaderSize + length + Protocol::TrailerSize;
        if (size - pos < total)
            break;
        const auto *framed = data + pos + 2;
        const auto expected = readLe32(data + pos + Protocol::HeaderSize + length);
        if (Crc32::compute(framed, size_t(Protocol::HeaderSize - 2 + length)) != expected) {
            // A false sync word inside damage, or a damaged record: step over the sync byte only,
            // since a real record may start inside what this one claimed.
            loseSync(1);
            ++pos;
            continue;
        }
        m_inSync = true;
        const quint8 type = data[pos + 2];
        const quint64 seq = readLe64(data + pos + 4);
        if (!dispatch(type, seq, data + pos + Protocol::HeaderSize, length))
            ++m_stats.malformed;
        pos += total;
    }
    return pos;
}

bool StreamParser::acceptSequence(quint64 seq)
{
    if (m_haveSeq) {
        settleDeferred(seq);
        if (seq <= m_lastSeq)
            return false;
        if (seq - m_lastSeq - 1 > MaxTrustedGap && !m_confirming) {
            m_deferring = true;
            return false;
        }
        if (seq > m_lastSeq + 1) {
            ++m_stats.gaps;
            m_stats.lostRecords += seq - m_lastSeq - 1;
            m_sink->gap(m_lastSeq + 1, seq - 1);
        }
    }
    m_haveSeq = true;
    m_lastSeq = seq;
    return true;
}

void StreamParser::settleDeferred(quint64 nextSeq)
{
    if (!m_deferred.held || m_confirming)
        return;
    Deferred held = std::move(m_deferred);
    m_deferred = Deferred();
    if (nextSeq > held.seq && nextSeq - held.seq - 1 <= MaxTrustedGap) {
        // The numbering really moved on (a reader that came back after a long time): deliver it now.
        m_confirming = true;
        dispatch(held.type, held.seq, reinterpret_cast<const uchar *>(held.payload.constData()), int(held.payload.size()));
        m_confirming = false;
    } else {
        ++m_stats.malformed;
    }
}

void StreamParser::dropDeferred()
{
    if (m_deferred.held) {
        m_deferred = Deferred();
        ++m_stats.malformed;
    }
}

bool StreamParser::dispatch(quint8 type, quint64 seq, const uchar *payload, int length)
{
    // A record whose sequence number jumped too far is kept whole until the next record says whether
    // to believe it.
    const auto deferIfAsked = [&] {
        if (!m_deferring)
            return false;
        m_deferring = false;
        m_deferred = Deferred{true, type, seq, QByteArray(reinterpret_cast<const char *>(payload), length)};
        return true;
    };
    PayloadReader in(payload, length);
    // Common tail of every non-handshake record: validate, apply numbering, deliver.
    const auto admit = [&](auto &&deliver) {
        if (!in.ok())
            return false;
        if (m_rejecting) {
            ++m_stats.rejected;
            return true;
        }
        if (!acceptSequence(seq))
            return deferIfAsked();
        ++m_stats.records;
        deliver();
        return true;
    };
    switch (static_cast<RecordType>(type)) {
    case RecordType::Handshake: {
        Handshake h;
        h.seq = seq;
        h.protocolMajor = in.read<quint16>();
        h.protocolMinor = in.read<quint16>();
        if (!in.ok())
            return false;
        if (h.protocolMajor != Protocol::Major) {
            m_rejecting = true;
            m_haveSeq = false;
            dropDeferred();
            m_sink->unsupportedVersion(h.protocolMajor, h.protocolMinor);
            return true;
        }
        h.sourceKind = static_cast<SourceKind>(in.read<quint8>());
        h.cpuVendor = static_cast<CpuVendor>(in.read<quint8>());
        h.abiVersion = in.read<quint16>();
        h.totalLeaf = in.read<quint32>();
        h.reasonLeaf = in.read<quint32>();
        h.discoveryLeaf = in.read<quint32>();
        h.sessionId = in.read<quint64>();
        h.periodNs = in.read<quint64>();
        h.sender = in.readString();
        h.host = in.readString();
        if (!in.ok())
            return false;
        m_rejecting = false;
        if (!m_hasHandshake || h.sessionId != m_handshake.sessionId) {
            // A new sender process: its numbering starts over.
            ++m_stats.sessions;
            m_haveSeq = false;
            dropDeferred();
        }
        if (!acceptSequence(seq))
            return deferIfAsked();
        m_hasHandshake = true;
        m_handshake = h;
        ++m_stats.records;
        m_sink->handshake(h);
        return true;
    }
    case RecordType::Sample: {
        Sample s;
        s.seq = seq;
        s.tNs = in.read<quint64>();
        s.exits = in.read<quint32>();
        s.cycles = in.read<quint64>();
        s.ownCpuid = in.read<quint64>();
        return admit([&] { m_sink->sample(s); });
    }
    case RecordType::Marker: {
        Marker m;
        m.seq = seq;
        m.tNs = in.read<quint64>();
        m.exits = in.read<quint32>();
        m.cycles = in.read<quint64>();
        m.kind = static_cast<MarkerKind>(in.read<quint8>());
        m.flags = in.read<quint8>();
        m.span = in.read<quint32>();
        m.text = in.readString();
        return admit([&] { m_sink->marker(m); });
    }
    case RecordType::Heartbeat: {
        Heartbeat h;
        h.seq = seq;
        h.tNs = in.read<quint64>();
        h.dropped = in.read<quint64>();
        return admit([&] { m_sink->heartbeat(h); });
    }
    case RecordType::Error: {
        ErrorRecord e;
        e.seq = seq;
        e.tNs = in.read<quint64>();
        e.code = in.read<quint16>();
        e.text = in.readString();
        return admit([&] { m_sink->error(e); });
    }
    case RecordType::ReasonSample: {
        ReasonSample r;
        r.seq = seq;
        r.tNs = in.read<quint64>();
        r.reason = in.read<quint32>();
        r.exits = in.read<quint32>();
        r.cycles = in.read<quint64>();
        return admit([&] { m_sink->reasonSample(r); });
    }
    }
    // A later minor version's record type: framing is valid, so skip it but keep numbering.
    ++m_stats.unknown;
    if (!m_rejecting && !acceptSequence(seq) && m_deferring) {
        m_deferring = false; // nothing to deliver later; an implausible jump in it is not believed
        ++m_stats.malformed;
    }
    return true;
}

} // namespace ExitScope
