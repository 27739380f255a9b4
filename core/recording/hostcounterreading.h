// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/records.h"
#include "recording/sourcespec.h"

#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>

namespace ExitScope {

class Source;

// One reading of the host's exit counters, taken before a guest is started so that its boot can be
// measured from its very start: the guest's agent speaks only once the boot is over, and its first
// reading then has nothing to be compared with. The reading comes from exitscope-probe on the host
// (over SSH for a remote libvirt URI, as a local process for qemu:///system), the first sample of
// its stream; the probe is stopped at once. A host without the probe, or with stock KVM, gives no
// reading, and the boot then simply goes unmeasured.
class HostCounterReading : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultTimeoutSeconds = 60;

    explicit HostCounterReading(QObject *parent = nullptr);
    ~HostCounterReading() override;

    // What to read the host of libvirt URI uri with; empty when this URI's host cannot be read (the
    // test driver, a local host without exitscope-probe on the PATH).
    static std::optional<SourceSpec> probeFor(const QString &uri);

    // Starts reading from spec (a HostProbe spec, or a Command spec that prints a stream); exactly
    // one of read() and failed() follows, within timeoutSeconds.
    void start(const SourceSpec &spec, int timeoutSeconds = DefaultTimeoutSeconds);
    void cancel();
    bool isActive() const { return bool(m_source); }

Q_SIGNALS:
    void read(const ExitScope::Sample &reading);
    void failed(const QString &message, const QString &details);

private:
    void finish();
    void fail(const QString &message, const QString &details = {});

    class FirstSample;
    std::unique_ptr<FirstSample> m_sink;
    Source *m_source = nullptr;
    QTimer m_timeout;
    QString m_origin;
};

} // namespace ExitScope
