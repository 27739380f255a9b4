// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sources/source.h"

#include <QThread>

#include <atomic>

namespace ExitScope {

// A source whose input blocks (libvirt streams, SSH channels) and is therefore read on a thread of
// its own: run() loops on that thread until stopRequested(), handing results back with
// postToSource(). start() and stop() manage the thread; stop() joins it before the input ends.
class ThreadedSource : public Source
{
    Q_OBJECT
public:
    using Source::Source;
    ~ThreadedSource() override;

    void start() override;
    // Ends the input at once; the worker notices within its polling interval and ends by itself.
    void stop() override;
    void dispose() override;

protected:
    virtual void run() = 0;
    virtual QString threadName() const = 0;
    bool stopRequested() const { return m_stop; }
    // Subclasses must call this first in their destructor: run() uses their members.
    void joinWorker();

private:
    QThread *m_worker = nullptr;
    std::atomic<bool> m_stop{false};
};

} // namespace ExitScope
