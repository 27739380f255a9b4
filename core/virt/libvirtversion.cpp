// SPDX-License-Identifier: GPL-3.0-or-later
#include "libvirtversion.h"

#include <libvirt/libvirt.h>

namespace ExitScope {

QString libvirtLibraryVersion()
{
    unsigned long version = 0;
    if (virGetVersion(&version, nullptr, nullptr) < 0)
        return QStringLiteral("unknown");
    return QStringLiteral("%1.%2.%3").arg(version / 1000000).arg(version / 1000 % 1000).arg(version % 1000);
}

} // namespace ExitScope
