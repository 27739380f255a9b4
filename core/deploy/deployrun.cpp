// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/deployrun.h"

#include "deploy/deploypipeline.h"
#include "deploy/hostctlscript.h"
#include "deploy/modulebuilder.h"
#include "deploy/probereading.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

namespace ExitScope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("DeployRun", text);
}

constexpr int InspectTimeoutSeconds = 120;
constexpr int InstallTimeoutSeconds = 300;
constexpr int ProbeSeconds = 2;
constexpr int ProbeTimeoutSeconds = 120;

const QString HostLibDir = QStringLiteral("/usr/local/lib/exitscope");

QString quoted(const QString &argument)
{
    QString text = argument;
    text.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

} // namespace

DeployRun::DeployRun(DeployPipeline *pipeline, DeployOptions options)
    : m_pipeline(pipeline)
    , m_options(std::move(options))
    , m_cancel(pipeline->m_cancel)
{
    QString ignored;
    SshTarget::fromLibvirtUri(m_options.uri, &m_target, &ignored);
}

DeployRun::~DeployRun() = default;

void DeployRun::run()
{
    bool ok = false;
    switch (m_options.action) {
    case DeployOptions::Action::Deploy:
        ok = deploy();
        break;
    case DeployOptions::Action::Revert:
        ok = revert();
        break;
    case DeployOptions::Action::AwaitReturn:
        ok = awaitReturn();
        break;
    }
    if (m_stageOpen)
        endStage();
    if (m_ssh)
        m_ssh->close();
    m_pipeline->m_done.store(true);
    Q_EMIT m_pipeline->finished(ok, ok ? DeployFailure() : m_failure, m_rolledBack);
}

// ---------------------------------------------------------------------------------------------------
// Reporting

void DeployRun::beginStage(DeployStage stage)
{
    if (m_stageOpen)
        endStage();
    m_stage = stage;
    m_stageOpen = true;
    m_stageTimer.start();
    Q_EMIT m_pipeline->stageStarted(stage);
}

void DeployRun::endStage()
{
    m_stageOpen = false;
    Q_EMIT m_pipeline->stageFinished(m_stage, m_stageTimer.elapsed());
}

void DeployRun::log(DeployStage stage, const QString &line)
{
    Q_EMIT m_pipeline->stageLog(stage, line);
}

bool DeployRun::fail(DeployStage stage, DeployError code, const QString &message, const QString &advice,
                     const QString &details)
{
    // The first failure is the one to report; a rollback's own troubles are added to it.
    if (m_failure.code == DeployError::None)
        m_failure = DeployFailure{stage, code, message, advice, details};
    return false;
}

bool DeployRun::failSsh(DeployStage stage, const SshFailure &failure)
{
    DeployError code = DeployError::HostUnreachable;
    QString advice = failure.details;
    switch (failure.code) {
    case SshError::HostKeyChanged:
    case SshError::HostKeyUnknown:
    case SshError::HostKeyCheckFailed:
        code = DeployError::HostKeyRefused;
        break;
    case SshError::Cancelled:
        code = DeployError::Cancelled;
        break;
    case SshError::TransferFailed:
    case SshError::LocalFileFailed:
        code = DeployError::UploadFailed;
        break;
    default:
        break;
    }
    return fail(stage, code, failure.message, advice);
}

bool DeployRun::cancelled(DeployStage stage)
{
    if (!m_cancel.load())
        return false;
    fail(stage, DeployError::Cancelled, tr("Cancelled before %1").arg(deployStageName(stage)),
         tr("Nothing after the last finished stage was done."));
    return true;
}

bool DeployRun::sleepCancellable(int milliseconds)
{
    QDeadlineTimer until(milliseconds);
    while (!until.hasExpired()) {
        if (m_cancel.load())
            return false;
        QThread::msleep(100);
    }
    return true;
}

// ---------------------------------------------------------------------------------------------------
// SSH

bool DeployRun::connect(DeployStage stage)
{
    if (m_ssh && m_ssh->isOpen())
        return true;
    m_ssh = std::make_unique<SshSession>(m_target);
    SshFailure failure;
    if (!m_ssh->open(&failure, 15,
                     m_options.acceptNewHostKey ? SshSession::HostKeyPolicy::AcceptNew : SshSession::HostKeyPolicy::KnownOnly))
        return failSsh(stage, failure);
    log(stage, tr("connected to %1 (host key %2)").arg(m_target.display(), m_ssh->hostKeyFingerprint()));
    return true;
}

