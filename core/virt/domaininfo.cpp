// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/domaininfo.h"

#include <QCoreApplication>

namespace ExitScope {

QString DomainInfo::stateName(State state)
{
    switch (state) {
    case State::NoState:
        return QCoreApplication::translate("DomainInfo", "unknown");
    case State::Running:
        return QCoreApplication::translate("DomainInfo", "running");
    case State::Blocked:
        return QCoreApplication::translate("DomainInfo", "blocked");
    case State::Paused:
        return QCoreApplication::translate("DomainInfo", "paused");
    case State::ShuttingDown:
        return QCoreApplication::translate("DomainInfo", "shutting down");
    case State::ShutOff:
        return QCoreApplication::translate("DomainInfo", "shut off");
    case State::Crashed:
        return QCoreApplication::translate("DomainInfo", "crashed");
    case State::Suspended:
        return QCoreApplication::translate("DomainInfo", "suspended");
    }
    return {};
}

} // namespace ExitScope
