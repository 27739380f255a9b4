// SPDX-License-Identifier: GPL-3.0-or-later
// Records a slow synthetic stream into a run database through Recorder, for crash-safety tests:
//   exitscope-test-recorder DATABASE PERIOD_MS
// Prints "run ID" once the run exists, then "sample SEQ MONOTONIC_NS" after each sample has been
// handed to the recorder, with the steady clock the test also reads. Runs until it is killed.
#include "recording/recorder.h"
#include "store/runstore.h"
#include "sources/source.h"
#include "protocol/streamwriter.h"
#include "syntheticstream.h"

#include <QCoreApplication>
#include <QTimer>

#include <chrono>
#include <cstdio>

using namespace ExitScope;

namespace {

class SlowSyntheticSource : public Source
{
public:
    explicit SlowSyntheticSource(int periodMs)
        : m_periodNs(quint64(periodMs) * 1'000'000)
    {
        m_timer.setInterval(periodMs);
        connect(&m_timer, &QTimer::timeout, this, [this] { next(); });
    }

    QString description() const override { return QStringLiteral("slow synthetic stream"); }

    void start() override
    {
        markStarted();
        deliverBytes(StreamWriter::encode(Synthetic::handshake(m_periodNs, m_seq++)));
        m_timer.start();
    }

    void stop() override
    {
        m_timer.stop();
        endOfInput();
    }

private:
    void next()
    {
        const quint64 seq = m_seq++;
        if (seq % 10 == 0) {
            deliverBytes(StreamWriter::encode(
                Synthetic::marker(seq, m_periodNs, QStringLiteral("mark %1, \"quoted\"").arg(seq))));
            return;
        }
        deliverBytes(StreamWriter::encode(Synthetic::sample(seq, m_periodNs)));
        const auto now = std::chrono::steady_clock::now().time_since_epoch();
        std::printf("sample %llu %lld\n", static_cast<unsigned long long>(seq),
                    static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
        std::fflush(stdout);
    }

    QTimer m_timer;
    quint64 m_periodNs;
    quint64 m_seq = 0;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const auto args = app.arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: exitscope-test-recorder DATABASE PERIOD_MS\n");
        return 2;
    }
    RunStore store;
    if (!store.open(args.at(1))) {
        std::fprintf(stderr, "%s\n", qPrintable(store.lastError()));
        return 1;
    }
    Recorder recorder(&store);
    RunInfo info;
    info.name = QStringLiteral("crash test");
    if (!recorder.start(new SlowSyntheticSource(qMax(1, args.at(2).toInt())), info)) {
        std::fprintf(stderr, "%s\n", qPrintable(recorder.lastError()));
        return 1;
    }
    std::printf("run %lld\n", static_cast<long long>(recorder.runId()));
    std::fflush(stdout);
    return app.exec();
}
