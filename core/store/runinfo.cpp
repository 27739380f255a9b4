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
    case State::Interrupted:
        return QStringLiteral("interrupted");
    case State::Damaged:
        return QStringLiteral("damaged");
    }
    return {};
}

QString RunInfo::cleanName(const QString &name)
{
    QString line = name;
    for (auto &c : line) {
        if (c.category() == QChar::Other_Control || c == QChar::LineSeparator || c == QChar::ParagraphSeparator)
            c = QLatin1Char(' ');
    }
    line = line.simplified();
    if (line.size() > MaxNameLength)
        line = line.left(MaxNameLength).trimmed();
    return line;
}

} // namespace ExitScope
