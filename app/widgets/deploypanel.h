// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "deploy/deployfailure.h"
#include "deploy/deployoptions.h"
#include "deploy/hostinspection.h"

#include <QWidget>

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace ExitScope {

class DeployPipeline;

// The host's KVM and ExitScope's deployment on it: what the host runs (kernel, CPU, KVM state),
// Inspect (a dry run), Deploy and Revert with the activation chosen here, the stages with their
// state and time, progress, and the log. The work runs in DeployPipeline, off the GUI thread.
class DeployPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DeployPanel(QWidget *parent = nullptr);
    ~DeployPanel() override;

    // Where the URI to deploy to comes from (the host panel's connection).
    void setUriProvider(std::function<QString()> provider) { m_uriProvider = std::move(provider); }
    // Defaults for what the pipeline installs; tests point them elsewhere.
    void setBaseOptions(const DeployOptions &options) { m_baseOptions = options; }
    bool isRunning() const;

Q_SIGNALS:
    // The host may reboot or lose KVM for a while: guest actions must wait.
    void hostBusyChanged(bool busy);
    void deploymentFinished(bool ok);
    void errorOccurred(const QString &message, const QString &details);

private:
    void startAction(DeployOptions::Action action, bool dryRun);
    void onStageStarted(DeployStage stage);
    void onStageFinished(DeployStage stage, qint64 milliseconds);
    void onFinished(bool ok, const DeployFailure &failure, bool rolledBack);
    void showHost(const HostInspection &host);
    void appendLog(const QString &line);
    void updateButtons();
    QTreeWidgetItem *itemFor(DeployStage stage);

    DeployPipeline *m_pipeline;
    std::function<QString()> m_uriProvider;
    DeployOptions m_baseOptions;
    DeployOptions m_lastOptions;
    QLabel *m_summary;
    QComboBox *m_activation;
    QCheckBox *m_stopGuests;
    QCheckBox *m_leaves;
    QPushButton *m_inspect;
    QPushButton *m_deploy;
    QPushButton *m_revert;
    QPushButton *m_cancel;
    QPushButton *m_keepWaiting;
    QTreeWidget *m_stages;
    QProgressBar *m_progress;
    QPlainTextEdit *m_log;
    bool m_canAwait = false;
};

} // namespace ExitScope