bool DeployRun::hostctl(DeployStage stage, const QStringList &arguments, int timeoutSeconds, HostResult *result)
{
    if (!connect(stage))
        return false;
    QString command = QStringLiteral("sh -s --");
    if (m_target.user != QLatin1String("root"))
        command = QStringLiteral("sudo -n ") + command;
    for (const auto &argument : arguments)
        command += QLatin1Char(' ') + quoted(argument);
    SshSession::CommandResult out;
    SshFailure failure;
    QStringList errors;
    const bool ran = m_ssh->run(
        command, hostctlScript(), timeoutSeconds, &out, &failure,
        [&](const QString &line) {
            errors << line;
            log(stage, line);
        },
        &m_cancel);
    if (!ran)
        return failSsh(stage, failure);
    result->status = out.exitStatus;
    result->output = out.standardOutput;
    result->errors = errors.join(QLatin1Char('\n'));
    return true;
}

bool DeployRun::shell(DeployStage stage, const QString &command, int timeoutSeconds, QByteArray *output)
{
    if (!connect(stage))
        return false;
    SshSession::CommandResult out;
    SshFailure failure;
    if (!m_ssh->run(command, QByteArray(), timeoutSeconds, &out, &failure, {}, &m_cancel))
        return failSsh(stage, failure);
    *output = out.standardOutput;
    if (out.exitStatus != 0) {
        return fail(stage, DeployError::InstallFailed, tr("'%1' failed on %2 (status %3)").arg(command, m_target.display()).arg(out.exitStatus),
                    QString(), QString::fromUtf8(out.standardError).trimmed());
    }
    return true;
}

// ---------------------------------------------------------------------------------------------------
// The three actions

bool DeployRun::deploy()
{
    if (!inspect(&m_host))
        return false;
    QString why;
    if (!m_host.isSupported(&why))
        return fail(DeployStage::Inspect, DeployError::HostUnsupported, tr("%1 runs a kernel the series does not serve").arg(m_target.display()), why);
    if (reloadIsRefused())
        return false;
    if (m_options.dryRun) {
        beginStage(DeployStage::Build);
        if (m_options.modulesDir.isEmpty()) {
            ModuleBuilder::Request request{m_options.kernelPatchDir, m_host.release, m_host.kernelVersion, m_options.cacheRoot};
            const auto directory = ModuleBuilder::cacheDirectory(request, &why);
            if (directory.isEmpty())
                return fail(DeployStage::Build, DeployError::BuildFailed, tr("Cannot build the modules"), why);
            log(DeployStage::Build, ModuleBuilder::isCached(directory) ? tr("would use the cached build %1").arg(directory)
                                                                         : tr("would build the modules for %1 into %2").arg(m_host.release, directory));
        } else {
            log(DeployStage::Build, tr("would use the modules in %1").arg(m_options.modulesDir));
        }
        log(DeployStage::Build, tr("would upload kvm.ko, %1 and exitscope-probe to /var/lib/exitscope-deploy/staging").arg(m_host.vendorModuleFile()));
        log(DeployStage::Build, tr("would install them under /lib/modules/%1/updates/exitscope and %2, with the leaves %3")
                                    .arg(m_host.release, HostLibDir, m_options.leavesOn ? tr("on") : tr("off")));
        log(DeployStage::Build, tr("would activate by %1 and verify; nothing was changed").arg(activationName(m_options.activation)));
        return true;
    }

    QString modulesDir;
    if (!build(&modulesDir) || cancelled(DeployStage::Upload))
        return false;
    m_modulesDir = modulesDir;
    if (!upload(modulesDir) || cancelled(DeployStage::Install))
        return false;
    if (!install())
        return false;
    // From here on the host holds new files: a failure or a cancel puts back what was there.
    if (cancelled(DeployStage::Activate) || !activate(DeployStage::Activate, false)) {
        if (m_failure.code == DeployError::HostDidNotReturn)
            return false; // nothing can be done to a host we cannot reach; the message says what to do
        rollBack();
        return false;
    }
    if (m_options.activation == Activation::None) {
        log(DeployStage::Activate, tr("installed; the host runs it from its next reboot (or reload)"));
        return true;
    }
    if (!verifyDeployed()) {
        rollBack();
        return false;
    }
    return true;
}

