// SPDX-License-Identifier: GPL-3.0-or-later
// ExperimentResult and WelchTest: the figures an experiment reports over its repetitions, the
// checks of a known load, and the test between two results, against values computed independently.
#include "experiment/experimentresult.h"
#include "experiment/welchtest.h"
#include "markerfactory.h"

#include <QTest>

#include <cmath>

using namespace ExitScope;

namespace {
constexpr quint64 Second = 1'000'000'000;
constexpr quint32 SvmCpuid = 0x72;

// One repetition of a CPUID storm as the agent reports it on an AMD host: samples every 100 ms with
// its own CPUIDs (one for the totals and one for the CPUID reason per sample), a workload span from
// 1.05 s to 1.95 s whose markers carry the counters, and the CPUID reason read after each sample.
// Within an interval the storm's part comes first, then the background and the sampler's reads.
// storm: the CPUIDs the workload executed; background: other exits per interval; ownExtra: CPUIDs
// counted in the reason that nobody accounts for (0 for an honest host).
std::shared_ptr<const ExitSeries> stormRun(quint64 storm, quint64 background, quint64 ownExtra = 0)
{
    auto series = std::make_shared<ExitSeries>();
    Handshake h;
    h.sessionId = 1;
    h.periodNs = Second / 10;
    h.cpuVendor = CpuVendor::AmdSvm;
    series->beginSession(h);
    quint64 exits = 1'000, cycles = 1'000'000, own = 0, cpuidExits = 100;
    quint64 seq = 1;
    for (int i = 0; i <= 30; ++i) {
        const quint64 t = quint64(i) * Second / 10;
        // What happened in the interval that ends now: the storm runs from 1.05 s to 1.95 s.
        if (i > 0) {
            exits += background + 2; // the sampler's two CPUIDs of the last sample
            cycles += (background + 2) * 1'000;
            cpuidExits += 2;
            own += 2;
            if (i >= 11 && i <= 20) {
                const quint64 part = i == 11 || i == 20 ? storm / 18 : storm / 9;
                exits += part;
                cycles += part * 500;
                cpuidExits += part;
            }
        }
        if (i == 11) // the start marker, at 1.05 s, before the storm's first part
            series->appendMarker(TestFixture::makeMarkerWithCounters(seq++, t - Second / 20, MarkerKind::WorkloadStart, 7,
                                                                     QStringLiteral("cpuid %1").arg(storm),
                                                                     quint32(exits - storm / 18), cycles - storm / 18 * 500));
        if (i == 20)
            series->appendMarker(TestFixture::makeMarkerWithCounters(seq++, t - Second / 20, MarkerKind::WorkloadEnd, 7,
                                                                     QStringLiteral("ok"), quint32(exits - background - 2),
                                                                     cycles - (background + 2) * 1'000));
        series->append({seq++, t, quint32(exits), cycles, own});
        series->appendReason({seq++, t + 1'000, SvmCpuid, quint32(cpuidExits + (i >= 15 ? ownExtra : 0)), cycles});
    }
    return series;
}

ExperimentRecipe stormRecipe(quint64 storm)
{
    ExperimentRecipe recipe;
    const auto json = QStringLiteral(R"({"steps": ["run cpuid %1"], "measure": ["cpuid %1", "Whole run"],
        "expect": [{"span": "cpuid %1", "reason": "CPUID", "exits": %1}, {"span": "cpuid %1", "exits": %1}]})")
                          .arg(storm);
    const auto problem = ExperimentRecipe::parse(json.toUtf8(), QStringLiteral("storm"), &recipe);
    Q_ASSERT(problem.isEmpty());
    return recipe;
}
} // namespace

class TestExperimentResult : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Per measured span: every repetition's figures and their spread.
    void spreadOverRepetitions()
    {
        const QVector<ExperimentResult::Repetition> reps{{1, 11, stormRun(18'000, 10)}, {2, 12, stormRun(18'000, 20)},
                                                         {3, 13, stormRun(18'000, 30)}};
        const auto result = ExperimentResult::compute(stormRecipe(18'000), reps, false);
        QCOMPARE(result.measures().size(), 2);
        const auto &storm = result.measures().first();
        QCOMPARE(storm.span, QStringLiteral("cpuid 18000"));
        QCOMPARE(storm.perRepetition.size(), 3);
        // The span from its start marker to its end marker: the storm, and the background and the
        // sampler's two reads of the eight intervals that end between them.
        for (int r = 0; r < 3; ++r) {
            const quint64 background = quint64(10 * (r + 1));
            const auto &v = storm.perRepetition.at(r);
            QVERIFY(v.present);
            QCOMPARE(v.exits, double(18'000 + 8 * 2 + 8 * background));
            QVERIFY(std::fabs(v.duration - 0.9) < 1e-9);
        }
        QCOMPARE(storm.exits.n, 3);
        QCOMPARE(storm.exits.mean, double(18'016 + 160));
        QCOMPARE(storm.exits.sd, 80.0); // 8 * (10, 20, 30): sd 8 * 10
        QCOMPARE(storm.exits.min, double(18'016 + 80));
        QCOMPARE(storm.exits.max, double(18'016 + 240));
        QCOMPARE(result.measures().at(1).span, QStringLiteral("Whole run"));
        QVERIFY(result.toTsv().startsWith(QLatin1String("span\tn\texits_mean")));
        QVERIFY(result.toTsv().contains(QLatin1String("cpuid 18000\t3\t18176")));
        QCOMPARE(result.toCsv().count(QLatin1Char('\n')), 1 + 2 * 3);
        QVERIFY(result.toCsv().contains(QLatin1String("storm,\"cpuid 18000\",2,12,18176,")));

        // With the sampler's own CPUIDs left out: two per sample inside the span.
        const auto own = ExperimentResult::compute(stormRecipe(18'000), reps, true);
        const auto &v = own.measures().first().perRepetition.first();
        QVERIFY(v.ownCpuids > 0);
        QCOMPARE(v.exits, double(18'016 + 80 - v.ownCpuids));
    }

    // The storm's CPUID exits, read with the per-reason leaf around it, are its size plus at most
    // the sampler's own reads; a host that counts more (or fewer) fails the check.
    void knownLoadIsChecked()
    {
        const QVector<ExperimentResult::Repetition> honest{{1, 1, stormRun(18'000, 10)}};
        const auto passed = ExperimentResult::compute(stormRecipe(18'000), honest, false);
        QCOMPARE(passed.checks().size(), 2);
        for (const auto &check : passed.checks())
            QVERIFY2(check.passed, qPrintable(check.verdict));
        const auto &reasonCheck = passed.checks().first();
        QVERIFY(reasonCheck.counted >= 18'000);
        QVERIFY(reasonCheck.counted - 18'000 <= reasonCheck.allowance);
        QVERIFY2(reasonCheck.verdict.contains(QLatin1String("CPUID exits counted around 'cpuid 18000'")),
                 qPrintable(reasonCheck.verdict));
        QVERIFY(passed.allChecksPassed());

        const QVector<ExperimentResult::Repetition> extra{{1, 1, stormRun(18'000, 10, 500)}};
        const auto failed = ExperimentResult::compute(stormRecipe(18'000), extra, false);
        QVERIFY(!failed.checks().first().passed);
        QVERIFY(!failed.allChecksPassed());

        // Fewer exits than the load: both checks fail.
        const auto tooFew = ExperimentResult::compute(stormRecipe(36'000), {{1, 1, stormRun(18'000, 10)}}, false);
        QCOMPARE(tooFew.checks().size(), 0 + 2); // the span is not there: named "cpuid 18000"
        for (const auto &check : tooFew.checks()) {
            QVERIFY(!check.passed);
            QVERIFY2(check.verdict.contains(QLatin1String("no span 'cpuid 36000'")), qPrintable(check.verdict));
        }
    }

    // A reason the agent did not sample cannot be checked, and says so.
    void unsampledReasonFails()
    {
        auto recipe = stormRecipe(18'000);
        recipe.expectations.first().reason = QStringLiteral("HLT");
        const auto result = ExperimentResult::compute(recipe, {{1, 1, stormRun(18'000, 10)}}, false);
        QVERIFY(!result.checks().first().passed);
        QVERIFY2(result.checks().first().verdict.contains(QLatin1String("did not sample")), qPrintable(result.checks().first().verdict));
    }

    // Against values computed independently: Welch's formulas with p from a numerical integration of
    // Student's t density (the first pair also gives R's t.test() figures: t -1.8974, df 5.8824, p 0.1075).
    void welchMatchesReference()
    {
        const auto w = WelchTest::compare({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10});
        QVERIFY(w.valid);
        QVERIFY(std::fabs(w.t - -1.897366596) < 1e-6);
        QVERIFY(std::fabs(w.degreesOfFreedom - 5.882352941) < 1e-6);
        QVERIFY(std::fabs(w.p - 0.107531195) < 1e-6);
        QVERIFY(!w.significant());

        const auto far = WelchTest::compare({10.1, 9.8, 10.3, 10.0}, {11.2, 11.0, 11.5, 10.9, 11.3});
        QVERIFY(std::fabs(far.t - -7.578376086) < 1e-6);
        QVERIFY(std::fabs(far.p - 0.000137972) < 1e-7);
        QVERIFY(far.significant());

        const auto same = WelchTest::compare({1000, 1010, 990}, {1000, 1020, 980});
        QCOMPARE(same.t, 0.0);
        QVERIFY(std::fabs(same.p - 1.0) < 1e-12);

        QVERIFY(!WelchTest::compare({1}, {1, 2}).valid);
        const auto flat = WelchTest::compare({5, 5}, {5, 5});
        QVERIFY(!flat.valid);
        QVERIFY(!flat.why.isEmpty());
        // The incomplete beta at its symmetric point and ends.
        QVERIFY(std::fabs(Statistics::regularizedIncompleteBeta(0.5, 2, 2) - 0.5) < 1e-12);
        QCOMPARE(Statistics::regularizedIncompleteBeta(0, 2, 3), 0.0);
        QCOMPARE(Statistics::regularizedIncompleteBeta(1, 2, 3), 1.0);
    }
};

QTEST_GUILESS_MAIN(TestExperimentResult)
#include "tst_experimentresult.moc"
