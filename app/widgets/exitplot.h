// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/robustrange.h"

#include <memory>

#include <QTimer>

#include <QWidget>

class QCustomPlot;
class QCPItemRect;
class QCPTextElement;
class QCPItemText;
class QCPAxisRect;
class QCPGraph;
class QCPLayer;

namespace ExitScope {

class ExitSeries;
struct Span;

// Live plot of a run: exits per second above, cycles per exit below, on one time axis, with the
// markers as labelled vertical lines on a layer of their own. New data is appended in batches and
// replotted from a ~30 Hz timer, never once per sample.
class ExitPlot : public QWidget
{
    Q_OBJECT
public:
    explicit ExitPlot(QWidget *parent = nullptr);

    // Shows this series from scratch; the series must outlive the plot or be replaced first.
    // The plot keeps the series alive while it shows it.
    void setSeries(std::shared_ptr<const ExitSeries> series);
    // The series grew; the next timer tick appends what is new.
    void scheduleUpdate();
    // Appends what is new and replots now (exports and tests).
    void refreshNow();

    void setFollowLive(bool follow);
    bool followLive() const { return m_follow; }
    void setLogScale(bool log);
    // One line above the plots, on screen and in exports: which run, where, when.
    void setTitle(const QString &title);
    QString title() const;

    // Zooms to the stretch from..to (with a margin), the value axes fitted to what is then visible,
    // and shades it; stops following live data.
    void showRange(double from, double to);
    // Shades from..to without moving the view; clearHighlight() takes the shade away.
    void highlight(double from, double to);
    void clearHighlight();
    bool hasHighlight() const { return m_highlight != nullptr; }
    // What the pointer is over: time, exits/s and cycles/exit of the interval there; empty when
    // the pointer is off the data.
    QString readout() const;

    bool savePng(const QString &path, int width, int height, QString *error = nullptr);
    bool savePdf(const QString &path, int width, int height, QString *error = nullptr);

    QCustomPlot *plot() const { return m_plot; }
    QCPGraph *rateGraph() const { return m_rateGraph; }
    QCPGraph *cyclesGraph() const { return m_cyclesGraph; }
    int plottedPoints() const { return m_pointsShown; }
    int plottedMarkers() const { return m_markersShown; }
    QString markerLayerName() const;
    // What a boot span cost, as the boot marker's label shows it: "1.2 M exits, 3.4 G cycles in 2.1 s".
    static QString bootCostText(const Span &span);

Q_SIGNALS:
    void followLiveChanged(bool follow);
    // The user dragged across the plot with Shift held: the time range, in seconds on the run's axis.
    void rangeSelected(double from, double to);

private:
    bool appendNew();
    void addMarkerItems(int from);
    void rescale();
    void showReadoutAt(const QPoint &pixel);

    QCustomPlot *m_plot;
    QCPAxisRect *m_rateRect;
    QCPAxisRect *m_cyclesRect;
    QCPGraph *m_rateGraph;
    QCPGraph *m_cyclesGraph;
    QCPLayer *m_markerLayer;
    QCPItemRect *m_highlight = nullptr;
    QCPTextElement *m_title;
    QCPItemText *m_readout;
    std::shared_ptr<const ExitSeries> m_series;
    QTimer m_replotTimer;
    // Running maxima, so that following live data never rescans the whole graph.
    double m_maxRate = 0;
    double m_minPositiveRate = 0;
    double m_maxCycles = 0;
    // Where the linear axes end: above nearly all values, not above one outlier.
    RobustRange m_rateRange;
    RobustRange m_cyclesRange;
    int m_pointsShown = 0;
    int m_markersShown = 0;
    int m_labelsShown = 0;
    bool m_dirty = false;
    bool m_follow = true;
};

} // namespace ExitScope
