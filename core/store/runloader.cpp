// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/runloader.h"

#include "store/runstore.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QPointer>

namespace ExitScope {

RunLoader::RunLoader(QObject *parent)
    : QObject(parent)
    , m_generation(std::make_shared<std::atomic<quint64>>(0))
{
}

RunLoader::~RunLoader()
{
    cancel();
    for (auto thread : std::as_const(m_threads))
        thread->wait();
    qDeleteAll(m_threads);
}

void RunLoader::cancel()
{
    ++*m_generation;
    m_busy = false;
}

void RunLoader::load(const QString &storePath, qint64 runId, bool subtractOwnExits)
{
    const quint64 generation = ++*m_generation;
    m_busy = true;
    QPointer<RunLoader> self(this);
    auto generations = m_generation;
    auto thread = QThread::create([=] {
        const auto current = [&] { return generations->load() == generation; };
        // Results go back to the loader's thread; a loader that is gone or has moved on drops them.
        const auto post = [&](auto &&function) {
            QMetaObject::invokeMethod(
                qApp,
                [=] {
                    if (self && generations->load() == generation)
                        function(self.data());
                },
                Qt::QueuedConnection);
        };
        if (!QFileInfo::exists(storePath)) {
            post([=](RunLoader *loader) {
                loader->m_busy = false;
                Q_EMIT loader->failed(runId, QCoreApplication::translate("RunLoader", "The run database %1 does not exist")
                                                 .arg(storePath));
            });
            return;
        }
        RunStore store;
        RunInfo info;
        auto series = std::make_shared<ExitSeries>();
        series->setSubtractOwnExits(subtractOwnExits);
        int lastPermille = -1;
        const bool ok = store.open(storePath) && store.runInfo(runId, &info)
            && store.replay(runId, series.get(), [&](qint64 done, qint64 total) {
                   // Throttled: only whole tenths of a percent reach the progress bar.
                   const int permille = total > 0 ? int(done * 1000 / total) : 1000;
                   if (permille != lastPermille) {
                       lastPermille = permille;
                       post([=](RunLoader *loader) { Q_EMIT loader->progress(permille); });
                   }
                   return current();
               });
        const auto error = store.lastError();
        post([=](RunLoader *loader) {
            loader->m_busy = false;
            if (ok)
                Q_EMIT loader->loaded(info, series);
            else
                Q_EMIT loader->failed(runId, error);
        });
    });
    // Finished threads are collected on the next load rather than deleted from under themselves.
    for (auto it = m_threads.begin(); it != m_threads.end();) {
        if ((*it)->isFinished()) {
            delete *it;
            it = m_threads.erase(it);
        } else {
            ++it;
        }
    }
    m_threads.append(thread);
    thread->start();
}

} // namespace ExitScope
