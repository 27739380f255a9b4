// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/fleettarget.h"
#include "metrics/openmetricswriter.h"

#include <QObject>
#include <QVector>

namespace ExitScope {

class RunStore;
class TargetRecorder;

// The fleet's targets, each recorded by a TargetRecorder into one run store, and their counters as
// metric families (docs/fleet.md).
class FleetExporter : public QObject
{
    Q_OBJECT
public:
    FleetExporter(const QVector<FleetTarget> &targets, RunStore *store, int rollMinutes, QObject *parent = nullptr);
    ~FleetExporter() override;

    void start();
    void stop();
    const QVector<TargetRecorder *> &recorders() const { return m_recorders; }
    // What /metrics answers.
    QByteArray render(OpenMetricsWriter::Format format) const;

Q_SIGNALS:
    void targetStateChanged(const QString &host, const QString &guest, bool up, const QString &message);

private:
    QVector<TargetRecorder *> m_recorders;
};

} // namespace ExitScope
