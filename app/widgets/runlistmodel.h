// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runinfo.h"

#include <QAbstractTableModel>
#include <QVector>

namespace ExitScope {

// The runs in the store, as last listed.
class RunListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { IdColumn, NameColumn, StartedColumn, SamplesColumn, StateColumn, HostColumn, ColumnCount };
    enum Role { RunIdRole = Qt::UserRole + 1 };

    explicit RunListModel(QObject *parent = nullptr);

    void setRuns(const QVector<RunInfo> &runs);
    const RunInfo *run(int row) const;
    int rowOfRun(qint64 runId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<RunInfo> m_runs;
};

} // namespace ExitScope
