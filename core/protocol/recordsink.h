// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/records.h"

namespace ExitScope {

// Receives what StreamParser decodes, in stream order. Virtual calls rather than signals: the parser
// runs at millions of records per second and must not allocate per record.
class RecordSink
{
public:
    virtual ~RecordSink() = default;
    virtual void handshake(const Handshake &) {}
    virtual void sample(const Sample &) {}
    virtual void marker(const Marker &) {}
    virtual void heartbeat(const Heartbeat &) {}
    virtual void error(const ErrorRecord &) {}
    virtual void reasonSample(const ReasonSample &) {}
    // Records firstLostSeq..lastLostSeq never arrived.
    virtual void gap(quint64 firstLostSeq, quint64 lastLostSeq)
    {
        Q_UNUSED(firstLostSeq);
        Q_UNUSED(lastLostSeq);
    }
    // A handshake with a protocol major version this reader does not understand; records are
    // ignored until the next supported handshake.
    virtual void unsupportedVersion(quint16 major, quint16 minor)
    {
        Q_UNUSED(major);
        Q_UNUSED(minor);
    }
};

} // namespace ExitScope
