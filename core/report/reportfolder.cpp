// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/reportfolder.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

namespace ExitScope {

namespace {
bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}
} // namespace

bool ReportFolder::begin(const QString &folder, QString *error)
{
    const QFileInfo target(folder);
    if (folder.isEmpty())
        return fail(error, QStringLiteral("No folder was given for the report."));
    if (target.exists() && !target.isDir())
        return fail(error, QStringLiteral("%1 is a file, not a folder: choose a new folder for the report.").arg(folder));
    if (target.isDir() && !QDir(folder).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
        return fail(error, QStringLiteral("%1 is not empty: choose a new or empty folder, so that nothing in it is "
                                          "overwritten. Nothing was written.")
                               .arg(folder));
    const auto parent = target.absolutePath();
    if (!QDir().mkpath(parent))
        return fail(error, QStringLiteral("Cannot create the folder %1.").arg(parent));
    m_staging = std::make_unique<QTemporaryDir>(parent + QStringLiteral("/.") + target.fileName()
                                                + QStringLiteral(".partial-XXXXXX"));
    if (!m_staging->isValid())
        return fail(error, QStringLiteral("Cannot write in %1: %2").arg(parent, m_staging->errorString()));
    m_folder = folder;
    return true;
}

QString ReportFolder::filePath(const QString &name) const
{
    return m_staging->filePath(name);
}

bool ReportFolder::writeText(const QString &name, const QString &text, QString *error)
{
    QSaveFile file(filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit())
        return fail(error, QStringLiteral("Cannot write %1: %2").arg(file.fileName(), file.errorString()));
    return true;
}

bool ReportFolder::commit(QString *error)
{
    const QFileInfo target(m_folder);
    const auto parent = target.absolutePath();
    // QTemporaryDir made it private; a report is meant to be read by others.
    QFile::setPermissions(m_staging->path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                                                 | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
    if (target.isDir() && !QDir(parent).rmdir(target.fileName()))
        return fail(error, QStringLiteral("Cannot replace the empty folder %1.").arg(m_folder));
    if (!QDir().rename(m_staging->path(), target.absoluteFilePath()))
        return fail(error, QStringLiteral("Cannot move the report into %1.").arg(m_folder));
    m_staging->setAutoRemove(false);
    return true;
}

} // namespace ExitScope
