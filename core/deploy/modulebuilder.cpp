// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/modulebuilder.h"

#include "deploy/datalocation.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryFile>
#include <QThread>

#include <algorithm>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace ExitScope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ModuleBuilder", text);
}

QByteArray sha256Hex(const QString &path, bool *ok)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *ok = false;
        return QByteArray();
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    *ok = true;
    return hash.result().toHex();
}

// Holds an exclusive flock on a file for its lifetime.
class FileLock
{
public:
    explicit FileLock(const QString &path)
        : m_fd(::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644))
    {
    }
    ~FileLock()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool tryLock() { return m_fd >= 0 && ::flock(m_fd, LOCK_EX | LOCK_NB) == 0; }
    bool isValid() const { return m_fd >= 0; }

private:
    int m_fd;
};

} // namespace

QString ModuleBuilder::defaultCacheRoot()
{
    const auto fromEnvironment = qEnvironmentVariable("EXITSCOPE_CACHE");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return QDir::homePath() + QStringLiteral("/.cache/exitscope");
}

QString ModuleBuilder::defaultKernelPatchDir()
{
    const auto fromEnvironment = qEnvironmentVariable("EXITSCOPE_KERNEL_PATCH_DIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return DataLocation::sourceFile(QStringLiteral("kernel-patch"));
}

QString ModuleBuilder::cacheDirectory(const Request &request, QString *error)
{
    // The same key as the lab's (lab/labctl, hash_inputs): "value K=V" lines, then "file PATH SHA256"
    // for every file of kernel-patch/ in byte order of its path, hashed; the first 16 hex digits.
    const QDir patchDir(request.kernelPatchDir);
    if (request.kernelPatchDir.isEmpty() || !QFileInfo(patchDir.filePath(QStringLiteral("build-modules"))).isExecutable()) {
        *error = tr("kernel-patch/build-modules was not found in '%1'; set EXITSCOPE_KERNEL_PATCH_DIR to the "
                    "kernel-patch directory of ExitScope's sources, or give built modules with --modules")
                     .arg(request.kernelPatchDir);
        return QString();
    }
    QStringList files;
    QDirIterator it(request.kernelPatchDir, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const auto path = it.next();
        const auto relative = patchDir.relativeFilePath(path);
        if (relative.startsWith(QLatin1Char('.')) || relative.contains(QLatin1String("/.")))
            continue;
        files << relative;
    }
    std::sort(files.begin(), files.end(), [](const QString &a, const QString &b) { return a.toUtf8() < b.toUtf8(); });
    QByteArray text = "value format=modules-1\nvalue release=" + request.release.toUtf8() + "\nvalue kernel="
        + request.kernelVersion.toUtf8() + '\n';
    for (const auto &relative : std::as_const(files)) {
        bool ok = false;
        const auto sum = sha256Hex(patchDir.filePath(relative), &ok);
        if (!ok) {
            *error = tr("Cannot read %1").arg(patchDir.filePath(relative));
            return QString();
        }
        text += "file kernel-patch/" + relative.toUtf8() + ' ' + sum + '\n';
    }
    const auto key = QCryptographicHash::hash(text, QCryptographicHash::Sha256).toHex().left(16);
    return request.cacheRoot + QStringLiteral("/modules/") + request.release + QLatin1Char('-') + QString::fromLatin1(key);
}

bool ModuleBuilder::isCached(const QString &directory)
{
    return QFileInfo::exists(directory + QStringLiteral("/complete"));
}

bool ModuleBuilder::build(const Request &request, QString *directory, bool *fromCache, DeployFailure *failure,
                          const LineHandler &onLine, const std::atomic_bool *cancel)
{
    const auto buildFailure = [&](const QString &message, const QString &advice, const QString &details = QString()) {
        *failure = DeployFailure{DeployStage::Build, DeployError::BuildFailed, message, advice, details};
        return false;
    };
    QString error;
    const auto out = cacheDirectory(request, &error);
    if (out.isEmpty())
        return buildFailure(tr("Cannot build the modules"), error);
    *directory = out;
    *fromCache = isCached(out);
    if (*fromCache)
        return true;

    QDir().mkpath(request.cacheRoot + QStringLiteral("/modules"));
    FileLock lock(out + QStringLiteral(".lock"));
    if (!lock.isValid())
        return buildFailure(tr("Cannot write to the module cache %1").arg(request.cacheRoot), tr("Check its permissions, or set EXITSCOPE_CACHE."));
    bool said = false;
    while (!lock.tryLock()) {
        if (cancel && *cancel) {
            *failure = DeployFailure{DeployStage::Build, DeployError::Cancelled, tr("Cancelled"), QString(), QString()};
            return false;
        }
        if (!said && onLine)
            onLine(tr("another build of the same modules runs; waiting for it"));
        said = true;
        QThread::msleep(500);
    }
    if (isCached(out)) {
        *fromCache = true;
        return true;
    }

    const QString temporary = out + QStringLiteral(".tmp");
    QDir(temporary).removeRecursively();
    QDir().mkpath(temporary);
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QDir(request.kernelPatchDir).filePath(QStringLiteral("build-modules")),
                  {QStringLiteral("--release"), request.release, QStringLiteral("--version"), request.kernelVersion, temporary});
    if (!process.waitForStarted(30000))
        return buildFailure(tr("Cannot start kernel-patch/build-modules"), process.errorString());
    QByteArray pending;
    QStringList tail;
    while (process.state() != QProcess::NotRunning) {
        if (cancel && *cancel) {
            process.terminate();
            if (!process.waitForFinished(10000))
                process.kill();
            process.waitForFinished(5000);
            QDir(temporary).removeRecursively();
            *failure = DeployFailure{DeployStage::Build, DeployError::Cancelled, tr("Cancelled"), QString(), QString()};
            return false;
        }
        process.waitForReadyRead(200);
        pending += process.readAll();
        qsizetype newline;
        while ((newline = pending.indexOf('\n')) >= 0) {
            const auto line = QString::fromUtf8(pending.left(newline));
            pending.remove(0, newline + 1);
            tail << line;
            if (tail.size() > 40)
                tail.removeFirst();
            if (onLine)
                onLine(line);
        }
    }
    pending += process.readAll();
    if (!pending.isEmpty()) {
        tail << QString::fromUtf8(pending).trimmed();
        if (onLine)
            onLine(QString::fromUtf8(pending).trimmed());
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        QDir(temporary).removeRecursively();
        return buildFailure(tr("The patched modules for %1 did not build").arg(request.release),
                            tr("Nothing on the host was touched. The builder's last lines say why: a series that "
                               "does not apply to this kernel's source, a missing build dependency, or a source "
                               "package of another version."),
                            tail.join(QLatin1Char('\n')));
    }
    QFile complete(temporary + QStringLiteral("/complete"));
    if (!complete.open(QIODevice::WriteOnly)
        || complete.write(QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toUtf8() + '\n') < 0) {
        return buildFailure(tr("Cannot write to the module cache %1").arg(out), complete.errorString());
    }
    complete.close();
    QDir(out).removeRecursively();
    if (!QDir().rename(temporary, out))
        return buildFailure(tr("Cannot move the built modules to %1").arg(out), tr("Check the cache's permissions."));
    return true;
}