bool DeployRun::revert()
{
    if (!inspect(&m_host))
        return false;
    if (reloadIsRefused())
        return false;
    if (m_options.dryRun) {
        beginStage(DeployStage::Revert);
        log(DeployStage::Revert, m_host.installed ? tr("would remove ExitScope's modules from /lib/modules/%1/updates/exitscope and %2").arg(m_host.release, HostLibDir)
                                                  : tr("ExitScope's modules are not installed; would only reload"));
        log(DeployStage::Revert, tr("would activate by %1 and verify; nothing was changed").arg(activationName(m_options.activation)));
        return true;
    }
    beginStage(DeployStage::Revert);
    HostResult result;
    if (!hostctl(DeployStage::Revert, {QStringLiteral("revert")}, InstallTimeoutSeconds, &result))
        return false;
    if (result.status != 0)
        return fail(DeployStage::Revert, DeployError::RevertFailed, tr("Removing ExitScope's files from %1 failed").arg(m_target.display()),
                    tr("See the host's messages; docs/deploy.md says how to undo it by hand."), result.errors);
    if (cancelled(DeployStage::Activate) || !activate(DeployStage::Activate, false))
        return false;
    if (m_options.activation == Activation::None)
        return true;
    return verifyRestored(DeployStage::Verify);
}

bool DeployRun::awaitReturn()
{
    beginStage(DeployStage::Activate);
    if (!waitForHost(DeployStage::Activate, QString()))
        return false;
    HostInspection host;
    if (!inspect(&host))
        return false;
    m_host = host;
    if (!host.installed)
        return verifyRestored(DeployStage::Verify);
    if (!verifyDeployed()) {
        rollBack();
        return false;
    }
    return true;
}

// A reload pulls KVM from under whatever uses it: refused at inspect, before anything changes, while
// guests run (unless they may be shut down) or another program holds /dev/kvm. For deploy and revert.
bool DeployRun::reloadIsRefused()
{
    if (m_options.activation == Activation::Reload && !m_options.stopGuests && !m_host.runningGuests.isEmpty()) {
        return !fail(DeployStage::Inspect, DeployError::GuestsRunning,
                     tr("Guests are running on %1: %2").arg(m_target.display(), m_host.runningGuests.join(QStringLiteral(", "))),
                    tr("A module reload would pull KVM from under them. Shut them down, ask to have them shut "
                       "down (--stop-guests), or activate by reboot. Nothing was changed."));
    }
    // With guests running, their QEMUs are the users; the host script checks again once they are down.
    if (m_options.activation == Activation::Reload && m_host.runningGuests.isEmpty() && !m_host.kvmUsers.isEmpty()) {
        return !fail(DeployStage::Inspect, DeployError::GuestsRunning, tr("/dev/kvm is in use on %1: %2").arg(m_target.display(), m_host.kvmUsers),
                    tr("End those programs, or activate by reboot. Nothing was changed."));
    }
    return false;
}

// ---------------------------------------------------------------------------------------------------
// Stages

bool DeployRun::inspect(HostInspection *host)
{
    beginStage(DeployStage::Inspect);
    HostResult result;
    if (!hostctl(DeployStage::Inspect, {QStringLiteral("inspect")}, InspectTimeoutSeconds, &result))
        return false;
    if (result.status != 0)
        return fail(DeployStage::Inspect, DeployError::HostUnreachable, tr("Inspecting %1 failed").arg(m_target.display()),
                    tr("ExitScope's host script needs a POSIX shell and root (or sudo without a password)."), result.errors);
    *host = HostInspection::parse(result.output);
    log(DeployStage::Inspect, tr("%1, kernel %2 (Debian %3), %4 (%5), KVM: %6")
                                  .arg(host->os, host->release, host->kernelVersion.isEmpty() ? tr("unknown") : host->kernelVersion,
                                       host->cpuVendor, host->virtualization, host->kvmState()));
    if (!host->runningGuests.isEmpty())
        log(DeployStage::Inspect, tr("running guests: %1").arg(host->runningGuests.join(QStringLiteral(", "))));
    Q_EMIT m_pipeline->hostInspected(*host);
    return true;
}

