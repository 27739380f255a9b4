// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// libvirt's error state is per thread; these read it where the failing call ran. LibvirtFailure
// holds the codes, for deciding what went wrong.
class LibvirtError
{
public:
    // libvirt prints every error to stderr unless told otherwise; ExitScope reports them itself.
    static void silenceDefaultHandler();
    // The last error's message, or fallback if libvirt has none: for showing, never for deciding.
    static QString last(const QString &fallback = {});
};

} // namespace ExitScope
