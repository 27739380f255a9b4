// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/outputguard.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <sys/stat.h>

namespace ExitScope {

namespace {

// The file a path reaches, as device and inode; false when it does not exist.
bool identity(const QString &path, dev_t *device, ino_t *inode)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return false;
    *device = st.st_dev;
    *inode = st.st_ino;
    return true;
}

// Where a path that may not exist yet would be created: its directory resolved, its name kept.
QString resolved(const QString &path)
{
    const QFileInfo info(path);
    const auto canonical = info.canonicalFilePath();
    if (!canonical.isEmpty())
        return canonical;
    const auto directory = QFileInfo(info.absolutePath()).canonicalFilePath();
    return (directory.isEmpty() ? info.absolutePath() : directory) + QLatin1Char('/') + info.fileName();
}

bool sameFile(const QString &a, const QString &b)
{
    dev_t deviceA = 0, deviceB = 0;
    ino_t inodeA = 0, inodeB = 0;
    if (identity(a, &deviceA, &inodeA) && identity(b, &deviceB, &inodeB))
        return deviceA == deviceB && inodeA == inodeB;
    return resolved(a) == resolved(b);
}

} // namespace

void OutputGuard::protect(const QString &path, const QString &role, Kind kind)
{
    if (!path.isEmpty())
        m_protected.append({path, role, kind});
}

QString OutputGuard::refusal(const QString &output) const
{
    for (const auto &p : m_protected) {
        QStringList names{p.path};
        if (p.kind == Kind::Database) {
            for (const char *suffix : {"-wal", "-shm", "-journal"})
                names << p.path + QLatin1String(suffix);
        }
        for (const auto &name : std::as_const(names)) {
            if (sameFile(output, name)) {
                return QCoreApplication::translate("OutputGuard", "refusing to write %1: it is %2 (%3); name another file")
                    .arg(output, p.role, p.path);
            }
        }
    }
    return QString();
}

QString OutputGuard::clash(const QStringList &outputs)
{
    for (int i = 0; i < outputs.size(); ++i) {
        for (int j = i + 1; j < outputs.size(); ++j) {
            if (!outputs.at(i).isEmpty() && !outputs.at(j).isEmpty() && sameFile(outputs.at(i), outputs.at(j)))
                return QCoreApplication::translate("OutputGuard", "%1 and %2 are the same file; name two files")
                    .arg(outputs.at(i), outputs.at(j));
        }
    }
    return QString();
}

} // namespace ExitScope
