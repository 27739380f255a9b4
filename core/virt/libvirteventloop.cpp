// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/libvirteventloop.h"

#include "virt/libvirterror.h"

#include <QLoggingCategory>

#include <libvirt/libvirt.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

Q_DECLARE_LOGGING_CATEGORY(lcVirt)

namespace ExitScope {

namespace {
std::atomic<bool> stopping{false};
std::thread *loopThread = nullptr;

// The loop must end before the process tears libvirt down; a thread still polling then crashes
// the exit. A periodic timeout lets it notice the flag.
void stopLoop()
{
    stopping = true;
    if (loopThread && loopThread->joinable())
        loopThread->join();
}
} // namespace

void LibvirtEventLoop::ensureRunning()
{
    static std::once_flag once;
    std::call_once(once, [] {
        LibvirtError::silenceDefaultHandler();
        if (virEventRegisterDefaultImpl() < 0) {
            qCWarning(lcVirt) << "cannot register libvirt's event loop:" << LibvirtError::last();
            return;
        }
        virEventAddTimeout(200, [](int, void *) {}, nullptr, nullptr);
        loopThread = new std::thread([] {
            while (!stopping) {
                if (virEventRunDefaultImpl() < 0)
                    qCWarning(lcVirt) << "libvirt event loop:" << LibvirtError::last();
            }
        });
        std::atexit(stopLoop);
    });
}

} // namespace ExitScope
