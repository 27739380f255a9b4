// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>

namespace ExitScope {

// resources/host/exitscope-hostctl, the host side of deployment, as built into this program.
QByteArray hostctlScript();

} // namespace ExitScope
