// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/domainevent.h"

#include "protocol/records.h"

#include <QCoreApplication>

#include <libvirt/libvirt.h>

namespace ExitScope {

QString domainEventName(DomainEvent event)
{
    switch (event) {
    case DomainEvent::Started:
        return QCoreApplication::translate("DomainEvent", "started");
    case DomainEvent::ShutDown:
        return QCoreApplication::translate("DomainEvent", "shut down");
    case DomainEvent::Stopped:
        return QCoreApplication::translate("DomainEvent", "stopped");
    case DomainEvent::Crashed:
        return QCoreApplication::translate("DomainEvent", "crashed");
    case DomainEvent::Rebooted:
        return QCoreApplication::translate("DomainEvent", "rebooted");
    case DomainEvent::Suspended:
        return QCoreApplication::translate("DomainEvent", "suspended");
    case DomainEvent::Resumed:
        return QCoreApplication::translate("DomainEvent", "resumed");
    }
    return {};
}

quint32 hostEventCode(DomainEvent event)
{
    const auto code = [](HostEventCode c) { return quint32(c); };
    switch (event) {
    case DomainEvent::Started:
        return code(HostEventCode::GuestStarted);
    case DomainEvent::ShutDown:
        return code(HostEventCode::GuestShutDown);
    case DomainEvent::Stopped:
        return code(HostEventCode::GuestStopped);
    case DomainEvent::Crashed:
        return code(HostEventCode::GuestCrashed);
    case DomainEvent::Rebooted:
        return code(HostEventCode::GuestRebooted);
    case DomainEvent::Suspended:
        return code(HostEventCode::GuestSuspended);
    case DomainEvent::Resumed:
        return code(HostEventCode::GuestResumed);
    }
    return code(HostEventCode::Unknown);
}

std::optional<DomainEvent> domainEventFromLibvirt(int event, int detail)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
        return DomainEvent::Started;
    case VIR_DOMAIN_EVENT_SUSPENDED:
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
        return DomainEvent::Suspended;
    case VIR_DOMAIN_EVENT_RESUMED:
        return DomainEvent::Resumed;
    case VIR_DOMAIN_EVENT_CRASHED:
        return DomainEvent::Crashed;
    case VIR_DOMAIN_EVENT_STOPPED:
        switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
            return DomainEvent::ShutDown;
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
        case VIR_DOMAIN_EVENT_STOPPED_FAILED:
            return DomainEvent::Crashed;
        default:
            return DomainEvent::Stopped;
        }
    default:
        // DEFINED, UNDEFINED, and SHUTDOWN, which announces the STOPPED that follows
        return std::nullopt;
    }
}

} // namespace ExitScope
