// SPDX-License-Identifier: GPL-3.0-or-later
#include "libsshversion.h"

#include <libssh/libssh.h>

namespace ExitScope {

QString libsshLibraryVersion()
{
    // ssh_version(0) returns the full version string, such as "0.10.6/openssl/zlib".
    const char *version = ssh_version(0);
    return version ? QString::fromLatin1(version) : QStringLiteral("unknown");
}

} // namespace ExitScope
