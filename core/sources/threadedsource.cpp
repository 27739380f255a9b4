// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/threadedsource.h"

namespace ExitScope {

ThreadedSource::~ThreadedSource()
{
    joinWorker();
}

void ThreadedSource::joinWorker()
{
    m_stop = true;
    if (m_worker) {
        m_worker->wait();
        delete m_worker;
        m_worker = nullptr;
    }
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
