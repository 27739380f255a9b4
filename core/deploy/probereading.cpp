// SPDX-License-Identifier: GPL-3.0-or-later
#include "deploy/probereading.h"

#include "protocol/parserstats.h"
#include "protocol/recordsink.h"
#include "protocol/streamparser.h"

namespace ExitScope {

namespace {

class ReadingSink : public RecordSink
{
public:
    explicit ReadingSink(ProbeReading *reading)
        : m_reading(reading)
    {
    }
    void handshake(const Handshake &h) override
    {
        m_reading->handshake = true;
        m_reading->abiVersion = h.abiVersion;
        m_reading->cpuVendor = cpuVendorName(h.cpuVendor);
    }
    void sample(const Sample &s) override
    {
        ++m_reading->samples;
        m_reading->lastExits = s.exits;
    }
    void error(const ErrorRecord &e) override
    {
        if (m_reading->errorCode == 0) {
            m_reading->errorCode = e.code;
            m_reading->errorText = e.text;
        }
    }

private:
    ProbeReading *m_reading;
};

} // namespace

ProbeReading ProbeReading::fromStream(const QByteArray &bytes)
{
    ProbeReading reading;
    ReadingSink sink(&reading);
    StreamParser parser(&sink);
    parser.feed(bytes);
    parser.finish();
    reading.damaged = parser.stats().skippedBytes > 0;
    return reading;
}

} // namespace ExitScope
