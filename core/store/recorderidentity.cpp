// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/recorderidentity.h"

#include <QCoreApplication>
#include <QFile>
#include <QStringList>
#include <QSysInfo>

namespace ExitScope {

namespace {

QString bootId()
{
    QFile file(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    return file.open(QIODevice::ReadOnly) ? QString::fromLatin1(file.readAll().trimmed()) : QString();
}

// Field 22 of /proc/PID/stat: the process's start, in clock ticks since boot. The command name
// (field 2) may hold spaces and parentheses, so fields are counted from the last ')'.
bool startTicks(qint64 pid, quint64 *ticks)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const auto stat = file.readAll();
    const auto close = stat.lastIndexOf(')');
    if (close < 0)
        return false;
    const auto fields = stat.mid(close + 2).split(' ');
    // After the name: state is field 3, so start time (22) is index 19.
    if (fields.size() < 20)
        return false;
    bool ok = false;
    *ticks = fields.at(19).toULongLong(&ok);
    return ok;
}

} // namespace

RecorderIdentity RecorderIdentity::current()
{
    RecorderIdentity identity;
    // Host names and boot ids have no spaces; a missing one is "-", so that the text keeps four fields.
    identity.m_machine = QSysInfo::machineHostName();
    if (identity.m_machine.isEmpty())
        identity.m_machine = QStringLiteral("-");
    identity.m_bootId = bootId();
    if (identity.m_bootId.isEmpty())
        identity.m_bootId = QStringLiteral("-");
    identity.m_pid = QCoreApplication::applicationPid();
    startTicks(identity.m_pid, &identity.m_startTicks);
    return identity;
}

RecorderIdentity RecorderIdentity::fromString(const QString &text)
{
    RecorderIdentity identity;
    const auto fields = text.split(QLatin1Char(' '));
    if (fields.size() != 4)
        return identity;
    identity.m_machine = fields.at(0);
    identity.m_bootId = fields.at(1);
    identity.m_pid = fields.at(2).toLongLong();
    identity.m_startTicks = fields.at(3).toULongLong();
    return identity;
}

QString RecorderIdentity::toString() const
{
    return QStringLiteral("%1 %2 %3 %4")
        .arg(m_machine, m_bootId)
        .arg(m_pid)
        .arg(m_startTicks);
}

RecorderIdentity::Liveness RecorderIdentity::liveness() const
{
    if (m_pid <= 0)
        return Liveness::Gone;
    const auto here = current();
    if (m_machine != here.m_machine)
        return Liveness::Unknown;
    if (m_bootId != here.m_bootId)
        return Liveness::Gone;
    quint64 ticks = 0;
    if (!startTicks(m_pid, &ticks) || ticks != m_startTicks)
        return Liveness::Gone;
    return Liveness::Alive;
}

} // namespace ExitScope
