// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/deploypipeline.h"

#include "deploy/deployrun.h"

#include <QCoreApplication>

namespace ExitScope {

DeployPipeline::DeployPipeline(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<ExitScope::DeployStage>();
    qRegisterMetaType<ExitScope::DeployFailure>();
    qRegisterMetaType<ExitScope::HostInspection>();
}

DeployPipeline::~DeployPipeline()
{
    if (m_thread) {
        // Leaving a host half deployed is worse than waiting: the run rolls back what it did.
        m_cancel.store(true);
        m_thread->wait();
        delete m_thread;
    }
}

bool DeployPipeline::start(DeployOptions options, QString *why)
{
    if (isRunning()) {
        *why = QCoreApplication::translate("DeployPipeline", "a deployment is already running");
        return false;
    }
    if (!options.resolve(why))
        return false;
    if (m_thread) {
        m_thread->wait(); // has emitted finished() and is ending
        delete m_thread;
    }
    m_cancel.store(false);
    m_done.store(false);
    m_thread = QThread::create([this, options] {
        DeployRun run(this, options);
        run.run();
    });
    m_thread->setObjectName(QStringLiteral("deploy"));
    m_thread->start();
    return true;
}

void DeployPipeline::cancel()
{
    m_cancel.store(true);
}

bool DeployPipeline::isRunning() const
{
    // finished() is emitted before the thread ends: from then on the deployment is over.
    return m_thread && !m_done.load();
}

} // namespace ExitScope
