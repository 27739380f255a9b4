// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploypanel.h"

#include "deploy/deploypipeline.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ExitScope {

namespace {

constexpr DeployStage AllStages[] = {DeployStage::Inspect, DeployStage::Build,  DeployStage::Upload, DeployStage::Install,
                                     DeployStage::Activate, DeployStage::Verify, DeployStage::Revert};
enum Column { StageColumn, StateColumn, TimeColumn };

} // namespace

DeployPanel::DeployPanel(QWidget *parent)
    : QWidget(parent)
    , m_pipeline(new DeployPipeline(this))
    , m_summary(new QLabel(tr("Host not inspected yet."), this))
    , m_activation(new QComboBox(this))
    , m_stopGuests(new QCheckBox(tr("Shut running guests down first"), this))
    , m_leaves(new QCheckBox(tr("CPUID leaves on"), this))
    , m_inspect(new QPushButton(tr("Inspect"), this))
    , m_deploy(new QPushButton(tr("Deploy"), this))
    , m_revert(new QPushButton(tr("Revert"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_keepWaiting(new QPushButton(tr("Keep waiting"), this))
    , m_stages(new QTreeWidget(this))
    , m_progress(new QProgressBar(this))
    , m_log(new QPlainTextEdit(this))
{
    m_summary->setObjectName(QStringLiteral("hostSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_activation->setObjectName(QStringLiteral("activation"));
    m_activation->addItem(tr("Reload the modules"), int(Activation::Reload));
    m_activation->addItem(tr("Reboot the host"), int(Activation::Reboot));
    m_activation->addItem(tr("Install only (next boot)"), int(Activation::None));
    m_activation->setToolTip(tr("Reload: quick, refused while guests run. Reboot: the host restarts and ExitScope "
                                "waits for SSH and libvirt to return."));
    m_stopGuests->setObjectName(QStringLiteral("stopGuests"));
    m_leaves->setObjectName(QStringLiteral("leaves"));
    m_leaves->setChecked(true);
    m_leaves->setToolTip(tr("kvm.cpuid_exit_stats: with the leaves off, guests cannot read the host's exit counts."));
    m_inspect->setObjectName(QStringLiteral("inspect"));
    m_inspect->setToolTip(tr("Look at the host and say what Deploy would do; nothing is changed."));
    m_deploy->setObjectName(QStringLiteral("deploy"));
    m_deploy->setToolTip(tr("Build the patched KVM modules for the host's kernel, install them with exitscope-probe, "
                            "activate and verify them. A failure puts back what the host ran before."));
    m_revert->setObjectName(QStringLiteral("revert"));
    m_revert->setToolTip(tr("Put back what the host ran before ExitScope's modules, activate and verify it."));
    m_cancel->setObjectName(QStringLiteral("cancel"));
    m_keepWaiting->setObjectName(QStringLiteral("keepWaiting"));
    m_keepWaiting->setToolTip(tr("The host did not come back from its reboot in time: wait for it again, then verify."));
    m_keepWaiting->hide();

    m_stages->setObjectName(QStringLiteral("stages"));
    m_stages->setColumnCount(3);
    m_stages->setHeaderLabels({tr("Stage"), tr("State"), tr("Time")});
    m_stages->setRootIsDecorated(false);
    m_stages->header()->setSectionResizeMode(StageColumn, QHeaderView::Stretch);
    for (auto stage : AllStages) {
        auto item = new QTreeWidgetItem(m_stages, {deployStageName(stage), QString(), QString()});
        item->setData(StageColumn, Qt::UserRole, int(stage));
    }
    m_progress->setObjectName(QStringLiteral("progress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_log->setObjectName(QStringLiteral("log"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);

    auto options = new QFormLayout;
    options->addRow(tr("Activate by"), m_activation);
    options->addRow(QString(), m_stopGuests);
    options->addRow(QString(), m_leaves);
    auto buttons = new QHBoxLayout;
    for (auto button : {m_inspect, m_deploy, m_revert, m_cancel, m_keepWaiting})
        buttons->addWidget(button);
    auto layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(options);
    layout->addLayout(buttons);
    layout->addWidget(m_stages);
    layout->addWidget(m_progress);
    layout->addWidget(m_log, 1);

    connect(m_inspect, &QPushButton::clicked, this, [this] { startAction(DeployOptions::Action::Deploy, true); });
    connect(m_deploy, &QPushButton::clicked, this, [this] { startAction(DeployOptions::Action::Deploy, false); });
    connect(m_revert, &QPushButton::clicked, this, [this] { startAction(DeployOptions::Action::Revert, false); });
    connect(m_keepWaiting, &QPushButton::clicked, this, [this] { startAction(DeployOptions::Action::AwaitReturn, false); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_pipeline->cancel();
        appendLog(tr("cancelling after the current step; what was installed is taken off again"));
        m_cancel->setEnabled(false);
    });
    connect(m_pipeline, &DeployPipeline::stageStarted, this, &DeployPanel::onStageStarted);
    connect(m_pipeline, &DeployPipeline::stageFinished, this, &DeployPanel::onStageFinished);
    connect(m_pipeline, &DeployPipeline::stageLog, this,
            [this](DeployStage stage, const QString &line) { appendLog(QStringLiteral("[%1] %2").arg(deployStageName(stage), line)); });
    connect(m_pipeline, &DeployPipeline::hostInspected, this, &DeployPanel::showHost);
    connect(m_pipeline, &DeployPipeline::waitingForHost, this, [this](int elapsed, int limit) {
        m_progress->setRange(0, limit);
        m_progress->setValue(elapsed);
        m_progress->setFormat(tr("waiting for the host: %1 s of %2 s").arg(elapsed).arg(limit));
    });
    connect(m_pipeline, &DeployPipeline::finished, this, &DeployPanel::onFinished);
    updateButtons();
}

DeployPanel::~DeployPanel() = default;

bool DeployPanel::isRunning() const
{
    return m_pipeline->isRunning();
}

void DeployPanel::startAction(DeployOptions::Action action, bool dryRun)
{
    DeployOptions options = m_baseOptions;
    options.uri = m_uriProvider ? m_uriProvider() : QString();
    if (options.uri.isEmpty()) {
        Q_EMIT errorOccurred(tr("Which host?"), tr("Enter the host's libvirt URI (qemu+ssh:// or qemu+libssh://) in the Host panel."));
        return;
    }
    options.action = action;
    options.dryRun = dryRun;
    options.activation = Activation(m_activation->currentData().toInt());
    options.stopGuests = m_stopGuests->isChecked();
    options.leavesOn = m_leaves->isChecked();
    if (action == DeployOptions::Action::AwaitReturn)
        options.leavesOn = m_lastOptions.leavesOn;
    for (int row = 0; row < m_stages->topLevelItemCount(); ++row) {
        auto item = m_stages->topLevelItem(row);
        item->setText(StateColumn, QString());
        item->setText(TimeColumn, QString());
        item->setHidden(false);
    }
    QString why;
    if (!m_pipeline->start(options, &why)) {
        Q_EMIT errorOccurred(tr("The deployment cannot start"), why);
        return;
    }
    m_lastOptions = options;
    m_canAwait = false;
    m_log->appendPlainText(QString());
    appendLog(dryRun ? tr("inspecting %1 (dry run)").arg(options.uri.section(QLatin1Char('?'), 0, 0))
                     : tr("%1 on %2, activation: %3")
                           .arg(action == DeployOptions::Action::Revert ? tr("revert") : tr("deploy"), options.uri.section(QLatin1Char('?'), 0, 0),
                                activationName(options.activation)));
    m_progress->setRange(0, 0); // busy until the first stage says more
    m_progress->setFormat(QString());
    if (!dryRun)
        Q_EMIT hostBusyChanged(true);
    updateButtons();
}

QTreeWidgetItem *DeployPanel::itemFor(DeployStage stage)
{
    for (int row = 0; row < m_stages->topLevelItemCount(); ++row) {
        auto item = m_stages->topLevelItem(row);
        if (item->data(StageColumn, Qt::UserRole).toInt() == int(stage))
            return item;
    }
    return nullptr;
}

void DeployPanel::onStageStarted(DeployStage stage)
{
    if (auto item = itemFor(stage)) {
        item->setText(StateColumn, tr("running"));
        m_stages->setCurrentItem(item);
    }
    const int index = int(std::find(std::begin(AllStages), std::end(AllStages), stage) - std::begin(AllStages));
    m_progress->setRange(0, int(std::size(AllStages)) - 1);
    m_progress->setValue(index);
    m_progress->setFormat(tr("%1 (stage %2 of %3)").arg(deployStageName(stage)).arg(index + 1).arg(std::size(AllStages) - 1));
}

void DeployPanel::onStageFinished(DeployStage stage, qint64 milliseconds)
{
    if (auto item = itemFor(stage)) {
        if (item->text(StateColumn) == tr("running"))
            item->setText(StateColumn, tr("done"));
        item->setText(TimeColumn, tr("%1 s").arg(double(milliseconds) / 1000.0, 0, 'f', 1));
    }
}

void DeployPanel::onFinished(bool ok, const DeployFailure &failure, bool rolledBack)
{
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    if (ok) {
        m_progress->setFormat(m_lastOptions.dryRun ? tr("dry run: nothing was changed") : tr("done and verified"));
        appendLog(m_lastOptions.dryRun ? tr("dry run: nothing was changed") : tr("done and verified"));
    } else {
        if (auto item = itemFor(failure.stage))
            item->setText(StateColumn, failure.code == DeployError::Cancelled ? tr("cancelled") : tr("failed"));
        if (rolledBack) {
            if (auto item = itemFor(DeployStage::Revert))
                item->setText(StateColumn, tr("rolled back"));
        }
        m_progress->setFormat(tr("failed at %1").arg(deployStageName(failure.stage)));
        appendLog(tr("failed at %1: %2").arg(deployStageName(failure.stage), failure.message));
        if (!failure.details.trimmed().isEmpty())
            appendLog(failure.details.trimmed());
        if (!failure.advice.isEmpty())
            appendLog(failure.advice);
        m_canAwait = failure.code == DeployError::HostDidNotReturn;
        if (failure.code != DeployError::Cancelled)
            Q_EMIT errorOccurred(failure.message, failure.advice + (failure.details.trimmed().isEmpty() ? QString() : QStringLiteral("\n\n") + failure.details.trimmed()));
    }
    if (!m_lastOptions.dryRun)
        Q_EMIT hostBusyChanged(m_canAwait);
    updateButtons();
    Q_EMIT deploymentFinished(ok);
}

void DeployPanel::showHost(const HostInspection &host)
{
    QStringList lines;
    lines << tr("%1, kernel %2%3").arg(host.os.isEmpty() ? tr("unknown system") : host.os, host.release,
                                       host.kernelVersion.isEmpty() ? QString() : tr(" (Debian %1)").arg(host.kernelVersion));
    lines << tr("CPU: %1, %2%3").arg(host.cpuModel.isEmpty() ? host.cpuVendor : host.cpuModel,
                                     host.virtualization == QLatin1String("none") ? tr("no virtualization") : host.virtualization,
                                     host.nested.isEmpty() ? QString() : tr(", nested %1").arg(host.nested));
    lines << tr("KVM: %1").arg(host.kvmState());
    if (!host.runningGuests.isEmpty())
        lines << tr("Running guests: %1").arg(host.runningGuests.join(QStringLiteral(", ")));
    m_summary->setText(lines.join(QLatin1Char('\n')));
}

void DeployPanel::appendLog(const QString &line)
{
    m_log->appendPlainText(QStringLiteral("%1  %2").arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), line));
}

void DeployPanel::updateButtons()
{
    const bool running = m_pipeline->isRunning();
    for (auto w : std::initializer_list<QWidget *>{m_inspect, m_deploy, m_revert, m_activation, m_stopGuests, m_leaves})
        w->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_keepWaiting->setVisible(m_canAwait);
    m_keepWaiting->setEnabled(!running);
}

} // namespace ExitScope
