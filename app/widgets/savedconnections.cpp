// SPDX-License-Identifier: GPL-3.0-or-later
#include "savedconnections.h"

#include "deploy/datalocation.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QSettings>
#include <QUrl>

namespace ExitScope {

namespace {

const QString Group = QStringLiteral("connections");

QString tr(const char *text)
{
    return QCoreApplication::translate("SavedConnections", text);
}

QString labctlPath()
{
    const auto fromEnvironment = qEnvironmentVariable("EXITSCOPE_LABCTL");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return DataLocation::sourceFile(QStringLiteral("lab/labctl"));
}

// The lab's URIs name files in its instance directory; they are not worth keeping.
bool isLabUri(const QString &uri)
{
    return uri.contains(QLatin1String("/lab/instances/"));
}

} // namespace

QString SavedConnections::nameFor(const QString &uri)
{
    const QUrl url(uri);
    if (!url.isValid() || url.host().isEmpty())
        return uri.section(QLatin1Char('?'), 0, 0);
    const auto user = url.userName().isEmpty() ? QString() : url.userName() + QLatin1Char('@');
    const auto port = url.port() > 0 ? QStringLiteral(":%1").arg(url.port()) : QString();
    return user + url.host() + port;
}

QList<SavedConnections::Entry> SavedConnections::entries()
{
    QList<Entry> list{{tr("Nested lab (lab/labctl)"), QString()}};
    QSettings settings;
    const int count = settings.beginReadArray(Group);
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        const auto uri = settings.value(QStringLiteral("uri")).toString();
        if (!uri.isEmpty())
            list.append({settings.value(QStringLiteral("name"), nameFor(uri)).toString(), uri});
    }
    settings.endArray();
    return list;
}

void SavedConnections::remember(const QString &uri)
{
    QSettings settings;
    settings.setValue(QStringLiteral("host/lastUri"), uri);
    if (uri.isEmpty() || isLabUri(uri))
        return;
    auto list = entries();
    list.removeFirst(); // the lab
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Entry &e) { return e.uri == uri; }), list.end());
    list.prepend({nameFor(uri), uri});
    while (list.size() > MaxEntries)
        list.removeLast();
    settings.beginWriteArray(Group, int(list.size()));
    for (int i = 0; i < list.size(); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("name"), list.at(i).name);
        settings.setValue(QStringLiteral("uri"), list.at(i).uri);
    }
    settings.endArray();
}

QString SavedConnections::lastUri()
{
    return QSettings().value(QStringLiteral("host/lastUri")).toString();
}

void SavedConnections::forgetAll()
{
    QSettings settings;
    settings.remove(Group);
    settings.remove(QStringLiteral("host/lastUri"));
}

QString SavedConnections::labUri(QString *error)
{
    const auto labctl = labctlPath();
    if (labctl.isEmpty() || !QFileInfo(labctl).isExecutable()) {
        *error = tr("lab/labctl was not found ('%1'); set EXITSCOPE_LABCTL to it").arg(labctl);
        return QString();
    }
    QProcess process;
    process.start(labctl, {QStringLiteral("uri")});
    if (!process.waitForFinished(30000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        *error = tr("The nested lab is not running: start it with '%1 up'.").arg(labctl) + QLatin1Char('\n')
            + QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
        return QString();
    }
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

} // namespace ExitScope
