// SPDX-License-Identifier: GPL-3.0-or-later
#include "hostpanel.h"

#include "domainlistmodel.h"
#include "savedconnections.h"
#include "ssh/hostkeycheck.h"
#include "userprompts.h"
#include "virt/hostcontroller.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

namespace ExitScope {

HostPanel::HostPanel(HostController *host, QWidget *parent)
    : QWidget(parent)
    , m_host(host)
    , m_model(new DomainListModel(this))
    , m_saved(new QComboBox(this))
    , m_uri(new QLineEdit(this))
    , m_connect(new QPushButton(tr("Connect"), this))
    , m_hostLabel(new QLabel(tr("Not connected."), this))
    , m_view(new QTableView(this))
    , m_start(new QPushButton(tr("Start"), this))
    , m_shutdown(new QPushButton(tr("Shut down"), this))
    , m_destroy(new QPushButton(tr("Force off"), this))
    , m_record(new QPushButton(tr("Record agent"), this))
    , m_bootAndRecord(new QPushButton(tr("Boot and record"), this))
    , m_probe(new QPushButton(tr("Record host probe"), this))
    , m_workload(new QComboBox(this))
    , m_amount(new QSpinBox(this))
    , m_markText(new QLineEdit(this))
    , m_run(new QPushButton(tr("Run in guest"), this))
    , m_keyCheck(new HostKeyCheck(this))
{
    m_uri->setPlaceholderText(QStringLiteral("qemu+ssh://root@host/system?keyfile=…"));
    m_uri->setToolTip(tr("libvirt URI of the L1 host"));
    m_uri->setObjectName(QStringLiteral("uri"));
    m_saved->setObjectName(QStringLiteral("savedConnections"));
    m_saved->setToolTip(tr("Hosts connected to before, and the nested lab"));
    fillSaved();
    if (m_uri->text().isEmpty())
        m_uri->setText(SavedConnections::lastUri());
    m_hostLabel->setWordWrap(true);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setSectionResizeMode(DomainListModel::NameColumn, QHeaderView::Stretch);
    m_bootAndRecord->setToolTip(tr("Start recording the guest's agent, then start the guest, so that the run "
                                   "shows what its boot costs."));
    m_destroy->setToolTip(tr("Pull the plug: the guest gets no chance to shut down."));
    m_probe->setToolTip(tr("Run exitscope-probe on the host over SSH: the host's exits, also while a guest "
                           "boots and before its agent runs."));

    m_workload->addItem(tr("Write MiB"), QStringLiteral("write"));
    m_workload->addItem(tr("Read MiB"), QStringLiteral("read"));
    m_workload->addItem(tr("CPU loop, s"), QStringLiteral("cpu"));
    m_workload->addItem(tr("Idle, s"), QStringLiteral("idle"));
    m_workload->addItem(tr("Mark"), QStringLiteral("mark"));
    m_amount->setRange(1, 4096);
    m_amount->setValue(16);
    m_markText->setPlaceholderText(tr("mark text"));
    m_markText->setVisible(false);

    auto connectRow = new QHBoxLayout;
    connectRow->addWidget(m_saved);
    connectRow->addWidget(m_uri, 1);
    connectRow->addWidget(m_connect);
    auto lifecycle = new QHBoxLayout;
    for (auto button : {m_start, m_shutdown, m_destroy})
        lifecycle->addWidget(button);
    auto recordRow = new QHBoxLayout;
    recordRow->addWidget(m_record);
    recordRow->addWidget(m_bootAndRecord);
    recordRow->addWidget(m_probe);
    auto workloadRow = new QHBoxLayout;
    workloadRow->addWidget(m_workload);
    workloadRow->addWidget(m_amount);
    workloadRow->addWidget(m_markText, 1);
    workloadRow->addWidget(m_run);
    auto layout = new QVBoxLayout(this);
    layout->addLayout(connectRow);
    layout->addWidget(m_hostLabel);
    layout->addWidget(m_view, 1);
    layout->addLayout(lifecycle);
    layout->addLayout(recordRow);
    layout->addLayout(workloadRow);

    connect(m_connect, &QPushButton::clicked, this, [this] {
        if (m_host->isConnecting()) {
            m_host->cancelConnect();
            return;
        }
        if (m_host->isConnected()) {
            m_host->disconnectFromHost();
            return;
        }
        if (m_uri->text().trimmed().isEmpty()) {
            Q_EMIT errorOccurred(tr("Which host?"), tr("Enter the libvirt URI of the L1 host, e.g. "
                                                       "qemu+ssh://root@host/system?keyfile=/path/to/key"));
            return;
        }
        m_offerKeyFor.clear();
        m_host->connectTo(m_uri->text().trimmed());
    });
    // Also for connects the panel did not start (MainWindow::connectToHost()). The label names the
    // host only: the URI's query carries key file paths.
    connect(m_host, &HostController::connectProgress, this, [this](int waited, int timeout) {
        m_hostLabel->setText(tr("Connecting to %1… %2 s of %3 s").arg(m_host->connectingTo()).arg(waited).arg(timeout));
        m_connect->setText(tr("Cancel"));
        m_connect->setEnabled(true);
        updateButtons();
    });
    connect(m_host, &HostController::connectCancelled, this, [this] {
        m_offerKeyFor.clear();
        m_hostLabel->setText(tr("Not connected."));
        m_connect->setText(tr("Connect"));
        m_connect->setEnabled(true);
        updateButtons();
    });
    connect(m_saved, &QComboBox::activated, this, &HostPanel::useSaved);
    connect(m_keyCheck, &HostKeyCheck::checked, this,
            [this](SshError code, const QString &fingerprint, const QString &message, const QString &details) {
                const auto uri = m_checkingUri;
                const auto failedMessage = m_failedMessage;
                const auto failedDetails = m_failedDetails;
                SshTarget target;
                QString ignored;
                SshTarget::fromLibvirtUri(uri, &target, &ignored);
                const auto finish = [this](const QString &label) {
                    m_checkingUri.clear();
                    m_hostLabel->setText(label);
                    m_connect->setEnabled(true);
                    updateButtons();
                };
                switch (code) {
                case SshError::None:
                    // The key is known: the failure was something else, as libvirt said.
                    finish(failedMessage);
                    Q_EMIT errorOccurred(failedMessage, failedDetails);
                    return;
                case SshError::HostKeyUnknown: {
                    const auto question =
                        tr("%1 is new to this machine. Its SSH host key has the fingerprint\n\n%2\n\nCompare it with the "
                           "host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host). Trust this key "
                           "and connect? It is then recorded in %3, and a different key later is refused.")
                            .arg(target.display(), fingerprint,
                                 target.knownHostsFile.isEmpty() ? tr("your known_hosts") : target.knownHostsFile);
                    auto prompts = m_prompts ? m_prompts() : nullptr;
                    const bool yes = prompts ? prompts->confirm(this, tr("Trust a new host?"), question)
                                             : QMessageBox::question(this, tr("Trust a new host?"), question) == QMessageBox::Yes;
                    if (!yes) {
                        finish(tr("Not connected: the host key of %1 was not trusted.").arg(target.display()));
                        return;
                    }
                    m_hostLabel->setText(tr("Recording the host key of %1…").arg(target.display()));
                    m_keyCheck->trust(target);
                    return;
                }
                case SshError::HostKeyChanged:
                    finish(message);
                    Q_EMIT errorOccurred(message, details);
                    return;
                default:
                    finish(failedMessage);
                    Q_EMIT errorOccurred(failedMessage, failedDetails);
                    return;
                }
            });
    connect(m_keyCheck, &HostKeyCheck::trusted, this, [this](bool ok, const QString &message, const QString &details) {
        const auto uri = m_checkingUri;
        m_checkingUri.clear();
        if (!ok) {
            m_hostLabel->setText(message);
            m_connect->setEnabled(true);
            updateButtons();
            Q_EMIT errorOccurred(message, details);
            return;
        }
        m_offerKeyFor = uri; // once: a second failure is reported as it is
        m_host->connectTo(uri);
    });
    connect(m_host, &HostController::connected, this, [this] {
        const auto &h = m_host->host();
        SavedConnections::remember(h.uri);
        m_offerKeyFor.clear();
        fillSaved();
        m_hostLabel->setText(tr("%1: %2 %3, libvirt %4").arg(h.hostname, h.hypervisor, h.hypervisorVersion, h.libvirtVersion));
        m_connect->setText(tr("Disconnect"));
        m_connect->setEnabled(true);
        updateButtons();
    });
    connect(m_host, &HostController::disconnected, this, [this] {
        m_hostLabel->setText(tr("Not connected."));
        m_connect->setText(tr("Connect"));
        m_connect->setEnabled(true);
        updateButtons();
    });
    connect(m_host, &HostController::connectionFailed, this, [this](const QString &message, const QString &details) {
        // libvirt cannot ask the user about a host key it does not know: look at the key here, and
        // offer it for trust, when the SSH session is what failed.
        const auto kind = m_host->lastConnectFailure();
        if ((kind == LibvirtFailure::Kind::SshSession || kind == LibvirtFailure::Kind::HostKeyRejected
             || kind == LibvirtFailure::Kind::AuthFailed)
            && m_offerKeyFor.isEmpty() && offerHostKey(m_uri->text().trimmed(), message, details))
            return;
        m_offerKeyFor.clear();
        m_hostLabel->setText(message);
        m_connect->setText(tr("Connect"));
        m_connect->setEnabled(true);
        updateButtons();
        Q_EMIT errorOccurred(message, details);
    });
    connect(m_host, &HostController::domainsChanged, this, [this] {
        const auto keep = selectedDomain();
        m_model->setDomains(m_host->domains());
        if (!keep.isEmpty())
            selectDomain(keep);
        else if (m_model->rowCount() > 0)
            m_view->selectRow(0);
        updateButtons();
    });
    connect(m_host, &HostController::actionFailed, this,
            [this](const QString &, DomainAction, const QString &message, const QString &details) {
                Q_EMIT errorOccurred(message, details);
            });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &HostPanel::updateButtons);
    connect(m_start, &QPushButton::clicked, this, [this] { m_host->startDomain(selectedDomain()); });
    connect(m_shutdown, &QPushButton::clicked, this, [this] { m_host->shutdownDomain(selectedDomain()); });
    connect(m_destroy, &QPushButton::clicked, this, &HostPanel::forceOff);
    connect(m_record, &QPushButton::clicked, this,
            [this] { Q_EMIT recordAgentRequested(m_host->host().uri, selectedDomain(), false); });
    connect(m_bootAndRecord, &QPushButton::clicked, this,
            [this] { Q_EMIT recordAgentRequested(m_host->host().uri, selectedDomain(), true); });
    connect(m_probe, &QPushButton::clicked, this, [this] { Q_EMIT recordProbeRequested(m_host->host().uri); });
    connect(m_workload, &QComboBox::currentIndexChanged, this, [this] {
        const bool mark = m_workload->currentData().toString() == QLatin1String("mark");
        m_amount->setVisible(!mark);
        m_markText->setVisible(mark);
    });
    connect(m_run, &QPushButton::clicked, this, [this] {
        const auto verb = m_workload->currentData().toString();
        const auto argument = verb == QLatin1String("mark") ? m_markText->text().simplified() : QString::number(m_amount->value());
        Q_EMIT agentCommandRequested(verb + QLatin1Char(' ') + argument);
    });
    updateButtons();
}

