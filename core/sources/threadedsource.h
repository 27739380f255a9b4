// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sources/source.h"

#include <QThread>

#include <atomic>
#include <condition_variable>
#include <mutex>

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

    // Bytes read and handed to the source's thread that it has not parsed yet. A reader stops reading
    // while this many wait, so that a busy source's thread (a GUI drawing, a store writing) holds the
    // sender back, through the SSH window or the guest's port, instead of the process growing.
    static constexpr qint64 MaxBytesInFlight = 4 * 1024 * 1024;
    qint64 bytesInFlight() const { return m_bytesInFlight; }

    void start() override;
    // Ends the input at once; the worker notices within its polling interval and ends by itself.
    void stop() override;
    void dispose() override;

protected:
    virtual void run() = 0;
    virtual QString threadName() const = 0;
    bool stopRequested() const { return m_stop; }
    // From the reader: hands bytes to the source's thread, which parses them there.
    void postBytes(const QByteArray &bytes);
    bool backlogged() const { return m_bytesInFlight >= MaxBytesInFlight; }
    // From a reader that may block: waits while backlogged(); false once stop is requested.
    bool waitForRoom();
    // Subclasses must call this first in their destructor: run() uses their members.
    void joinWorker();

private:
    QThread *m_worker = nullptr;
    std::atomic<bool> m_stop{false};
    std::atomic<qint64> m_bytesInFlight{0};
    std::mutex m_roomLock;
    std::condition_variable m_room;
};

} // namespace ExitScope
