// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/hostkeycheck.h"

namespace ExitScope {

HostKeyCheck::HostKeyCheck(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<ExitScope::SshError>();
}

HostKeyCheck::~HostKeyCheck()
{
    if (m_thread) {
        m_thread->wait(); // bounded by the connect timeout
        delete m_thread;
    }
}

void HostKeyCheck::run(std::function<void()> work)
{
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
    m_thread = QThread::create(std::move(work));
    m_thread->setObjectName(QStringLiteral("hostkey"));
    m_thread->start();
}

void HostKeyCheck::check(const SshTarget &target)
{
    run([this, target] {
        SshSession ssh(target);
        SshFailure failure;
        ssh.checkHostKey(&failure);
        Q_EMIT checked(failure.code, ssh.hostKeyFingerprint(), failure.message, failure.details);
    });
}

void HostKeyCheck::trust(const SshTarget &target)
{
    run([this, target] {
        SshSession ssh(target);
        SshFailure failure;
        // Recording the key needs the connection that showed it, not a login.
        const bool ok = ssh.openAcceptingNewKey(&failure);
        Q_EMIT trusted(ok, failure.message, failure.details);
    });
}

} // namespace ExitScope
