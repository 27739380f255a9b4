// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// Where ExitScope's own files are: installed (a package puts them under <prefix>/share/exitscope and
// the programs under <prefix>/bin), or in the source and build trees the programs were built from.
namespace DataLocation {

// A file or directory of the source tree as installed, e.g. "kernel-patch" or "lab/labctl":
// <dir of this program>/../share/exitscope/RELATIVE if it exists there, else the source tree's.
QString sourceFile(const QString &relative);

// One of the programs built beside this one ("exitscope-probe"): next to this program if it is
// there (installed), else in the build tree. Empty if neither has it.
QString program(const QString &name);

} // namespace DataLocation

} // namespace ExitScope
