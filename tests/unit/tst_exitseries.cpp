// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/exitreasons.h"
#include "markerfactory.h"
#include "series/exitseries.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace ExitScope;

namespace {

constexpr auto marker = &TestFixture::makeMarker;

Marker markerWithCounters(quint64 seq, quint64 tNs, MarkerKind kind, quint32 span, quint32 exits, quint64 cycles)
{
    return TestFixture::makeMarkerWithCounters(seq, tNs, kind, span, QString(), exits, cycles);
}

constexpr quint64 Second = 1'000'000'000;

Handshake session(quint64 id, quint64 periodNs, quint64 seq = 0)
{
    Handshake h;
    h.seq = seq;
    h.sessionId = id;
    h.periodNs = periodNs;
    h.sourceKind = SourceKind::Synthetic;
    return h;
}

bool finiteAndNonNegative(double value)
{
    return std::isfinite(value) && value >= 0;
}

} // namespace

class TestExitSeries : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Three wrap-arounds of the 32-bit counter, uneven intervals and a different cost per exit in
    // every interval. The expected values are worked out by hand in the comments.
    void unwrapsAcrossSeveralWraps()
    {
        ExitSeries series;
        // t (s)   raw exits                        cycles           delta exits   cycles/exit
        // 5.0     0xFFFF0000 = 4,294,901,760       1,000,000,000
        // 5.5     65,536        (wrap 1)           1,001,310,720    131,072       10
        // 6.5     4,294,065,536                    13,883,310,720   4,294,000,000  3
        // 8.5     98,240        (wrap 2)           13,890,310,720   1,000,000      7
        // 9.0     3,000,098,240                    19,890,310,720   3,000,000,000  2
        // 10.0    705,130,944   (wrap 3)           29,890,310,720   2,000,000,000  5
        const Sample input[] = {
            {1, 5 * Second, 0xFFFF0000u, 1'000'000'000ULL, 0},
            {2, 5 * Second + Second / 2, 65'536u, 1'001'310'720ULL, 0},
            {3, 6 * Second + Second / 2, 4'294'065'536u, 13'883'310'720ULL, 0},
            {4, 8 * Second + Second / 2, 98'240u, 13'890'310'720ULL, 0},
            {5, 9 * Second, 3'000'098'240u, 19'890'310'720ULL, 0},
            {6, 10 * Second, 705'130'944u, 29'890'310'720ULL, 0},
        };
        for (const auto &s : input)
            series.append(s);

        const quint64 deltas[] = {0, 131'072, 4'294'000'000, 1'000'000, 3'000'000'000, 2'000'000'000};
        const quint64 totals[] = {0, 131'072, 4'294'131'072, 4'295'131'072, 7'295'131'072, 9'295'131'072};
        const quint64 cycleTotals[] = {0, 1'310'720, 12'883'310'720, 12'890'310'720, 18'890'310'720, 28'890'310'720};
        const double times[] = {0, 0.5, 1.5, 3.5, 4.0, 5.0};
        const double rates[] = {0, 262'144, 4'294'000'000, 500'000, 6'000'000'000, 2'000'000'000};
        const double costs[] = {0, 10, 3, 7, 2, 5};

        QCOMPARE(series.size(), 6);
        QCOMPARE(series.at(0).flags, quint8(SeriesPoint::First));
        QVERIFY(std::isnan(series.exitsPerSecond(0)));
        QVERIFY(std::isnan(series.cyclesPerExit(0)));
        for (int i = 0; i < series.size(); ++i) {
            const auto &p = series.at(i);
            QCOMPARE(p.t, times[i]);
            QCOMPARE(p.exitsTotal, totals[i]);
            QCOMPARE(p.cyclesTotal, cycleTotals[i]);
            QCOMPARE(p.deltaExits, deltas[i]);
            QCOMPARE(p.exitsRaw, input[i].exits);
            if (i == 0)
                continue;
            QVERIFY2(!(p.flags & SeriesPoint::CounterReset), qPrintable(QStringLiteral("point %1").arg(i)));
            QCOMPARE(p.interval, times[i] - times[i - 1]);
            QCOMPARE(series.exitsPerSecond(i), rates[i]);
            QCOMPARE(series.cyclesPerExit(i), costs[i]);
        }
        QCOMPARE(series.resetCount(), 0);
        QCOMPARE(series.totalExits(), quint64(9'295'131'072));
        QCOMPARE(series.totalCycles(), quint64(28'890'310'720));
        QCOMPARE(series.duration(), 5.0);
    }

    // KVM reloaded: cycles went back. The interval gets no rate; totals continue from the new readings.
    void cyclesGoingBackIsAReset()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 5'000, 1'000'000'000, 0});
        series.append({2, 2 * Second, 6'000, 1'000'020'000, 0}); // +1,000 exits, 20 cycles/exit
        series.append({3, 3 * Second, 7'000, 300'000, 0}); // exits went up, cycles restarted
        series.append({4, 4 * Second, 7'500, 310'000, 0}); // +500 exits, +10,000 cycles
        QCOMPARE(series.resetCount(), 1);
        const auto &reset = series.at(2);
        QVERIFY(reset.flags & SeriesPoint::CounterReset);
        QVERIFY(!reset.hasRate());
        QVERIFY(std::isnan(series.exitsPerSecond(2)));
        QVERIFY(std::isnan(series.cyclesPerExit(2)));
        // Counters restarted from zero: what they hold now happened since the reload.
        QCOMPARE(reset.deltaExits, quint64(7'000));
        QCOMPARE(reset.deltaCycles, quint64(300'000));
        QCOMPARE(reset.exitsTotal, quint64(1'000 + 7'000));
        QCOMPARE(reset.cyclesTotal, quint64(20'000 + 300'000));
        QCOMPARE(series.exitsPerSecond(1), 1'000.0);
        QCOMPARE(series.cyclesPerExit(1), 20.0);
        QCOMPARE(series.exitsPerSecond(3), 500.0);
        QCOMPARE(series.cyclesPerExit(3), 20.0);
        QCOMPARE(series.at(3).exitsTotal, quint64(8'500));
        QVERIFY(!(series.at(3).flags & SeriesPoint::CounterReset));
    }

    // Exits went down but cycles grew by far less than a wrap would take (each exit costs cycles):
    // a reset, not a wrap of 4.29 G exits.
    void implausibleWrapIsAReset()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 3'000, 30'000, 0});
        // Read as a wrap, the delta would be 2^32 - 3,000 + 100 = 4,294,964,396 exits in 10,000 cycles.
        series.append({2, 2 * Second, 100, 40'000, 0});
        series.append({3, 3 * Second, 400, 46'000, 0});
        QCOMPARE(series.resetCount(), 1);
        QVERIFY(series.at(1).flags & SeriesPoint::CounterReset);
        QVERIFY(std::isnan(series.exitsPerSecond(1)));
        QCOMPARE(series.at(1).deltaExits, quint64(100));
        QCOMPARE(series.at(1).exitsTotal, quint64(100));
        QCOMPARE(series.at(2).exitsTotal, quint64(400));
        QCOMPARE(series.exitsPerSecond(2), 300.0);
        QCOMPARE(series.cyclesPerExit(2), 20.0);

        // The same drop with enough cycles for a wrap is a wrap.
        ExitSeries wrap;
        wrap.append({1, 1 * Second, 4'294'967'000u, 30'000, 0});
        wrap.append({2, 2 * Second, 100, 30'000 + 396 * 4, 0}); // 296 + 100 = 396 exits, 4 cycles each
        QCOMPARE(wrap.resetCount(), 0);
        QCOMPARE(wrap.at(1).deltaExits, quint64(396));
        QCOMPARE(wrap.cyclesPerExit(1), 4.0);
    }

    void noRateIsNegativeOrAbsurdAcrossResets()
    {
        ExitSeries series;
        quint32 exits = 4'000'000'000u;
        quint64 cycles = 900'000'000'000ULL;
        for (quint64 i = 0; i < 200; ++i) {
            if (i % 37 == 36) {
                exits = quint32(i * 3); // reload: both counters start over
                cycles = i * 1000;
            } else if (i % 53 == 52) {
                exits = quint32(exits - 1'000'000); // damaged reading: exits backwards, cycles barely moved
                cycles += 5;
            } else {
                exits += 20'000'000; // wraps every ~14 samples
                cycles += 20'000'000ULL * 50;
            }
            series.append({i, i * Second / 10, exits, cycles, 0});
        }
        QVERIFY(series.resetCount() >= 5 + 3);
        for (int i = 1; i < series.size(); ++i) {
            const auto rate = series.exitsPerSecond(i);
            if (series.at(i).flags & SeriesPoint::CounterReset) {
                QVERIFY(std::isnan(rate));
                continue;
            }
            QVERIFY2(finiteAndNonNegative(rate), qPrintable(QStringLiteral("point %1: %2").arg(i).arg(rate)));
            // 20 M exits per 0.1 s is all this generator ever produces between two readings.
            QVERIFY2(rate < 2.0e8 + 1, qPrintable(QStringLiteral("point %1: %2").arg(i).arg(rate)));
            QCOMPARE(series.cyclesPerExit(i), 50.0);
        }
    }

    void gapsKeepDeltasExact()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 100, 10'000, 0});
        series.noteGap(); // seq 2..4 lost
        series.append({5, 3 * Second, 700, 70'000, 0});
        series.append({6, 4 * Second, 800, 80'000, 0});
        QVERIFY(series.at(1).flags & SeriesPoint::GapBefore);
        QVERIFY(!(series.at(2).flags & SeriesPoint::GapBefore));
        QCOMPARE(series.at(1).deltaExits, quint64(600));
        QCOMPARE(series.exitsPerSecond(1), 300.0);
    }

    void ownExitsAreSubtractedWhenAsked()
    {
        ExitSeries series;
        series.append({1, 0, 1'000, 100'000, 10});
        series.append({2, Second / 4, 1'400, 104'000, 60}); // 400 exits, 50 of them the sampler's
        series.append({3, Second / 2, 1'430, 104'300, 100}); // 30 exits, 40 own CPUIDs: never below zero
        QCOMPARE(series.at(1).deltaOwn, quint64(50));
        QCOMPARE(series.at(2).deltaOwn, quint64(40));

        QVERIFY(!series.subtractOwnExits());
        QCOMPARE(series.exitsInInterval(1), quint64(400));
        QCOMPARE(series.exitsPerSecond(1), 1'600.0);

        series.setSubtractOwnExits(true);
        QCOMPARE(series.exitsInInterval(1), quint64(350));
        QCOMPARE(series.exitsPerSecond(1), 1'400.0);
        QCOMPARE(series.exitsInInterval(2), quint64(0));
        QCOMPARE(series.exitsPerSecond(2), 0.0);
        // Cost per exit is a property of the host's exits, not of who caused them.
        QCOMPARE(series.cyclesPerExit(1), 10.0);
    }

    void clearingKeepsTheSubtractionSetting()
    {
        ExitSeries series;
        series.setSubtractOwnExits(true);
        series.append({1, 0, 1'000, 100'000, 10});
        series.append({2, Second / 4, 1'400, 104'000, 60});
        series.clear();
        QCOMPARE(series.size(), 0);
        QVERIFY(series.subtractOwnExits());
        series.append({1, 0, 2'000, 100'000, 0});
        series.append({2, Second / 4, 2'400, 104'000, 50});
        QCOMPARE(series.exitsInInterval(1), quint64(350));
    }

    // A guest reboot restarts the sender: new session id, CLOCK_BOOTTIME and own-CPUID count start over.
    void newSessionContinuesTheTimeAxis()
    {
        ExitSeries series;
        series.beginSession(session(0xA, 100'000'000));
        series.append({1, 10 * Second, 1'000, 100'000, 5});
        series.append({2, 10 * Second + Second / 10, 2'000, 200'000, 6});
        series.append({3, 10 * Second + Second / 5, 3'000, 300'000, 7});
        series.beginSession(session(0xB, 200'000'000));
        series.append({1, 1 * Second, 3'500, 350'000, 2}); // 0.2 s (last) + 0.2 s (new period)
        series.append({2, 1 * Second + Second / 5, 4'500, 450'000, 3});

        const double times[] = {0, 0.1, 0.2, 0.4, 0.6};
        for (int i = 0; i < series.size(); ++i)
            QCOMPARE(series.at(i).t, times[i]);
        const auto &restart = series.at(3);
        QVERIFY(restart.flags & SeriesPoint::NewSession);
        QVERIFY(!(series.at(4).flags & SeriesPoint::NewSession));
        QCOMPARE(restart.deltaOwn, quint64(2)); // the new sender counted 2 CPUIDs from zero
        QCOMPARE(restart.deltaExits, quint64(500)); // host counters are global and went on
        QCOMPARE(restart.exitsTotal, quint64(2'500));
        QVERIFY(std::isnan(series.exitsPerSecond(3))); // the pause of the restart is unknown
        QCOMPARE(series.at(4).deltaOwn, quint64(1));
        QCOMPARE(series.exitsPerSecond(4), 5'000.0);
        QCOMPARE(series.duration(), 0.6);
    }

    // How long the guest took to reboot is not in the stream, but the host's counters went on all
    // along: dividing the exits of the whole reboot by the one period the axis steps would make a
    // spike of a rate. The interval gets no rate; the deltas stay exact.
    void rebootIntervalHasNoRate()
    {
        ExitSeries series;
        series.beginSession(session(0xA, 100'000'000));
        series.append({1, 10 * Second, 1'000, 100'000, 5});
        series.append({2, 10 * Second + Second / 10, 2'000, 200'000, 6});
        series.beginSession(session(0xB, 100'000'000));
        // The agent's boot marker comes before its first sample, and is what sees the clock start over.
        series.appendMarker(marker(1, 3 * Second, MarkerKind::Boot, 0, QStringLiteral("boot: kernel 2.31 s")));
        series.append({2, 3 * Second + Second / 10, 3'002'000, 30'200'000, 1}); // 30 s of reboot: 3 M exits
        series.append({3, 3 * Second + Second / 5, 3'003'000, 30'300'000, 2});

        QCOMPARE(series.markers().first().t, 0.2);
        const auto &restart = series.at(2);
        QVERIFY(restart.flags & SeriesPoint::NewSession);
        QCOMPARE(restart.t, 0.3);
        QCOMPARE(restart.deltaExits, quint64(3'000'000));
        QCOMPARE(restart.exitsTotal, quint64(3'001'000));
        QVERIFY2(std::isnan(series.exitsPerSecond(2)), qPrintable(QString::number(series.exitsPerSecond(2))));
        QVERIFY(!restart.hasRate());
        QCOMPARE(series.exitsPerSecond(3), 10'000.0);
        QCOMPARE(series.cyclesPerExit(3), 100.0);
    }

    // A new probe process on the same host: a new session, but CLOCK_BOOTTIME went on, so the interval
    // is real and has a rate; only the sender's own CPUID count starts over.
    void newSessionOnTheSameClockKeepsItsRate()
    {
        ExitSeries series;
        series.beginSession(session(0xA, 100'000'000));
        series.append({1, 10 * Second, 1'000, 100'000, 50});
        series.beginSession(session(0xC, 100'000'000));
        series.append({1, 12 * Second, 5'000, 300'000, 2});
        const auto &p = series.at(1);
        QVERIFY(p.flags & SeriesPoint::NewSession);
        QCOMPARE(p.t, 2.0);
        QCOMPARE(p.interval, 2.0);
        QCOMPARE(series.exitsPerSecond(1), 2'000.0);
        QCOMPARE(p.deltaOwn, quint64(2));
        series.setSubtractOwnExits(true);
        QCOMPARE(series.exitsPerSecond(1), 1'999.0);
    }

    // The sender repeats its handshake whenever a reader reconnects: same session, nothing restarted.
    void reconnectHandshakeIsNotANewSession()
    {
        ExitSeries series;
        series.beginSession(session(0xA, 100'000'000, 0));
        series.append({1, 10 * Second, 1'000, 100'000, 500});
        series.append({2, 10 * Second + Second / 10, 2'000, 200'000, 600});
        series.beginSession(session(0xA, 100'000'000, 3));
        series.append({4, 10 * Second + Second / 5, 3'000, 300'000, 700});
        const auto &p = series.at(2);
        QVERIFY(!(p.flags & SeriesPoint::NewSession));
        QCOMPARE(p.deltaOwn, quint64(100));
        series.setSubtractOwnExits(true);
        QCOMPARE(series.exitsInInterval(2), quint64(900));
        QCOMPARE(p.t, 0.2);
    }

    void markersAreAlignedWithSamples()
    {
        ExitSeries series;
        series.appendMarker(marker(0, 1 * Second, MarkerKind::Boot, 0, QStringLiteral("boot"))); // before any sample
        series.append({1, 1 * Second, 4'294'967'000u, 1'000'000, 0});
        series.append({2, 2 * Second, 4'294'967'200u, 1'010'000, 0});
        // Read after sample 2 and after the counter wrapped: 96 + 200 = 296 exits later.
        series.appendMarker(markerWithCounters(3, 2 * Second + Second / 4, MarkerKind::UserMark, 0, 200, 1'020'000));
        series.appendMarker(marker(4, 2 * Second + Second / 2, MarkerKind::UserMark, 0, QStringLiteral("no counters")));
        // Counters that went behind the last sample cannot be placed on the totals.
        series.appendMarker(markerWithCounters(5, 2 * Second + Second / 2, MarkerKind::CounterReset, 0, 50, 999));
        series.append({6, 3 * Second, 1'000, 1'100'000, 0});

        const auto &m = series.markers();
        QCOMPARE(m.size(), 4);
        QCOMPARE(m.at(0).sampleIndex, -1);
        QCOMPARE(m.at(0).t, 0.0);
        QVERIFY(!m.at(0).hasTotals);

        QCOMPARE(m.at(1).sampleIndex, 1);
        QCOMPARE(m.at(1).t, 1.25);
        QVERIFY(m.at(1).hasTotals);
        QCOMPARE(m.at(1).exitsTotal, quint64(200 + 296));
        QCOMPARE(m.at(1).cyclesTotal, quint64(10'000 + 10'000));

        QCOMPARE(m.at(2).sampleIndex, 1);
        QCOMPARE(m.at(2).t, 1.5);
        QVERIFY(!m.at(2).hasTotals);
        QCOMPARE(m.at(2).marker.text, QStringLiteral("no counters"));

        QCOMPARE(m.at(3).sampleIndex, 1);
        QVERIFY(!m.at(3).hasTotals);
        // The marker's total lies between the totals of the samples around it.
        QVERIFY(series.at(1).exitsTotal <= m.at(1).exitsTotal && m.at(1).exitsTotal <= series.at(2).exitsTotal);
    }

    void spansAreListedInTheOrderTheyBegan()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 1'000, 10'000, 0});
        series.appendMarker(marker(2, 1 * Second + Second / 10, MarkerKind::WorkloadStart, 1, QStringLiteral("write 16")));
        series.appendMarker(marker(3, 1 * Second + Second / 5, MarkerKind::IoStart, 2, QStringLiteral("vda")));
        series.append({4, 2 * Second, 2'000, 30'000, 0});
        series.appendMarker(marker(5, 2 * Second + Second / 10, MarkerKind::IoEnd, 2, QStringLiteral("vda done")));
        series.appendMarker(marker(6, 2 * Second + Second / 2, MarkerKind::WorkloadEnd, 1, QStringLiteral("ok")));
        const auto spans = series.spans();
        QCOMPARE(spans.size(), 2);
        QCOMPARE(spans.at(0).id, quint32(1));
        QCOMPARE(spans.at(1).id, quint32(2));
    }

    void spansAreExactWithCountersAndEstimatedWithout()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 1'000, 10'000, 0});
        series.appendMarker(
            markerWithCounters(2, 1 * Second + Second / 10, MarkerKind::WorkloadStart, 5, 1'100, 12'000));
        series.appendMarker(marker(3, 1 * Second + Second / 5, MarkerKind::IoStart, 6, QStringLiteral("vda write")));
        series.append({4, 2 * Second, 2'000, 30'000, 0});
        series.appendMarker(marker(5, 2 * Second, MarkerKind::UserMark, 5, QStringLiteral("not an end")));
        series.appendMarker(markerWithCounters(6, 2 * Second + Second / 2, MarkerKind::WorkloadEnd, 5, 2'700, 47'000));
        series.append({7, 3 * Second, 3'000, 50'000, 0});
        series.appendMarker(marker(8, 3 * Second + Second / 2, MarkerKind::IoEnd, 6, QStringLiteral("ok 12 MiB/s")));
        series.appendMarker(marker(9, 3 * Second + Second / 2, MarkerKind::IoEnd, 77, QStringLiteral("no start")));

        const auto spans = series.spans();
        QCOMPARE(spans.size(), 2);
        const auto &work = spans.at(0);
        QCOMPARE(work.id, quint32(5));
        QCOMPARE(work.kind, MarkerKind::WorkloadStart);
        QVERIFY(work.exact);
        QCOMPARE(work.exits, quint64(2'700 - 1'100));
        QCOMPARE(work.cycles, quint64(47'000 - 12'000));
        QCOMPARE(work.start, 0.1);
        QCOMPARE(work.end, 1.5);

        // No counters at either end: from the last sample before each marker (1,000 and 3,000 raw).
        const auto &io = spans.at(1);
        QCOMPARE(io.id, quint32(6));
        QCOMPARE(io.kind, MarkerKind::IoStart);
        QVERIFY(!io.exact);
        QCOMPARE(io.exits, quint64(2'000));
        QCOMPARE(io.cycles, quint64(40'000));
        QCOMPARE(io.startText, QStringLiteral("vda write"));
        QCOMPARE(io.endText, QStringLiteral("ok 12 MiB/s"));
    }

    // What a boot cost: from the first sample to the first boot marker; a repeated boot marker adds
    // nothing; after a reboot the host reported, from that report to the next boot marker.
    void bootSpansRunFromTheGuestsStartToEachBootMarker()
    {
        ExitSeries series;
        series.beginSession(session(1, Second));
        series.append({1, 1 * Second, 1'000, 10'000, 0}); // t 0
        series.append({2, 2 * Second, 3'000, 50'000, 0}); // t 1: totals 2,000 / 40,000
        series.appendMarker(TestFixture::makeMarkerWithCounters(3, 2 * Second + Second / 2, MarkerKind::Boot, 0,
                                                                QStringLiteral("boot: uptime 1.5 s"), 4'000, 60'000));
        series.appendMarker(marker(4, 3 * Second, MarkerKind::Boot, 0, QStringLiteral("boot again")));
        // Older runs carry no code: such a host marker starts nothing.
        series.appendMarker(marker(5, 3 * Second, MarkerKind::HostEvent, 0, QStringLiteral("vm: something")));
        series.appendMarker(marker(6, 3 * Second + Second / 2, MarkerKind::HostEvent,
                                   quint32(HostEventCode::GuestRebooted), QStringLiteral("vm: rebooted")));
        series.beginSession(session(2, Second));
        series.append({1, 4 * Second, 5'000, 70'000, 0}); // t 3, new session
        series.appendMarker(TestFixture::makeMarkerWithCounters(2, 5 * Second, MarkerKind::Boot, 0,
                                                                QStringLiteral("boot: uptime 1.0 s"), 9'000, 100'000));
        QVERIFY(series.at(2).flags & SeriesPoint::NewSession);

        const auto spans = series.spans();
        QCOMPARE(spans.size(), 2);
        const auto &first = spans.at(0);
        QCOMPARE(first.kind, MarkerKind::Boot);
        QCOMPARE(first.start, 0.0);
        QCOMPARE(first.end, 1.5);
        QCOMPARE(first.exits, quint64(4'000 - 1'000));
        QCOMPARE(first.cycles, quint64(60'000 - 10'000));
        QVERIFY(first.exact);
        QVERIFY(!first.fromGuestStart);
        QCOMPARE(first.endText, QStringLiteral("boot: uptime 1.5 s"));

        // From the host's report (no reading of its own: the sample before it, totals 2,000 and
        // 40,000) to the marker (raw 9,000 and 100,000: totals 8,000 and 90,000).
        const auto &second = spans.at(1);
        QCOMPARE(second.start, 2.5);
        QCOMPARE(second.end, 4.0);
        QCOMPARE(second.exits, quint64(8'000 - 2'000));
        QCOMPARE(second.cycles, quint64(90'000 - 40'000));
        QVERIFY(!second.exact);
        QVERIFY(second.fromGuestStart);
    }

    // A boot marker that arrives with the first sample has nothing before it to measure.
    void noBootSpanWithoutDataBeforeTheMarker()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 1'000, 10'000, 0});
        series.appendMarker(marker(2, 1 * Second, MarkerKind::Boot, 0, QStringLiteral("boot")));
        series.append({3, 2 * Second, 2'000, 20'000, 0});
        QVERIFY(series.spans().isEmpty());
    }

    // As on the lab: the host reports the start, the agent's boot marker comes before its first
    // sample. Nothing read the counters between the two, so there is no boot span.
    void noBootSpanWithoutAReadingSinceTheStart()
    {
        ExitSeries series;
        series.appendMarker(marker(1, 0, MarkerKind::HostEvent, quint32(HostEventCode::GuestStarted),
                                   QStringLiteral("vm: started")));
        series.appendMarker(marker(2, 9 * Second, MarkerKind::Boot, 0, QStringLiteral("boot: uptime 9.0 s")));
        series.append({3, 9 * Second + 1, 1'000, 10'000, 0});
        series.append({4, 10 * Second, 2'000, 20'000, 0});
        QVERIFY(series.spans().isEmpty());
    }

    // The same with the host's counters read just before the start (carried by the host's marker):
    // the boot's cost is the difference of the two readings, across a wrap of the 32-bit count.
    // Counters reset between them (cycles went back) measure nothing.
    void bootSpanFromTheHostsReadingAtTheStart()
    {
        ExitSeries series;
        series.appendMarker(TestFixture::makeMarkerWithCounters(1, 0, MarkerKind::HostEvent,
                                                                quint32(HostEventCode::GuestStarted),
                                                                QStringLiteral("vm: started"), 0xFFFF'FF00u, 5'000'000));
        series.appendMarker(TestFixture::makeMarkerWithCounters(2, 9 * Second, MarkerKind::Boot, 0,
                                                                QStringLiteral("boot: uptime 9.0 s"), 0x1'00u, 9'000'000));
        series.append({3, 9 * Second + 1, 0x2'00u, 9'100'000, 0});
        series.append({4, 10 * Second, 0x3'00u, 9'200'000, 0});
        const auto spans = series.spans();
        QCOMPARE(spans.size(), 1);
        const auto &boot = spans.at(0);
        QCOMPARE(boot.kind, MarkerKind::Boot);
        QCOMPARE(boot.start, 0.0);
        QCOMPARE(boot.end, 9.0);
        QCOMPARE(boot.exits, quint64(0x200));
        QCOMPARE(boot.cycles, quint64(4'000'000));
        QVERIFY(boot.exact);
        QVERIFY(boot.fromGuestStart);

        ExitSeries reset;
        reset.appendMarker(TestFixture::makeMarkerWithCounters(1, 0, MarkerKind::HostEvent,
                                                               quint32(HostEventCode::GuestStarted),
                                                               QStringLiteral("vm: started"), 5'000, 5'000'000));
        reset.appendMarker(TestFixture::makeMarkerWithCounters(2, 9 * Second, MarkerKind::Boot, 0,
                                                               QStringLiteral("boot"), 100, 90'000));
        reset.append({3, 9 * Second + 1, 200, 100'000, 0});
        reset.append({4, 10 * Second, 300, 110'000, 0});
        QVERIFY(reset.spans().isEmpty());
    }

    void clearStartsOver()
    {
        ExitSeries series;
        series.append({1, 1 * Second, 1'000, 10'000, 0});
        series.append({2, 2 * Second, 10, 5, 0});
        series.appendMarker(marker(3, 2 * Second, MarkerKind::UserMark, 0, QStringLiteral("x")));
        series.clear();
        QVERIFY(series.isEmpty());
        QVERIFY(series.markers().isEmpty());
        QCOMPARE(series.resetCount(), 0);
        series.append({1, 7 * Second, 1'000, 10'000, 0});
        QCOMPARE(series.at(0).t, 0.0);
        QCOMPARE(series.at(0).flags, quint8(SeriesPoint::First));
    }

    // Per-reason readings: each reason on its own, unwrapped across a wrap of its 32-bit count,
    // continued across a restart of the host's counters, in reason order whatever order they came in.
    void reasonTotalsUnwrapAndContinue()
    {
        ExitSeries series;
        auto h = session(1, Second);
        h.cpuVendor = CpuVendor::AmdSvm;
        series.beginSession(h);
        QCOMPARE(series.cpuVendor(), CpuVendor::AmdSvm);
        const auto reason = [](quint64 seq, quint32 code, quint32 exits, quint64 cycles) {
            ReasonSample r;
            r.seq = seq;
            r.tNs = seq * Second;
            r.reason = code;
            r.exits = exits;
            r.cycles = cycles;
            return r;
        };
        series.reasonSample(reason(1, 0x78, 1000, 50'000)); // HLT first seen: the baseline
        series.reasonSample(reason(2, 0x72, 10, 1'000));    // CPUID
        series.reasonSample(reason(3, 0x78, 1500, 80'000)); // +500 exits, +30,000 cycles
        series.reasonSample(reason(4, 0x72, 4'294'967'290u, 9'000'000'000ull)); // +4,294,967,280
        series.reasonSample(reason(5, 0x72, 20, 9'100'000'000ull)); // a wrap: +26 exits (cycles grew enough)
        series.reasonSample(reason(6, 0x78, 300, 20'000)); // cycles went down: a restart, +300 and +20,000
        const auto &totals = series.reasonTotals();
        QCOMPARE(totals.size(), 2);
        QCOMPARE(totals.at(0).reason, 0x72u);
        QCOMPARE(totals.at(0).exitsTotal, 4'294'967'280ull + 26);
        QCOMPARE(totals.at(0).cyclesTotal, 9'100'000'000ull - 1'000);
        QCOMPARE(totals.at(0).readings, 3);
        QCOMPARE(totals.at(1).reason, 0x78u);
        QCOMPARE(totals.at(1).exitsTotal, 500ull + 300);
        QCOMPARE(totals.at(1).cyclesTotal, 30'000ull + 20'000);
    }

    // A stretch chosen on the plot is measured at the samples inside it, exactly, with the
    // sampler's own CPUIDs and the reasons read inside it.
    void summarizeMeasuresBetweenTheSamplesInside()
    {
        ExitSeries series;
        auto h = session(1, Second);
        h.cpuVendor = CpuVendor::AmdSvm;
        series.beginSession(h);
        // Samples at 0..9 s; 100 exits in each second but 1000 in the sixth, 10 cycles each.
        quint32 exits = 0;
        for (quint64 i = 0; i < 10; ++i) {
            series.append({1 + 2 * i, Second + i * Second, exits, quint64(exits) * 10, i});
            ReasonSample r;
            r.seq = 2 + 2 * i;
            r.tNs = Second + i * Second;
            r.reason = 0x72;
            r.exits = exits / 2;
            r.cycles = quint64(exits) * 5;
            series.appendReason(r);
            exits += i == 5 ? 1000 : 100;
        }
        // 2.5 .. 6.5 s: samples 3 .. 6, i.e. 100 + 100 + 1000 exits.
        auto s = series.summarize(2.5, 6.5);
        QVERIFY(s.valid);
        QCOMPARE(s.start, 3.0);
        QCOMPARE(s.end, 6.0);
        QCOMPARE(s.exits, 1200ull);
        QCOMPARE(s.cycles, 12'000ull);
        QCOMPARE(s.ownCpuids, 3ull);
        QCOMPARE(s.reasons.size(), 1);
        QCOMPARE(s.reasons.at(0).reason, 0x72u);
        QCOMPARE(s.reasons.at(0).deltaExits, 600ull);
        // Ends on samples are inside; the order of the ends does not matter.
        s = series.summarize(6, 3);
        QVERIFY(s.valid);
        QCOMPARE(s.exits, 1200ull);
        // Fewer than two samples: nothing to measure.
        QVERIFY(!series.summarize(3.2, 3.9).valid);
        QVERIFY(!series.summarize(20, 30).valid);
        QVERIFY(!ExitSeries().summarize(0, 10).valid);
    }

    void exitReasonNamesInBothNumberings()
    {
        QCOMPARE(ExitReasons::name(CpuVendor::IntelVmx, 10), QStringLiteral("CPUID"));
        QCOMPARE(ExitReasons::name(CpuVendor::IntelVmx, 48), QStringLiteral("EPT_VIOLATION"));
        QCOMPARE(ExitReasons::name(CpuVendor::AmdSvm, 0x72), QStringLiteral("CPUID"));
        QCOMPARE(ExitReasons::name(CpuVendor::AmdSvm, 0x7b), QStringLiteral("IOIO"));
        QCOMPARE(ExitReasons::name(CpuVendor::AmdSvm, 0x400), QStringLiteral("NPF"));
        QCOMPARE(ExitReasons::name(CpuVendor::AmdSvm, 0x4e), QStringLiteral("EXCP_PF"));
        QCOMPARE(ExitReasons::name(CpuVendor::AmdSvm, 0x4a0), QStringLiteral("0x4a0"));
        QCOMPARE(ExitReasons::name(CpuVendor::IntelVmx, 90), QStringLiteral("reason 90"));
        QCOMPARE(ExitReasons::parse(CpuVendor::AmdSvm, QStringLiteral("hlt")), std::optional<quint32>(0x78));
        QCOMPARE(ExitReasons::parse(CpuVendor::IntelVmx, QStringLiteral("hlt")), std::optional<quint32>(12));
        QCOMPARE(ExitReasons::parse(CpuVendor::AmdSvm, QStringLiteral("0x7b")), std::optional<quint32>(0x7b));
        QVERIFY(!ExitReasons::parse(CpuVendor::AmdSvm, QStringLiteral("no such")));
        const auto vmx = ExitReasons::defined(CpuVendor::IntelVmx);
        QVERIFY(std::is_sorted(vmx.begin(), vmx.end()));
        QCOMPARE(vmx.size(), 62); // Linux 6.1's EXIT_REASON_* values
        const auto svm = ExitReasons::defined(CpuVendor::AmdSvm);
        QVERIFY(std::is_sorted(svm.begin(), svm.end()));
        QVERIFY(std::adjacent_find(svm.begin(), svm.end()) == svm.end());
    }
};

QTEST_GUILESS_MAIN(TestExitSeries)
#include "tst_exitseries.moc"
