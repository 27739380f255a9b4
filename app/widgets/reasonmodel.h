// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/seriespoint.h"

#include <QAbstractTableModel>
#include <QVector>

namespace ExitScope {

class ExitSeries;

// The exit reasons a run sampled (leaf 0x4FFFFFFE), as kvm_stat shows them: name, exits per second
// now, total exits and cycles, cycles per exit, share of the run's exits. A last row holds what no
// sampled reason accounts for, so that the rows add up to the run's total.
class ReasonModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { ReasonColumn, RateColumn, ExitsColumn, CyclesColumn, CyclesPerExitColumn, ShareColumn, ColumnCount };
    explicit ReasonModel(QObject *parent = nullptr);

    // Reads the series' reason totals; call again as it grows. A different series starts over.
    void update(const ExitSeries &series);
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    // Display: formatted; EditRole: the number, for sorting.
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The row that is not a reason: exits no sampled reason accounts for.
    bool isOtherRow(int row) const { return row == int(m_rows.size()); }

private:
    struct Row
    {
        quint32 reason = 0;
        QString name;
        quint64 exits = 0;
        quint64 cycles = 0;
        double rate = -1; // exits/s, -1 until a window has passed
    };
    const ExitSeries *m_series = nullptr;
    QVector<Row> m_rows; // in reason order
    quint64 m_runExits = 0;
    quint64 m_otherExits = 0;
};

} // namespace ExitScope
