// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// libvirt's error state is per thread; these read it where the failing call ran.
class LibvirtError
{
public:
    // libvirt prints every error to stderr unless told otherwise; ExitScope reports them itself.
    static void silenceDefaultHandler();
    // The last error of this thread, or fallback if libvirt has none.
    static QString last(const QString &fallback = {});
    // What to do about it, where ExitScope can tell.
    static QString hint(const QString &error);
};

} // namespace ExitScope
