// SPDX-License-Identifier: GPL-3.0-or-later
#include "exitplot.h"

#include "series/exitseries.h"
#include "qcustomplot_wrapper.h"

#include <QLocale>
#include <QVBoxLayout>

#include <cmath>
#include <tuple>

namespace ExitScope {

namespace {
constexpr int ReplotIntervalMs = 33;
const auto MarkerLayer = QStringLiteral("markers");

QColor markerColor(MarkerKind kind)
{
    switch (kind) {
    case MarkerKind::Boot:
    case MarkerKind::BootStage:
        return QColor(0x2e, 0x7d, 0x32);
    case MarkerKind::IoStart:
    case MarkerKind::IoEnd:
        return QColor(0x15, 0x65, 0xc0);
    case MarkerKind::WorkloadStart:
    case MarkerKind::WorkloadEnd:
        return QColor(0x6a, 0x1b, 0x9a);
    case MarkerKind::CounterReset:
        return QColor(0xc6, 0x28, 0x28);
    case MarkerKind::HostEvent:
        return QColor(0xef, 0x6c, 0x00);
    case MarkerKind::UserMark:
        break;
    }
    return QColor(0x42, 0x42, 0x42);
}
} // namespace

ExitPlot::ExitPlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
{
    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    m_plot->plotLayout()->clear();
    // The run's name, host, guest and date on top, so that an exported picture says what it shows.
    m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    m_rateRect = new QCPAxisRect(m_plot);
    m_cyclesRect = new QCPAxisRect(m_plot);
    m_plot->plotLayout()->addElement(0, 0, m_title);
    m_plot->plotLayout()->addElement(1, 0, m_rateRect);
    m_plot->plotLayout()->addElement(2, 0, m_cyclesRect);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.01);
    m_plot->plotLayout()->setRowStretchFactor(1, 2);
    m_plot->plotLayout()->setRowStretchFactor(2, 1);
    // One time axis: zooming or dragging either rect moves both.
    connect(m_rateRect->axis(QCPAxis::atBottom), qOverload<const QCPRange &>(&QCPAxis::rangeChanged),
            m_cyclesRect->axis(QCPAxis::atBottom), qOverload<const QCPRange &>(&QCPAxis::setRange));
    connect(m_cyclesRect->axis(QCPAxis::atBottom), qOverload<const QCPRange &>(&QCPAxis::rangeChanged),
            m_rateRect->axis(QCPAxis::atBottom), qOverload<const QCPRange &>(&QCPAxis::setRange));
    auto margins = new QCPMarginGroup(m_plot);
    m_rateRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    m_cyclesRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);

    m_rateRect->axis(QCPAxis::atLeft)->setLabel(tr("exits/s"));
    m_cyclesRect->axis(QCPAxis::atLeft)->setLabel(tr("cycles/exit"));
    m_cyclesRect->axis(QCPAxis::atBottom)->setLabel(tr("time (s)"));

    m_rateGraph = m_plot->addGraph(m_rateRect->axis(QCPAxis::atBottom), m_rateRect->axis(QCPAxis::atLeft));
    m_cyclesGraph = m_plot->addGraph(m_cyclesRect->axis(QCPAxis::atBottom), m_cyclesRect->axis(QCPAxis::atLeft));
    for (auto graph : {m_rateGraph, m_cyclesGraph}) {
        // Rates hold over their interval, so steps; dense data wants no antialiasing.
        graph->setLineStyle(QCPGraph::lsStepRight);
        graph->setAdaptiveSampling(true);
        graph->setAntialiased(false);
    }
    // No fill under the rate: rasterising that polygon costs several times the whole rest of a
    // replot at a million points (tests/gui/bench_replot).
    m_rateGraph->setPen(QPen(QColor(0xd8, 0x43, 0x15), 1));
    m_cyclesGraph->setPen(QPen(QColor(0x00, 0x69, 0x5c), 1));

    m_plot->addLayer(MarkerLayer, m_plot->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    m_markerLayer = m_plot->layer(MarkerLayer);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    for (auto rect : {m_rateRect, m_cyclesRect}) {
        rect->setRangeDrag(Qt::Horizontal);
        rect->setRangeZoom(Qt::Horizontal);
    }
    // A user who drags or zooms wants to look, not to be scrolled away from.
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        setFollowLive(false);
        // Shift+drag measures a stretch instead of moving the view.
        m_plot->setSelectionRectMode(event->modifiers() & Qt::ShiftModifier ? QCP::srmCustom : QCP::srmNone);
    });
    // The values under the pointer, in the rate plot's top right corner.
    m_readout = new QCPItemText(m_plot);
    m_readout->setLayer(QStringLiteral("legend")); // above the markers, and not one of them
    m_readout->setClipToAxisRect(false);
    m_readout->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_readout->position->setAxisRect(m_rateRect);
    m_readout->position->setCoords(1, 0);
    m_readout->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    m_readout->setPadding(QMargins(4, 2, 4, 2));
    m_readout->setBrush(QColor(255, 255, 255, 220));
    m_readout->setVisible(false);
    m_plot->setMouseTracking(true);
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) { showReadoutAt(event->pos()); });
    connect(m_plot->selectionRect(), &QCPSelectionRect::accepted, this, [this](const QRect &rect) {
        auto time = m_rateRect->axis(QCPAxis::atBottom);
        const double from = time->pixelToCoord(rect.left());
        const double to = time->pixelToCoord(rect.right());
        m_plot->setSelectionRectMode(QCP::srmNone);
        highlight(qMin(from, to), qMax(from, to));
        Q_EMIT rangeSelected(qMin(from, to), qMax(from, to));
    });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { setFollowLive(false); });

    m_replotTimer.setInterval(ReplotIntervalMs);
    connect(&m_replotTimer, &QTimer::timeout, this, [this] {
        if (!m_dirty) {
            m_replotTimer.stop();
            return;
        }
        m_dirty = false;
        if (appendNew())
            m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
}

void ExitPlot::setTitle(const QString &title)
{
    m_title->setText(title);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString ExitPlot::title() const
{
    return m_title->text();
}

QString ExitPlot::markerLayerName() const
{
    return MarkerLayer;
}

void ExitPlot::setSeries(std::shared_ptr<const ExitSeries> series)
{
    m_series = std::move(series);
    m_rateGraph->data()->clear();
    m_cyclesGraph->data()->clear();
    // Marker items go; the readout stays.
    for (int i = m_plot->itemCount() - 1; i >= 0; --i)
        if (m_plot->item(i) != m_readout)
            m_plot->removeItem(i);
    m_readout->setVisible(false);
    m_highlight = nullptr;
    m_pointsShown = 0;
    m_markersShown = 0;
    m_labelsShown = 0;
    m_maxRate = 0;
    m_minPositiveRate = 0;
    m_maxCycles = 0;
    m_rateRange.clear();
    m_cyclesRange.clear();
    m_dirty = true;
    refreshNow();
}

void ExitPlot::scheduleUpdate()
{
    m_dirty = true;
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

void ExitPlot::refreshNow()
{
    m_dirty = false;
    appendNew();
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
}

bool ExitPlot::appendNew()
{
    if (!m_series)
        return false;
    const int total = m_series->size();
    const int markers = int(m_series->markers().size());
    if (total == m_pointsShown && markers == m_markersShown)
        return false;
    if (total > m_pointsShown) {
        const int count = total - m_pointsShown;
        QVector<double> keys(count), rates(count), cycles(count);
        for (int i = 0; i < count; ++i) {
            const int index = m_pointsShown + i;
            keys[i] = m_series->at(index).t;
            // NaN leaves a visible hole: a reset or the first sample has no rate.
            rates[i] = m_series->exitsPerSecond(index);
            cycles[i] = m_series->cyclesPerExit(index);
            // NaN compares false, so holes do not disturb the ranges.
            if (rates[i] > m_maxRate)
                m_maxRate = rates[i];
            if (rates[i] > 0 && (m_minPositiveRate == 0 || rates[i] < m_minPositiveRate))
                m_minPositiveRate = rates[i];
            if (cycles[i] > m_maxCycles)
                m_maxCycles = cycles[i];
            m_rateRange.add(rates[i]);
            m_cyclesRange.add(cycles[i]);
        }
        m_rateGraph->addData(keys, rates, true);
        m_cyclesGraph->addData(keys, cycles, true);
        m_pointsShown = total;
    }
    if (markers > m_markersShown)
        addMarkerItems(m_markersShown);
    if (m_follow)
        rescale();
    return true;
}

QString ExitPlot::bootCostText(const Span &span)
{
    const auto compact = [](double value) -> QString {
        static const char *const prefixes[] = {"", " k", " M", " G", " T"};
        int i = 0;
        while (value >= 1000 && i < 4) {
            value /= 1000;
            ++i;
        }
        return QLocale().toString(value, 'f', i == 0 ? 0 : 1) + QLatin1String(prefixes[i]);
    };
    return tr("%1 exits, %2 cycles in %3 s")
        .arg(compact(double(span.exits)), compact(double(span.cycles)),
             QLocale().toString(span.end - span.start, 'f', 1));
}

void ExitPlot::addMarkerItems(int from)
{
    const auto &markers = m_series->markers();
    for (int i = from; i < markers.size(); ++i) {
        const auto &m = markers.at(i);
        const auto color = markerColor(m.marker.kind);
        auto line = new QCPItemStraightLine(m_plot);
        line->setLayer(m_markerLayer);
        line->setClipAxisRect(m_rateRect);
        for (auto point : {line->point1, line->point2}) {
            point->setAxes(m_rateRect->axis(QCPAxis::atBottom), m_rateRect->axis(QCPAxis::atLeft));
            // Ratio in y, so that the line works on a log axis too.
            point->setTypeY(QCPItemPosition::ptAxisRectRatio);
            point->setAxisRect(m_rateRect);
        }
        line->point1->setCoords(m.t, 0);
        line->point2->setCoords(m.t, 1);
        const bool ending = m.marker.kind == MarkerKind::IoEnd || m.marker.kind == MarkerKind::WorkloadEnd;
        line->setPen(QPen(color, 1, ending ? Qt::DotLine : Qt::DashLine));
        // An end marker's text is in the span table; labelling it too only buries the start labels.
        if (ending)
            continue;

        auto label = new QCPItemText(m_plot);
        label->setLayer(m_markerLayer);
        label->setClipAxisRect(m_rateRect);
        label->position->setAxes(m_rateRect->axis(QCPAxis::atBottom), m_rateRect->axis(QCPAxis::atLeft));
        label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        label->position->setAxisRect(m_rateRect);
        // Stagger labels over four rows so that neighbouring markers stay readable.
        label->position->setCoords(m.t, 0.02 + 0.06 * (m_labelsShown++ % 4));
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        label->setRotation(0);
        const auto text = m.marker.text.isEmpty() ? markerKindName(m.marker.kind) : m.marker.text;
        QString shown = text.length() > 28 ? text.left(27) + QChar(0x2026) : text;
        // The headline question, what the boot cost, answered where the boot ends.
        if (m.marker.kind == MarkerKind::Boot) {
            for (const auto &span : m_series->spans()) {
                if (span.kind == MarkerKind::Boot && span.end == m.t) {
                    shown += QLatin1Char('\n') + bootCostText(span);
                    break;
                }
            }
        }
        label->setText(shown);
        label->setColor(color);
        label->setFont(QFont(font().family(), 8));
    }
    m_markersShown = int(markers.size());
}

void ExitPlot::rescale()
{
    if (!m_series || m_series->isEmpty())
        return;
    const double first = m_series->at(0).t;
    const double last = m_series->at(m_series->size() - 1).t;
    m_rateRect->axis(QCPAxis::atBottom)->setRange(first, last > first ? last : first + 1);
    // Headroom above the data for the marker labels.
    // A linear axis ends above nearly all values rather than above the largest, so that one burst
    // or outlier does not flatten the rest (RobustRange); the log axis shows everything.
    auto rateAxis = m_rateRect->axis(QCPAxis::atLeft);
    if (rateAxis->scaleType() == QCPAxis::stLogarithmic) {
        rateAxis->setRange(m_minPositiveRate > 0 ? m_minPositiveRate / 2 : 0.1, (m_maxRate > 0 ? m_maxRate * 1.15 : 1) * 2);
        rateAxis->setLabel(tr("exits/s"));
    } else {
        const double top = m_rateRange.axisTop(1.15);
        rateAxis->setRange(0, top > 0 ? top : 1);
        rateAxis->setLabel(m_rateRange.cutsOutliers() ? tr("exits/s (peaks cut)") : tr("exits/s"));
    }
    const double cyclesTop = m_cyclesRange.axisTop(1.1);
    auto cyclesAxis = m_cyclesRect->axis(QCPAxis::atLeft);
    cyclesAxis->setRange(0, cyclesTop > 0 ? cyclesTop : 1);
    cyclesAxis->setLabel(m_cyclesRange.cutsOutliers() ? tr("cycles/exit (peaks cut)") : tr("cycles/exit"));
}

QString ExitPlot::readout() const
{
    return m_readout->visible() ? m_readout->text() : QString();
}

void ExitPlot::showReadoutAt(const QPoint &pixel)
{
    const bool over = m_series && !m_series->isEmpty()
        && (m_rateRect->rect().contains(pixel) || m_cyclesRect->rect().contains(pixel));
    const int index = over ? m_series->indexAt(m_rateRect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x())) : -1;
    if (index < 0) {
        if (m_readout->visible()) {
            m_readout->setVisible(false);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        }
        return;
    }
    const QLocale locale;
    const double rate = m_series->exitsPerSecond(index);
    const double cycles = m_series->cyclesPerExit(index);
    const auto &point = m_series->at(index);
    m_readout->setText(tr("%1 s: %2 exits/s, %3 cycles/exit (%4 exits in %5 ms)")
                           .arg(locale.toString(point.t, 'f', 3),
                                std::isnan(rate) ? QStringLiteral("–") : locale.toString(rate, 'f', 0),
                                std::isnan(cycles) ? QStringLiteral("–") : locale.toString(cycles, 'f', 0),
                                locale.toString(qulonglong(m_series->exitsInInterval(index))),
                                locale.toString(point.interval * 1000, 'f', 1)));
    m_readout->setVisible(true);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ExitPlot::highlight(double from, double to)
{
    if (!m_highlight) {
        m_highlight = new QCPItemRect(m_plot);
        m_highlight->setLayer(m_markerLayer);
        m_highlight->setClipAxisRect(m_rateRect);
        for (auto point : {m_highlight->topLeft, m_highlight->bottomRight}) {
            point->setAxes(m_rateRect->axis(QCPAxis::atBottom), m_rateRect->axis(QCPAxis::atLeft));
            point->setTypeY(QCPItemPosition::ptAxisRectRatio);
            point->setAxisRect(m_rateRect);
        }
        m_highlight->setPen(Qt::NoPen);
        m_highlight->setBrush(QColor(0x15, 0x65, 0xc0, 40));
    }
    m_highlight->topLeft->setCoords(from, 0);
    m_highlight->bottomRight->setCoords(to, 1);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ExitPlot::clearHighlight()
{
    if (!m_highlight)
        return;
    m_plot->removeItem(m_highlight);
    m_highlight = nullptr;
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ExitPlot::showRange(double from, double to)
{
    setFollowLive(false);
    if (to < from)
        std::swap(from, to);
    const double margin = qMax((to - from) * 0.1, 0.05);
    const QCPRange keys(from - margin, to + margin);
    m_rateRect->axis(QCPAxis::atBottom)->setRange(keys);
    // The value axes fit what is visible: a burst elsewhere must not flatten this stretch.
    for (auto [graph, rect, headroom] : {std::tuple{m_rateGraph, m_rateRect, 1.15}, std::tuple{m_cyclesGraph, m_cyclesRect, 1.1}}) {
        bool found = false;
        const auto values = graph->getValueRange(found, QCP::sdBoth, keys);
        if (!found)
            continue;
        auto axis = rect->axis(QCPAxis::atLeft);
        if (axis->scaleType() == QCPAxis::stLogarithmic)
            axis->setRange(qMax(values.lower / 2, 0.1), qMax(values.upper, 1.0) * headroom * 2);
        else
            axis->setRange(0, values.upper > 0 ? values.upper * headroom : 1);
    }
    highlight(from, to);
}

void ExitPlot::setFollowLive(bool follow)
{
    if (m_follow == follow)
        return;
    m_follow = follow;
    if (follow) {
        rescale();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    Q_EMIT followLiveChanged(follow);
}

void ExitPlot::setLogScale(bool log)
{
    auto axis = m_rateRect->axis(QCPAxis::atLeft);
    axis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    rescale();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool ExitPlot::savePng(const QString &path, int width, int height, QString *error)
{
    appendNew();
    if (m_plot->savePng(path, width, height))
        return true;
    if (error)
        *error = tr("Cannot write the PNG file %1").arg(path);
    return false;
}

bool ExitPlot::savePdf(const QString &path, int width, int height, QString *error)
{
    appendNew();
    if (m_plot->savePdf(path, width, height))
        return true;
    if (error)
        *error = tr("Cannot write the PDF file %1").arg(path);
    return false;
}

} // namespace ExitScope
