// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// Which process records a run, precisely enough to tell later whether it still does: the machine,
// its boot, the process id and the process's start time (a pid alone is reused). Stored with each
// run, so that a run left "recording" by a process that was killed, crashed or lost its machine
// can be told from one another process is still recording.
class RecorderIdentity
{
public:
    enum class Liveness {
        Alive, // that process is running
        Gone, // it ended, or its machine was rebooted since
        Unknown, // it ran on another machine (a store on a shared file system): cannot tell
    };

    static RecorderIdentity current();
    // From toString(); an empty or unreadable text gives an identity whose liveness is Gone (runs
    // recorded before identities were stored cannot still be recording by a process of this version).
    static RecorderIdentity fromString(const QString &text);
    QString toString() const;

    Liveness liveness() const;
    qint64 pid() const { return m_pid; }
    QString machine() const { return m_machine; }

private:
    QString m_machine;
    QString m_bootId;
    qint64 m_pid = 0;
    quint64 m_startTicks = 0;
};

} // namespace ExitScope
