// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/robustrange.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace ExitScope;

class TestRobustRange : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyHasNoTop()
    {
        RobustRange r;
        QCOMPARE(r.axisTop(1.1), 0.0);
        QCOMPARE(r.quantile(0.5), 0.0);
        QVERIFY(!r.cutsOutliers());
        // Nothing that cannot be drawn on a linear axis from zero is counted.
        r.add(0);
        r.add(-5);
        r.add(std::numeric_limits<double>::quiet_NaN());
        r.add(std::numeric_limits<double>::infinity());
        QCOMPARE(r.count(), 0);
    }

    // Without outliers the axis ends just above the largest value, as before.
    void evenDataEndsAboveItsMaximum()
    {
        RobustRange r;
        for (int i = 1; i <= 1000; ++i)
            r.add(1000 + i);
        QVERIFY(!r.cutsOutliers());
        QCOMPARE(r.axisTop(1.1), 2000 * 1.1);
    }

    // 10,000 values near 1,500 and ten outliers at 8e7 (what the shipped recording's cycles/exit
    // holds): the axis ends near 1,500, within the histogram's resolution, not at 8.8e7.
    void aFewOutliersRunOffTheTop()
    {
        RobustRange r;
        for (int i = 0; i < 10000; ++i)
            r.add(1400 + i % 200);
        for (int i = 0; i < 10; ++i)
            r.add(8e7);
        QVERIFY(r.cutsOutliers());
        const double top = r.axisTop(1.1);
        QVERIFY2(top >= 1599 * 1.1 && top <= 1600 * 1.1 * 1.04, qPrintable(QString::number(top)));
        QCOMPARE(r.maximum(), 8e7);
        // The quantile is a bucket edge at or above the true value, at most 1/64 decade (3.7 %) above.
        const double median = r.quantile(0.5);
        QVERIFY2(median >= 1499 && median <= 1500 * 1.037, qPrintable(QString::number(median)));
        r.clear();
        QCOMPARE(r.count(), 0);
        QCOMPARE(r.axisTop(1.1), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestRobustRange)
#include "tst_robustrange.moc"
