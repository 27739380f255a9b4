// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/records.h"

#include <QString>
#include <QVector>

#include <optional>

namespace ExitScope {

// The names of exit reasons in both numberings the per-reason leaf uses (docs/cpuid-abi.md): Intel
// VMX basic exit reasons and AMD SVM exit codes, as Linux 6.1's uapi headers name them (without
// their EXIT_REASON_ and SVM_EXIT_ prefixes; SVM exceptions as EXCP_ and the vector's mnemonic).
namespace ExitReasons {

// "CPUID", "IOIO", …; a reason the table does not know is named by its number ("reason 90",
// "0x4a0" for SVM, whose codes are read in hex).
QString name(CpuVendor vendor, quint32 reason);
// Every reason the table names, in numeric order.
QVector<quint32> defined(CpuVendor vendor);
// The reason a name (any case) or number ("10", "0x72") stands for; nullopt if neither.
std::optional<quint32> parse(CpuVendor vendor, const QString &text);

} // namespace ExitReasons

} // namespace ExitScope
