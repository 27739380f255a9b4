// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaType>
#include <QString>

namespace ExitScope {

// What HostController was asked to do to a guest: the identity of an action in its signals,
// independent of the language the user reads.
enum class DomainAction {
    Start,
    ShutDown,
    ForceOff,
    Reboot,
    Define,
};

// The verb for messages ("Cannot start l2"), translated.
QString domainActionVerb(DomainAction action);

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::DomainAction)
