// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "deploy/deployfailure.h"

#include <QString>

#include <atomic>
#include <functional>

namespace ExitScope {

// Builds the patched KVM modules for one Debian kernel on this machine with kernel-patch/build-modules,
// into a cache shared with the lab ($EXITSCOPE_CACHE/modules/RELEASE-KEY): the key covers every file
// of kernel-patch/, the release and the Debian version, so a changed series builds again and an
// unchanged one is reused. One build per key at a time, across processes (a lock file).
class ModuleBuilder
{
public:
    struct Request
    {
        QString kernelPatchDir; // the source tree's kernel-patch/
        QString release;        // 6.1.0-N-amd64
        QString kernelVersion;  // Debian version of that kernel's packages
        QString cacheRoot;      // $EXITSCOPE_CACHE or ~/.cache/exitscope
    };

    static QString defaultCacheRoot();
    // EXITSCOPE_KERNEL_PATCH_DIR, else the kernel-patch/ of the tree this program was built from.
    static QString defaultKernelPatchDir();

    // The cache directory for a request (whether built yet or not); empty with *error when the
    // series cannot be read.
    static QString cacheDirectory(const Request &request, QString *error);
    static bool isCached(const QString &directory);

    using LineHandler = std::function<void(const QString &)>;
    // Returns the directory with kvm.ko, kvm-amd.ko and kvm-intel.ko, building them when not cached.
    static bool build(const Request &request, QString *directory, bool *fromCache, DeployFailure *failure,
                      const LineHandler &onLine, const std::atomic_bool *cancel);

    // The modules in a directory are for `release` (their vermagic), and the files are there.
    // A module file's GNU build ID in hex (objcopy, from binutils); empty when it has none.
    static QString buildId(const QString &modulePath);
    static bool checkModules(const QString &directory, const QString &release, const QString &vendorFile,
                             QString *why);
};

} // namespace ExitScope
