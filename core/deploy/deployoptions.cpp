// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/deployoptions.h"

#include "deploy/datalocation.h"
#include "deploy/modulebuilder.h"
#include "ssh/sshtarget.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace ExitScope {

QString DeployOptions::defaultProbeBinary()
{
    const auto fromEnvironment = qEnvironmentVariable("EXITSCOPE_PROBE_BINARY");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return DataLocation::program(QStringLiteral("exitscope-probe"));
}

bool DeployOptions::resolve(QString *why)
{
    const auto tr = [](const char *text) { return QCoreApplication::translate("DeployOptions", text); };
    SshTarget target;
    if (!SshTarget::fromLibvirtUri(uri, &target, why))
        return false;
    if (kernelPatchDir.isEmpty())
        kernelPatchDir = ModuleBuilder::defaultKernelPatchDir();
    if (cacheRoot.isEmpty())
        cacheRoot = ModuleBuilder::defaultCacheRoot();
    if (probeBinary.isEmpty())
        probeBinary = defaultProbeBinary();
    if (action == Action::Deploy) {
        if (!QFileInfo(probeBinary).isFile()) {
            *why = tr("exitscope-probe was not found at '%1'; build it (it is part of the build) or set "
                      "EXITSCOPE_PROBE_BINARY")
                       .arg(probeBinary);
            return false;
        }
        if (!agentBinary.isEmpty() && !QFileInfo(agentBinary).isFile()) {
            *why = tr("the agent %1 does not exist").arg(agentBinary);
            return false;
        }
        if (!modulesDir.isEmpty() && !QFileInfo(modulesDir).isDir()) {
            *why = tr("the modules directory %1 does not exist").arg(modulesDir);
            return false;
        }
    }
    if (rebootTimeoutSeconds < 10) {
        *why = tr("the reboot timeout must be at least 10 s");
        return false;
    }
    return true;
}

} // namespace ExitScope
