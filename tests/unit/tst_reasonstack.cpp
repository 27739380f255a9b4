// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/reasonstack.h"

#include <QTest>

#include <cmath>

using namespace ExitScope;

namespace {
constexpr quint64 Tenth = 100'000'000;
}

class TestReasonStack : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void nothingToStackWithoutReadings()
    {
        QVERIFY(ReasonStack::build(ExitSeries()).isEmpty());
    }

    // Seven reasons read every 0.1 s for 2 s, reason r adding (8 - r) * 10 exits per reading: the
    // top five get layers of their own, the last two are "other", and every bin's layers add up
    // to the rate of all reasons, 280 exits per 0.1 s.
    void topReasonsAndOtherAddUpToTheTotal()
    {
        Handshake h;
        h.periodNs = Tenth;
        h.cpuVendor = CpuVendor::AmdSvm;
        ExitSeries s;
        s.beginSession(h);
        const quint32 reasons[] = {0x78, 0x7b, 0x400, 0x72, 0x7c, 0x60, 0x61};
        quint64 seq = 1;
        for (int i = 0; i <= 20; ++i) {
            const quint64 t = 1'000'000'000 + quint64(i) * Tenth;
            s.append({seq++, t, quint32(i * 280), quint64(i) * 2800, 0});
            for (int r = 0; r < 7; ++r)
                s.appendReason({seq++, t, reasons[r], quint32(i * (7 - r) * 10), quint64(i) * 100});
        }
        const auto stack = ReasonStack::build(s);
        QVERIFY(!stack.isEmpty());
        QVERIFY(std::abs(stack.binWidth() - 0.1) < 1e-9);
        const auto &layers = stack.layers();
        QCOMPARE(layers.size(), 6);
        QCOMPARE(layers.at(0).reason, 0x78u);
        QCOMPARE(layers.at(0).exits, 20ull * 70);
        QCOMPARE(layers.at(4).reason, 0x7cu);
        QVERIFY(layers.at(5).other);
        QCOMPARE(layers.at(5).exits, 20ull * (20 + 10));
        // The first readings are baselines; each later one ends a 0.1 s interval, bin 0 the first:
        // 20 bins of 280 exits in 0.1 s.
        const int bins = int(stack.binStarts().size());
        QCOMPARE(bins, 20);
        for (int b = 0; b < bins; ++b) {
            double sum = 0;
            for (const auto &layer : layers)
                sum += layer.rates.at(b);
            QVERIFY2(std::abs(sum - 2800.0) < 1e-6, qPrintable(QStringLiteral("bin %1: %2").arg(b).arg(sum)));
        }
        QVERIFY(std::abs(layers.at(0).rates.at(0) - 700.0) < 1e-6);
        QVERIFY(std::abs(stack.binStarts().at(1) - stack.binStarts().at(0) - 0.1) < 1e-9);
    }
};

QTEST_GUILESS_MAIN(TestReasonStack)
#include "tst_reasonstack.moc"
