// SPDX-License-Identifier: GPL-3.0-or-later
#include "recording/sourcespec.h"

#include "ssh/sshtarget.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QUrl>

#include <cmath>

namespace ExitScope {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("SourceSpec", text);
}

// The host part of a libvirt URI, without user, keys or options: what a status line may show.
QString hostOf(const QString &uri)
{
    const QUrl url(uri);
    if (url.host().isEmpty())
        return uri.section(QLatin1Char('?'), 0, 0);
    return url.port() > 0 ? QStringLiteral("%1:%2").arg(url.host()).arg(url.port()) : url.host();
}
} // namespace

SourceSpec SourceSpec::replay(const QString &path, bool paced, double speed)
{
    SourceSpec spec;
    spec.kind = Kind::Replay;
    spec.path = path;
    spec.paced = paced;
    spec.speed = speed;
    return spec;
}

SourceSpec SourceSpec::command(const QString &commandLine)
{
    SourceSpec spec;
    spec.kind = Kind::Command;
    spec.commandLine = commandLine;
    return spec;
}

SourceSpec SourceSpec::guestAgent(const QString &uri, const QString &guest, bool bootGuest)
{
    SourceSpec spec;
    spec.kind = Kind::GuestAgent;
    spec.uri = uri;
    spec.guest = guest;
    spec.bootGuest = bootGuest;
    return spec;
}

SourceSpec SourceSpec::hostProbe(const QString &uri, int rateHz)
{
    SourceSpec spec;
    spec.kind = Kind::HostProbe;
    spec.uri = uri;
    spec.rateHz = rateHz;
    return spec;
}

QString SourceSpec::validate() const
{
    switch (kind) {
    case Kind::Replay:
        if (path.isEmpty())
            return tr("No recording was named.");
        if (!QFileInfo(path).isFile())
            return tr("Cannot read the recording %1: no such file.").arg(path);
        if (!std::isfinite(speed) || speed <= 0 || speed > 1e6)
            return tr("The replay speed must be a positive factor up to 1000000, not %1.").arg(speed);
        return {};
    case Kind::Command:
        if (QProcess::splitCommand(commandLine).isEmpty())
            return tr("The command is empty.");
        return {};
    case Kind::GuestAgent:
        if (uri.isEmpty())
            return tr("Recording a guest's agent needs the libvirt URI of its host.");
        if (guest.isEmpty())
            return tr("Recording a guest's agent needs the guest's name.");
        return {};
    case Kind::HostProbe: {
        if (rateHz < 1 || rateHz > 1000)
            return tr("The probe's rate must be from 1 to 1000 readings per second, not %1.").arg(rateHz);
        SshTarget target;
        QString error;
        if (!SshTarget::fromLibvirtUri(uri, &target, &error))
            return error;
        return {};
    }
    }
    return tr("Unknown kind of source.");
}

QString SourceSpec::describe() const
{
    switch (kind) {
    case Kind::Replay:
        return tr("replay of %1").arg(QFileInfo(path).fileName());
    case Kind::Command:
        return tr("command: %1").arg(commandLine);
    case Kind::GuestAgent:
        return tr("agent of %1 on %2").arg(guest, hostOf(uri));
    case Kind::HostProbe:
        return tr("host probe on %1 at %2 Hz").arg(hostOf(uri)).arg(rateHz);
    }
    return {};
}

} // namespace ExitScope
