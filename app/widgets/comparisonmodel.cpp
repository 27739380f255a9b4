// SPDX-License-Identifier: GPL-3.0-or-later
#include "comparisonmodel.h"

#include <QLocale>

#include <cmath>

namespace ExitScope {

namespace {
// The first run has three measures; every later one a fourth, its difference from the first.
constexpr int FirstRunColumns = 3;
constexpr int LaterRunColumns = 4;
} // namespace

ComparisonModel::ComparisonModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ComparisonModel::setComparison(std::shared_ptr<const RunComparison> comparison)
{
    beginResetModel();
    m_comparison = std::move(comparison);
    endResetModel();
}

int ComparisonModel::runColumns() const
{
    if (!m_comparison || m_comparison->runCount() == 0)
        return 0;
    return FirstRunColumns + (m_comparison->runCount() - 1) * LaterRunColumns;
}

int ComparisonModel::summaryColumn(Summary summary) const
{
    return 1 + runColumns() + int(summary);
}

int ComparisonModel::runOfColumn(int column) const
{
    if (column > runColumns())
        return -1;
    if (column <= FirstRunColumns)
        return 0;
    return 1 + (column - 1 - FirstRunColumns) / LaterRunColumns;
}

ComparisonModel::Measure ComparisonModel::measureOfColumn(int column) const
{
    const int within = column <= FirstRunColumns ? column - 1 : (column - 1 - FirstRunColumns) % LaterRunColumns;
    return Measure(within);
}

int ComparisonModel::column(int run, Measure measure) const
{
    return run == 0 ? 1 + int(measure) : 1 + FirstRunColumns + (run - 1) * LaterRunColumns + int(measure);
}

int ComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_comparison ? 0 : int(m_comparison->rows().size());
}

int ComparisonModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_comparison || m_comparison->runCount() == 0)
        return 0;
    return 1 + runColumns() + (m_comparison->runCount() >= 2 ? int(SummaryCount) : 0);
}

QVariant ComparisonModel::summaryData(int row, Summary summary, int role) const
{
    using Figure = RunComparison::Figure;
    const Figure figure = summary == CyclesPerExitSpread ? Figure::CyclesPerExit
        : summary == DurationSpread                     ? Figure::Duration
                                                        : Figure::Exits;
    const auto spread = m_comparison->spread(row, figure);
    if (spread.n == 0)
        return role == Qt::DisplayRole ? QVariant(QStringLiteral("–")) : QVariant();
    if (role == Qt::EditRole)
        return summary == ExitsRange ? QVariant(spread.max - spread.min) : QVariant(spread.mean);
    const QLocale locale;
    const int decimals = figure == Figure::Duration ? 3 : 0;
    if (summary == ExitsRange)
        return QStringLiteral("%1 – %2").arg(locale.toString(spread.min, 'f', 0), locale.toString(spread.max, 'f', 0));
    return QStringLiteral("%1 ± %2 (n=%3)")
        .arg(locale.toString(spread.mean, 'f', decimals), locale.toString(spread.sd, 'f', decimals))
        .arg(spread.n);
}

QVariant ComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_comparison || (role != Qt::DisplayRole && role != Qt::EditRole && role != Qt::TextAlignmentRole))
        return {};
    const auto &row = m_comparison->rows().at(index.row());
    if (index.column() == 0)
        return role == Qt::TextAlignmentRole ? QVariant() : QVariant(row.label);
    if (role == Qt::TextAlignmentRole)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    const int run = runOfColumn(index.column());
    if (run < 0)
        return summaryData(index.row(), Summary(index.column() - 1 - runColumns()), role);
    const auto &f = row.perRun.at(run);
    if (!f.present)
        return role == Qt::DisplayRole ? QVariant(QStringLiteral("–")) : QVariant();
    const QLocale locale;
    switch (measureOfColumn(index.column())) {
    case ExitsMeasure:
        return role == Qt::EditRole ? QVariant(qulonglong(f.exits)) : QVariant(locale.toString(qulonglong(f.exits)));
    case CyclesPerExitMeasure: {
        if (f.exits == 0)
            return role == Qt::DisplayRole ? QVariant(QStringLiteral("–")) : QVariant();
        const double value = double(f.cycles) / double(f.exits);
        return role == Qt::EditRole ? QVariant(value) : QVariant(locale.toString(value, 'f', 0));
    }
    case DurationMeasure:
        return role == Qt::EditRole ? QVariant(f.duration) : QVariant(locale.toString(f.duration, 'f', 3));
    case ExitsDifferenceMeasure: {
        const auto &first = row.perRun.at(0);
        const double diff = first.present ? RunComparison::percentDifference(double(f.exits), double(first.exits))
                                          : std::nan("");
        if (std::isnan(diff))
            return role == Qt::DisplayRole ? QVariant(QStringLiteral("–")) : QVariant();
        return role == Qt::EditRole ? QVariant(diff)
                                    : QVariant(QStringLiteral("%1%2 %").arg(diff > 0 ? QStringLiteral("+") : QString(),
                                                                            locale.toString(diff, 'f', 1)));
    }
    }
    return {};
}

QVariant ComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || !m_comparison)
        return {};
    if (section == 0)
        return tr("Span");
    if (runOfColumn(section) < 0) {
        switch (Summary(section - 1 - runColumns())) {
        case ExitsSpread:
            return tr("Exits\nmean ± sd");
        case ExitsRange:
            return tr("Exits\nmin – max");
        case CyclesPerExitSpread:
            return tr("Cycles/exit\nmean ± sd");
        case DurationSpread:
            return tr("Duration (s)\nmean ± sd");
        case SummaryCount:
            break;
        }
        return {};
    }
    const auto name = m_comparison->entry(runOfColumn(section)).name;
    switch (measureOfColumn(section)) {
    case ExitsMeasure:
        return tr("Exits\n%1").arg(name);
    case CyclesPerExitMeasure:
        return tr("Cycles/exit\n%1").arg(name);
    case DurationMeasure:
        return tr("Duration (s)\n%1").arg(name);
    case ExitsDifferenceMeasure:
        return tr("Exits vs first\n%1").arg(name);
    }
    return {};
}

} // namespace ExitScope
