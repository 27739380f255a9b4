// SPDX-License-Identifier: GPL-3.0-or-later
#include "spanmodel.h"

#include <QLocale>

namespace ExitScope {

SpanModel::SpanModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void SpanModel::setSpans(const QVector<Span> &spans)
{
    // Spans only ever grow while recording; append rather than reset so that selections survive.
    const bool extends = spans.size() >= m_spans.size()
        && std::equal(m_spans.cbegin(), m_spans.cend(), spans.cbegin(),
                      [](const Span &a, const Span &b) { return a.id == b.id && a.start == b.start; });
    if (extends && spans.size() > m_spans.size()) {
        beginInsertRows({}, int(m_spans.size()), int(spans.size()) - 1);
        m_spans = spans;
        endInsertRows();
    } else if (!extends) {
        beginResetModel();
        m_spans = spans;
        endResetModel();
    }
}

int SpanModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_spans.size());
}

int SpanModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SpanModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto &span = m_spans.at(index.row());
    if (role == Qt::ToolTipRole) {
        if (span.kind == MarkerKind::Boot) {
            if (span.fromGuestStart && !span.exact) {
                return tr("From the guest's start, as the host reported it, to the boot marker; exits and "
                          "cycles from the last reading before the start (or the first one after it) on.");
            }
            return span.fromGuestStart
                ? tr("From the guest's start, as the host reported it, to the boot marker.")
                : tr("From the first sample of the guest's agent to the boot marker: what the boot cost "
                     "before the agent started is not in this run.");
        }
        return span.exact ? tr("Counters read at both markers: exact.")
                          : tr("A marker carried no counter reading; the nearest earlier sample was used.");
    }
    if (role == Qt::TextAlignmentRole && index.column() != WhatColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    const bool raw = role == Qt::EditRole;
    switch (index.column()) {
    case WhatColumn:
        return span.endText.isEmpty() ? span.startText : span.startText + QStringLiteral(" → ") + span.endText;
    case StartColumn:
        return raw ? QVariant(span.start) : QVariant(QLocale().toString(span.start, 'f', 3));
    case DurationColumn:
        return raw ? QVariant(span.end - span.start) : QVariant(QLocale().toString(span.end - span.start, 'f', 3));
    case ExitsColumn:
        return raw ? QVariant(span.exits) : QVariant(QLocale().toString(span.exits) + (span.exact ? QString() : QStringLiteral(" ≈")));
    case CyclesColumn:
        return raw ? QVariant(span.cycles) : QVariant(QLocale().toString(span.cycles));
    case CyclesPerExitColumn:
        if (span.exits == 0)
            return {};
        return raw ? QVariant(double(span.cycles) / double(span.exits))
                   : QVariant(QLocale().toString(double(span.cycles) / double(span.exits), 'f', 0));
    }
    return {};
}

QVariant SpanModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case WhatColumn:
        return tr("Span");
    case StartColumn:
        return tr("Start (s)");
    case DurationColumn:
        return tr("Duration (s)");
    case ExitsColumn:
        return tr("Exits");
    case CyclesColumn:
        return tr("Cycles");
    case CyclesPerExitColumn:
        return tr("Cycles/exit");
    }
    return {};
}

} // namespace ExitScope
