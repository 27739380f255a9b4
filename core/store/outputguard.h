// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

namespace ExitScope {

// Keeps an output from landing on something the user needs: the recording being read, the run
// database, another output of the same command. Writing a CSV over the run database, or saving the
// stream over the recording it is replayed from, destroys the data in the first instant.
class OutputGuard
{
public:
    enum class Kind {
        File,     // one file (a recording being read)
        Database, // an SQLite database: its journal files (-wal, -shm, -journal) are protected too
    };
    // A file that must not be written to, with how to name it in a message ("the run database",
    // "the recording being replayed").
    void protect(const QString &path, const QString &role, Kind kind = Kind::File);

    // Empty when `output` may be written; otherwise why not. Paths are compared as the files they
    // reach (links followed, the same file under another name found by device and inode).
    QString refusal(const QString &output) const;

    // Two outputs of one command naming the same file.
    static QString clash(const QStringList &outputs);

private:
    struct Protected
    {
        QString path;
        QString role;
        Kind kind;
    };
    QList<Protected> m_protected;
};

} // namespace ExitScope
