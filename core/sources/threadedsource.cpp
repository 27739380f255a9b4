// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/threadedsource.h"

#include <QPointer>

namespace ExitScope {

ThreadedSource::~ThreadedSource()
{
    joinWorker();
}

void ThreadedSource::joinWorker()
{
    m_stop = true;
    m_room.notify_all();
    if (m_worker) {
        m_worker->wait();
        delete m_worker;
        m_worker = nullptr;
    }
}

void ThreadedSource::postBytes(const QByteArray &bytes)
{
    m_bytesInFlight += bytes.size();
    QPointer<ThreadedSource> guard(this);
    QMetaObject::invokeMethod(
        this,
        [guard, bytes] {
            if (!guard)
                return;
            guard->deliverBytes(bytes);
            guard->m_bytesInFlight -= bytes.size();
            {
                // Taken so that a reader between its check and its wait cannot miss the wakeup.
                std::lock_guard<std::mutex> lock(guard->m_roomLock);
            }
            guard->m_room.notify_all();
        },
        Qt::QueuedConnection);
}

bool ThreadedSource::waitForRoom()
{
    std::unique_lock<std::mutex> lock(m_roomLock);
    // The timeout only bounds how late a stop is noticed.
    while (backlogged() && !m_stop)
        m_room.wait_for(lock, std::chrono::milliseconds(100));
    return !m_stop;
}

void ThreadedSource::start()
{
    m_stop = false;
    m_worker = QThread::create([this] { run(); });
    m_worker->setObjectName(threadName());
    m_worker->start();
    markStarted();
}

void ThreadedSource::stop()
{
    // No join here: the worker may sit in a blocking connect for many seconds, and stop() is
    // called from the GUI. What it posts from now on finds the input ended and is dropped.
    m_stop = true;
    endOfInput();
}

void ThreadedSource::dispose()
{
    beginDisposal();
    if (isRunning())
        stop();
    m_stop = true;
    setSink(nullptr);
    setRawCopy(nullptr);
    if (m_worker && m_worker->isRunning()) {
        // The worker uses this object until it returns: delete both once it has.
        connect(m_worker, &QThread::finished, this, &QObject::deleteLater);
        return;
    }
    deleteLater();
}

} // namespace ExitScope
