// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/exitseries.h"
#include "store/runinfo.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace ExitScope {

// Loads a stored run into a series on a worker thread, so that a run of a million samples never
// freezes the window. A new load() makes any earlier one moot: its result is dropped (a generation
// counter, as in hotspot's job tracker).
class RunLoader : public QObject
{
    Q_OBJECT
public:
    explicit RunLoader(QObject *parent = nullptr);
    ~RunLoader() override;

    void load(const QString &storePath, qint64 runId, bool subtractOwnExits);
    void cancel();
    bool isBusy() const { return m_busy; }

Q_SIGNALS:
    void progress(int permille);
    void loaded(const ExitScope::RunInfo &info, std::shared_ptr<ExitScope::ExitSeries> series);
    void failed(qint64 runId, const QString &message);

private:
    std::shared_ptr<std::atomic<quint64>> m_generation;
    QList<QThread *> m_threads;
    bool m_busy = false;
};

} // namespace ExitScope
