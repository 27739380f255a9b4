// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/fleetexporter.h"

#include "metrics/targetrecorder.h"
#include "protocol/exitreasons.h"

namespace ExitScope {

FleetExporter::FleetExporter(const QVector<FleetTarget> &targets, RunStore *store, int rollMinutes, QObject *parent)
    : QObject(parent)
{
    for (const auto &target : targets) {
        auto recorder = new TargetRecorder(target, store, rollMinutes, this);
        connect(recorder, &TargetRecorder::stateChanged, this, [this, recorder](bool up, const QString &message) {
            Q_EMIT targetStateChanged(recorder->target().host, recorder->target().guest, up, message);
        });
        m_recorders.append(recorder);
    }
}

FleetExporter::~FleetExporter()
{
    // Each recorder ends its session before the store its owner holds goes.
    qDeleteAll(m_recorders);
    m_recorders.clear();
}

void FleetExporter::start()
{
    for (auto recorder : std::as_const(m_recorders))
        recorder->start();
}

void FleetExporter::stop()
{
    for (auto recorder : std::as_const(m_recorders))
        recorder->stop();
}

QByteArray FleetExporter::render(OpenMetricsWriter::Format format) const
{
    QVector<TargetRecorder::Counters> all;
    all.reserve(m_recorders.size());
    for (const auto recorder : m_recorders)
        all.append(recorder->counters());
    const auto labels = [this](int i) {
        const auto &target = m_recorders.at(i)->target();
        return OpenMetricsWriter::Labels{{QStringLiteral("host"), target.host}, {QStringLiteral("guest"), target.guest}};
    };

    OpenMetricsWriter out(format);
    // One sample per sender of each family.
    const auto each = [&](auto value) {
        for (int i = 0; i < all.size(); ++i)
            out.value(labels(i), value(all.at(i)));
    };
    using C = TargetRecorder::Counters;
    // The counters are the host's, global to all its VMs and vCPUs: every guest of a host reads the
    // same exits, so sum them per host with max(), not sum() (docs/fleet.md).
    out.counter(QStringLiteral("exitscope_exits"),
                QStringLiteral("VM exits counted by the host's KVM (all VMs and vCPUs), read through this sender since the exporter started."));
    each([](const C &c) { return c.exits; });
    out.counter(QStringLiteral("exitscope_exit_cycles"), QStringLiteral("TSC cycles the host's KVM spent handling those exits."));
    each([](const C &c) { return c.cycles; });
    out.counter(QStringLiteral("exitscope_sampler_exits"),
                QStringLiteral("Exits the sender caused itself, one CPUID per reading; subtract them for the rest's rate."));
    each([](const C &c) { return c.ownCpuid; });
    out.counter(QStringLiteral("exitscope_samples"), QStringLiteral("Readings of the counters received from the sender."));
    each([](const C &c) { return c.samples; });
    out.gauge(QStringLiteral("exitscope_up"), QStringLiteral("1 while the sender is connected and has said hello."));
    each([](const C &c) { return quint64(c.up ? 1 : 0); });
    out.counter(QStringLiteral("exitscope_connections"), QStringLiteral("Recording sessions begun for the sender (each one a run)."));
    each([](const C &c) { return c.connections; });
    out.counter(QStringLiteral("exitscope_connection_failures"),
                QStringLiteral("Sessions that could not begin or ended because the sender failed or went silent."));
    each([](const C &c) { return c.failures; });
    out.gauge(QStringLiteral("exitscope_last_sample_seq"),
              QStringLiteral("Sequence number of the last reading counted, in the run being recorded (exitscope_run_id)."));
    each([](const C &c) { return c.lastSeq; });
    out.gauge(QStringLiteral("exitscope_run_id"), QStringLiteral("The run of the run store being recorded; -1 between sessions."));
    each([](const C &c) { return double(c.runId); });

    // Per exit reason, where the sender samples the reason leaf: a family of its own, so that summing
    // exitscope_exits_total never counts an exit twice.
    bool anyReasons = false;
    for (const auto &counters : std::as_const(all))
        anyReasons = anyReasons || !counters.reasons.isEmpty();
    if (anyReasons) {
        const auto reasonLabels = [&](int i, quint32 reason) {
            auto l = labels(i);
            l.append({QStringLiteral("reason"), ExitReasons::name(all.at(i).vendor, reason)});
            return l;
        };
        out.counter(QStringLiteral("exitscope_reason_exits"), QStringLiteral("VM exits with this exit reason (leaf 0x4FFFFFFE)."));
        for (int i = 0; i < all.size(); ++i)
            for (auto it = all.at(i).reasons.cbegin(); it != all.at(i).reasons.cend(); ++it)
                out.value(reasonLabels(i, it.key()), it.value().first);
        out.counter(QStringLiteral("exitscope_reason_exit_cycles"), QStringLiteral("TSC cycles spent handling exits with this reason."));
        for (int i = 0; i < all.size(); ++i)
            for (auto it = all.at(i).reasons.cbegin(); it != all.at(i).reasons.cend(); ++it)
                out.value(reasonLabels(i, it.key()), it.value().second);
    }
    return out.finish();
}

} // namespace ExitScope
