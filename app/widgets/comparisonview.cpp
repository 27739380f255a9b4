// SPDX-License-Identifier: GPL-3.0-or-later
#include "comparisonview.h"

#include "comparisonmodel.h"
#include "qcustomplot_wrapper.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace ExitScope {

namespace {
// Distinguishable on screen and in print, also for the common colour vision deficiencies (Okabe-Ito).
const QColor RunColors[] = {QColor(0x00, 0x72, 0xb2), QColor(0xd5, 0x5e, 0x00), QColor(0x00, 0x9e, 0x73),
                            QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9), QColor(0xe6, 0x9f, 0x00),
                            QColor(0x00, 0x00, 0x00)};
} // namespace

ComparisonView::ComparisonView(QWidget *parent)
    : QWidget(parent)
    , m_alignmentBox(new QComboBox(this))
    , m_note(new QLabel(this))
    , m_plot(new QCustomPlot(this))
    , m_model(new ComparisonModel(this))
    , m_table(new QTableView(this))
{
    m_alignmentBox->setObjectName(QStringLiteral("comparisonAlignment"));
    m_alignmentBox->addItem(tr("their starts"), int(RunComparison::Alignment::Start));
    m_alignmentBox->addItem(tr("their boot markers"), int(RunComparison::Alignment::Boot));
    m_alignmentBox->addItem(tr("their first spans"), int(RunComparison::Alignment::FirstSpan));
    connect(m_alignmentBox, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        setAlignment(RunComparison::Alignment(m_alignmentBox->itemData(index).toInt()));
    });
    m_note->setObjectName(QStringLiteral("comparisonNote"));
    m_note->setWordWrap(true);

    auto top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Align at"), this));
    top->addWidget(m_alignmentBox);
    top->addWidget(m_note, 1);

    m_plot->setObjectName(QStringLiteral("comparisonPlot"));
    m_plot->setMinimumHeight(200);
    m_plot->xAxis->setLabel(tr("time from the alignment point (s)"));
    m_plot->yAxis->setLabel(tr("exits/s"));
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);

    m_table->setObjectName(QStringLiteral("comparisonTable"));
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    auto splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_plot);
    splitter->addWidget(m_table);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 1);

    auto layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);
}

void ComparisonView::setComparison(std::shared_ptr<const RunComparison> comparison)
{
    m_comparison = std::move(comparison);
    m_model->setComparison(m_comparison);
    replot();
}

void ComparisonView::setAlignment(RunComparison::Alignment alignment)
{
    m_alignment = alignment;
    {
        const QSignalBlocker quiet(m_alignmentBox);
        m_alignmentBox->setCurrentIndex(m_alignmentBox->findData(int(alignment)));
    }
    replot();
}

QString ComparisonView::alignmentNote() const
{
    if (!m_comparison || m_alignment == RunComparison::Alignment::Start)
        return {};
    QStringList without;
    for (int r = 0; r < m_comparison->runCount(); ++r)
        if (!m_comparison->hasAlignmentPoint(r, m_alignment))
            without << m_comparison->entry(r).name;
    if (without.isEmpty())
        return {};
    return tr("Aligned at their starts, lacking that moment: %1").arg(without.join(QStringLiteral(", ")));
}

void ComparisonView::replot()
{
    m_plot->clearGraphs();
    m_note->setText(alignmentNote());
    if (!m_comparison) {
        m_plot->replot();
        return;
    }
    for (int r = 0; r < m_comparison->runCount(); ++r) {
        const auto &entry = m_comparison->entry(r);
        const double offset = m_comparison->offset(r, m_alignment);
        QVector<QCPGraphData> data;
        data.reserve(entry.series->size());
        for (int i = 0; i < entry.series->size(); ++i) {
            const double rate = entry.series->exitsPerSecond(i);
            // A gap in the line where the rate is not defined (first sample, counter reset).
            data.append({entry.series->at(i).t - offset, std::isnan(rate) ? qQNaN() : rate});
        }
        auto graph = m_plot->addGraph();
        graph->setName(entry.name);
        graph->setPen(QPen(RunColors[r % std::size(RunColors)], 1.5));
        graph->setLineStyle(QCPGraph::lsStepRight);
        graph->setAdaptiveSampling(true);
        graph->data()->set(data, true);
    }
    m_plot->rescaleAxes();
    m_plot->yAxis->setRangeLower(0);
    m_plot->replot();
}

} // namespace ExitScope
