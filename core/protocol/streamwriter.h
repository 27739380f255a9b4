// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/records.h"

#include <QByteArray>

namespace ExitScope {

// Encodes records in the stream format. The senders in guest-agent/ have their own C encoder; this
// one serves replays, synthetic streams, tests and benchmarks, and is checked against the same vectors.
class StreamWriter
{
public:
    static void append(QByteArray &out, const Handshake &record);
    static void append(QByteArray &out, const Sample &record);
    static void append(QByteArray &out, const Marker &record);
    static void append(QByteArray &out, const Heartbeat &record);
    static void append(QByteArray &out, const ErrorRecord &record);
    static void append(QByteArray &out, const ReasonSample &record);

    template<typename Record>
    static QByteArray encode(const Record &record)
    {
        QByteArray out;
        append(out, record);
        return out;
    }

    // Frames an arbitrary payload; for tests of unknown types and damaged payloads.
    static void appendRaw(QByteArray &out, quint8 type, quint64 seq, const QByteArray &payload);
};

} // namespace ExitScope
