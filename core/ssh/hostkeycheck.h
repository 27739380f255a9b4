// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/sshsession.h"

#include <QObject>
#include <QPointer>
#include <QThread>

namespace ExitScope {

// Looks at a host's SSH key before anything logs in, off the GUI thread: known, unknown (with its
// fingerprint, for the user to compare and trust), or changed (refused). trust() records an unknown
// key in the target's known_hosts; it never replaces a changed one.
class HostKeyCheck : public QObject
{
    Q_OBJECT
public:
    explicit HostKeyCheck(QObject *parent = nullptr);
    ~HostKeyCheck() override;

    void check(const SshTarget &target);
    void trust(const SshTarget &target);
    bool isRunning() const { return m_thread && m_thread->isRunning(); }

Q_SIGNALS:
    // code: None (known), HostKeyUnknown, HostKeyChanged, or why the host could not be asked.
    void checked(ExitScope::SshError code, const QString &fingerprint, const QString &message, const QString &details);
    void trusted(bool ok, const QString &message, const QString &details);

private:
    void run(std::function<void()> work);
    QPointer<QThread> m_thread;
};

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::SshError)
