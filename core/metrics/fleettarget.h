// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recording/sourcespec.h"

#include <QString>

namespace ExitScope {

// One sender the exporter records: a guest's agent on a host, the host's probe, or a command; named
// by the labels its series carry.
struct FleetTarget
{
    QString host;  // label "host": the config's section name
    QString guest; // label "guest": the guest, "probe" for the host probe, or the command's name
    SourceSpec spec;
};

} // namespace ExitScope
