// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaType>
#include <QString>

#include <optional>

namespace ExitScope {

// What happened to a guest's run, from libvirt's lifecycle and reboot events: what a recording
// marks on its time axis.
enum class DomainEvent {
    Started, // booted, restored, or migrated in
    ShutDown, // stopped after an orderly shutdown
    Stopped, // stopped otherwise: forced off, saved, migrated away
    Crashed,
    Rebooted,
    Suspended, // paused, or suspended to RAM or disk by the guest
    Resumed,
};

// For markers and logs, translated.
QString domainEventName(DomainEvent event);
// The code a recording keeps for it (HostEventCode, protocol/records.h).
quint32 hostEventCode(DomainEvent event);

// libvirt's VIR_DOMAIN_EVENT_* and its detail; nothing for events that start or end no run
// (defined, undefined, shutdown begun).
std::optional<DomainEvent> domainEventFromLibvirt(int event, int detail);

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::DomainEvent)
