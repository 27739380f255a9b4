// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sources/threadedsource.h"
#include "ssh/sshtarget.h"


namespace ExitScope {

// The stream on the standard output of a command run on a host over SSH (libssh), typically
// `exitscope-probe` on an L1 host. Connecting, verifying the host key, authenticating and reading all
// happen on a thread of the source's own; the command's standard error is kept to explain a failure.
class SshCommandSource : public ThreadedSource
{
    Q_OBJECT
public:
    SshCommandSource(const SshTarget &target, const QString &command, QObject *parent = nullptr);
    ~SshCommandSource() override;

    QString description() const override;

private:
    void run() override;
    QString threadName() const override { return QStringLiteral("ssh"); }

    SshTarget m_target;
    QString m_command;
};

} // namespace ExitScope
