// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "virt/domaininfo.h"

#include <QAbstractTableModel>
#include <QVector>

namespace ExitScope {

// The connected host's guests, as last listed.
class DomainListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, StateColumn, VcpuColumn, MemoryColumn, AgentColumn, ColumnCount };

    explicit DomainListModel(QObject *parent = nullptr);

    void setDomains(const QVector<DomainInfo> &domains);
    const DomainInfo *domain(int row) const;
    int rowOfDomain(const QString &name) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<DomainInfo> m_domains;
};

} // namespace ExitScope
