// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for StreamParser. The first byte of an input chooses how many of the following
// bytes are chunk sizes (byte0 % 8); the rest is the stream, fed in chunks of those sizes in turn.
// Besides surviving any input, the parser must keep these invariants:
// - the chunking does not matter: the same records, gaps and stats as feeding everything at once;
// - the pending tail never exceeds one record, and is empty after finish();
// - the stats add up: delivered records match the sink's calls, gaps and lost records match the gap
//   reports, and records plus skipped and pending bytes never exceed the bytes fed;
// - sequence numbers delivered within a session strictly increase.
#include "fuzztarget.h"

#include "protocol/recordsink.h"
#include "protocol/streamparser.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace ExitScope;

void (*fuzzFailureHook)() = nullptr;

namespace {

// Summarises every call as numbers, cheap enough for millions of runs, and checks sequence order.
class CheckingSink : public RecordSink
{
public:
    std::vector<quint64> trace;
    quint64 delivered = 0;
    quint64 handshakes = 0;
    quint64 gapReports = 0;
    quint64 lostInReports = 0;

    void handshake(const Handshake &h) override
    {
        if (!m_haveSession || h.sessionId != m_sessionId)
            m_haveSeq = false;
        m_haveSession = true;
        m_sessionId = h.sessionId;
        ++handshakes;
        FUZZ_CHECK(h.protocolMajor == Protocol::Major);
        FUZZ_CHECK(h.sender.toUtf8().size() <= Protocol::MaxPayload);
        record(1, h.seq, h.sessionId ^ h.periodNs ^ quint64(h.sender.size()) << 32 ^ quint64(h.host.size()));
    }
    void sample(const Sample &s) override { record(2, s.seq, s.tNs ^ s.exits ^ s.cycles ^ s.ownCpuid); }
    void marker(const Marker &m) override
    {
        FUZZ_CHECK(m.text.toUtf8().size() <= Protocol::MaxPayload);
        record(3, m.seq, m.tNs ^ m.exits ^ m.cycles ^ quint64(m.kind) ^ quint64(m.flags) << 8 ^ quint64(m.span) << 16
                             ^ quint64(m.text.size()) << 48);
    }
    void heartbeat(const Heartbeat &h) override { record(4, h.seq, h.tNs ^ h.dropped); }
    void error(const ErrorRecord &e) override { record(5, e.seq, e.tNs ^ e.code ^ quint64(e.text.size()) << 32); }
    void reasonSample(const ReasonSample &r) override { record(6, r.seq, r.tNs ^ r.reason ^ r.exits ^ r.cycles); }
    void gap(quint64 first, quint64 last) override
    {
        FUZZ_CHECK(first <= last);
        // A gap is reported before the record after it, and only after an earlier record of the session.
        FUZZ_CHECK(!m_haveSeq || first > m_lastSeq);
        ++gapReports;
        lostInReports += last - first + 1;
        trace.push_back(0x10);
        trace.push_back(first);
        trace.push_back(last);
    }
    void unsupportedVersion(quint16 major, quint16 minor) override
    {
        FUZZ_CHECK(major != Protocol::Major);
        m_haveSeq = false;
        trace.push_back(0x20);
        trace.push_back(quint64(major) << 16 | minor);
    }

private:
    void record(quint64 type, quint64 seq, quint64 digest)
    {
        if (m_haveSeq)
            FUZZ_CHECK(seq > m_lastSeq);
        m_haveSeq = true;
        m_lastSeq = seq;
        ++delivered;
        trace.push_back(type);
        trace.push_back(seq);
        trace.push_back(digest);
    }

    bool m_haveSession = false;
    bool m_haveSeq = false;
    quint64 m_sessionId = 0;
    quint64 m_lastSeq = 0;
};

void checkStats(const StreamParser &parser, const CheckingSink &sink, quint64 fed)
{
    const auto &s = parser.stats();
    FUZZ_CHECK(s.bytes == fed);
    FUZZ_CHECK(parser.pendingBytes() >= 0 && parser.pendingBytes() <= Protocol::MaxRecordSize);
    FUZZ_CHECK(s.records == sink.delivered);
    FUZZ_CHECK(s.gaps == sink.gapReports);
    FUZZ_CHECK(s.lostRecords == sink.lostInReports);
    FUZZ_CHECK(s.sessions <= sink.handshakes);
    FUZZ_CHECK((sink.handshakes == 0) == (s.sessions == 0));
    FUZZ_CHECK(s.skippedBytes <= fed);
    FUZZ_CHECK(s.malformed <= fed);
    const quint64 minimumFramed = quint64(Protocol::HeaderSize + Protocol::TrailerSize) * (s.records + s.rejected + s.unknown);
    FUZZ_CHECK(minimumFramed + s.skippedBytes + quint64(parser.pendingBytes()) <= fed);
    FUZZ_CHECK(s.clean() == (s.malformed == 0 && s.skippedBytes == 0 && s.gaps == 0 && s.rejected == 0));
    FUZZ_CHECK(parser.hasHandshake() == (sink.handshakes > 0));
}

bool sameStats(const ParserStats &a, const ParserStats &b)
{
    return a.bytes == b.bytes && a.records == b.records && a.malformed == b.malformed
        && a.skippedBytes == b.skippedBytes && a.unknown == b.unknown && a.gaps == b.gaps
        && a.lostRecords == b.lostRecords && a.sessions == b.sessions && a.rejected == b.rejected;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const size_t splitCount = data[0] % 8;
    if (size < 1 + splitCount)
        return 0;
    const uint8_t *splits = data + 1;
    const auto *stream = reinterpret_cast<const char *>(data + 1 + splitCount);
    const auto length = qsizetype(size - 1 - splitCount);

    CheckingSink whole;
    StreamParser reference(&whole);
    reference.feed(QByteArrayView(stream, length));
    checkStats(reference, whole, quint64(length));
    reference.finish();
    FUZZ_CHECK(reference.pendingBytes() == 0);
    checkStats(reference, whole, quint64(length));
    const auto finished = reference.stats();
    reference.finish(); // idempotent
    FUZZ_CHECK(sameStats(finished, reference.stats()));

    CheckingSink chunked;
    StreamParser parser(&chunked);
    qsizetype pos = 0;
    size_t turn = 0;
    ParserStats before = parser.stats();
    while (pos < length) {
        const qsizetype chunk = splitCount ? qsizetype(splits[turn++ % splitCount]) + 1 : length;
        const auto take = qMin(chunk, length - pos);
        parser.feed(QByteArrayView(stream + pos, take));
        pos += take;
        checkStats(parser, chunked, quint64(pos));
        const auto &now = parser.stats();
        FUZZ_CHECK(now.records >= before.records && now.malformed >= before.malformed
                   && now.skippedBytes >= before.skippedBytes && now.gaps >= before.gaps
                   && now.sessions >= before.sessions && now.rejected >= before.rejected);
        before = now;
    }
    parser.finish();
    FUZZ_CHECK(parser.pendingBytes() == 0);
    checkStats(parser, chunked, quint64(length));
    FUZZ_CHECK(chunked.trace == whole.trace);
    FUZZ_CHECK(sameStats(parser.stats(), reference.stats()));
    return 0;
}
