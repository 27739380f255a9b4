// SPDX-License-Identifier: GPL-3.0-or-later
// exitscope-streamcheck: reads a stream captured from exitscope-agent or exitscope-probe with the core's
// StreamParser, prints what it holds and checks the properties asked for on the command line. The
// agent tests, local and nested, judge the senders' output with it.
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"

#include <QCoreApplication>
#include <QFile>
#include <QMap>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using namespace ExitScope;

namespace {

// Exits and cycles of a sample or of a marker with counters, in stream order, the 32-bit exit counter
// unwrapped later.
struct Reading
{
    quint64 seq, exits, cycles;
    int sample; // index into samples, or -1 for a marker
};

struct Capture : RecordSink
{
    QVector<Handshake> handshakes;
    QVector<Sample> samples;
    QVector<int> sampleSession; // per sample: sessions seen before it (a new session_id starts one)
    QVector<int> sampleStretch; // per sample: handshakes seen before it
    QVector<Marker> markers;
    QVector<Heartbeat> heartbeats;
    QVector<ErrorRecord> errors;
    QVector<ReasonSample> reasons;
    QVector<Reading> readings;
    quint64 firstSeq = 0, lastSeq = 0;
    bool any = false;
    int session = 0, stretch = 0;
    QStringList gaps;

    void seen(quint64 seq)
    {
        if (!any)
            firstSeq = seq;
        lastSeq = seq;
        any = true;
    }
    void handshake(const Handshake &r) override
    {
        if (!handshakes.isEmpty() && handshakes.last().sessionId != r.sessionId)
            ++session;
        ++stretch;
        handshakes.append(r), seen(r.seq);
    }
    void sample(const Sample &r) override
    {
        readings.append({r.seq, r.exits, r.cycles, int(samples.size())});
        samples.append(r), sampleSession.append(session), sampleStretch.append(stretch), seen(r.seq);
    }
    void marker(const Marker &r) override
    {
        if (r.countersValid())
            readings.append({r.seq, r.exits, r.cycles, -1});
        markers.append(r), seen(r.seq);
    }
    void heartbeat(const Heartbeat &r) override { heartbeats.append(r), seen(r.seq); }
    void error(const ErrorRecord &r) override { errors.append(r), seen(r.seq); }
    void reasonSample(const ReasonSample &r) override { reasons.append(r), seen(r.seq); }
    void gap(quint64 a, quint64 b) override { gaps << QStringLiteral("%1..%2").arg(a).arg(b); }
};

bool load(const QString &path, Capture &c, ParserStats &stats)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "FAIL: cannot open %s: %s\n", qPrintable(path), qPrintable(f.errorString()));
        return false;
    }
    StreamParser parser(&c);
    parser.feed(f.readAll());
    parser.finish();
    stats = parser.stats();
    return true;
}

int failures = 0;

void fail(const QString &what)
{
    std::fprintf(stderr, "FAIL: %s\n", qPrintable(what));
    ++failures;
}

MarkerKind kindByName(const QString &name)
{
    for (int k = 1; k <= 8; ++k)
        if (markerKindName(MarkerKind(k)) == name)
            return MarkerKind(k);
    std::fprintf(stderr, "unknown marker kind '%s'\n", qPrintable(name));
    std::exit(2);
}

