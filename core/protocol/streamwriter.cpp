// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/streamwriter.h"

#include "protocol/crc32.h"

namespace ExitScope {

namespace {

// Fixed parts: handshake 36 bytes, marker 26, error 10 (docs/protocol.md).
constexpr qsizetype MaxHandshakeString = 100;
constexpr qsizetype MaxMarkerText = Protocol::MaxPayload - 26 - 1;
constexpr qsizetype MaxErrorText = Protocol::MaxPayload - 10 - 1;

class PayloadBuilder
{
public:
    template<typename T>
    PayloadBuilder &put(T value)
    {
        for (size_t i = 0; i < sizeof(T); ++i)
            m_bytes.append(char((quint64(value) >> (8 * i)) & 0xFF));
        return *this;
    }

    // Longer strings are cut at a UTF-8 character boundary so that the record fits its frame.
    PayloadBuilder &putString(const QString &text, qsizetype maxBytes)
    {
        QByteArray utf8 = text.toUtf8();
        if (utf8.size() > maxBytes) {
            qsizetype cut = maxBytes;
            while (cut > 0 && (uchar(utf8.at(cut)) & 0xC0) == 0x80)
                --cut;
            utf8.truncate(cut);
        }
        put(quint8(utf8.size()));
        m_bytes.append(utf8);
        return *this;
    }

    const QByteArray &bytes() const { return m_bytes; }

private:
    QByteArray m_bytes;
};

void frame(QByteArray &out, RecordType type, quint64 seq, const PayloadBuilder &payload)
{
    StreamWriter::appendRaw(out, quint8(type), seq, payload.bytes());
}

} // namespace

void StreamWriter::appendRaw(QByteArray &out, quint8 type, quint64 seq, const QByteArray &payload)
{
    // A payload over 255 bytes cannot be framed; the record types keep strings short enough that
    // this only happens through appendRaw misuse in tests.
    const auto length = qMin<qsizetype>(payload.size(), Protocol::MaxPayload);
    PayloadBuilder header;
    header.put(quint8(type)).put(quint8(length)).put(seq);
    const auto start = out.size();
    out.append(char(Protocol::SyncByte0));
    out.append(char(Protocol::SyncByte1));
    out.append(header.bytes());
    out.append(payload.constData(), length);
    const auto crc = Crc32::compute(reinterpret_cast<const uchar *>(out.constData() + start + 2),
                                    size_t(out.size() - start - 2));
    PayloadBuilder trailer;
    trailer.put(crc);
    out.append(trailer.bytes());
}

void StreamWriter::append(QByteArray &out, const Handshake &h)
{
    PayloadBuilder p;
    p.put(h.protocolMajor)
        .put(h.protocolMinor)
        .put(quint8(h.sourceKind))
        .put(quint8(h.cpuVendor))
        .put(h.abiVersion)
        .put(h.totalLeaf)
        .put(h.reasonLeaf)
        .put(h.discoveryLeaf)
        .put(h.sessionId)
        .put(h.periodNs)
        .putString(h.sender, MaxHandshakeString)
        .putString(h.host, MaxHandshakeString);
    frame(out, RecordType::Handshake, h.seq, p);
}

void StreamWriter::append(QByteArray &out, const Sample &s)
{
    PayloadBuilder p;
    p.put(s.tNs).put(s.exits).put(s.cycles).put(s.ownCpuid);
    frame(out, RecordType::Sample, s.seq, p);
}

void StreamWriter::append(QByteArray &out, const Marker &m)
{
    PayloadBuilder p;
    p.put(m.tNs).put(m.exits).put(m.cycles).put(quint8(m.kind)).put(m.flags).put(m.span).putString(m.text, MaxMarkerText);
    frame(out, RecordType::Marker, m.seq, p);
}

void StreamWriter::append(QByteArray &out, const Heartbeat &h)
{
    PayloadBuilder p;
    p.put(h.tNs).put(h.dropped);
    frame(out, RecordType::Heartbeat, h.seq, p);
}

void StreamWriter::append(QByteArray &out, const ErrorRecord &e)
{
    PayloadBuilder p;
    p.put(e.tNs).put(e.code).putString(e.text, MaxErrorText);
    frame(out, RecordType::Error, e.seq, p);
}

void StreamWriter::append(QByteArray &out, const ReasonSample &r)
{
    PayloadBuilder p;
    p.put(r.tNs).put(r.reason).put(r.exits).put(r.cycles);
    frame(out, RecordType::ReasonSample, r.seq, p);
}

} // namespace ExitScope
