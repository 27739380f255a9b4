// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/hostinspection.h"

#include <QCoreApplication>
#include <QHash>

namespace ExitScope {

HostInspection HostInspection::parse(const QByteArray &keyValueLines)
{
    QHash<QString, QString> values;
    for (const auto &line : keyValueLines.split('\n')) {
        const auto equals = line.indexOf('=');
        if (equals > 0)
            values.insert(QString::fromUtf8(line.left(equals)), QString::fromUtf8(line.mid(equals + 1)).trimmed());
    }
    const auto yes = [&](const char *key) { return values.value(QLatin1String(key)) == QLatin1String("yes"); };
    const auto text = [&](const char *key) { return values.value(QLatin1String(key)); };
    HostInspection h;
    h.release = text("release");
    h.kernelVersion = text("kernel_version");
    h.os = text("os");
    h.arch = text("arch");
    h.cpuVendor = text("cpu_vendor");
    h.cpuModel = text("cpu_model");
    h.virtualization = text("virt");
    h.vendorModule = text("vendor_module");
    h.nested = text("nested");
    h.kvmLoaded = yes("kvm_loaded");
    h.devKvm = yes("dev_kvm");
    h.kvmBuildId = text("kvm_build_id");
    h.vendorBuildId = text("vendor_build_id");
    h.kvmTaint = text("kvm_taint");
    h.leavesParameter = text("leaves_param");
    h.installed = yes("installed");
    h.installedKvmBuildId = text("installed_kvm_build_id");
    h.installedVendorBuildId = text("installed_vendor_build_id");
    h.installedSeries = text("installed_series");
    h.probePath = text("probe");
    h.hasLibvirt = yes("libvirt");
    h.runningGuests = text("guests_running").split(QLatin1Char(','), Qt::SkipEmptyParts);
    h.definedGuests = text("guests_defined").split(QLatin1Char(','), Qt::SkipEmptyParts);
    h.kvmUsers = text("kvm_users");
    h.hasGrub = yes("grub");
    h.hasHeaders = yes("headers");
    return h;
}

QString HostInspection::vendorModuleFile() const
{
    return QString(vendorModule).replace(QLatin1Char('_'), QLatin1Char('-')) + QStringLiteral(".ko");
}

QString HostInspection::kvmState() const
{
    if (!kvmLoaded)
        return QCoreApplication::translate("HostInspection", "KVM not loaded");
    if (!runsExitScope())
        return QCoreApplication::translate("HostInspection", "stock");
    return leavesParameter == QLatin1String("Y") ? QCoreApplication::translate("HostInspection", "ExitScope, leaves on")
                                                 : QCoreApplication::translate("HostInspection", "ExitScope, leaves off");
}

QStringList HostInspection::supportedKernels()
{
    return {QStringLiteral("Debian 12's Linux 6.1 (6.1.0-N-amd64, with the Debian package version of the "
                           "workstation's linux-source-6.1)")};
}

bool HostInspection::isSupported(QString *why) const
{
    const auto say = [&](const QString &reason) {
        *why = reason + QLatin1Char(' ')
            + QCoreApplication::translate("HostInspection", "The series serves: %1.").arg(supportedKernels().join(QStringLiteral("; ")));
        return false;
    };
    if (arch != QLatin1String("x86_64"))
        return say(QCoreApplication::translate("HostInspection", "The host is %1, not x86_64.").arg(arch));
    if (virtualization != QLatin1String("svm") && virtualization != QLatin1String("vmx"))
        return say(QCoreApplication::translate("HostInspection", "The host's CPU offers neither AMD SVM nor Intel VMX."));
    if (!release.startsWith(QLatin1String("6.1.0-")) || !release.endsWith(QLatin1String("-amd64")))
        return say(QCoreApplication::translate("HostInspection", "The host runs kernel %1.").arg(release));
    if (kernelVersion.isEmpty())
        return say(QCoreApplication::translate("HostInspection", "Kernel %1 does not say which Debian package it is "
                                                                 "(uname -v names no Debian version).")
                       .arg(release));
    return true;
}

} // namespace ExitScope
