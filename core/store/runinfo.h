// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QString>

namespace ExitScope {

// What a run is about; everything but id, counts and state is set by whoever starts the run.
struct RunInfo
{
    // Stored as numbers: new states only at the end.
    enum class State {
        Recording,
        Complete,
        Failed,
        Interrupted, // its recording process ended without finishing it (killed, crashed, power lost)
        Damaged, // recorded to the end of its input, but parts of the input were damaged or lost
    };

    qint64 id = -1;
    QString name;
    QString host; // the host whose KVM was measured
    QString kernel; // that host's kernel release
    QString guest; // domain or guest name
    QString source; // what produced the stream: a file, a command, a channel
    QString leafLayout; // e.g. "0x4FFFFFFF/0x4FFFFFFE abi 1 AMD SVM", filled from the handshake
    QString notes;
    QDateTime startedAt;
    QDateTime finishedAt;
    State state = State::Recording;
    QString failure; // why a failed run stopped
    qint64 sampleCount = 0;
    qint64 markerCount = 0;

    static QString stateName(State state);
    // A run's name as stored: one line, no tabs or other control characters (they broke the `runs`
    // table and lists), spaces collapsed, at most MaxNameLength characters. Empty when nothing is left.
    static QString cleanName(const QString &name);
    static constexpr int MaxNameLength = 200;
};

} // namespace ExitScope
