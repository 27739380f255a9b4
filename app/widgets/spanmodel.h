// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/seriespoint.h"

#include <QAbstractTableModel>
#include <QVector>

namespace ExitScope {

// What each framed stretch of a run cost: workloads, I/O bursts, boot stages between markers.
class SpanModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { WhatColumn, StartColumn, DurationColumn, ExitsColumn, CyclesColumn, CyclesPerExitColumn, ColumnCount };

    explicit SpanModel(QObject *parent = nullptr);

    void setSpans(const QVector<Span> &spans);
    const QVector<Span> &spans() const { return m_spans; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<Span> m_spans;
};

} // namespace ExitScope
