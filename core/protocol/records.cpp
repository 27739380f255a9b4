// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/records.h"

#include <QCoreApplication>

namespace ExitScope {

bool Handshake::operator==(const Handshake &o) const
{
    return seq == o.seq && protocolMajor == o.protocolMajor && protocolMinor == o.protocolMinor
        && sourceKind == o.sourceKind && cpuVendor == o.cpuVendor && abiVersion == o.abiVersion
        && totalLeaf == o.totalLeaf && reasonLeaf == o.reasonLeaf && discoveryLeaf == o.discoveryLeaf
        && sessionId == o.sessionId && periodNs == o.periodNs && sender == o.sender && host == o.host;
}

QString markerKindName(MarkerKind kind)
{
    switch (kind) {
    case MarkerKind::Boot:
        return QStringLiteral("boot");
    case MarkerKind::BootStage:
        return QStringLiteral("boot-stage");
    case MarkerKind::IoStart:
        return QStringLiteral("io-start");
    case MarkerKind::IoEnd:
        return QStringLiteral("io-end");
    case MarkerKind::WorkloadStart:
        return QStringLiteral("workload-start");
    case MarkerKind::WorkloadEnd:
        return QStringLiteral("workload-end");
    case MarkerKind::UserMark:
        return QStringLiteral("mark");
    case MarkerKind::CounterReset:
        return QStringLiteral("counter-reset");
    case MarkerKind::HostEvent:
        return QStringLiteral("host-event");
    }
    return QStringLiteral("kind-%1").arg(static_cast<int>(kind));
}

QString sourceKindName(SourceKind kind)
{
    switch (kind) {
    case SourceKind::Unknown:
        return QStringLiteral("unknown");
    case SourceKind::GuestAgent:
        return QStringLiteral("guest agent");
    case SourceKind::HostProbe:
        return QStringLiteral("host probe");
    case SourceKind::Replay:
        return QStringLiteral("replay");
    case SourceKind::Synthetic:
        return QStringLiteral("synthetic");
    }
    return QStringLiteral("kind-%1").arg(static_cast<int>(kind));
}

QString cpuVendorName(CpuVendor vendor)
{
    switch (vendor) {
    case CpuVendor::Unknown:
        return QStringLiteral("unknown");
    case CpuVendor::IntelVmx:
        return QStringLiteral("Intel VMX");
    case CpuVendor::AmdSvm:
        return QStringLiteral("AMD SVM");
    }
    return QStringLiteral("vendor-%1").arg(static_cast<int>(vendor));
}

} // namespace ExitScope