bool DeployRun::build(QString *modulesDir)
{
    beginStage(DeployStage::Build);
    const auto vendorFile = m_host.vendorModuleFile();
    if (!m_options.modulesDir.isEmpty()) {
        *modulesDir = QFileInfo(m_options.modulesDir).absoluteFilePath();
        log(DeployStage::Build, tr("using the modules in %1").arg(*modulesDir));
    } else {
        ModuleBuilder::Request request{m_options.kernelPatchDir, m_host.release, m_host.kernelVersion, m_options.cacheRoot};
        bool fromCache = false;
        DeployFailure failure;
        if (!ModuleBuilder::build(request, modulesDir, &fromCache, &failure,
                                  [this](const QString &line) { log(DeployStage::Build, line); }, &m_cancel)) {
            m_failure = failure;
            return false;
        }
        log(DeployStage::Build, fromCache ? tr("cached build %1").arg(*modulesDir) : tr("built into %1").arg(*modulesDir));
    }
    QString why;
    if (!ModuleBuilder::checkModules(*modulesDir, m_host.release, vendorFile, &why))
        return fail(DeployStage::Build, DeployError::ModulesMismatch, tr("The modules do not fit %1").arg(m_target.display()),
                    tr("Build them for the host's kernel %1. Nothing on the host was touched.").arg(m_host.release), why);
    return true;
}

bool DeployRun::upload(const QString &modulesDir)
{
    beginStage(DeployStage::Upload);
    HostResult result;
    if (!hostctl(DeployStage::Upload, {QStringLiteral("stage")}, InspectTimeoutSeconds, &result))
        return false;
    if (result.status != 0)
        return fail(DeployStage::Upload, DeployError::UploadFailed, tr("Cannot make a staging directory on %1").arg(m_target.display()),
                    QString(), result.errors);
    const QString staging = QStringLiteral("/var/lib/exitscope-deploy/staging/");

    QTemporaryDir local;
    if (!local.isValid())
        return fail(DeployStage::Upload, DeployError::UploadFailed, tr("Cannot make a temporary directory"), local.errorString());
    QFile script(local.filePath(QStringLiteral("exitscope-hostctl")));
    if (!script.open(QIODevice::WriteOnly) || script.write(hostctlScript()) < 0)
        return fail(DeployStage::Upload, DeployError::UploadFailed, tr("Cannot write %1").arg(script.fileName()), script.errorString());
    script.close();

    struct Upload
    {
        QString local;
        QString name;
        int mode;
    };
    // The modules without their debug information, as Debian ships its own: a tenth of the size to send
    // (their build ID and vermagic do not change).
    QStringList modules;
    for (const auto &name : {QStringLiteral("kvm.ko"), m_host.vendorModuleFile()}) {
        const auto built = QDir(modulesDir).filePath(name);
        const auto stripped = local.filePath(name);
        QProcess strip;
        strip.start(QStringLiteral("strip"), {QStringLiteral("--strip-debug"), QStringLiteral("-o"), stripped, built});
        if (strip.waitForFinished(120000) && strip.exitStatus() == QProcess::NormalExit && strip.exitCode() == 0) {
            modules << stripped;
        } else {
            log(DeployStage::Upload, tr("cannot strip %1 (%2); sending it whole").arg(name, QString::fromLocal8Bit(strip.readAllStandardError()).trimmed()));
            modules << built;
        }
    }
    m_kvmBuildId = ModuleBuilder::buildId(modules.at(0));
    m_vendorBuildId = ModuleBuilder::buildId(modules.at(1));
    if (m_kvmBuildId.isEmpty() || m_vendorBuildId.isEmpty())
        return fail(DeployStage::Upload, DeployError::BuildFailed, tr("The modules carry no GNU build ID"),
                    tr("Without it the host cannot show that it runs this build. Build them with kernel-patch/build-modules "
                       "(Kbuild links modules with --build-id); objcopy from binutils reads it."));
    QList<Upload> files{{modules.at(0), QStringLiteral("kvm.ko"), 0644},
                        {modules.at(1), m_host.vendorModuleFile(), 0644},
                        {m_options.probeBinary, QStringLiteral("exitscope-probe"), 0755},
                        {script.fileName(), QStringLiteral("exitscope-hostctl"), 0755}};
    if (!m_options.agentBinary.isEmpty())
        files.append({m_options.agentBinary, QStringLiteral("exitscope-agent"), 0755});

    QByteArray sums;
    for (const auto &file : std::as_const(files)) {
        QFile in(file.local);
        if (!in.open(QIODevice::ReadOnly))
            return fail(DeployStage::Upload, DeployError::UploadFailed, tr("Cannot read %1").arg(file.local), in.errorString());
        QCryptographicHash hash(QCryptographicHash::Sha256);
        hash.addData(&in);
        sums += hash.result().toHex() + "  " + file.name.toUtf8() + '\n';
    }
    QFile sumsFile(local.filePath(QStringLiteral("SHA256SUMS")));
    if (!sumsFile.open(QIODevice::WriteOnly) || sumsFile.write(sums) < 0)
        return fail(DeployStage::Upload, DeployError::UploadFailed, tr("Cannot write %1").arg(sumsFile.fileName()), sumsFile.errorString());
    sumsFile.close();
    files.append({sumsFile.fileName(), QStringLiteral("SHA256SUMS"), 0644});

    qint64 total = 0;
    for (const auto &file : std::as_const(files)) {
        SshFailure failure;
        if (!m_ssh->upload(file.local, staging + file.name, file.mode, &failure, &m_cancel))
            return failSsh(DeployStage::Upload, failure);
        total += QFileInfo(file.local).size();
        log(DeployStage::Upload, tr("%1 (%2 KiB)").arg(file.name).arg(QFileInfo(file.local).size() / 1024));
    }
    log(DeployStage::Upload, tr("%1 files, %2 KiB, to %3").arg(files.size()).arg(total / 1024).arg(staging));
    return true;
}

