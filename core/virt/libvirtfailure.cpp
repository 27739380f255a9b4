// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/libvirtfailure.h"

#include <QCoreApplication>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <cerrno>

namespace ExitScope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("LibvirtFailure", text);
}

bool fromSsh(int domain)
{
    return domain == VIR_FROM_SSH || domain == VIR_FROM_LIBSSH;
}

// Where libvirt reports a failed connection: its RPC layer (sockets, the ssh client it spawns),
// the remote driver and the two SSH libraries.
bool fromTransport(int domain)
{
    return domain == VIR_FROM_RPC || domain == VIR_FROM_REMOTE || fromSsh(domain);
}

} // namespace

LibvirtFailure LibvirtFailure::last(const QString &fallback)
{
    LibvirtFailure failure;
    const virError *error = virGetLastError();
    if (error) {
        failure.code = error->code;
        failure.domain = error->domain;
        if (error->code == VIR_ERR_SYSTEM_ERROR)
            failure.systemError = error->int1; // virReportSystemError() puts errno there
        if (error->message)
            failure.message = QString::fromUtf8(error->message);
    }
    if (failure.message.isEmpty())
        failure.message = fallback.isEmpty() ? tr("libvirt gave no reason") : fallback;
    return failure;
}

LibvirtFailure::Kind LibvirtFailure::kind() const
{
    switch (code) {
    case VIR_ERR_NO_DOMAIN:
        return Kind::NoSuchDomain;
    case VIR_ERR_OPERATION_INVALID:
        return Kind::InvalidState;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_OPERATION_UNSUPPORTED:
        return Kind::Unsupported;
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
        return Kind::AuthFailed;
    case VIR_ERR_SSH:
    case VIR_ERR_LIBSSH:
        return Kind::SshSession;
    case VIR_ERR_UNKNOWN_HOST:
        return Kind::Unreachable;
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_NO_CONNECT:
        break;
    default:
        return Kind::Other;
    }
    if (!fromTransport(domain))
        return Kind::Other;
    switch (systemError) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case ETIMEDOUT:
    case EADDRNOTAVAIL:
        return Kind::Unreachable;
    case ENOENT:
    case EACCES:
    case EPERM:
        return Kind::NoDaemon;
    case 0:
    case -1:
        // libvirt's own resolver and socket errors carry no errno
        return code == VIR_ERR_SYSTEM_ERROR ? Kind::Unreachable : Kind::Other;
    default:
        break;
    }
    // The transport ended (EIO, ECONNRESET, EPIPE). With qemu+ssh that is the ssh client exiting,
    // and libvirt appends what it printed. OpenSSH does not translate its messages, so its verdict
    // on the host key is the one piece of text worth reading; libvirt's own text never is.
    if (domain == VIR_FROM_RPC && message.contains(QLatin1String("Host key verification failed")))
        return Kind::HostKeyRejected;
    return Kind::ConnectionClosed;
}

QString LibvirtFailure::hint() const
{
    switch (kind()) {
    case Kind::Other:
        return {};
    case Kind::NoSuchDomain:
        return tr("There is no guest of that name on the host; 'virsh list --all' shows the defined guests.");
    case Kind::InvalidState:
        return tr("The guest's state does not allow this now: it is not running, or it runs already. The "
                  "guest list shows its current state.");
    case Kind::Unsupported:
        return tr("This libvirt driver cannot do that; the agent's channel needs a QEMU host (qemu:///system).");
    case Kind::AuthFailed:
        if (fromSsh(domain))
            return tr("SSH refused the login, or the host's key is not the one on record. Check the user name in "
                      "the URI and that the key file (keyfile=…) is authorised on the host. If the host was "
                      "reinstalled, remove its old key from the known_hosts file; otherwise do not connect: "
                      "someone may be in between.");
        return tr("The host refused the login. Check the user name and the credentials in the URI.");
    case Kind::SshSession:
        return tr("The SSH session failed before the login. Usually the host's key is not on record yet: connect "
                  "once with ssh to add it to the known_hosts file named in the URI (known_hosts=…).");
    case Kind::HostKeyRejected:
        return tr("The host's SSH key is not the one on record. If the host was reinstalled, remove its old key "
                  "from the known_hosts file; otherwise do not connect: someone may be in between.");
    case Kind::Unreachable:
        return tr("The host cannot be reached. Check the address and port, and that sshd runs there.");
    case Kind::NoDaemon:
        return tr("libvirtd does not run on the host, or this user may not use it. Start it "
                  "(systemctl start libvirtd) or connect as a user in the libvirt group.");
    case Kind::ConnectionClosed:
        return tr("The connection ended while it was being set up: the host refused SSH, the login failed, or "
                  "libvirt does not run there. The message above quotes ssh's reason.");
    }
    return {};
}

QString LibvirtFailure::details() const
{
    const auto h = hint();
    return h.isEmpty() ? message : message + QStringLiteral("\n\n") + h;
}

} // namespace ExitScope