QString ModuleBuilder::buildId(const QString &modulePath)
{
    QTemporaryFile note;
    if (!note.open())
        return QString();
    QProcess objcopy;
    objcopy.start(QStringLiteral("objcopy"), {QStringLiteral("-O"), QStringLiteral("binary"),
                                              QStringLiteral("--only-section=.note.gnu.build-id"), modulePath, note.fileName()});
    if (!objcopy.waitForFinished(60000) || objcopy.exitStatus() != QProcess::NormalExit || objcopy.exitCode() != 0)
        return QString();
    const auto bytes = note.readAll();
    // namesz, descsz, type (4 bytes each), then "GNU\0", then the ID: what the host's sysfs shows too.
    if (bytes.size() <= 16 || !bytes.mid(12, 4).startsWith("GNU"))
        return QString();
    return QString::fromLatin1(bytes.mid(16).toHex());
}

bool ModuleBuilder::checkModules(const QString &directory, const QString &release, const QString &vendorFile, QString *why)
{
    for (const auto &name : {QStringLiteral("kvm.ko"), vendorFile}) {
        const auto path = QDir(directory).filePath(name);
        if (!QFileInfo::exists(path)) {
            *why = tr("%1 has no %2").arg(directory, name);
            return false;
        }
        QProcess modinfo;
        modinfo.start(QStringLiteral("modinfo"), {QStringLiteral("-F"), QStringLiteral("vermagic"), path});
        if (!modinfo.waitForFinished(30000) || modinfo.exitCode() != 0) {
            *why = tr("modinfo cannot read %1 (is kmod installed?): %2")
                       .arg(path, QString::fromLocal8Bit(modinfo.readAllStandardError()).trimmed());
            return false;
        }
        const auto vermagic = QString::fromUtf8(modinfo.readAllStandardOutput()).trimmed();
        const auto builtFor = vermagic.section(QLatin1Char(' '), 0, 0);
        if (builtFor != release) {
            *why = tr("%1 is built for kernel %2, but the host runs %3").arg(name, builtFor, release);
            return false;
        }
    }
    return true;
}

} // namespace ExitScope
