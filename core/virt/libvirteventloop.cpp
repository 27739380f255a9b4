// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/libvirteventloop.h"

#include "virt/libvirterror.h"

#include <QLoggingCategory>

#include <libvirt/libvirt.h>

#include <atomic>
#include <csignal>
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
        // With qemu+ssh libvirt talks to an ssh client through a pipe; once the client has exited
        // (refused, reset, host key), the next write raises SIGPIPE, which would end the process
        // instead of failing the connection. libvirt leaves ignoring it to its clients, as virsh does.
        struct sigaction pipe = {};
        if (sigaction(SIGPIPE, nullptr, &pipe) == 0 && pipe.sa_handler == SIG_DFL) {
            pipe.sa_handler = SIG_IGN;
            sigaction(SIGPIPE, &pipe, nullptr);
        }
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
