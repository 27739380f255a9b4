// SPDX-License-Identifier: GPL-3.0-or-later
// The one place QCustomPlot is included: its header still uses Qt's foreach, which the rest of the
// project disables (QT_NO_FOREACH). Targets that include this are built without that define.
#pragma once

#ifdef QT_NO_FOREACH
#error "Include qcustomplot_wrapper.h only from targets built without QT_NO_FOREACH"
#endif

#include <qcustomplot.h>
