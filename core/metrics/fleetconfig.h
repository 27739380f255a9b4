// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/fleettarget.h"

#include <QString>
#include <QVector>

namespace ExitScope {

// The exporter's configuration file: one INI section per host (docs/fleet.md).
//
//   [l1]
//   uri = qemu+ssh://root@l1/system?keyfile=/home/ada/.ssh/id_ed25519&known_hosts=/home/ada/.ssh/known_hosts
//   guests = web1, web2
//   probe = 20
//
//   [bench]
//   command = ssh root@bench exitscope-probe --rate 20
//   guest = probe
class FleetConfig
{
public:
    // The targets of the file, or false with what is wrong (file, section and key named).
    static bool load(const QString &path, QVector<FleetTarget> *targets, QString *error);
};

} // namespace ExitScope
