// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/runcomparison.h"

#include <QAbstractTableModel>

#include <memory>

namespace ExitScope {

// A comparison's spans side by side: for each run its exits, cycles per exit and duration, and for
// every run after the first how its exits differ from the first run's, in percent.
class ComparisonModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Measure { ExitsMeasure, CyclesPerExitMeasure, DurationMeasure, ExitsDifferenceMeasure };

    explicit ComparisonModel(QObject *parent = nullptr);

    void setComparison(std::shared_ptr<const RunComparison> comparison);

    // With two runs or more, the last columns summarize each row over the runs that have it.
    enum Summary { ExitsSpread, ExitsRange, CyclesPerExitSpread, DurationSpread, SummaryCount };

    // Which run and measure a column shows (column 0 is the span's name); -1 for a summary column.
    int runOfColumn(int column) const;
    Measure measureOfColumn(int column) const;
    int column(int run, Measure measure) const;
    int summaryColumn(Summary summary) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    int runColumns() const;
    QVariant summaryData(int row, Summary summary, int role) const;

    std::shared_ptr<const RunComparison> m_comparison;
};

} // namespace ExitScope
