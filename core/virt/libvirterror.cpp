// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/libvirterror.h"

#include <QCoreApplication>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <mutex>

namespace ExitScope {

namespace {
void ignoreError(void *, virErrorPtr)
{
}
} // namespace

void LibvirtError::silenceDefaultHandler()
{
    static std::once_flag once;
    std::call_once(once, [] { virSetErrorFunc(nullptr, ignoreError); });
}

QString LibvirtError::last(const QString &fallback)
{
    const virError *error = virGetLastError();
    if (!error || !error->message)
        return fallback.isEmpty() ? QCoreApplication::translate("LibvirtError", "libvirt gave no reason") : fallback;
    return QString::fromUtf8(error->message);
}

QString LibvirtError::hint(const QString &error)
{
    const auto tr = [](const char *text) { return QCoreApplication::translate("LibvirtError", text); };
    if (error.contains(QLatin1String("Host key verification failed")) || error.contains(QLatin1String("known_hosts"))
        || error.contains(QLatin1String("host key")))
        return tr("The host's SSH key is not the one on record. If the host was reinstalled, remove its old key "
                  "from the known_hosts file; otherwise do not connect: someone may be in between.");
    if (error.contains(QLatin1String("Permission denied")) || error.contains(QLatin1String("authentication")))
        return tr("SSH refused the login. Check the user name in the URI and that the key file is authorised on "
                  "the host (keyfile=… in the URI).");
    if (error.contains(QLatin1String("Connection refused")) || error.contains(QLatin1String("No route"))
        || error.contains(QLatin1String("Could not resolve")) || error.contains(QLatin1String("Connection timed out")))
        return tr("The host cannot be reached. Check the address and port, and that sshd runs there.");
    if (error.contains(QLatin1String("Failed to connect socket")) || error.contains(QLatin1String("libvirt-sock"))
        || error.contains(QLatin1String("virtqemud")))
        return tr("libvirtd does not run on the host, or this user may not use it. Start it "
                  "(systemctl start libvirtd) or connect as a user in the libvirt group.");
    if (error.contains(QLatin1String("not supported by the connection driver")))
        return tr("This libvirt driver cannot do that; the agent's channel needs a QEMU host (qemu:///system).");
    if (error.contains(QLatin1String("Domain not found")) || error.contains(QLatin1String("no domain with matching")))
        return tr("There is no guest of that name on the host; 'virsh list --all' shows the defined guests.");
    return {};
}

} // namespace ExitScope
