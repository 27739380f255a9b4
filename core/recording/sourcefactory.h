// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "recording/sourcespec.h"

#include <memory>

namespace ExitScope {

class Source;

// The one place that knows the concrete source classes. Returns nullptr (and why) for a spec that
// validate() rejects.
std::unique_ptr<Source> createSource(const SourceSpec &spec, QString *error);

} // namespace ExitScope
