// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/runinfo.h"

namespace ExitScope {

QString RunInfo::stateName(State state)
{
    switch (state) {
    case State::Recording:
        return QStringLiteral("recording");
    case State::Complete:
        return QStringLiteral("complete");
    case State::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

} // namespace ExitScope
