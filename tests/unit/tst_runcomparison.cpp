// SPDX-License-Identifier: GPL-3.0-or-later
#include "markerfactory.h"
#include "series/runcomparison.h"

#include <QTest>

#include <cmath>

using namespace ExitScope;

namespace {

constexpr quint64 Base = 1'000'000'000;
constexpr quint64 Tenth = 100'000'000;

// Ten samples 0.1 s apart with exitsPerSample exits of 10 cycles each. Spans (start text, first
// sample, last sample, exits read at their markers): as listed. A boot marker at bootAt seconds
// unless negative.
struct SpanSpec
{
    QString text;
    int from;
    int to;
};

std::shared_ptr<const ExitSeries> makeSeries(quint32 exitsPerSample, const QVector<SpanSpec> &spans, double bootAt)
{
    Handshake h;
    h.periodNs = Tenth;
    auto s = std::make_shared<ExitSeries>();
    s->beginSession(h);
    quint64 seq = 1;
    for (int i = 0; i < 10; ++i) {
        const quint64 t = Base + quint64(i) * Tenth;
        const quint32 exits = quint32(i) * exitsPerSample;
        if (bootAt >= 0 && std::abs(bootAt - i / 10.0) < 1e-9) {
            Marker boot;
            boot.seq = seq++;
            boot.tNs = t;
            boot.kind = MarkerKind::Boot;
            s->appendMarker(boot);
        }
        s->append({seq++, t, exits, quint64(exits) * 10, 0});
        quint32 id = 1;
        for (const auto &span : spans) {
            if (span.from == i)
                s->appendMarker(TestFixture::makeMarkerWithCounters(seq++, t, MarkerKind::IoStart, id, span.text, exits, quint64(exits) * 10));
            if (span.to == i)
                s->appendMarker(TestFixture::makeMarkerWithCounters(seq++, t, MarkerKind::IoEnd, id, QStringLiteral("end"), exits, quint64(exits) * 10));
            ++id;
        }
    }
    return s;
}

} // namespace

