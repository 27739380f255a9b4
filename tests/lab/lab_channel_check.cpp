// SPDX-License-Identifier: GPL-3.0-or-later
//
// Reads an L2 guest's exitscope-agent stream from the lab's L1 host with core's LibvirtChannelSource
// (virDomainOpenChannel over the lab's libvirt URI), which parses it with StreamParser, and checks what
// arrived. The domain is started and destroyed with libvirt's C API.
//
// usage: lab_channel_check --uri URI --domain NAME [--start] [--seconds N] [--min-samples N]
//                          [--expect any|stock|patched] [--reader core|direct]
//   --start    start the domain if it is not running (and destroy it again at the end)
//   --expect   stock:   the agent reports that the leaves are not present and sends no samples
//              patched: a handshake with a non-zero ABI version and samples whose exit count grows
//   --reader   core (default): read with ExitScope's LibvirtChannelSource, the way the application does;
//              direct: read with a blocking libvirt stream here and parse with core's StreamParser, which
//              separates a problem of the lab from one of the source
// Exit status 0 if every check holds, 1 otherwise; what was seen is printed either way.

#include "sources/libvirtchannelsource.h"
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"

#include <QCoreApplication>
#include <QTimer>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

class Recorder : public ExitScope::RecordSink
{
public:
    void handshake(const ExitScope::Handshake &h) override
    {
        ++handshakes;
        last = h;
    }
    void sample(const ExitScope::Sample &s) override
    {
        if (samples == 0)
            first = s;
        else
            unwrappedExits += quint32(s.exits - latest.exits);
        latest = s;
        ++samples;
    }
    void marker(const ExitScope::Marker &m) override
    {
        ++markers;
        if (m.kind == ExitScope::MarkerKind::Boot)
            bootText = m.text.toStdString();
    }
    void heartbeat(const ExitScope::Heartbeat &h) override
    {
        ++heartbeats;
        dropped = h.dropped;
    }
    void error(const ExitScope::ErrorRecord &e) override
    {
        ++errors;
        if (e.code == quint16(ExitScope::SenderError::LeafNotPresent))
            leafNotPresent = true;
        std::fprintf(stderr, "lab_channel_check: agent error %u: %s\n", e.code, e.text.toStdString().c_str());
    }

    int handshakes = 0;
    ExitScope::Handshake last;
    quint64 samples = 0;
    ExitScope::Sample first;
    ExitScope::Sample latest;
    quint64 unwrappedExits = 0;
    int markers = 0;
    int heartbeats = 0;
    quint64 dropped = 0;
    int errors = 0;
    bool leafNotPresent = false;
    std::string bootText;
};

[[noreturn]] void fail(const char *what)
{
    const virErrorPtr err = virGetLastError();
    std::fprintf(stderr, "lab_channel_check: %s%s%s\n", what, err ? ": " : "", err ? err->message : "");
    std::exit(1);
}