bool DeployRun::install()
{
    beginStage(DeployStage::Install);
    HostResult result;
    // The build's cache name (release and the key of the series), or the directory the user gave.
    const auto series = QFileInfo(m_modulesDir).fileName();
    if (!hostctl(DeployStage::Install,
                 {QStringLiteral("install"), m_host.vendorModuleFile(), m_options.leavesOn ? QStringLiteral("1") : QStringLiteral("0"), series,
                  m_kvmBuildId, m_vendorBuildId},
                 InstallTimeoutSeconds, &result))
        return false;
    if (result.status == 2)
        return fail(DeployStage::Install, DeployError::ModulesMismatch, tr("%1 refused the modules").arg(m_target.display()),
                    tr("Nothing was installed."), result.errors);
    if (result.status != 0) {
        fail(DeployStage::Install, DeployError::InstallFailed, tr("Installing on %1 failed").arg(m_target.display()),
             tr("What was installed is being removed again."), result.errors);
        rollBack();
        return false;
    }
    log(DeployStage::Install, tr("kvm.ko build %1, %2 build %3").arg(m_kvmBuildId, m_host.vendorModuleFile(), m_vendorBuildId));
    return true;
}

bool DeployRun::activate(DeployStage stage, bool afterFailure)
{
    beginStage(stage);
    switch (m_options.activation) {
    case Activation::None:
        return true;
    case Activation::Reload:
        return reload(stage, m_options.stopGuests || afterFailure);
    case Activation::Reboot:
        return reboot(stage);
    }
    return false;
}

bool DeployRun::reload(DeployStage stage, bool stopGuests)
{
    QStringList arguments{QStringLiteral("reload")};
    if (stopGuests)
        arguments << QStringLiteral("--stop-guests") << QString::number(m_options.guestStopSeconds);
    HostResult result;
    if (!hostctl(stage, arguments, m_options.guestStopSeconds + InstallTimeoutSeconds, &result))
        return false;
    if (result.status == 2)
        return fail(stage, DeployError::GuestsRunning, tr("%1 refused to reload KVM").arg(m_target.display()),
                    tr("Shut the guests down, or activate by reboot."), result.errors);
    if (result.status != 0)
        return fail(stage, DeployError::ActivationFailed, tr("The modules did not load on %1").arg(m_target.display()),
                    tr("The host is being returned to what it ran before."), result.errors);
    const auto loaded = HostInspection::parse(result.output);
    log(stage, tr("loaded: kvm build %1, %2 build %3").arg(loaded.kvmBuildId, m_host.vendorModule, loaded.vendorBuildId));
    return true;
}

