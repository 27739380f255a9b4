// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "deploy/deployfailure.h"
#include "deploy/deployoptions.h"
#include "deploy/hostinspection.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>

namespace ExitScope {

// Puts ExitScope's KVM on a host, or takes it off again (docs/deploy.md): the stages of DeployStage
// on a thread of its own, over one SSH connection, each reported as it starts, with its log lines and
// its duration. Cancel takes effect between stages and inside waits; a failure after the install
// rolls the host back to what it ran before, and the report says so.
class DeployPipeline : public QObject
{
    Q_OBJECT
public:
    explicit DeployPipeline(QObject *parent = nullptr);
    ~DeployPipeline() override;

    // False with *why when the options cannot run; otherwise the stages start and finished() follows.
    bool start(DeployOptions options, QString *why);
    void cancel();
    bool isRunning() const;

Q_SIGNALS:
    void stageStarted(ExitScope::DeployStage stage);
    void stageLog(ExitScope::DeployStage stage, const QString &line);
    void stageFinished(ExitScope::DeployStage stage, qint64 milliseconds);
    void hostInspected(const ExitScope::HostInspection &host);
    // Waiting for a rebooting host: seconds so far of the limit.
    void waitingForHost(int elapsedSeconds, int limitSeconds);
    // ok: everything asked for was done and verified. rolledBack: a failure after the install was
    // undone, and the host runs what it ran before.
    void finished(bool ok, const ExitScope::DeployFailure &failure, bool rolledBack);

private:
    friend class DeployRun;
    QPointer<QThread> m_thread;
    std::atomic_bool m_cancel{false};
    std::atomic_bool m_done{true};
};

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::DeployFailure)
Q_DECLARE_METATYPE(ExitScope::DeployStage)
