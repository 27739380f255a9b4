// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/domainaction.h"

#include <QCoreApplication>

namespace ExitScope {

QString domainActionVerb(DomainAction action)
{
    switch (action) {
    case DomainAction::Start:
        return QCoreApplication::translate("DomainAction", "start");
    case DomainAction::ShutDown:
        return QCoreApplication::translate("DomainAction", "shut down");
    case DomainAction::ForceOff:
        return QCoreApplication::translate("DomainAction", "force off");
    case DomainAction::Reboot:
        return QCoreApplication::translate("DomainAction", "reboot");
    case DomainAction::Define:
        return QCoreApplication::translate("DomainAction", "define");
    }
    return {};
}

} // namespace ExitScope
