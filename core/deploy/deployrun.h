// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "deploy/deployfailure.h"
#include "deploy/deployoptions.h"
#include "deploy/hostinspection.h"
#include "ssh/sshsession.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QStringList>

#include <atomic>
#include <memory>

namespace ExitScope {

class DeployPipeline;

// One deployment, on DeployPipeline's thread: the stages in order over one SSH session, reporting
// through the pipeline's signals. Private to DeployPipeline.
class DeployRun
{
public:
    DeployRun(DeployPipeline *pipeline, DeployOptions options);
    ~DeployRun();

    // Runs everything and emits finished().
    void run();

private:
    struct HostResult
    {
        int status = -1; // 0 done, 1 failed, 2 refused
        QByteArray output;
        QString errors;
    };

    bool deploy();
    bool revert();
    bool awaitReturn();
    bool reloadIsRefused();

    bool inspect(HostInspection *host);
    bool build(QString *modulesDir);
    bool upload(const QString &modulesDir);
    bool install();
    bool activate(DeployStage stage, bool afterFailure);
    bool reload(DeployStage stage, bool stopGuests);
    bool reboot(DeployStage stage);
    bool waitForHost(DeployStage stage, const QString &oldBootId);
    void reportLostGuests(DeployStage stage);
    bool verifyDeployed();
    bool verifyRestored(DeployStage stage);
    bool rollBack();

    bool connect(DeployStage stage);
    bool hostctl(DeployStage stage, const QStringList &arguments, int timeoutSeconds, HostResult *result);
    bool shell(DeployStage stage, const QString &command, int timeoutSeconds, QByteArray *output);

    void beginStage(DeployStage stage);
    void endStage();
    void log(DeployStage stage, const QString &line);
    bool fail(DeployStage stage, DeployError code, const QString &message, const QString &advice,
              const QString &details = QString());
    bool failSsh(DeployStage stage, const SshFailure &failure);
    bool cancelled(DeployStage stage);
    bool sleepCancellable(int milliseconds);

    DeployPipeline *m_pipeline;
    DeployOptions m_options;
    SshTarget m_target;
    std::unique_ptr<SshSession> m_ssh;
    std::atomic_bool &m_cancel;
    HostInspection m_host;
    QString m_modulesDir;
    QString m_kvmBuildId; // of the files uploaded
    QString m_vendorBuildId;
    DeployFailure m_failure;
    bool m_rolledBack = false;
    bool m_stageOpen = false;
    DeployStage m_stage = DeployStage::Inspect;
    QElapsedTimer m_stageTimer;
};

} // namespace ExitScope
