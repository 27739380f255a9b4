// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "deploy/deploystage.h"

#include <QString>

namespace ExitScope {

// Why a deployment stopped, by kind; the front ends decide on exit codes and words by this.
enum class DeployError {
    None,
    BadOptions,         // the request itself (no URI, no builder, no probe binary)
    HostUnreachable,    // SSH could not connect or log in
    HostKeyRefused,     // unknown or changed host key: never accepted
    HostUnsupported,    // a kernel, architecture or CPU the series does not serve
    GuestsRunning,      // reload asked while guests run
    BuildFailed,        // the series does not apply or does not build; nothing on the host touched
    ModulesMismatch,    // modules built for another kernel release
    UploadFailed,
    InstallFailed,
    ActivationFailed,   // the modules did not load; rolled back
    HostDidNotReturn,   // no SSH or libvirt after a reboot, within the time given
    VerifyFailed,       // loaded, but not what was installed, or the leaves do not answer; rolled back
    RevertFailed,       // the host may be left with ExitScope's modules: the message says what to do
    Cancelled,
};

struct DeployFailure
{
    DeployStage stage = DeployStage::Inspect;
    DeployError code = DeployError::None;
    QString message; // what went wrong, one line
    QString advice;  // what to do about it
    QString details; // the host's or the builder's own words
};

} // namespace ExitScope
