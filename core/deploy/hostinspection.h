// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace ExitScope {

// What the Inspect stage learned about a host (exitscope-hostctl inspect, key=value lines).
struct HostInspection
{
    QString release;       // uname -r, e.g. 6.1.0-57-amd64
    QString kernelVersion; // Debian package version, e.g. 6.1.192-3; empty when not Debian's kernel
    QString os;
    QString arch;
    QString cpuVendor;
    QString cpuModel;
    QString virtualization; // svm, vmx or none
    QString vendorModule;   // kvm_amd, kvm_intel or none
    QString nested;
    bool kvmLoaded = false;
    bool devKvm = false;
    QString kvmBuildId;
    QString vendorBuildId;
    QString kvmTaint;
    QString leavesParameter; // Y, N, or "absent" when the loaded kvm is not ExitScope's
    bool installed = false;
    QString installedKvmBuildId;
    QString installedVendorBuildId;
    QString installedSeries;
    QString probePath;
    bool hasLibvirt = false;
    QStringList runningGuests;
    QStringList definedGuests; // libvirt's persistent and running domains
    QString kvmUsers;
    bool hasGrub = false;
    bool hasHeaders = false;

    static HostInspection parse(const QByteArray &keyValueLines);

    // The vendor module's file name, kvm-amd.ko or kvm-intel.ko.
    QString vendorModuleFile() const;
    // ExitScope's modules are the ones loaded.
    bool runsExitScope() const { return !leavesParameter.isEmpty() && leavesParameter != QLatin1String("absent"); }
    // "stock", "ExitScope, leaves on", "ExitScope, leaves off", "not loaded".
    QString kvmState() const;

    // Whether the shipped series serves this kernel; when not, *why says so and names what it serves.
    bool isSupported(QString *why) const;
    static QStringList supportedKernels();
};

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::HostInspection)
