// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/runcomparison.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableView;

namespace ExitScope {

class ComparisonModel;

// Runs compared: their exits per second overlaid on one time axis, aligned at their starts, their
// boot markers or their first spans, and their spans side by side in a table. It holds the
// comparison (and through it the runs) as a shared snapshot, so it never outlives them.
class ComparisonView : public QWidget
{
    Q_OBJECT
public:
    explicit ComparisonView(QWidget *parent = nullptr);

    void setComparison(std::shared_ptr<const RunComparison> comparison);
    std::shared_ptr<const RunComparison> comparison() const { return m_comparison; }

    void setAlignment(RunComparison::Alignment alignment);
    RunComparison::Alignment alignment() const { return m_alignment; }

    QCustomPlot *plot() const { return m_plot; }
    ComparisonModel *model() const { return m_model; }
    // What the view says about the alignment (runs without the chosen moment), empty if nothing.
    QString alignmentNote() const;

private:
    void replot();

    std::shared_ptr<const RunComparison> m_comparison;
    RunComparison::Alignment m_alignment = RunComparison::Alignment::Start;
    QComboBox *m_alignmentBox;
    QLabel *m_note;
    QCustomPlot *m_plot;
    ComparisonModel *m_model;
    QTableView *m_table;
};

} // namespace ExitScope
