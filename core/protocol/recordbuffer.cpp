// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/recordbuffer.h"

namespace ExitScope {

namespace {
template<class... Ts>
struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template<class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
} // namespace

quint64 RecordBuffer::timestampOf(const BufferedRecord &record)
{
    return std::visit(Overloaded{[](const Handshake &) { return quint64(0); },
                                 [](const GapRecord &) { return quint64(0); },
                                 [](const auto &r) { return quint64(r.tNs); }},
                      record);
}

void RecordBuffer::deliver(const BufferedRecord &record, RecordSink *sink)
{
    std::visit(Overloaded{[sink](const Handshake &r) { sink->handshake(r); },
                          [sink](const Sample &r) { sink->sample(r); },
                          [sink](const Marker &r) { sink->marker(r); },
                          [sink](const Heartbeat &r) { sink->heartbeat(r); },
                          [sink](const ErrorRecord &r) { sink->error(r); },
                          [sink](const ReasonSample &r) { sink->reasonSample(r); },
                          [sink](const GapRecord &r) { sink->gap(r.first, r.last); }},
               record);
}

} // namespace ExitScope