void usage()
{
    std::fprintf(stderr,
                 "usage: exitscope-streamcheck FILE [checks]\n"
                 "  --source agent|probe   every handshake names this kind of sender\n"
                 "  --abi                  handshakes report a patched host (abi_version > 0)\n"
                 "  --min-handshakes N     at least N handshakes\n"
                 "  --min-samples N        at least N samples\n"
                 "  --max-samples N        at most N samples (0: none)\n"
                 "  --clean                no sequence gaps, no damaged or unknown bytes\n"
                 "  --max-lost N           at most N records missing in sequence gaps, no damaged bytes\n"
                 "  --monotonic            unwrapped exits and cycles never decrease\n"
                 "  --own-increasing       own_cpuid grows with every sample of a session\n"
                 "  --no-drops             every heartbeat reports 0 dropped records\n"
                 "  --error CODE           at least one error record with CODE\n"
                 "  --no-errors            no error records at all\n"
                 "  --marker KIND[=PREFIX] at least one marker of KIND (boot, io-start, workload-end, ...)\n"
                 "                         whose text starts with PREFIX\n"
                 "  --pairs                every start marker has its end marker (same span, later, exits\n"
                 "                         not smaller) and every end its start\n"
                 "  --reason CODE          reason samples for exit reason CODE are present\n"
                 "  --reason-grows CODE    ... and its count grows, never going backwards\n"
                 "  --period-ns N          the last handshake's sampling period is N\n"
                 "  --continues FILE       same session as FILE's first handshake, and sequence numbers\n"
                 "                         after FILE's last one\n");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    if (args.isEmpty() || args.first().startsWith(QLatin1String("--"))) {
        usage();
        return 2;
    }
    const QString path = args.takeFirst();
    Capture c;
    ParserStats stats;
    if (!load(path, c, stats))
        return 1;

    // Unwrap the raw 32-bit exit counter over samples and markers, in stream order: the counters are
    // the host's, so they keep growing across the sender's sessions.
    QVector<Reading> readings = c.readings;
    QVector<quint64> sampleExits(c.samples.size());
    quint64 high = 0, lastRaw = 0;
    for (qsizetype i = 0; i < readings.size(); ++i) {
        Reading &r = readings[i];
        if (i > 0 && r.exits < lastRaw && lastRaw - r.exits > 0x80000000u)
            high += 0x100000000ull;
        lastRaw = r.exits;
        r.exits += high;
        if (r.sample >= 0)
            sampleExits[r.sample] = r.exits;
    }

    std::printf("file: %s\n", qPrintable(path));
    std::printf("records: %llu (seq %llu..%llu), bytes %llu\n", (unsigned long long)stats.records,
                (unsigned long long)c.firstSeq, (unsigned long long)c.lastSeq, (unsigned long long)stats.bytes);
    std::printf("handshakes: %lld, samples: %lld, markers: %lld, heartbeats: %lld, errors: %lld, reason samples: %lld\n",
                (long long)c.handshakes.size(), (long long)c.samples.size(), (long long)c.markers.size(),
                (long long)c.heartbeats.size(), (long long)c.errors.size(), (long long)c.reasons.size());
    std::printf("gaps: %llu (%llu lost), malformed: %llu, skipped bytes: %llu, unknown: %llu, sessions: %llu\n",
                (unsigned long long)stats.gaps, (unsigned long long)stats.lostRecords,
                (unsigned long long)stats.malformed, (unsigned long long)stats.skippedBytes,
                (unsigned long long)stats.unknown, (unsigned long long)stats.sessions);
    for (const Handshake &h : std::as_const(c.handshakes))
        std::printf("handshake seq %llu: %s on %s, source %s, vendor %s, abi %u, period %llu ns, session %016llx\n",
                    (unsigned long long)h.seq, qPrintable(h.sender), qPrintable(h.host),
                    qPrintable(sourceKindName(h.sourceKind)), qPrintable(cpuVendorName(h.cpuVendor)),
                    h.abiVersion, (unsigned long long)h.periodNs, (unsigned long long)h.sessionId);
    for (const Marker &m : std::as_const(c.markers))
        std::printf("marker seq %llu t %.3f s: %s span %u exits %u%s: %s\n", (unsigned long long)m.seq,
                    double(m.tNs) / 1e9, qPrintable(markerKindName(m.kind)), m.span, m.exits,
                    m.countersValid() ? "" : " (no counters)", qPrintable(m.text));
    for (const ErrorRecord &e : std::as_const(c.errors))
        std::printf("error seq %llu code %u: %s\n", (unsigned long long)e.seq, e.code, qPrintable(e.text));
    if (c.samples.size() >= 2) {
        const Sample &a = c.samples.first(), &b = c.samples.last();
        const double secs = double(b.tNs - a.tNs) / 1e9;
        const quint64 exits = sampleExits.last() - sampleExits.first();
        std::printf("span: %.3f s, %.1f samples/s, exits %llu (%.1f/s), own_cpuid %llu (%.1f/s, first session only if several), cycles %.0f/s\n",
                    secs, double(c.samples.size() - 1) / secs, (unsigned long long)exits, double(exits) / secs,
                    (unsigned long long)(b.ownCpuid - a.ownCpuid), double(b.ownCpuid - a.ownCpuid) / secs,
                    double(b.cycles - a.cycles) / secs);
    }
    if (!c.heartbeats.isEmpty())
        std::printf("dropped (last heartbeat): %llu\n", (unsigned long long)c.heartbeats.last().dropped);

    // Per stretch between handshakes (one period of one session): what a sender adds is measured as
    // the difference between such stretches.
    for (qsizetype i = 0; i < c.samples.size();) {
        qsizetype j = i;
        while (j + 1 < c.samples.size() && c.sampleStretch[j + 1] == c.sampleStretch[i])
            ++j;
        const Sample &a = c.samples[i], &b = c.samples[j];
        const int h = c.sampleStretch[i] - 1;
        const double secs = double(b.tNs - a.tNs) / 1e9;
        if (j > i && secs > 0) {
            const double exits = double(sampleExits[j] - sampleExits[i]);
            const double own = double(b.ownCpuid - a.ownCpuid);
            std::printf("stretch: period %llu ns, %lld samples over %.3f s: exits %.1f/s, own_cpuid %.1f/s, "
                        "others %.1f/s, cycles %.0f/s\n",
                        (unsigned long long)(h >= 0 ? c.handshakes[h].periodNs : 0), (long long)(j - i + 1), secs,
                        exits / secs, own / secs, (exits - own) / secs, double(b.cycles - a.cycles) / secs);
        }
        i = j + 1;
    }

    while (!args.isEmpty()) {
        const QString opt = args.takeFirst();
        auto value = [&]() {
            if (args.isEmpty()) {
                std::fprintf(stderr, "%s needs a value\n", qPrintable(opt));
                std::exit(2);
            }
            return args.takeFirst();
        };
        if (opt == QLatin1String("--source")) {
            const QString want = value();
            const SourceKind k = want == QLatin1String("probe") ? SourceKind::HostProbe : SourceKind::GuestAgent;
            for (const Handshake &h : std::as_const(c.handshakes))
                if (h.sourceKind != k)
                    fail(QStringLiteral("handshake seq %1 comes from a %2, not a %3")
                             .arg(h.seq)
                             .arg(sourceKindName(h.sourceKind), want));
        } else if (opt == QLatin1String("--abi")) {
            for (const Handshake &h : std::as_const(c.handshakes))
                if (h.abiVersion == 0)
                    fail(QStringLiteral("handshake seq %1 reports no patched host (abi_version 0)").arg(h.seq));
        } else if (opt == QLatin1String("--min-handshakes")) {
            const int n = value().toInt();
            if (c.handshakes.size() < n)
                fail(QStringLiteral("%1 handshakes, expected at least %2").arg(c.handshakes.size()).arg(n));
        } else if (opt == QLatin1String("--min-samples")) {
            const int n = value().toInt();
            if (c.samples.size() < n)
                fail(QStringLiteral("%1 samples, expected at least %2").arg(c.samples.size()).arg(n));
        } else if (opt == QLatin1String("--max-samples")) {
            const int n = value().toInt();
            if (c.samples.size() > n)
                fail(QStringLiteral("%1 samples, expected at most %2").arg(c.samples.size()).arg(n));
        } else if (opt == QLatin1String("--clean")) {
            if (!stats.clean() || stats.unknown)
                fail(QStringLiteral("stream not clean: gaps %1 (%2), malformed %3, skipped bytes %4, unknown %5")
                         .arg(stats.gaps)
                         .arg(c.gaps.join(QLatin1String(", ")))
                         .arg(stats.malformed)
                         .arg(stats.skippedBytes)
                         .arg(stats.unknown));
        } else if (opt == QLatin1String("--max-lost")) {
            const quint64 n = value().toULongLong();
            if (stats.malformed || stats.skippedBytes || stats.unknown || stats.lostRecords > n)
                fail(QStringLiteral("lost %1 records in %2 gaps (%3), at most %4 allowed; malformed %5, skipped bytes %6")
                         .arg(stats.lostRecords)
                         .arg(stats.gaps)
                         .arg(c.gaps.join(QLatin1String(", ")))
                         .arg(n)
                         .arg(stats.malformed)
                         .arg(stats.skippedBytes));
        } else if (opt == QLatin1String("--monotonic")) {
            for (qsizetype i = 1; i < readings.size(); ++i) {
                const Reading &a = readings[i - 1], &b = readings[i];
                if (b.exits < a.exits || b.cycles < a.cycles)
                    fail(QStringLiteral("counters went backwards between seq %1 (exits %2, cycles %3) and seq %4 "
                                        "(exits %5, cycles %6)")
                             .arg(a.seq)
                             .arg(a.exits)
                             .arg(a.cycles)
                             .arg(b.seq)
                             .arg(b.exits)
                             .arg(b.cycles));
            }
            if (readings.size() >= 2 && readings.last().exits == readings.first().exits)
                fail(QStringLiteral("the exit counter never moved over %1 readings").arg(readings.size()));
        } else if (opt == QLatin1String("--own-increasing")) {
            for (qsizetype i = 1; i < c.samples.size(); ++i)
                if (c.sampleSession[i] == c.sampleSession[i - 1] && c.samples[i].ownCpuid <= c.samples[i - 1].ownCpuid)
                    fail(QStringLiteral("own_cpuid did not grow from seq %1 to seq %2")
                             .arg(c.samples[i - 1].seq)
                             .arg(c.samples[i].seq));
        } else if (opt == QLatin1String("--no-drops")) {
            for (const Heartbeat &h : std::as_const(c.heartbeats))
                if (h.dropped)
                    fail(QStringLiteral("heartbeat seq %1 reports %2 dropped records").arg(h.seq).arg(h.dropped));
        } else if (opt == QLatin1String("--error")) {
            const int code = value().toInt();
            if (std::none_of(c.errors.cbegin(), c.errors.cend(), [&](const ErrorRecord &e) { return e.code == code; }))
                fail(QStringLiteral("no error record with code %1").arg(code));
        } else if (opt == QLatin1String("--no-errors")) {
            for (const ErrorRecord &e : std::as_const(c.errors))
                fail(QStringLiteral("error record seq %1, code %2: %3").arg(e.seq).arg(e.code).arg(e.text));
        } else if (opt == QLatin1String("--marker")) {
            const QString spec = value();
            const QString name = spec.section(QLatin1Char('='), 0, 0);
            const QString prefix = spec.section(QLatin1Char('='), 1);
            const MarkerKind k = kindByName(name);
            if (std::none_of(c.markers.cbegin(), c.markers.cend(),
                             [&](const Marker &m) { return m.kind == k && m.text.startsWith(prefix); }))
                fail(QStringLiteral("no %1 marker whose text starts with '%2'").arg(name, prefix));
        } else if (opt == QLatin1String("--pairs")) {
            QMap<quint32, Marker> open;
            for (const Marker &m : std::as_const(c.markers)) {
                const bool start = m.kind == MarkerKind::IoStart || m.kind == MarkerKind::WorkloadStart;
                const bool end = m.kind == MarkerKind::IoEnd || m.kind == MarkerKind::WorkloadEnd;
                if (start) {
                    if (m.span == 0)
                        fail(QStringLiteral("start marker seq %1 has span 0").arg(m.seq));
                    open.insert(m.span, m);
                } else if (end) {
                    if (!open.contains(m.span)) {
                        fail(QStringLiteral("end marker seq %1 (span %2) has no start").arg(m.seq).arg(m.span));
                        continue;
                    }
                    const Marker s = open.take(m.span);
                    const bool kindsMatch = (s.kind == MarkerKind::IoStart) == (m.kind == MarkerKind::IoEnd);
                    if (!kindsMatch || m.tNs < s.tNs
                        || (s.countersValid() && m.countersValid() && m.cycles < s.cycles))
                        fail(QStringLiteral("markers seq %1 and %2 (span %3) are not a proper pair")
                                 .arg(s.seq)
                                 .arg(m.seq)
                                 .arg(m.span));
                }
            }
            for (const Marker &m : std::as_const(open))
                fail(QStringLiteral("start marker seq %1 (span %2, '%3') never ended").arg(m.seq).arg(m.span).arg(m.text));
        } else if (opt == QLatin1String("--reason") || opt == QLatin1String("--reason-grows")) {
            bool ok = false;
            const QString v = value();
            const quint32 code = v.toUInt(&ok, 0);
            QVector<ReasonSample> rs;
            for (const ReasonSample &r : std::as_const(c.reasons))
                if (r.reason == code)
                    rs.append(r);
            if (!ok || rs.isEmpty())
                fail(QStringLiteral("no reason samples for exit reason %1").arg(v));
            else if (opt == QLatin1String("--reason-grows")) {
                for (qsizetype i = 1; i < rs.size(); ++i)
                    if (rs[i].cycles < rs[i - 1].cycles || quint32(rs[i].exits - rs[i - 1].exits) > 0x80000000u)
                        fail(QStringLiteral("reason %1 went backwards at seq %2").arg(v).arg(rs[i].seq));
                if (rs.last().exits == rs.first().exits)
                    fail(QStringLiteral("reason %1 never moved over %2 reason samples").arg(v).arg(rs.size()));
            }
        } else if (opt == QLatin1String("--period-ns")) {
            const quint64 want = value().toULongLong();
            if (c.handshakes.isEmpty() || c.handshakes.last().periodNs != want)
                fail(QStringLiteral("last handshake's period is not %1 ns").arg(want));
        } else if (opt == QLatin1String("--continues")) {
            Capture before;
            ParserStats beforeStats;
            if (!load(value(), before, beforeStats))
                return 1;
            if (before.handshakes.isEmpty() || c.handshakes.isEmpty())
                fail(QStringLiteral("--continues needs a handshake in both captures"));
            else if (before.handshakes.first().sessionId != c.handshakes.first().sessionId)
                fail(QStringLiteral("the second capture is another session (%1, before %2)")
                         .arg(c.handshakes.first().sessionId, 16, 16, QLatin1Char('0'))
                         .arg(before.handshakes.first().sessionId, 16, 16, QLatin1Char('0')));
            if (c.any && before.any && c.firstSeq <= before.lastSeq)
                fail(QStringLiteral("sequence numbers start again at %1 after %2").arg(c.firstSeq).arg(before.lastSeq));
        } else {
            usage();
            return 2;
        }
    }
    if (failures) {
        std::fprintf(stderr, "exitscope-streamcheck: %d check(s) failed on %s\n", failures, qPrintable(path));
        return 1;
    }
    std::printf("all checks passed\n");
    return 0;
}
