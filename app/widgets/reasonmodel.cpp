// SPDX-License-Identifier: GPL-3.0-or-later
#include "reasonmodel.h"

#include "protocol/exitreasons.h"
#include "series/exitseries.h"

#include <QLocale>

namespace ExitScope {

ReasonModel::ReasonModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ReasonModel::clear()
{
    beginResetModel();
    m_series = nullptr;
    m_rows.clear();
    m_runExits = 0;
    m_otherExits = 0;
    endResetModel();
}

void ReasonModel::update(const ExitSeries &series)
{
    if (&series != m_series)
        clear();
    m_series = &series;
    const auto &totals = series.reasonTotals();
    const bool sameRows = totals.size() == m_rows.size()
        && std::equal(totals.cbegin(), totals.cend(), m_rows.cbegin(), [](const ReasonTotal &t, const Row &r) { return t.reason == r.reason; });
    if (!sameRows)
        beginResetModel();
    QVector<Row> rows;
    rows.reserve(totals.size());
    quint64 sampled = 0;
    for (const auto &total : totals) {
        Row row;
        row.reason = total.reason;
        row.name = ExitReasons::name(series.cpuVendor(), total.reason);
        row.exits = total.exitsTotal;
        row.cycles = total.cyclesTotal;
        sampled += total.exitsTotal;
        row.rate = total.rate;
        rows.append(row);
    }
    m_rows = std::move(rows);
    // The reasons count from their first reading, which the agent takes with its first sample; the
    // run's total counts from that sample too.
    m_runExits = series.totalExits();
    m_otherExits = m_runExits > sampled ? m_runExits - sampled : 0;
    if (!sameRows) {
        endResetModel();
    } else if (!m_rows.isEmpty()) {
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

int ReasonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || m_rows.isEmpty() ? 0 : int(m_rows.size()) + 1;
}

int ReasonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReasonModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const bool other = isOtherRow(index.row());
    if (role == Qt::ToolTipRole && other)
        return tr("Exits of the run that no sampled reason accounts for: reasons not sampled, and the sampler's own reads.");
    if (role == Qt::TextAlignmentRole && index.column() != ReasonColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    const bool raw = role == Qt::EditRole;
    const quint64 exits = other ? m_otherExits : m_rows.at(index.row()).exits;
    const QLocale locale;
    switch (index.column()) {
    case ReasonColumn:
        if (other)
            return tr("(other)");
        return m_rows.at(index.row()).name;
    case RateColumn: {
        const double rate = other ? -1 : m_rows.at(index.row()).rate;
        if (raw)
            return rate;
        return rate < 0 ? QVariant(QStringLiteral("–")) : QVariant(locale.toString(rate, 'f', 0));
    }
    case ExitsColumn:
        return raw ? QVariant(exits) : QVariant(locale.toString(exits));
    case CyclesColumn:
        if (other)
            return raw ? QVariant(-1) : QVariant(QStringLiteral("–"));
        return raw ? QVariant(m_rows.at(index.row()).cycles) : QVariant(locale.toString(m_rows.at(index.row()).cycles));
    case CyclesPerExitColumn: {
        if (other || exits == 0)
            return raw ? QVariant(-1.0) : QVariant(QStringLiteral("–"));
        const double perExit = double(m_rows.at(index.row()).cycles) / double(exits);
        return raw ? QVariant(perExit) : QVariant(locale.toString(perExit, 'f', 0));
    }
    case ShareColumn: {
        const double share = m_runExits ? 100.0 * double(exits) / double(m_runExits) : 0;
        return raw ? QVariant(share) : QVariant(QStringLiteral("%1 %").arg(locale.toString(share, 'f', 1)));
    }
    }
    return {};
}

QVariant ReasonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ReasonColumn:
        return tr("Reason");
    case RateColumn:
        return tr("Exits/s");
    case ExitsColumn:
        return tr("Exits");
    case CyclesColumn:
        return tr("Cycles");
    case CyclesPerExitColumn:
        return tr("Cycles/exit");
    case ShareColumn:
        return tr("Share");
    }
    return {};
}

} // namespace ExitScope
