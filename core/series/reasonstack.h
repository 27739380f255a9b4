// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/exitseries.h"

#include <QVector>

namespace ExitScope {

// The exit rates of a run's most frequent reasons over time, ready to be stacked: the readings of
// every reason are put into time bins of one width, so that reasons read at slightly different
// moments share an axis, and each bin's exits become a rate. The reasons beyond the top ones are
// summed into one "other" layer, so that the stack's top is the rate of every reason sampled.
class ReasonStack
{
public:
    static constexpr int DefaultTopReasons = 5;
    // At most this many bins over a run; a long run gets wider bins, never more points.
    static constexpr int MaxBins = 2000;

    struct Layer
    {
        bool other = false; // the sum of the reasons below the top ones
        quint32 reason = 0;
        quint64 exits = 0; // in the whole run
        QVector<double> rates; // exits/s per bin
    };

    static ReasonStack build(const ExitSeries &series, int topReasons = DefaultTopReasons);

    bool isEmpty() const { return m_layers.isEmpty(); }
    double binWidth() const { return m_binWidth; }
    // Start time of each bin, on the run's axis.
    const QVector<double> &binStarts() const { return m_binStarts; }
    // Most exits first; the "other" layer, if any, last.
    const QVector<Layer> &layers() const { return m_layers; }

private:
    double m_binWidth = 0;
    QVector<double> m_binStarts;
    QVector<Layer> m_layers;
};

} // namespace ExitScope
