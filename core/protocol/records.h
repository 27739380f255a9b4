// SPDX-License-Identifier: GPL-3.0-or-later
// The records of the ExitScope sample stream (docs/protocol.md), decoded.
#pragma once

#include <QString>
#include <QVector>

#include <cstdint>

namespace ExitScope {

namespace Protocol {
constexpr quint8 SyncByte0 = 0xE5;
constexpr quint8 SyncByte1 = 0x58;
constexpr int HeaderSize = 12; // sync(2) type(1) length(1) seq(8)
constexpr int TrailerSize = 4; // crc32
constexpr int MaxPayload = 255;
constexpr int MaxRecordSize = HeaderSize + MaxPayload + TrailerSize;
constexpr quint16 Major = 1;
constexpr quint16 Minor = 0;
constexpr quint32 TotalLeaf = 0x4FFFFFFF;
constexpr quint32 ReasonLeaf = 0x4FFFFFFE;
constexpr quint32 DiscoveryLeaf = 0x4FFFFFF0;
} // namespace Protocol

enum class RecordType : quint8 {
    Handshake = 0x01,
    Sample = 0x02,
    Marker = 0x03,
    Heartbeat = 0x04,
    Error = 0x05,
    ReasonSample = 0x06,
};

enum class SourceKind : quint8 { Unknown = 0, GuestAgent = 1, HostProbe = 2, Replay = 3, Synthetic = 4 };
enum class CpuVendor : quint8 { Unknown = 0, IntelVmx = 1, AmdSvm = 2 };

enum class MarkerKind : quint8 {
    Boot = 1,
    BootStage = 2,
    IoStart = 3,
    IoEnd = 4,
    WorkloadStart = 5,
    WorkloadEnd = 6,
    UserMark = 7,
    CounterReset = 8,
    // Never on the wire: what the host's libvirt reported about the guest while it was recorded
    // (started, shut down, crashed, rebooted), written into the run by ExitScope.
    HostEvent = 64,
};

// What a HostEvent marker reports, kept in its Marker::span (which host markers have no other use
// for), so that analysis does not depend on the marker's translated text. Runs recorded before it was
// kept carry Unknown.
enum class HostEventCode : quint32 {
    Unknown = 0,
    GuestStarted = 1,
    GuestShutDown = 2,
    GuestStopped = 3,
    GuestCrashed = 4,
    GuestRebooted = 5,
    GuestSuspended = 6,
    GuestResumed = 7,
};

enum class SenderError : quint16 {
    LeafNotPresent = 1,
    WriteFailed = 2,
    IoWatcherFailed = 3,
    CommandRejected = 4,
    WorkloadFailed = 5,
    NoKvm = 6,
};

struct Handshake
{
    quint64 seq = 0;
    quint16 protocolMajor = Protocol::Major;
    quint16 protocolMinor = Protocol::Minor;
    SourceKind sourceKind = SourceKind::Unknown;
    CpuVendor cpuVendor = CpuVendor::Unknown;
    quint16 abiVersion = 0;
    quint32 totalLeaf = Protocol::TotalLeaf;
    quint32 reasonLeaf = Protocol::ReasonLeaf;
    quint32 discoveryLeaf = Protocol::DiscoveryLeaf;
    quint64 sessionId = 0;
    quint64 periodNs = 0;
    QString sender;
    QString host;

    bool operator==(const Handshake &o) const;
};

struct Sample
{
    quint64 seq = 0;
    quint64 tNs = 0;
    quint32 exits = 0; // raw 32-bit counter as read, wraps
    quint64 cycles = 0;
    quint64 ownCpuid = 0;

    bool operator==(const Sample &o) const
    {
        return seq == o.seq && tNs == o.tNs && exits == o.exits && cycles == o.cycles && ownCpuid == o.ownCpuid;
    }
};

struct Marker
{
    enum Flag : quint8 { CountersValid = 0x01 };

    quint64 seq = 0;
    quint64 tNs = 0;
    quint32 exits = 0;
    quint64 cycles = 0;
    MarkerKind kind = MarkerKind::UserMark;
    quint8 flags = 0;
    quint32 span = 0;
    QString text;

    bool countersValid() const { return flags & CountersValid; }
    bool operator==(const Marker &o) const
    {
        return seq == o.seq && tNs == o.tNs && exits == o.exits && cycles == o.cycles && kind == o.kind
            && flags == o.flags && span == o.span && text == o.text;
    }
};

struct Heartbeat
{
    quint64 seq = 0;
    quint64 tNs = 0;
    quint64 dropped = 0;
    bool operator==(const Heartbeat &o) const { return seq == o.seq && tNs == o.tNs && dropped == o.dropped; }
};

struct ErrorRecord
{
    quint64 seq = 0;
    quint64 tNs = 0;
    quint16 code = 0;
    QString text;
    bool operator==(const ErrorRecord &o) const
    {
        return seq == o.seq && tNs == o.tNs && code == o.code && text == o.text;
    }
};

struct ReasonSample
{
    quint64 seq = 0;
    quint64 tNs = 0;
    quint32 reason = 0;
    quint32 exits = 0;
    quint64 cycles = 0;
    bool operator==(const ReasonSample &o) const
    {
        return seq == o.seq && tNs == o.tNs && reason == o.reason && exits == o.exits && cycles == o.cycles;
    }
};

QString markerKindName(MarkerKind kind);
QString sourceKindName(SourceKind kind);
QString cpuVendorName(CpuVendor vendor);

} // namespace ExitScope