bool HostPanel::offerHostKey(const QString &uri, const QString &message, const QString &details)
{
    SshTarget target;
    QString notSsh;
    if (!SshTarget::fromLibvirtUri(uri, &target, &notSsh))
        return false;
    m_checkingUri = uri;
    m_failedMessage = message;
    m_failedDetails = details;
    m_hostLabel->setText(tr("Checking the SSH host key of %1…").arg(target.display()));
    m_connect->setText(tr("Connect"));
    m_connect->setEnabled(false);
    updateButtons();
    m_keyCheck->check(target);
    return true;
}

void HostPanel::fillSaved()
{
    const QSignalBlocker blocker(m_saved);
    m_saved->clear();
    m_saved->addItem(tr("Saved…"));
    for (const auto &entry : SavedConnections::entries())
        m_saved->addItem(entry.name, entry.uri);
    m_saved->setCurrentIndex(0);
}

void HostPanel::useSaved(int index)
{
    if (index <= 0)
        return;
    auto uri = m_saved->itemData(index).toString();
    if (uri.isEmpty()) {
        QString error;
        uri = SavedConnections::labUri(&error);
        if (uri.isEmpty()) {
            Q_EMIT errorOccurred(tr("The nested lab's address is not known"), error);
            m_saved->setCurrentIndex(0);
            return;
        }
    }
    if (!m_host->isConnected() && !m_host->isConnecting())
        m_uri->setText(uri);
    m_saved->setCurrentIndex(0);
}

