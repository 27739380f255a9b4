// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

namespace ExitScope {

// The hosts the user has connected to, most recent first, kept in the user's settings (QSettings),
// with the nested lab as a standing first entry whose URI is asked of lab/labctl when it is chosen
// (its port changes with every start).
class SavedConnections
{
public:
    struct Entry
    {
        QString name; // user@host:port, or "Nested lab"
        QString uri;  // empty for the lab: resolve with labUri()
        bool isLab() const { return uri.isEmpty(); }
    };
    static constexpr int MaxEntries = 12;

    // The lab first, then the saved hosts.
    static QList<Entry> entries();
    // Puts uri first among the saved hosts (a lab URI is not saved: it changes).
    static void remember(const QString &uri);
    static QString lastUri();
    static void forgetAll();

    // The running lab's URI from `labctl uri`; empty with *error when the lab is not running or
    // labctl is not there (EXITSCOPE_LABCTL names it; default: the source tree's lab/labctl).
    static QString labUri(QString *error);
    static QString nameFor(const QString &uri);
};

} // namespace ExitScope
