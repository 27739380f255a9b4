// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/fleetconfig.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>
#include <QSettings>

namespace ExitScope {

namespace {

// Label values are free text in OpenMetrics, but names people type in a file should stay readable
// in a query; the same rule for host and guest names keeps a typo from becoming a new series.
bool isPlainName(const QString &name)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_.:@-]{1,128}$"));
    return plain.match(name).hasMatch();
}

QStringList listValue(const QVariant &value)
{
    // QSettings splits an unquoted a, b, c into a list; a single name stays a string.
    QStringList items = value.toStringList();
    if (items.isEmpty() && !value.toString().isEmpty())
        items = value.toString().split(QLatin1Char(','));
    QStringList trimmed;
    for (const auto &item : items) {
        if (!item.trimmed().isEmpty())
            trimmed.append(item.trimmed());
    }
    return trimmed;
}

} // namespace

bool FleetConfig::load(const QString &path, QVector<FleetTarget> *targets, QString *error)
{
    const QFileInfo info(path);
    if (!info.isFile() || !info.isReadable()) {
        *error = QStringLiteral("%1 cannot be read").arg(path);
        return false;
    }
    QSettings file(path, QSettings::IniFormat);
    if (file.status() != QSettings::NoError) {
        *error = QStringLiteral("%1 is not a valid configuration file (INI sections and key = value lines)").arg(path);
        return false;
    }
    targets->clear();
    QSet<QString> seen;
    const auto fail = [&](const QString &section, const QString &what) {
        *error = QStringLiteral("%1, [%2]: %3").arg(path, section, what);
        return false;
    };
    for (const auto &section : file.childGroups()) {
        file.beginGroup(section);
        const auto keys = file.childKeys();
        static const QSet<QString> known{QStringLiteral("uri"), QStringLiteral("guests"), QStringLiteral("probe"),
                                         QStringLiteral("command"), QStringLiteral("guest")};
        for (const auto &key : keys) {
            if (!known.contains(key)) {
                file.endGroup();
                return fail(section, QStringLiteral("unknown key '%1' (uri, guests, probe, command, guest)").arg(key));
            }
        }
        const auto uri = file.value(QStringLiteral("uri")).toString().trimmed();
        const auto guests = listValue(file.value(QStringLiteral("guests")));
        const auto probe = file.value(QStringLiteral("probe")).toString().trimmed();
        const auto command = file.value(QStringLiteral("command")).toStringList().join(QLatin1Char(',')).trimmed();
        const auto commandGuest = file.value(QStringLiteral("guest"), QStringLiteral("command")).toString().trimmed();
        file.endGroup();

        if (!isPlainName(section))
            return fail(section, QStringLiteral("a host name may hold letters, digits and _ . : @ - only"));
        QVector<FleetTarget> found;
        if (!command.isEmpty()) {
            if (!uri.isEmpty() || !guests.isEmpty() || !probe.isEmpty())
                return fail(section, QStringLiteral("a command section takes no uri, guests or probe"));
            found.append({section, commandGuest, SourceSpec::command(command)});
        } else {
            if (uri.isEmpty())
                return fail(section, QStringLiteral("needs uri = (a libvirt URI of the host) or command ="));
            if (guests.isEmpty() && probe.isEmpty())
                return fail(section, QStringLiteral("names nothing to record: give guests = and/or probe ="));
            for (const auto &guest : guests)
                found.append({section, guest, SourceSpec::guestAgent(uri, guest, false)});
            if (!probe.isEmpty()) {
                bool ok = false;
                const int rate = probe.toInt(&ok);
                if (!ok || rate < 1 || rate > 1000)
                    return fail(section, QStringLiteral("probe = takes the readings per second, 1 to 1000, not '%1'").arg(probe));
                found.append({section, QStringLiteral("probe"), SourceSpec::hostProbe(uri, rate)});
            }
        }
        for (const auto &target : found) {
            if (!isPlainName(target.guest))
                return fail(section, QStringLiteral("'%1': a guest name may hold letters, digits and _ . : @ - only").arg(target.guest));
            const auto problem = target.spec.validate();
            if (!problem.isEmpty())
                return fail(section, QStringLiteral("%1: %2").arg(target.guest, problem));
            const QString key = target.host + QLatin1Char('/') + target.guest;
            if (seen.contains(key))
                return fail(section, QStringLiteral("%1 is named twice").arg(target.guest));
            seen.insert(key);
            targets->append(target);
        }
    }
    if (targets->isEmpty()) {
        *error = QStringLiteral("%1 names no hosts: see docs/fleet.md for its format").arg(path);
        return false;
    }
    return true;
}

} // namespace ExitScope
