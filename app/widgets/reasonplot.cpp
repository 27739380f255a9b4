// SPDX-License-Identifier: GPL-3.0-or-later
#include "reasonplot.h"

#include "protocol/exitreasons.h"
#include "qcustomplot_wrapper.h"

#include <QVBoxLayout>

namespace ExitScope {

namespace {
// Okabe-Ito, distinguishable with the common colour vision deficiencies; grey for "other".
const QColor LayerColors[] = {QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00), QColor(0x00, 0x9e, 0x73),
                              QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9), QColor(0xd5, 0x5e, 0x00)};
const QColor OtherColor(0x9e, 0x9e, 0x9e);
} // namespace

ReasonPlot::ReasonPlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
{
    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setObjectName(QStringLiteral("reasonPlot"));
    m_plot->setMinimumHeight(160);
    m_plot->xAxis->setLabel(tr("time (s)"));
    m_plot->yAxis->setLabel(tr("exits/s by reason"));
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), font().pointSize() - 1));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
}

void ReasonPlot::clear()
{
    m_plot->clearGraphs();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ReasonPlot::setStack(const ReasonStack &stack, CpuVendor vendor)
{
    m_plot->clearGraphs();
    if (stack.isEmpty()) {
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const auto &starts = stack.binStarts();
    QVector<double> cumulative(starts.size(), 0.0);
    QCPGraph *below = nullptr;
    double top = 0;
    int colour = 0;
    for (const auto &layer : stack.layers()) {
        for (int b = 0; b < starts.size(); ++b) {
            cumulative[b] += layer.rates.at(b);
            top = std::max(top, cumulative.at(b));
        }
        auto graph = m_plot->addGraph();
        graph->setName(layer.other ? tr("other") : ExitReasons::name(vendor, layer.reason));
        graph->setLineStyle(QCPGraph::lsStepLeft);
        const QColor color = layer.other ? OtherColor : LayerColors[colour++ % std::size(LayerColors)];
        graph->setPen(QPen(color.darker(120), 1));
        graph->setBrush(QBrush(color));
        // Each layer fills down to the one below it; the first down to the axis.
        if (below)
            graph->setChannelFillGraph(below);
        graph->setData(starts, cumulative, true);
        below = graph;
    }
    m_plot->xAxis->setRange(starts.first(), starts.last() + stack.binWidth());
    m_plot->yAxis->setRange(0, top > 0 ? top * 1.1 : 1);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace ExitScope