void HostPanel::setUri(const QString &uri)
{
    m_uri->setText(uri);
}

QString HostPanel::uri() const
{
    return m_uri->text().trimmed();
}

QString HostPanel::selectedDomain() const
{
    const auto d = m_model->domain(m_view->currentIndex().row());
    return d ? d->name : QString();
}

void HostPanel::selectDomain(const QString &name)
{
    const int row = m_model->rowOfDomain(name);
    if (row >= 0)
        m_view->selectRow(row);
}

void HostPanel::setAgentRecording(bool recording)
{
    m_agentRecording = recording;
    updateButtons();
}

void HostPanel::setHostBusy(bool busy)
{
    m_hostBusy = busy;
    m_view->setEnabled(!busy);
    m_view->setToolTip(busy ? tr("ExitScope's KVM is being deployed to this host; its guests wait until that is done.") : QString());
    updateButtons();
}

void HostPanel::updateButtons()
{
    const bool connected = m_host->isConnected() && !m_hostBusy;
    const auto d = m_model->domain(m_view->currentIndex().row());
    m_uri->setEnabled(!m_host->isConnected() && !m_host->isConnecting() && !m_hostBusy && m_checkingUri.isEmpty());
    m_saved->setEnabled(m_uri->isEnabled());
    m_start->setEnabled(connected && d && d->canStart());
    m_shutdown->setEnabled(connected && d && d->canShutdown());
    m_destroy->setEnabled(connected && d && d->canDestroy());
    m_record->setEnabled(connected && d && d->hasAgentChannel && !m_agentRecording);
    m_bootAndRecord->setEnabled(connected && d && d->hasAgentChannel && d->canStart() && !m_agentRecording);
    m_probe->setEnabled(connected && !m_agentRecording);
    for (auto w : std::initializer_list<QWidget *>{m_workload, m_amount, m_markText, m_run})
        w->setEnabled(m_agentRecording);
}

void HostPanel::forceOff()
{
    const auto name = selectedDomain();
    if (name.isEmpty())
        return;
    const auto answer = QMessageBox::warning(this, tr("Force off %1?").arg(name),
                                             tr("Force off pulls the plug on %1: data in the guest that was not "
                                                "written to disk may be lost.")
                                                 .arg(name),
                                             QMessageBox::Cancel | QMessageBox::Yes, QMessageBox::Cancel);
    if (answer == QMessageBox::Yes)
        m_host->destroyDomain(name);
}

} // namespace ExitScope
