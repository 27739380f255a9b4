// SPDX-License-Identifier: GPL-3.0-or-later
#include "libvirteventloop.h"

#include "libvirterror.h"

#include <QLoggingCategory>

#include <libvirt/libvirt.h>

#include <mutex>
#include <thread>

Q_DECLARE_LOGGING_CATEGORY(lcVirt)

namespace ExitScope {

void LibvirtEventLoop::ensureRunning()
{
    static std::once_flag once;
    std::call_once(once, [] {
        LibvirtError::silenceDefaultHandler();
        if (virEventRegisterDefaultImpl() < 0) {
            qCWarning(lcVirt) << "cannot register libvirt's event loop:" << LibvirtError::last();
            return;
        }
        // Runs until the process ends; libvirt has no way to wake and stop it, and it holds no
        // resources of ours.
        std::thread([] {
            for (;;) {
                if (virEventRunDefaultImpl() < 0)
                    qCWarning(lcVirt) << "libvirt event loop:" << LibvirtError::last();
            }
        }).detach();
    });
}

} // namespace ExitScope
