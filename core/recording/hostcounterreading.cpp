// SPDX-License-Identifier: GPL-3.0-or-later
#include "recording/hostcounterreading.h"

#include "protocol/recordsink.h"
#include "recording/sourcefactory.h"
#include "sources/source.h"

#include <QStandardPaths>
#include <QUrl>

namespace ExitScope {

class HostCounterReading::FirstSample : public RecordSink
{
public:
    void handshake(const Handshake &h) override { abiVersion = h.abiVersion; }
    void sample(const Sample &s) override
    {
        if (!first)
            first = s;
    }
    void error(const ErrorRecord &e) override
    {
        if (errorText.isEmpty())
            errorText = e.text;
    }

    std::optional<Sample> first;
    quint16 abiVersion = 0;
    QString errorText;
};

HostCounterReading::HostCounterReading(QObject *parent)
    : QObject(parent)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(tr("%1 gave no reading within %2 s").arg(m_origin).arg(m_timeout.interval() / 1000));
    });
}

HostCounterReading::~HostCounterReading()
{
    cancel();
}

std::optional<SourceSpec> HostCounterReading::probeFor(const QString &uri)
{
    const QUrl url(uri);
    const auto scheme = url.scheme();
    if (scheme == QLatin1String("qemu+ssh") || scheme == QLatin1String("qemu+libssh"))
        // Fast enough that the first reading comes at once; the probe is stopped after it.
        return SourceSpec::hostProbe(uri, 1000);
    if (scheme == QLatin1String("qemu") && url.host().isEmpty()) {
        const auto probe = QStandardPaths::findExecutable(QStringLiteral("exitscope-probe"));
        if (!probe.isEmpty())
            return SourceSpec::command(QStringLiteral("\"%1\" --rate 1000").arg(probe));
    }
    return std::nullopt;
}

void HostCounterReading::start(const SourceSpec &spec, int timeoutSeconds)
{
    cancel();
    QString problem;
    auto source = createSource(spec, &problem);
    if (!source) {
        Q_EMIT failed(problem, {});
        return;
    }
    m_origin = source->description();
    m_sink = std::make_unique<FirstSample>();
    source->setSink(m_sink.get());
    m_source = source.release();
    connect(m_source, &Source::recordsDelivered, this, [this] {
        if (!m_sink->errorText.isEmpty())
            fail(tr("%1 could not read the counters: %2").arg(m_origin, m_sink->errorText));
        else if (m_sink->first && m_sink->abiVersion == 0)
            fail(tr("%1 found no exit counters: the host runs stock KVM").arg(m_origin));
        else if (m_sink->first)
            finish();
    });
    connect(m_source, &Source::finished, this, [this] {
        fail(tr("%1 ended without a reading").arg(m_origin));
    });
    connect(m_source, &Source::failed, this,
            [this](const QString &message, const QString &details) { fail(message, details); });
    m_timeout.start(timeoutSeconds * 1000);
    m_source->start();
}

void HostCounterReading::cancel()
{
    m_timeout.stop();
    if (auto source = std::exchange(m_source, nullptr)) {
        disconnect(source, nullptr, this, nullptr);
        // Bytes already on their way to the source still reach a sink, one that keeps nothing.
        static RecordSink discard;
        source->setSink(&discard);
        source->dispose();
    }
    m_sink.reset();
}

void HostCounterReading::finish()
{
    const auto reading = *m_sink->first;
    cancel();
    Q_EMIT read(reading);
}

void HostCounterReading::fail(const QString &message, const QString &details)
{
    if (!m_source)
        return;
    cancel();
    Q_EMIT failed(message, details);
}

} // namespace ExitScope
