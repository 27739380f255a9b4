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

    // The SSH side of a libvirt URI (qemu+ssh://user@host:port/system?keyfile=…&known_hosts=…), so that
    // the probe runs on the host the guests run on, with the same credentials. Returns false (and says
    // why) for URIs that do not go over SSH.
    static bool fromLibvirtUri(const QString &uri, SshTarget *target, QString *error);

    // "user@host:port" as people write it.
    QString display() const { return QStringLiteral("%1@%2:%3").arg(user, host).arg(port); }
};

} // namespace ExitScope
