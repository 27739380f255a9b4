// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaType>
#include <QString>

namespace ExitScope {

// A libvirt error as virGetLastError() reports it. Its message is translated on hosts with a
// non-English locale, so ExitScope decides what went wrong from the code, the reporting part of
// libvirt and the system error, and shows the message only to people.
struct LibvirtFailure
{
    // What the failure means for the user, as far as the codes tell.
    enum class Kind {
        Other,
        NoSuchDomain, // VIR_ERR_NO_DOMAIN
        InvalidState, // VIR_ERR_OPERATION_INVALID: the guest is not running, or runs already
        Unsupported, // VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_UNSUPPORTED: the driver cannot do that
        AuthFailed, // VIR_ERR_AUTH_*: over SSH also a host key that differs from the one on record
        SshSession, // VIR_ERR_SSH, VIR_ERR_LIBSSH: the SSH session failed, e.g. an unknown host key
        HostKeyRejected, // the ssh client refused the host's key
        Unreachable, // no TCP connection: refused, no route, timed out, name not resolved
        NoDaemon, // libvirt's socket is missing or forbidden
        ConnectionClosed, // the transport (usually the ssh client) ended during the handshake
    };

    int code = 0; // virErrorNumber
    int domain = 0; // virErrorDomain: the part of libvirt that reported it
    int systemError = 0; // errno, for VIR_ERR_SYSTEM_ERROR
    QString message;

    // The last error of this thread (libvirt keeps them per thread); fallback as the message if
    // libvirt has none.
    static LibvirtFailure last(const QString &fallback = {});

    Kind kind() const;
    // What to do about it, where ExitScope can tell; empty otherwise.
    QString hint() const;
    // The message and the hint, for a message box's details.
    QString details() const;
};

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::LibvirtFailure)
Q_DECLARE_METATYPE(ExitScope::LibvirtFailure::Kind)