bool DeployRun::reboot(DeployStage stage)
{
    QByteArray bootId;
    if (!shell(stage, QStringLiteral("cat /proc/sys/kernel/random/boot_id"), InspectTimeoutSeconds, &bootId))
        return false;
    log(stage, tr("rebooting %1").arg(m_target.display()));
    QByteArray ignored;
    // In the background, so that this command returns before sshd goes away.
    const QString command = m_target.user == QLatin1String("root")
        ? QStringLiteral("nohup sh -c 'sleep 1; systemctl reboot || reboot' >/dev/null 2>&1 &")
        : QStringLiteral("nohup sudo -n sh -c 'sleep 1; systemctl reboot || reboot' >/dev/null 2>&1 &");
    if (!shell(stage, command, InspectTimeoutSeconds, &ignored))
        return false;
    m_ssh->close();
    return waitForHost(stage, QString::fromLatin1(bootId).trimmed());
}

bool DeployRun::waitForHost(DeployStage stage, const QString &oldBootId)
{
    const int limit = m_options.rebootTimeoutSeconds;
    QElapsedTimer waited;
    waited.start();
    int lastReport = -1;
    const auto seconds = [&] { return int(waited.elapsed() / 1000); };
    const auto report = [&](const QString &what) {
        if (seconds() / 15 != lastReport) {
            lastReport = seconds() / 15;
            log(stage, tr("waiting for %1: %2 s of %3 s").arg(what).arg(seconds()).arg(limit));
        }
        Q_EMIT m_pipeline->waitingForHost(seconds(), limit);
    };
    const auto timedOut = [&](const QString &what) {
        return fail(stage, DeployError::HostDidNotReturn,
                    tr("%1 did not come back within %2 s (%3)").arg(m_target.display()).arg(limit).arg(what),
                    tr("It may still be booting: wait again (exitscope-cli deploy --await), or look at its console. "
                       "If the new modules keep it from booting, boot it and revert (exitscope-cli deploy --revert)."));
    };
    // Back when SSH answers with a new boot id, and libvirt answers too.
    bool back = false;
    while (!back) {
        if (cancelled(stage))
            return false;
        if (seconds() >= limit)
            return timedOut(tr("no SSH login"));
        report(tr("the host to come back"));
        m_ssh = std::make_unique<SshSession>(m_target);
        SshFailure failure;
        if (!m_ssh->open(&failure, 10)) {
            if (failure.code == SshError::HostKeyChanged || failure.code == SshError::HostKeyUnknown
                || failure.code == SshError::HostKeyCheckFailed || failure.code == SshError::LoginRefused
                || failure.code == SshError::KeyUnreadable)
                return failSsh(stage, failure);
            if (!sleepCancellable(2000))
                return !cancelled(stage);
            continue;
        }
        SshSession::CommandResult out;
        if (!m_ssh->run(QStringLiteral("cat /proc/sys/kernel/random/boot_id"), QByteArray(), 30, &out, &failure, {}, &m_cancel)
            || out.exitStatus != 0) {
            m_ssh->close();
            if (!sleepCancellable(2000))
                return !cancelled(stage);
            continue;
        }
        const auto bootId = QString::fromLatin1(out.standardOutput).trimmed();
        if (!oldBootId.isEmpty() && bootId == oldBootId) {
            m_ssh->close(); // not gone down yet
            if (!sleepCancellable(2000))
                return !cancelled(stage);
            continue;
        }
        back = true;
    }
    log(stage, tr("SSH is back after %1 s").arg(seconds()));
    while (true) {
        if (cancelled(stage))
            return false;
        if (seconds() >= limit)
            return timedOut(tr("libvirt does not answer"));
        report(tr("libvirt"));
        SshSession::CommandResult out;
        SshFailure failure;
        if (!m_ssh->run(QStringLiteral("command -v virsh >/dev/null || exit 0; virsh -q -c qemu:///system version >/dev/null"),
                        QByteArray(), 60, &out, &failure, {}, &m_cancel))
            return failSsh(stage, failure);
        if (out.exitStatus == 0)
            break;
        if (!sleepCancellable(2000))
            return !cancelled(stage);
    }
    log(stage, tr("the host is back after %1 s").arg(seconds()));
    reportLostGuests(stage);
    return true;
}

