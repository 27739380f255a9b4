// SPDX-License-Identifier: GPL-3.0-or-later
#include "experiment/experimentstep.h"

#include <QCoreApplication>

#include <cmath>

namespace ExitScope {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("ExperimentStep", text);
}

// Longest idle step: an hour, like the agent's own idle workload.
constexpr double MaxIdleSeconds = 3600;
// The agent reads command lines of at most 255 bytes.
constexpr int MaxCommandBytes = 255;
} // namespace

QString ExperimentStep::parse(const QString &text, ExperimentStep *step)
{
    const auto trimmed = text.simplified();
    const auto space = trimmed.indexOf(QLatin1Char(' '));
    const auto verb = trimmed.left(space < 0 ? trimmed.size() : space);
    const auto rest = space < 0 ? QString() : trimmed.mid(space + 1);
    ExperimentStep s;
    if (verb == QLatin1String("start") || verb == QLatin1String("wait-boot") || verb == QLatin1String("shutdown")) {
        if (!rest.isEmpty())
            return tr("'%1' takes nothing after it").arg(verb);
        s.kind = verb == QLatin1String("start") ? Kind::Start
            : verb == QLatin1String("shutdown") ? Kind::Shutdown
                                                : Kind::WaitBoot;
    } else if (verb == QLatin1String("idle")) {
        bool ok = false;
        s.kind = Kind::Idle;
        s.seconds = rest.toDouble(&ok);
        if (!ok || !std::isfinite(s.seconds) || s.seconds <= 0 || s.seconds > MaxIdleSeconds)
            return tr("'idle' needs a number of seconds from 0 to %1, not '%2'").arg(MaxIdleSeconds).arg(rest);
    } else if (verb == QLatin1String("run") || verb == QLatin1String("mark")) {
        s.kind = verb == QLatin1String("run") ? Kind::Run : Kind::Mark;
        s.argument = rest;
        if (rest.isEmpty())
            return verb == QLatin1String("run") ? tr("'run' needs the agent's command, e.g. 'run write 64'")
                                                : tr("'mark' needs its text");
        if (rest.toUtf8().size() + 5 > MaxCommandBytes)
            return tr("'%1' is longer than the agent reads").arg(trimmed.left(40));
    } else {
        return tr("unknown step '%1'; steps: start, wait-boot, idle SECONDS, run COMMAND, mark TEXT, shutdown")
            .arg(trimmed.left(40));
    }
    *step = s;
    return {};
}

QString ExperimentStep::text() const
{
    switch (kind) {
    case Kind::Start:
        return QStringLiteral("start");
    case Kind::WaitBoot:
        return QStringLiteral("wait-boot");
    case Kind::Idle:
        return QStringLiteral("idle %1").arg(seconds);
    case Kind::Run:
        return QStringLiteral("run %1").arg(argument);
    case Kind::Mark:
        return QStringLiteral("mark %1").arg(argument);
    case Kind::Shutdown:
        return QStringLiteral("shutdown");
    }
    return {};
}

QString ExperimentStep::describe() const
{
    switch (kind) {
    case Kind::Start:
        return tr("starting the guest");
    case Kind::WaitBoot:
        return tr("waiting for the guest's boot");
    case Kind::Idle:
        return tr("idle for %1 s").arg(seconds);
    case Kind::Run:
        return tr("running '%1' in the guest").arg(argument);
    case Kind::Mark:
        return tr("marking '%1'").arg(argument);
    case Kind::Shutdown:
        return tr("shutting the guest down");
    }
    return {};
}

} // namespace ExitScope
