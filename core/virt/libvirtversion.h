// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// The version of the libvirt library this process runs with (not the host's daemon), e.g. "9.0.0".
QString libvirtLibraryVersion();

} // namespace ExitScope
