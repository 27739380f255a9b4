// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "deploy/deploystage.h"

#include <QString>

namespace ExitScope {

// What a deployment is asked to do, and with what.
struct DeployOptions
{
    enum class Action {
        Deploy,      // inspect, build, upload, install, activate, verify (revert when verify fails)
        Revert,      // inspect, revert, activate, verify the host runs what it ran before
        AwaitReturn, // a host that did not come back in time: wait for it again, then verify
    };

    QString uri; // libvirt URI whose transport is SSH: the host and the credentials
    Action action = Action::Deploy;
    Activation activation = Activation::Reload;
    bool dryRun = false;     // inspect and say what would be done; change nothing
    bool stopGuests = false; // a reload shuts the running guests down first (else it is refused)
    bool leavesOn = true;    // the CPUID leaves' switch (kvm.cpuid_exit_stats) written with the modules
    bool acceptNewHostKey = false; // record the key of a host with none on record (never a changed one)
    QString modulesDir;      // modules built elsewhere; empty: build them here
    QString kernelPatchDir;  // empty: ModuleBuilder::defaultKernelPatchDir()
    QString cacheRoot;       // empty: ModuleBuilder::defaultCacheRoot()
    QString probeBinary;     // exitscope-probe to install; empty: the one built with this program
    QString agentBinary;     // exitscope-agent to install beside it, optional
    int rebootTimeoutSeconds = 300;
    int guestStopSeconds = 120;

    // The probe built alongside this program ($EXITSCOPE_PROBE_BINARY overrides).
    static QString defaultProbeBinary();
    // Fills in the defaults; false and *why for a request that cannot run.
    bool resolve(QString *why);
};

} // namespace ExitScope