class TestRunComparison : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Spans are matched by their text and by which occurrence of it they are; a span only one run
    // has gets its own row with the other run's figures absent.
    void matchesSpansByTextAndOccurrence()
    {
        const auto a = makeSeries(100, {{QStringLiteral("vda"), 1, 2}, {QStringLiteral("write 8"), 3, 5}, {QStringLiteral("vda"), 6, 8}}, 0);
        const auto b = makeSeries(150, {{QStringLiteral("write 8"), 1, 4}, {QStringLiteral("vda"), 5, 6}, {QStringLiteral("read 8"), 7, 9}}, -1);
        const RunComparison c({{QStringLiteral("a"), a}, {QStringLiteral("b"), b}});
        QCOMPARE(c.runCount(), 2);
        const auto &rows = c.rows();
        QStringList labels;
        for (const auto &row : rows)
            labels << row.label;
        QCOMPARE(labels, (QStringList{QStringLiteral("Whole run"), QStringLiteral("vda"), QStringLiteral("write 8"),
                                      QStringLiteral("vda (2)"), QStringLiteral("read 8")}));
        // The whole runs: 9 intervals.
        QCOMPARE(rows.at(0).perRun.at(0).exits, 900ULL);
        QCOMPARE(rows.at(0).perRun.at(1).exits, 1350ULL);
        QCOMPARE(rows.at(0).perRun.at(1).cycles, 13500ULL);
        QVERIFY(std::abs(rows.at(0).perRun.at(0).duration - 0.9) < 1e-9);
        // "write 8": samples 3..5 in a (200 exits), 1..4 in b (450).
        QCOMPARE(rows.at(2).perRun.at(0).exits, 200ULL);
        QCOMPARE(rows.at(2).perRun.at(1).exits, 450ULL);
        QVERIFY(std::abs(rows.at(2).perRun.at(1).duration - 0.3) < 1e-9);
        // The first "vda" of each run, then a's second, which b lacks; "read 8" only b has.
        QCOMPARE(rows.at(1).perRun.at(0).exits, 100ULL);
        QCOMPARE(rows.at(1).perRun.at(1).exits, 150ULL);
        QVERIFY(rows.at(3).perRun.at(0).present);
        QVERIFY(!rows.at(3).perRun.at(1).present);
        QVERIFY(!rows.at(4).perRun.at(0).present);
        QCOMPARE(rows.at(4).perRun.at(1).exits, 300ULL);
    }

    void alignsAtTheChosenMoment()
    {
        const auto a = makeSeries(100, {{QStringLiteral("write 8"), 3, 5}}, 0.2);
        const auto b = makeSeries(100, {}, -1);
        const RunComparison c({{QStringLiteral("a"), a}, {QStringLiteral("b"), b}});
        QCOMPARE(c.offset(0, RunComparison::Alignment::Start), 0.0);
        QVERIFY(c.hasAlignmentPoint(0, RunComparison::Alignment::Boot));
        QVERIFY(std::abs(c.offset(0, RunComparison::Alignment::Boot) - 0.2) < 1e-9);
        QVERIFY(std::abs(c.offset(0, RunComparison::Alignment::FirstSpan) - 0.3) < 1e-9);
        // A run without the moment stays at its start, and says so.
        QVERIFY(!c.hasAlignmentPoint(1, RunComparison::Alignment::Boot));
        QVERIFY(!c.hasAlignmentPoint(1, RunComparison::Alignment::FirstSpan));
        QCOMPARE(c.offset(1, RunComparison::Alignment::Boot), 0.0);
    }

    // Repetitions summarized: the sample standard deviation of 2, 4, 4, 4, 5, 5, 7, 9 is
    // sqrt(32 / 7); rows a run lacks are summarized over the runs that have them.
    void spreadOverRuns()
    {
        const auto s = RunComparison::spread({2, 4, 4, 4, 5, 5, 7, 9});
        QCOMPARE(s.n, 8);
        QCOMPARE(s.mean, 5.0);
        QVERIFY(std::abs(s.sd - std::sqrt(32.0 / 7.0)) < 1e-12);
        QCOMPARE(s.min, 2.0);
        QCOMPARE(s.max, 9.0);
        QCOMPARE(RunComparison::spread({3}).sd, 0.0);
        QCOMPARE(RunComparison::spread({}).n, 0);

        const auto a = makeSeries(100, {{QStringLiteral("write 8"), 3, 5}}, -1);
        const auto b = makeSeries(200, {{QStringLiteral("write 8"), 3, 5}}, -1);
        const auto c = makeSeries(300, {}, -1);
        const RunComparison comparison({{QStringLiteral("a"), a}, {QStringLiteral("b"), b}, {QStringLiteral("c"), c}});
        const auto whole = comparison.spread(0, RunComparison::Figure::Exits);
        QCOMPARE(whole.n, 3);
        QCOMPARE(whole.mean, 1800.0); // 900, 1800, 2700
        QCOMPARE(whole.sd, 900.0);
        const auto write = comparison.spread(1, RunComparison::Figure::Exits);
        QCOMPARE(write.n, 2);
        QCOMPARE(write.mean, 300.0); // 200 and 400
        QCOMPARE(comparison.spread(1, RunComparison::Figure::CyclesPerExit).mean, 10.0);
        QCOMPARE(comparison.spread(1, RunComparison::Figure::CyclesPerExit).sd, 0.0);
    }

    void percentDifference()
    {
        QCOMPARE(RunComparison::percentDifference(150, 100), 50.0);
        QCOMPARE(RunComparison::percentDifference(50, 100), -50.0);
        QVERIFY(std::isnan(RunComparison::percentDifference(5, 0)));
    }
};

QTEST_GUILESS_MAIN(TestRunComparison)
#include "tst_runcomparison.moc"
