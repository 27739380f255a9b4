// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// What to record from, as a value: a recording replayed, a command's output, a guest's agent, or the
// host probe. Front ends fill one in and hand it to a RecordingSession; only createSource() turns it
// into a source object.
struct SourceSpec
{
    enum class Kind { Replay, Command, GuestAgent, HostProbe };

    Kind kind = Kind::Replay;
    // Replay
    QString path;
    bool paced = false;
    double speed = 1.0;
    // Command: one command line, words split as a shell would at spaces, double quotes group.
    QString commandLine;
    // GuestAgent and HostProbe
    QString uri; // libvirt URI of the L1 host (HostProbe: qemu+ssh or qemu+libssh)
    QString guest;
    bool bootGuest = false; // GuestAgent: start the guest once the reader is in place
    int rateHz = 50;        // HostProbe

    static SourceSpec replay(const QString &path, bool paced, double speed = 1.0);
    static SourceSpec command(const QString &commandLine);
    static SourceSpec guestAgent(const QString &uri, const QString &guest, bool bootGuest);
    static SourceSpec hostProbe(const QString &uri, int rateHz);

    // Empty when the spec can be recorded from; otherwise what is wrong, for the user.
    QString validate() const;
    // A live sender (not a file) that must say hello before it counts as connected.
    bool isLive() const { return kind != Kind::Replay; }
    // Short human-readable origin, e.g. "agent of exitscope-l2 on l1".
    QString describe() const;
};

} // namespace ExitScope