void usage()
{
    std::fprintf(stderr,
                 "usage: lab_channel_check --uri URI --domain NAME [--start] [--seconds N] "
                 "[--min-samples N] [--expect any|stock|patched] [--reader core|direct]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::string uri;
    std::string domainName;
    std::string expect = "any";
    std::string reader = "core";
    bool start = false;
    int seconds = 20;
    quint64 minSamples = 20;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--uri" && hasValue)
            uri = argv[++i];
        else if (arg == "--domain" && hasValue)
            domainName = argv[++i];
        else if (arg == "--expect" && hasValue)
            expect = argv[++i];
        else if (arg == "--reader" && hasValue)
            reader = argv[++i];
        else if (arg == "--seconds" && hasValue)
            seconds = std::atoi(argv[++i]);
        else if (arg == "--min-samples" && hasValue)
            minSamples = std::strtoull(argv[++i], nullptr, 10);
        else if (arg == "--start")
            start = true;
        else
            usage();
    }
    if (uri.empty() || domainName.empty() || seconds <= 0
        || (expect != "any" && expect != "stock" && expect != "patched") || (reader != "core" && reader != "direct"))
        usage();

    // A blocking read that never returns must not hang the test: SIGALRM ends the process (a failure).
    std::signal(SIGALRM, SIG_DFL);
    alarm(unsigned(seconds) + 120);

    virConnectPtr conn = virConnectOpenAuth(uri.c_str(), virConnectAuthPtrDefault, 0);
    if (!conn)
        fail("cannot connect to the lab's libvirt");
    virDomainPtr dom = virDomainLookupByName(conn, domainName.c_str());
    if (!dom)
        fail("no such domain in L1");
    bool started = false;
    if (virDomainIsActive(dom) != 1) {
        if (!start)
            fail("the domain is not running (use --start)");
        if (virDomainCreate(dom) < 0)
            fail("cannot start the domain");
        started = true;
    }

    Recorder recorder;
    bool sourceFailed = false;
    const auto readWithCore = [&]() -> ExitScope::ParserStats {
        ExitScope::LibvirtChannelSource source(QString::fromStdString(uri), QString::fromStdString(domainName));
        source.setSink(&recorder);
        QObject::connect(&source, &ExitScope::Source::failed, &app,
                         [&](const QString &message, const QString &details) {
                             std::fprintf(stderr, "lab_channel_check: the channel source failed: %s (%s)\n",
                                          message.toStdString().c_str(), details.toStdString().c_str());
                             sourceFailed = true;
                             app.quit();
                         });
        QObject::connect(&source, &ExitScope::Source::connectionChanged, &app,
                         [](bool open, const QString &reason) {
                             std::fprintf(stderr, "lab_channel_check: channel %s%s%s\n", open ? "open" : "closed",
                                          reason.isEmpty() ? "" : ": ", reason.toStdString().c_str());
                         });
        // A stock host sends no samples, only the error; no need to wait out the whole period.
        QObject::connect(&source, &ExitScope::Source::recordsDelivered, &app, [&] {
            if (expect == "stock" && recorder.leafNotPresent && recorder.handshakes > 0)
                app.quit();
        });
        QTimer::singleShot(seconds * 1000, &app, &QCoreApplication::quit);
        source.start();
        app.exec();
        source.stop();
        return source.stats();
    };
    // The reference reader: a blocking stream, which needs no libvirt event loop.
    const auto readDirectly = [&]() -> ExitScope::ParserStats {
        ExitScope::StreamParser parser(&recorder);
        virStreamPtr stream = virStreamNew(conn, 0);
        if (!stream || virDomainOpenChannel(dom, ExitScope::LibvirtChannelSource::DefaultChannel, stream,
                                            VIR_DOMAIN_CHANNEL_FORCE) < 0)
            fail("virDomainOpenChannel(org.exitscope.agent.0) failed");
        virStreamSend(stream, "hello\n", 6);
        char buffer[4096];
        const time_t deadline = time(nullptr) + seconds;
        while (time(nullptr) < deadline) {
            const int got = virStreamRecv(stream, buffer, sizeof buffer);
            if (got < 0)
                fail("reading the channel failed");
            if (got == 0)
                break;
            parser.feed(QByteArrayView(buffer, got));
            if (expect == "stock" && recorder.leafNotPresent && recorder.handshakes > 0)
                break;
        }
        virStreamAbort(stream);
        virStreamFree(stream);
        return parser.stats();
    };
    const ExitScope::ParserStats st = reader == "core" ? readWithCore() : readDirectly();
    std::printf("reader: %s\n", reader == "core" ? "core LibvirtChannelSource" : "direct blocking stream");

    if (started)
        virDomainDestroy(dom);
    virDomainFree(dom);
    virConnectClose(conn);

    std::printf("bytes %llu, records %llu, handshakes %d, samples %llu, markers %d, heartbeats %d, errors %d\n",
                (unsigned long long)st.bytes, (unsigned long long)st.records, recorder.handshakes,
                (unsigned long long)recorder.samples, recorder.markers, recorder.heartbeats, recorder.errors);
    std::printf("malformed %llu, skipped bytes %llu, gaps %llu, lost %llu, sender dropped %llu\n",
                (unsigned long long)st.malformed, (unsigned long long)st.skippedBytes,
                (unsigned long long)st.gaps, (unsigned long long)st.lostRecords,
                (unsigned long long)recorder.dropped);
    if (recorder.handshakes > 0)
        std::printf("sender %s on %s, ABI version %u, vendor %s\n", recorder.last.sender.toStdString().c_str(),
                    recorder.last.host.toStdString().c_str(), recorder.last.abiVersion,
                    ExitScope::cpuVendorName(recorder.last.cpuVendor).toStdString().c_str());
    if (recorder.samples > 0)
        std::printf("exits: first sample 0x%08x, last 0x%08x, grew by %llu over %.2f s\n", recorder.first.exits,
                    recorder.latest.exits, (unsigned long long)recorder.unwrappedExits,
                    double(recorder.latest.tNs - recorder.first.tNs) / 1e9);
    if (!recorder.bootText.empty())
        std::printf("boot marker: %s\n", recorder.bootText.c_str());

    int failures = 0;
    auto check = [&failures](bool ok, const char *what) {
        if (!ok) {
            std::printf("FAILED: %s\n", what);
            ++failures;
        }
    };
    check(!sourceFailed, "the channel source kept running");
    check(recorder.handshakes > 0, "a handshake arrived");
    check(recorder.handshakes == 0 || recorder.last.sourceKind == ExitScope::SourceKind::GuestAgent,
          "the sender is a guest agent");
    // Joining a stream may cut one record; anything beyond that is damage.
    check(st.malformed <= 1 && st.skippedBytes <= quint64(ExitScope::Protocol::MaxRecordSize),
          "the stream parses cleanly");
    check(st.gaps == 0, "sequence numbers have no gaps");
    if (expect == "stock") {
        check(recorder.leafNotPresent, "the agent reports the leaves as not present on stock KVM");
        check(recorder.samples == 0, "no samples from a stock host");
    } else if (expect == "patched") {
        check(recorder.last.abiVersion > 0, "the handshake carries the patched host's ABI version");
        check(!recorder.leafNotPresent, "no 'leaf not present' error on a patched host");
        check(recorder.samples >= minSamples, "enough samples arrived");
        check(recorder.unwrappedExits > 0, "the exit count grows");
        check(recorder.latest.cycles > recorder.first.cycles, "the cycle count grows");
    } else {
        check(recorder.samples >= minSamples || recorder.leafNotPresent, "samples or a stock-host report");
    }
    return failures == 0 ? 0 : 1;
}
