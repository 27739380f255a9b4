// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/deploystage.h"

#include <QCoreApplication>

namespace ExitScope {

QString deployStageName(DeployStage stage)
{
    switch (stage) {
    case DeployStage::Inspect:
        return QCoreApplication::translate("Deploy", "inspect");
    case DeployStage::Build:
        return QCoreApplication::translate("Deploy", "build");
    case DeployStage::Upload:
        return QCoreApplication::translate("Deploy", "upload");
    case DeployStage::Install:
        return QCoreApplication::translate("Deploy", "install");
    case DeployStage::Activate:
        return QCoreApplication::translate("Deploy", "activate");
    case DeployStage::Verify:
        return QCoreApplication::translate("Deploy", "verify");
    case DeployStage::Revert:
        return QCoreApplication::translate("Deploy", "revert");
    }
    return QString();
}

QString activationName(Activation activation)
{
    switch (activation) {
    case Activation::Reload:
        return QStringLiteral("reload");
    case Activation::Reboot:
        return QStringLiteral("reboot");
    case Activation::None:
        return QStringLiteral("none");
    }
    return QString();
}

bool parseActivation(const QString &text, Activation *activation)
{
    for (auto candidate : {Activation::Reload, Activation::Reboot, Activation::None}) {
        if (text == activationName(candidate)) {
            *activation = candidate;
            return true;
        }
    }
    return false;
}

} // namespace ExitScope
