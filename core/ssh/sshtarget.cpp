// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/sshtarget.h"

#include <QCoreApplication>
#include <QUrl>
#include <QUrlQuery>

namespace ExitScope {

bool SshTarget::fromLibvirtUri(const QString &uri, SshTarget *target, QString *error)
{
    const QUrl url(uri, QUrl::StrictMode);
    const auto scheme = url.scheme();
    if (!url.isValid() || !(scheme.endsWith(QLatin1String("+ssh")) || scheme.endsWith(QLatin1String("+libssh")))) {
        if (error)
            *error = QCoreApplication::translate("SshTarget",
                                                 "%1 does not reach its host over SSH; the probe needs a "
                                                 "qemu+ssh:// or qemu+libssh:// URI")
                         .arg(uri);
        return false;
    }
    const QUrlQuery query(url);
    SshTarget t;
    t.host = url.host();
    t.port = url.port(22);
    t.user = url.userName().isEmpty() ? QStringLiteral("root") : url.userName();
    t.keyFile = query.queryItemValue(QStringLiteral("keyfile"), QUrl::FullyDecoded);
    t.knownHostsFile = query.queryItemValue(QStringLiteral("known_hosts"), QUrl::FullyDecoded);
    *target = t;
    return true;
}

} // namespace ExitScope
