// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for the recording path behind the parser: a Recorder records arbitrary input
// (chunked as in fuzz_streamparser: byte0 % 8 chunk sizes follow, then the stream) into a run
// store, and the run is replayed from the store. Besides surviving any input:
// - the recording ends exactly once, and the run's state says what the input was: complete when
//   its bytes were sound (gaps alone are a sender's drops), damaged when the parser skipped or
//   rejected anything, failed when nothing in a non-empty input was a record or a sender of another
//   protocol major spoke;
// - the store holds exactly what the parser delivered: the run's counts match, and its replay
//   succeeds and delivers the same records and gaps, in the same order, with the same fields;
// - the live series never holds more points than samples arrived.
#include "fuzztarget.h"

#include "protocol/recordsink.h"
#include "protocol/streamparser.h"
#include "recording/recorder.h"
#include "sources/source.h"
#include "store/runstore.h"

#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace ExitScope;

void (*fuzzFailureHook)() = nullptr;

namespace {

// Every call with every field that the store keeps, as numbers. unsupportedVersion() is the parser's
// note to its reader, not a record: the store has nothing of it, so it is left out.
class TraceSink : public RecordSink
{
public:
    std::vector<quint64> trace;
    quint64 samples = 0;
    quint64 markers = 0;

    void handshake(const Handshake &h) override
    {
        push({1, h.seq, h.sessionId, h.periodNs, h.protocolMajor, h.protocolMinor, quint64(h.sourceKind),
              quint64(h.cpuVendor), h.abiVersion, h.totalLeaf, h.reasonLeaf, h.discoveryLeaf, qHash(h.sender), qHash(h.host)});
    }
    void sample(const Sample &s) override
    {
        ++samples;
        push({2, s.seq, s.tNs, s.exits, s.cycles, s.ownCpuid});
    }
    void marker(const Marker &m) override
    {
        ++markers;
        push({3, m.seq, m.tNs, m.exits, m.cycles, quint64(m.kind), m.flags, m.span, qHash(m.text)});
    }
    void heartbeat(const Heartbeat &h) override { push({4, h.seq, h.tNs, h.dropped}); }
    void error(const ErrorRecord &e) override { push({5, e.seq, e.tNs, e.code, qHash(e.text)}); }
    void reasonSample(const ReasonSample &r) override { push({6, r.seq, r.tNs, r.reason, r.exits, r.cycles}); }
    void gap(quint64 first, quint64 last) override { push({7, first, last}); }
    void unsupportedVersion(quint16, quint16) override { unsupported = true; }
    bool unsupported = false; // a sender of another protocol major spoke: the recorder fails the run

private:
    void push(std::initializer_list<quint64> values) { trace.insert(trace.end(), values); }
};

// The input as a source: delivered in the chunks the input asks for, then its end.
class BytesSource : public Source
{
public:
    BytesSource(QByteArray bytes, std::vector<size_t> chunks)
        : m_bytes(std::move(bytes))
        , m_chunks(std::move(chunks))
    {
    }
    QString description() const override { return QStringLiteral("fuzz input"); }
    void start() override
    {
        markStarted();
        qsizetype at = 0;
        for (size_t i = 0; at < m_bytes.size() && isRunning(); ++i) {
            const auto length = m_chunks.empty() ? m_bytes.size() : qsizetype(m_chunks[i % m_chunks.size()]);
            deliverBytes(QByteArrayView(m_bytes).sliced(at, qMin(length, m_bytes.size() - at)));
            at += length;
        }
        endOfInput();
    }
    void stop() override { endOfInput(); }

private:
    QByteArray m_bytes;
    std::vector<size_t> m_chunks;
};

struct Fixture
{
    Fixture()
    {
        static int argc = 1;
        static char name[] = "fuzz_recorder";
        static char *argv[] = {name, nullptr};
        app = new QCoreApplication(argc, argv);
        // In memory: the invariants are about what is stored, not about the disk.
        if (!store.open(QStringLiteral(":memory:"))) {
            std::fprintf(stderr, "cannot open an in-memory run store: %s\n", qPrintable(store.lastError()));
            std::abort();
        }
    }
    QCoreApplication *app;
    RunStore store;
};

Fixture &fixture()
{
    static Fixture instance;
    return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const size_t splitCount = data[0] % 8;
    if (size < 1 + splitCount)
        return 0;
    std::vector<size_t> chunks;
    for (size_t i = 0; i < splitCount; ++i)
        chunks.push_back(size_t(data[1 + i]) + 1);
    const QByteArray stream(reinterpret_cast<const char *>(data + 1 + splitCount), qsizetype(size - 1 - splitCount));

    auto &f = fixture();
    // The reference: the parser alone, everything at once (chunking does not matter, which
    // fuzz_streamparser checks).
    TraceSink expected;
    StreamParser parser;
    parser.setSink(&expected);
    parser.feed(stream);
    parser.finish();
    const auto stats = parser.stats();

    Recorder recorder(&f.store);
    int finished = 0, failed = 0;
    QObject::connect(&recorder, &Recorder::finished, [&](qint64) { ++finished; });
    QObject::connect(&recorder, &Recorder::failed, [&](qint64, const QString &, const QString &) { ++failed; });
    FUZZ_CHECK(recorder.start(new BytesSource(stream, chunks), {}));
    // The source ends within start(); an ending queued by a store failure runs here.
    QCoreApplication::processEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    FUZZ_CHECK(!recorder.isRecording());
    FUZZ_CHECK(finished + failed == 1);
    FUZZ_CHECK(recorder.streamStats().records == stats.records);
    FUZZ_CHECK(recorder.streamStats().clean() == stats.clean());
    FUZZ_CHECK(quint64(recorder.series().size()) <= expected.samples);

    const auto runId = recorder.runId();
    if (stream.isEmpty()) {
        // Nothing arrived: the recording fails and keeps no run.
        FUZZ_CHECK(failed == 1 && runId == -1);
        return 0;
    }
    FUZZ_CHECK(runId > 0); // the input had bytes: a run is kept
    RunInfo info;
    FUZZ_CHECK(f.store.runInfo(runId, &info));
    const auto state = stats.records == 0 || expected.unsupported ? RunInfo::State::Failed
        : stats.damaged()                 ? RunInfo::State::Damaged
                                          : RunInfo::State::Complete;
    if (info.state != state)
        std::fprintf(stderr, "state %s, expected %s: %s (records %llu, malformed %llu, skipped %llu, gaps %llu, rejected %llu)\n",
                     qPrintable(RunInfo::stateName(info.state)), qPrintable(RunInfo::stateName(state)), qPrintable(info.failure),
                     (unsigned long long)stats.records, (unsigned long long)stats.malformed,
                     (unsigned long long)stats.skippedBytes, (unsigned long long)stats.gaps, (unsigned long long)stats.rejected);
    FUZZ_CHECK(info.state == state);
    FUZZ_CHECK((failed == 1) == (state == RunInfo::State::Failed));
    FUZZ_CHECK(quint64(info.sampleCount) == expected.samples);
    FUZZ_CHECK(quint64(info.markerCount) == expected.markers);

    TraceSink replayed;
    FUZZ_CHECK(f.store.replay(runId, &replayed));
    FUZZ_CHECK(replayed.trace == expected.trace);
    FUZZ_CHECK(f.store.deleteRun(runId)); // keeps the in-memory store small over millions of inputs
    return 0;
}
