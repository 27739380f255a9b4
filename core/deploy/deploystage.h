// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// The steps of putting ExitScope's KVM on a host (docs/deploy.md), in the order they run.
enum class DeployStage {
    Inspect,  // what the host runs, over SSH
    Build,    // the modules for exactly its kernel, on this machine (cached)
    Upload,   // over SFTP to a staging directory, checksums verified there
    Install,  // under /lib/modules/RELEASE/updates/exitscope, what it replaces kept
    Activate, // module reload or reboot
    Verify,   // the loaded modules are the installed ones, and the probe reads the leaves
    Revert,   // what was there before, back in place (asked for, or after a failed verify)
};

QString deployStageName(DeployStage stage);

// How the host starts running what was installed.
enum class Activation {
    Reload, // unload and load kvm and the vendor module; refused while guests run
    Reboot, // reboot the host and wait for SSH and libvirt to come back
    None,   // install only; the next reboot activates it
};

QString activationName(Activation activation);
bool parseActivation(const QString &text, Activation *activation);

} // namespace ExitScope
