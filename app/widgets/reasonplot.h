// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/reasonstack.h"

#include <QWidget>

class QCustomPlot;

namespace ExitScope {

// The exit rates of the most frequent reasons over time, stacked, with the rest as "other" on top,
// so that the stack's outline is the rate of all reasons sampled (ReasonStack).
class ReasonPlot : public QWidget
{
    Q_OBJECT
public:
    explicit ReasonPlot(QWidget *parent = nullptr);

    void setStack(const ReasonStack &stack, CpuVendor vendor);
    void clear();

    QCustomPlot *plot() const { return m_plot; }

private:
    QCustomPlot *m_plot;
};

} // namespace ExitScope
