// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// Where and as whom to run a command over SSH. The host's key must be in knownHostsFile (or the
// user's ~/.ssh/known_hosts when empty): ExitScope never connects to a host it cannot verify.
struct SshTarget
{
    QString host;
    int port = 22;
    QString user = QStringLiteral("root");
    QString keyFile; // private key; empty: the SSH agent and the user's default keys
    QString knownHostsFile;

    // "user@host:port" as people write it.
    QString display() const { return QStringLiteral("%1@%2:%3").arg(user, host).arg(port); }
};

} // namespace ExitScope
