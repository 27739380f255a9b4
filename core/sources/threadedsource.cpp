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
    joinWorker();
    endOfInput();
}

} // namespace ExitScope
