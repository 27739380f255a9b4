// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/recordbuffer.h"
#include "store/runinfo.h"

#include <QHash>
#include <QSqlError>
#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>
#include <memory>

namespace ExitScope {

// Runs in an SQLite database (Qt SQL). One instance is one connection and must be used from the
// thread that opened it; open a second instance on the same file for work on another thread.
// The database runs in WAL mode, so a reader never blocks the recording writer.
class RunStore
{
public:
    RunStore();
    ~RunStore();
    RunStore(const RunStore &) = delete;
    RunStore &operator=(const RunStore &) = delete;

    // Where runs go unless the user says otherwise.
    static QString defaultPath();

    // Opens (creating or upgrading) a run database. Runs left "recording" by a process that has ended
    // since (killed, crashed, machine down) are marked interrupted, with what they stored.
    bool open(const QString &path);
    bool isOpen() const;
    // Opened for reading only: the file or its folder cannot be written (read-only media, another
    // user's store). Runs can be listed, shown and exported; writes fail.
    bool isReadOnly() const { return m_readOnly; }
    QString path() const { return m_path; }
    QString lastError() const { return m_lastError; }
    // Whether the last failure was another connection holding the database's write lock for longer
    // than the busy timeout: nothing is wrong with the data, the same call can be tried again.
    bool lastErrorWasBusy() const { return m_lastErrorBusy; }
    // How long a statement waits for another connection's write lock before it fails as busy.
    bool setBusyTimeout(int milliseconds);
    static constexpr int DefaultBusyTimeoutMs = 5000;

    // Returns the new run's id, or -1.
    qint64 createRun(const RunInfo &info);
    bool finishRun(qint64 runId, RunInfo::State state, const QString &failure = {});
    bool updateLeafLayout(qint64 runId, const QString &layout);
    // Where the samples came from, as far as the sender's handshake tells.
    bool updateOrigin(qint64 runId, const QString &host, const QString &guest);
    bool renameRun(qint64 runId, const QString &name);
    bool setNotes(qint64 runId, const QString &notes);
    // Refused for a run that a running process is recording.
    bool deleteRun(qint64 runId);
    // Deletes a run that holds no record at all (its recording failed before anything arrived), so
    // that failed starts do not pile up as empty runs. Returns whether it was deleted.
    bool discardEmptyRun(qint64 runId);
    QVector<RunInfo> listRuns();
    // Returns false if the run does not exist.
    bool runInfo(qint64 runId, RunInfo *info);

    // Writes records in one transaction; ordinals continue the run's arrival order.
    bool appendRecords(qint64 runId, const QVector<BufferedRecord> &records);

    // SQLite's own check of the whole file: empty when it finds nothing wrong, else its findings
    // (at most `limit` of them).
    QStringList integrityProblems(int limit = 20);

    // Replays a run's records, in the order they arrived, into a sink. Returns false on a database
    // error; progress(done, total) is called every few thousand records when given.
    bool replay(qint64 runId, RecordSink *sink, const std::function<bool(qint64, qint64)> &progress = {});

private:
    bool exec(const QString &statement);
    // Runs left "recording" by a process that has ended become "interrupted", their samples kept.
    bool recoverInterruptedRuns();
    // Gives the space of deleted runs back to the file system.
    void compactAfterDelete();
    bool fail(const QString &what, const QString &detail);
    bool failSql(const QString &what, const QSqlError &error); // also notes whether it was busy
    qint64 nextOrdinal(qint64 runId);

    // Prepared once per connection: preparing costs more than inserting a few hundred rows.
    struct Statements;
    std::unique_ptr<Statements> m_statements;
    QHash<qint64, qint64> m_nextOrdinal;
    QString m_connection;
    QString m_path;
    QString m_lastError;
    bool m_lastErrorBusy = false;
    bool m_readOnly = false;
};

} // namespace ExitScope
