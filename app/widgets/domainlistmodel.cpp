// SPDX-License-Identifier: GPL-3.0-or-later
#include "domainlistmodel.h"

namespace ExitScope {

DomainListModel::DomainListModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void DomainListModel::setDomains(const QVector<DomainInfo> &domains)
{
    // Same guests in the same order (the usual refresh): update in place so that the selection stays.
    const bool sameRows = domains.size() == m_domains.size()
        && std::equal(domains.cbegin(), domains.cend(), m_domains.cbegin(),
                      [](const DomainInfo &a, const DomainInfo &b) { return a.uuid == b.uuid && a.name == b.name; });
    if (sameRows) {
        m_domains = domains;
        if (!m_domains.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(int(m_domains.size()) - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_domains = domains;
    endResetModel();
}

const DomainInfo *DomainListModel::domain(int row) const
{
    return row >= 0 && row < m_domains.size() ? &m_domains.at(row) : nullptr;
}

int DomainListModel::rowOfDomain(const QString &name) const
{
    for (int i = 0; i < m_domains.size(); ++i)
        if (m_domains.at(i).name == name)
            return i;
    return -1;
}

int DomainListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_domains.size());
}

int DomainListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DomainListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto &d = m_domains.at(index.row());
    if (role == Qt::ToolTipRole && index.column() == AgentColumn)
        return d.hasAgentChannel ? tr("The guest has the org.exitscope.agent.0 channel.")
                                 : tr("The guest has no org.exitscope.agent.0 channel: its agent cannot be read.");
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn:
        return d.name;
    case StateColumn:
        return DomainInfo::stateName(d.state);
    case VcpuColumn:
        return d.vcpus;
    case MemoryColumn:
        return QStringLiteral("%1 MiB").arg(d.memoryKiB / 1024);
    case AgentColumn:
        return d.hasAgentChannel ? tr("yes") : tr("no");
    }
    return {};
}

QVariant DomainListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Guest");
    case StateColumn:
        return tr("State");
    case VcpuColumn:
        return tr("vCPUs");
    case MemoryColumn:
        return tr("Memory");
    case AgentColumn:
        return tr("Agent");
    }
    return {};
}

} // namespace ExitScope
