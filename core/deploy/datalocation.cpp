// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/datalocation.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace ExitScope::DataLocation {

namespace {

QString applicationDir()
{
    // Before a QCoreApplication exists (never in the programs, possible in a library's user) there
    // is no reliable answer, and the build tree is the only candidate.
    return QCoreApplication::instance() ? QCoreApplication::applicationDirPath() : QString();
}

} // namespace

QString sourceFile(const QString &relative)
{
    const auto appDir = applicationDir();
    if (!appDir.isEmpty()) {
        const auto installed = QDir::cleanPath(appDir + QStringLiteral("/../share/exitscope/") + relative);
        if (QFileInfo::exists(installed))
            return installed;
    }
#ifdef EXITSCOPE_SOURCE_DIR
    return QDir::cleanPath(QStringLiteral(EXITSCOPE_SOURCE_DIR "/") + relative);
#else
    return QString();
#endif
}

QString program(const QString &name)
{
    const auto appDir = applicationDir();
    if (!appDir.isEmpty()) {
        const QFileInfo beside(appDir + QLatin1Char('/') + name);
        if (beside.isFile() && beside.isExecutable())
            return beside.filePath();
    }
#ifdef EXITSCOPE_BINARY_DIR
    const QStringList built{QStringLiteral(EXITSCOPE_BINARY_DIR "/guest-agent/") + name, QStringLiteral(EXITSCOPE_BINARY_DIR "/app/") + name};
    for (const auto &path : built) {
        if (QFileInfo(path).isFile())
            return path;
    }
#endif
    return QString();
}

} // namespace ExitScope::DataLocation
