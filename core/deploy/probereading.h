// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace ExitScope {

// What a short run of exitscope-probe on the host showed: the leaves answer (discovery signature and
// ABI version in its handshake, at least one sample), or the error it reported.
struct ProbeReading
{
    bool handshake = false;
    quint16 abiVersion = 0;
    QString cpuVendor;
    int samples = 0;
    quint64 lastExits = 0;
    quint16 errorCode = 0; // the stream's error record, e.g. 1 = the leaves are not present
    QString errorText;
    bool damaged = false; // bytes that were not a valid stream

    static ProbeReading fromStream(const QByteArray &bytes);
    bool leavesAnswer() const { return handshake && abiVersion > 0 && samples > 0 && errorCode == 0; }
};

} // namespace ExitScope