// libvirt loads its domain definitions once, at start-up, and leaves out any it cannot load then
// (for one, a KVM domain when /dev/kvm appeared only after libvirtd started). The deployment did
// what it was asked, so this does not fail it, but the user has to know before looking for a guest.
void DeployRun::reportLostGuests(DeployStage stage)
{
    if (m_host.definedGuests.isEmpty())
        return; // nothing known from before the reboot (deploy --await)
    SshSession::CommandResult out;
    SshFailure failure;
    if (!m_ssh->run(QStringLiteral("virsh -q -c qemu:///system list --all --name"), QByteArray(), 60, &out, &failure, {}, &m_cancel)
        || out.exitStatus != 0)
        return;
    QStringList now;
    for (const auto &line : QString::fromUtf8(out.standardOutput).split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        now.append(line.trimmed());
    QStringList lost;
    for (const auto &guest : m_host.definedGuests) {
        if (!now.contains(guest))
            lost.append(guest);
    }
    if (lost.isEmpty())
        return;
    log(stage, tr("warning: libvirt on %1 no longer lists %2, which it listed before the reboot: it could not load their "
                  "definitions at start-up (journalctl -b -u libvirtd says why); once the cause is gone, "
                  "systemctl restart libvirtd loads them again")
                   .arg(m_target.display(), lost.join(QStringLiteral(", "))));
}

bool DeployRun::verifyDeployed()
{
    beginStage(DeployStage::Verify);
    HostResult result;
    if (!hostctl(DeployStage::Verify, {QStringLiteral("inspect")}, InspectTimeoutSeconds, &result))
        return false;
    const auto host = HostInspection::parse(result.output);
    Q_EMIT m_pipeline->hostInspected(host);
    const auto mismatch = [&](const QString &what) {
        return fail(DeployStage::Verify, DeployError::VerifyFailed, tr("%1 does not run what was installed: %2").arg(m_target.display(), what),
                    tr("The host is being returned to what it ran before."));
    };
    if (!host.installed)
        return mismatch(tr("ExitScope's modules are not installed"));
    if (host.installedKvmBuildId.isEmpty() || host.kvmBuildId != host.installedKvmBuildId)
        return mismatch(tr("the loaded kvm is build '%1', the installed one '%2'").arg(host.kvmBuildId, host.installedKvmBuildId));
    if (host.installedVendorBuildId.isEmpty() || host.vendorBuildId != host.installedVendorBuildId)
        return mismatch(tr("the loaded %1 is build '%2', the installed one '%3'").arg(host.vendorModule, host.vendorBuildId, host.installedVendorBuildId));
    if (!host.devKvm)
        return mismatch(tr("/dev/kvm is missing"));
    const QString wantLeaves = m_options.leavesOn ? QStringLiteral("Y") : QStringLiteral("N");
    if (host.leavesParameter != wantLeaves)
        return mismatch(tr("the leaves' switch is %1, not %2").arg(host.leavesParameter, wantLeaves));
    log(DeployStage::Verify, tr("loaded modules are the installed build (kvm %1, %2 %3; taint %4)")
                                 .arg(host.kvmBuildId, host.vendorModule, host.vendorBuildId, host.kvmTaint));

    QByteArray stream;
    SshSession::CommandResult out;
    SshFailure failure;
    const auto probe = QStringLiteral("%1/exitscope-probe --rate 20 --duration %2").arg(HostLibDir).arg(ProbeSeconds);
    if (!m_ssh->run(m_target.user == QLatin1String("root") ? probe : QStringLiteral("sudo -n ") + probe, QByteArray(),
                    ProbeTimeoutSeconds, &out, &failure, {}, &m_cancel))
        return failSsh(DeployStage::Verify, failure);
    const auto reading = ProbeReading::fromStream(out.standardOutput);
    if (m_options.leavesOn) {
        if (!reading.leavesAnswer()) {
            return fail(DeployStage::Verify, DeployError::VerifyFailed, tr("The probe on %1 did not read the leaves").arg(m_target.display()),
                        tr("The host is being returned to what it ran before."),
                        reading.errorText.isEmpty() ? QString::fromUtf8(out.standardError).trimmed() : reading.errorText);
        }
        log(DeployStage::Verify, tr("the probe read the leaves: ABI %1, %2, %3 samples, exit counter %4")
                                     .arg(reading.abiVersion)
                                     .arg(reading.cpuVendor)
                                     .arg(reading.samples)
                                     .arg(reading.lastExits));
    } else {
        if (reading.samples > 0)
            return fail(DeployStage::Verify, DeployError::VerifyFailed, tr("The leaves answer on %1 although they were switched off").arg(m_target.display()),
                        tr("The host is being returned to what it ran before."));
        log(DeployStage::Verify, tr("the leaves are off, as asked: the probe reads no samples"));
    }
    m_host = host;
    return true;
}

bool DeployRun::verifyRestored(DeployStage stage)
{
    beginStage(stage);
    HostResult result;
    if (!hostctl(stage, {QStringLiteral("inspect")}, InspectTimeoutSeconds, &result))
        return false;
    const auto host = HostInspection::parse(result.output);
    Q_EMIT m_pipeline->hostInspected(host);
    if (!host.kvmLoaded || !host.devKvm) {
        return fail(stage, DeployError::RevertFailed, tr("%1 has no KVM loaded after the revert").arg(m_target.display()),
                    tr("Load it (modprobe %1) or reboot the host, and look at its kernel log.").arg(host.vendorModule));
    }
    if (host.installed) {
        // An earlier ExitScope build was put back: it must be what runs.
        if (host.kvmBuildId.isEmpty() || host.kvmBuildId != host.installedKvmBuildId) {
            return fail(stage, DeployError::RevertFailed, tr("%1 does not run its previous KVM after the revert").arg(m_target.display()),
                        tr("The loaded kvm is build '%1', the one put back '%2'. Reboot the host: it then loads what is installed.")
                            .arg(host.kvmBuildId, host.installedKvmBuildId));
        }
        log(stage, tr("the previous ExitScope build runs again (kvm build %1)").arg(host.kvmBuildId));
    } else {
        // Debian's own modules: no ExitScope switch, and not built out of tree (taint O).
        if (host.runsExitScope() || host.kvmTaint.contains(QLatin1Char('O'))) {
            return fail(stage, DeployError::RevertFailed, tr("%1 still runs an out-of-tree KVM after the revert").arg(m_target.display()),
                        tr("kvm's taint is '%1' and its leaves' switch '%2'. Reboot the host: it then loads the stock modules.")
                            .arg(host.kvmTaint, host.leavesParameter));
        }
        log(stage, tr("the stock modules run (kvm in-tree, no leaves' switch)"));
    }
    m_host = host;
    return true;
}

bool DeployRun::rollBack()
{
    const auto failure = m_failure;
    // A cancelled deployment is still rolled back: the cancel means "stop", not "leave it half done".
    m_cancel.store(false);
    beginStage(DeployStage::Revert);
    log(DeployStage::Revert, tr("returning %1 to what it ran before").arg(m_target.display()));
    HostResult result;
    bool ok = hostctl(DeployStage::Revert, {QStringLiteral("revert")}, InstallTimeoutSeconds, &result) && result.status == 0;
    if (ok && m_options.activation != Activation::None) {
        // A reload puts the previous modules back without another reboot; guests that came up with the
        // failed build are shut down for it.
        ok = reload(DeployStage::Revert, true) && verifyRestored(DeployStage::Revert);
    }
    m_failure = failure;
    if (!ok) {
        m_failure.advice += QLatin1Char(' ')
            + tr("The rollback failed too: reboot the host, or undo the install by hand (docs/deploy.md).");
        m_failure.details += QLatin1Char('\n') + result.errors;
        return false;
    }
    m_rolledBack = true;
    m_failure.advice = tr("The host was returned to what it ran before, and that was verified.");
    return true;
}

} // namespace ExitScope
