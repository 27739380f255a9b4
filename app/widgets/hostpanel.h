// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace ExitScope {

class DomainListModel;
class HostController;
class HostKeyCheck;
class UserPrompts;

// Connects to an L1 host over libvirt and drives its guests: start, shut down, force off, and
// record a guest's agent (optionally starting the guest, to catch its boot). While the agent is being
// recorded, runs its built-in workloads and marks.
class HostPanel : public QWidget
{
    Q_OBJECT
public:
    explicit HostPanel(HostController *host, QWidget *parent = nullptr);

    void setUri(const QString &uri);
    QString uri() const;
    QString selectedDomain() const;
    void selectDomain(const QString &name);
    void setAgentRecording(bool recording);
    // While a deployment changes the host's KVM (or reboots it), guests cannot be driven.
    void setHostBusy(bool busy);
    DomainListModel *model() const { return m_model; }
    // Who answers the panel's questions (trust a new host key?); default: Qt's dialogs.
    void setPromptsProvider(std::function<UserPrompts *()> provider) { m_prompts = std::move(provider); }

Q_SIGNALS:
    // Record the agent of this guest; startGuest: start it first, so that the run covers its boot.
    void recordAgentRequested(const QString &uri, const QString &domain, bool startGuest);
    void agentCommandRequested(const QString &line);
    // Record exitscope-probe on the host itself, over SSH with the connection's credentials.
    void recordProbeRequested(const QString &uri);
    void errorOccurred(const QString &message, const QString &details);

private:
    void fillSaved();
    // After a failed connect over SSH: a host key not on record is shown for the user to trust, and
    // the connect tried again. False when the URI does not go over SSH.
    bool offerHostKey(const QString &uri, const QString &message, const QString &details);
    void useSaved(int index);
    void updateButtons();
    void forceOff();

    HostController *m_host;
    DomainListModel *m_model;
    QComboBox *m_saved;
    QLineEdit *m_uri;
    QPushButton *m_connect;
    QLabel *m_hostLabel;
    QTableView *m_view;
    QPushButton *m_start;
    QPushButton *m_shutdown;
    QPushButton *m_destroy;
    QPushButton *m_record;
    QPushButton *m_bootAndRecord;
    QPushButton *m_probe;
    QComboBox *m_workload;
    QSpinBox *m_amount;
    QLineEdit *m_markText;
    QPushButton *m_run;
    bool m_agentRecording = false;
    bool m_hostBusy = false;
    HostKeyCheck *m_keyCheck;
    std::function<UserPrompts *()> m_prompts;
    QString m_checkingUri;
    QString m_failedMessage;
    QString m_failedDetails;
    QString m_offerKeyFor; // a connect retried after trusting a key
};

} // namespace ExitScope
