// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// The version of the libssh library this process runs with, e.g. "0.10.6".
QString libsshLibraryVersion();

} // namespace ExitScope
