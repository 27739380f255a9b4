// SPDX-License-Identifier: GPL-3.0-or-later
#include "runlistmodel.h"

#include <QLocale>

namespace ExitScope {

RunListModel::RunListModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RunListModel::setRuns(const QVector<RunInfo> &runs)
{
    beginResetModel();
    m_runs = runs;
    endResetModel();
}

const RunInfo *RunListModel::run(int row) const
{
    return row >= 0 && row < m_runs.size() ? &m_runs.at(row) : nullptr;
}

int RunListModel::rowOfRun(qint64 runId) const
{
    for (int i = 0; i < m_runs.size(); ++i)
        if (m_runs.at(i).id == runId)
            return i;
    return -1;
}

int RunListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto &run = m_runs.at(index.row());
    if (role == RunIdRole)
        return run.id;
    if (role == Qt::ToolTipRole) {
        QStringList lines = {tr("Source: %1").arg(run.source)};
        if (!run.leafLayout.isEmpty())
            lines << tr("Leaves: %1").arg(run.leafLayout);
        if (!run.kernel.isEmpty())
            lines << tr("Kernel: %1").arg(run.kernel);
        if (!run.guest.isEmpty())
            lines << tr("Guest: %1").arg(run.guest);
        if (!run.failure.isEmpty())
            lines << tr("Stopped: %1").arg(run.failure);
        if (!run.notes.isEmpty())
            lines << run.notes;
        return lines.join(QLatin1Char('\n'));
    }
    if (role == Qt::TextAlignmentRole && (index.column() == IdColumn || index.column() == SamplesColumn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case IdColumn:
        return run.id;
    case NameColumn:
        return run.name;
    case StartedColumn:
        return QLocale().toString(run.startedAt.toLocalTime(), QLocale::ShortFormat);
    case SamplesColumn:
        return QLocale().toString(run.sampleCount);
    case StateColumn:
        return RunInfo::stateName(run.state);
    case HostColumn:
        return run.host;
    }
    return {};
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn:
        return tr("Run");
    case NameColumn:
        return tr("Name");
    case StartedColumn:
        return tr("Started");
    case SamplesColumn:
        return tr("Samples");
    case StateColumn:
        return tr("State");
    case HostColumn:
        return tr("Host");
    }
    return {};
}

} // namespace ExitScope
