// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>

#include <QTimer>
#include <QWidget>

class QCustomPlot;
class QCPAxisRect;
class QCPGraph;
class QCPLayer;

namespace ExitScope {

class ExitSeries;

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

    bool savePng(const QString &path, int width, int height, QString *error = nullptr);
    bool savePdf(const QString &path, int width, int height, QString *error = nullptr);

    QCustomPlot *plot() const { return m_plot; }
    QCPGraph *rateGraph() const { return m_rateGraph; }
    QCPGraph *cyclesGraph() const { return m_cyclesGraph; }
    int plottedPoints() const { return m_pointsShown; }
    int plottedMarkers() const { return m_markersShown; }
    QString markerLayerName() const;

Q_SIGNALS:
    void followLiveChanged(bool follow);

private:
    bool appendNew();
    void addMarkerItems(int from);
    void rescale();

    QCustomPlot *m_plot;
    QCPAxisRect *m_rateRect;
    QCPAxisRect *m_cyclesRect;
    QCPGraph *m_rateGraph;
    QCPGraph *m_cyclesGraph;
    QCPLayer *m_markerLayer;
    std::shared_ptr<const ExitSeries> m_series;
    QTimer m_replotTimer;
    // Running maxima, so that following live data never rescans the whole graph.
    double m_maxRate = 0;
    double m_minPositiveRate = 0;
    double m_maxCycles = 0;
    int m_pointsShown = 0;
    int m_markersShown = 0;
    int m_labelsShown = 0;
    bool m_dirty = false;
    bool m_follow = true;
};

} // namespace ExitScope
