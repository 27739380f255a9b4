// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace ExitScope {

// libvirt's default event loop, run on a thread of its own for the whole process. Without one, the
// remote driver never reads the data of a non-blocking stream (the agent's channel) off its socket,
// and keepalives do not run. It must be registered before the first connection is opened. Also
// ignores SIGPIPE, which the ssh transport raises when its ssh client has exited.
class LibvirtEventLoop
{
public:
    static void ensureRunning();
};

} // namespace ExitScope
