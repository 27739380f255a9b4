// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// Whether a libvirt URI may turn off the check of its host's SSH key. libvirt's ssh transport takes
// no_verify=1, its libssh transport known_hosts_verify=ignore (accept any key) or auto (add an
// unknown key without asking): with any of them, whoever sits between here and the host can pose
// as it and is handed the host's root. ExitScope refuses such URIs unless the user has said, for
// this process, that they accept it (the CLI's --accept-unverified-host-key).
class HostKeyPolicy
{
public:
    // The parameter of uri that turns the check off ("no_verify=1"), or empty when it does not.
    static QString uncheckedParameter(const QString &uri);
    // Empty when uri may be used; otherwise why not and what to do.
    static QString refusal(const QString &uri);

    static void setUncheckedKeysAccepted(bool accepted);
    static bool uncheckedKeysAccepted();
};

} // namespace ExitScope
