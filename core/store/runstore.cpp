// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/runstore.h"

#include "store/recorderidentity.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QUrl>

#include <unistd.h>

Q_LOGGING_CATEGORY(lcStore, "exitscope.store", QtWarningMsg)

namespace ExitScope {

namespace {

// 1: runs, samples, events. 2: runs.recorder, the process recording a run (RecorderIdentity).
constexpr int SchemaVersion = 2;

// SQLite integers are signed 64-bit; counters are stored as their bit pattern.
QVariant u64(quint64 value)
{
    return QVariant(qint64(value));
}

quint64 toU64(const QVariant &value)
{
    return quint64(value.toLongLong());
}

// Event rows share one table; `type` is the protocol record type, or one of these for
// what the reader itself observed.
constexpr int GapRow = 0x80;

QString handshakeToJson(const Handshake &h)
{
    QJsonObject o;
    o[QStringLiteral("major")] = h.protocolMajor;
    o[QStringLiteral("minor")] = h.protocolMinor;
    o[QStringLiteral("source")] = int(h.sourceKind);
    o[QStringLiteral("vendor")] = int(h.cpuVendor);
    o[QStringLiteral("abi")] = h.abiVersion;
    o[QStringLiteral("totalLeaf")] = qint64(h.totalLeaf);
    o[QStringLiteral("reasonLeaf")] = qint64(h.reasonLeaf);
    o[QStringLiteral("discoveryLeaf")] = qint64(h.discoveryLeaf);
    o[QStringLiteral("session")] = QString::number(h.sessionId);
    o[QStringLiteral("periodNs")] = QString::number(h.periodNs);
    o[QStringLiteral("sender")] = h.sender;
    o[QStringLiteral("host")] = h.host;
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

Handshake handshakeFromJson(const QString &json)
{
    const auto o = QJsonDocument::fromJson(json.toUtf8()).object();
    Handshake h;
    h.protocolMajor = quint16(o[QStringLiteral("major")].toInt());
    h.protocolMinor = quint16(o[QStringLiteral("minor")].toInt());
    h.sourceKind = SourceKind(o[QStringLiteral("source")].toInt());
    h.cpuVendor = CpuVendor(o[QStringLiteral("vendor")].toInt());
    h.abiVersion = quint16(o[QStringLiteral("abi")].toInt());
    h.totalLeaf = quint32(o[QStringLiteral("totalLeaf")].toInteger());
    h.reasonLeaf = quint32(o[QStringLiteral("reasonLeaf")].toInteger());
    h.discoveryLeaf = quint32(o[QStringLiteral("discoveryLeaf")].toInteger());
    h.sessionId = o[QStringLiteral("session")].toString().toULongLong();
    h.periodNs = o[QStringLiteral("periodNs")].toString().toULongLong();
    h.sender = o[QStringLiteral("sender")].toString();
    h.host = o[QStringLiteral("host")].toString();
    return h;
}

} // namespace

namespace {
// Qt SQL's cost per executed statement is several times SQLite's cost per row, so runs of samples
// (most of any batch) go in as multi-row inserts: 64 rows at a time, the rest of a run 8 at a time.
constexpr int SamplesPerInsert = 64;
constexpr int FewSamplesPerInsert = 8;
constexpr int SampleColumns = 7;
} // namespace

struct RunStore::Statements
{
    explicit Statements(const QSqlDatabase &db)
        : sample(db)
        , samples(db)
        , fewSamples(db)
        , event(db)
    {
    }
    QSqlQuery sample;
    QSqlQuery samples; // SamplesPerInsert rows
    QSqlQuery fewSamples; // FewSamplesPerInsert rows
    QSqlQuery event;
    // Sample statements bind by name: Qt's positional bindValue(int) formats a placeholder name for
    // every value it binds, which cost more than SQLite's insert itself.
    QStringList placeholders;
};

RunStore::RunStore()
{
    static QAtomicInteger<int> counter;
    m_connection = QStringLiteral("exitscope-store-%1").arg(counter.fetchAndAddRelaxed(1));
}

RunStore::~RunStore()
{
    m_statements.reset(); // before the connection goes
    if (QSqlDatabase::contains(m_connection)) {
        QSqlDatabase::database(m_connection, false).close();
        QSqlDatabase::removeDatabase(m_connection);
    }
}

QString RunStore::defaultPath()
{
    const auto dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir).filePath(QStringLiteral("runs.sqlite"));
}

bool RunStore::failSql(const QString &what, const QSqlError &error)
{
    // SQLite's primary result codes: SQLITE_BUSY 5 and SQLITE_LOCKED 6 (extended codes keep them in
    // their low byte). Busy is expected while another process writes, and retried: not a warning.
    const int code = error.nativeErrorCode().toInt() & 0xff;
    if (code == 5 || code == 6) {
        m_lastError = what + QStringLiteral(": ") + error.text();
        m_lastErrorBusy = true;
        qCDebug(lcStore) << m_lastError;
        return false;
    }
    return fail(what, error.text());
}

bool RunStore::setBusyTimeout(int milliseconds)
{
    return exec(QStringLiteral("PRAGMA busy_timeout = %1").arg(qMax(0, milliseconds)));
}

bool RunStore::fail(const QString &what, const QString &detail)
{
    m_lastErrorBusy = false;
    m_lastError = detail.isEmpty() ? what : what + QStringLiteral(": ") + detail;
    qCWarning(lcStore) << m_lastError;
    return false;
}

bool RunStore::exec(const QString &statement)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(statement))
        return fail(QCoreApplication::translate("RunStore", "Database statement failed"),
                    statement + QStringLiteral(": ") + q.lastError().text());
    return true;
}

bool RunStore::isOpen() const
{
    return QSqlDatabase::contains(m_connection) && QSqlDatabase::database(m_connection, false).isOpen();
}

bool RunStore::open(const QString &path)
{
    m_statements.reset();
    m_nextOrdinal.clear();
    m_path = path;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return fail(QCoreApplication::translate("RunStore", "Cannot create the folder for the run database"),
                    info.absolutePath());
    auto db = QSqlDatabase::contains(m_connection) ? QSqlDatabase::database(m_connection, false)
                                                   : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    if (!db.isValid())
        return fail(QCoreApplication::translate("RunStore", "The Qt SQLite driver is not available"),
                    QCoreApplication::translate("RunStore", "Install the package libqt6sql6-sqlite."));
    // A store on read-only media, or one this user may only read, is opened for reading: it used to
    // fail to open at all. SQLite cannot create the WAL's index beside such a file, so a store that
    // was closed cleanly (no WAL left) is opened as immutable, which needs none.
    m_readOnly = info.exists()
        && (::access(QFile::encodeName(path).constData(), W_OK) != 0
            || ::access(QFile::encodeName(info.absolutePath()).constData(), W_OK) != 0);
    const QFileInfo wal(path + QStringLiteral("-wal"));
    if (m_readOnly && (!wal.exists() || wal.size() == 0)) {
        QUrl uri = QUrl::fromLocalFile(info.absoluteFilePath());
        uri.setQuery(QStringLiteral("immutable=1"));
        db.setDatabaseName(uri.toString(QUrl::FullyEncoded));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI"));
    } else {
        db.setDatabaseName(path);
        db.setConnectOptions(m_readOnly ? QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=%1").arg(DefaultBusyTimeoutMs)
                                        : QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(DefaultBusyTimeoutMs));
    }
    if (!db.open())
        return fail(QCoreApplication::translate("RunStore", "Cannot open the run database %1").arg(path),
                    db.lastError().text());

    // A file that is not a database (or a damaged one) fails on the first read, not on open().
    QSqlQuery probe(db);
    if (!probe.exec(QStringLiteral("PRAGMA user_version"))) {
        const auto error = probe.lastError().text();
        db.close();
        return fail(QCoreApplication::translate("RunStore", "%1 is not a readable ExitScope run database").arg(path),
                    error);
    }
    probe.next();
    const int version = probe.value(0).toInt();
    probe.finish();
    if (version > SchemaVersion) {
        db.close();
        return fail(QCoreApplication::translate("RunStore",
                                                "%1 was written by a newer ExitScope (schema %2, this one reads %3)")
                        .arg(path)
                        .arg(version)
                        .arg(SchemaVersion),
                    {});
    }

    if (m_readOnly) {
        if (version == 0) {
            db.close();
            return fail(QCoreApplication::translate("RunStore", "%1 is not an ExitScope run database, and it is "
                                                                "read-only")
                            .arg(path),
                        {});
        }
        // Nothing is set up, upgraded or recovered: that would be a write. Schema 1 reads as 2.
        qCInfo(lcStore) << path << "is read-only: opened for reading";
        m_lastError.clear();
        return true;
    }

    // Version 0 is a file ExitScope has not set up: an empty one is made a run database, but one with
    // tables of its own belongs to another program and is left exactly as it is (not even switched to
    // WAL), rather than given ExitScope's tables.
    if (version == 0) {
        QSqlQuery tables(db);
        if (!tables.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"))) {
            const auto error = tables.lastError().text();
            db.close();
            return fail(QCoreApplication::translate("RunStore", "%1 is not a readable ExitScope run database").arg(path),
                        error);
        }
        QStringList names;
        while (tables.next())
            names.append(tables.value(0).toString());
        tables.finish();
        if (!names.isEmpty()) {
            db.close();
            return fail(QCoreApplication::translate("RunStore",
                                                    "%1 is another program's SQLite database (tables %2), not an "
                                                    "ExitScope run database; it was left unchanged: name another file")
                            .arg(path, names.mid(0, 5).join(QStringLiteral(", "))
                                           + (names.size() > 5 ? QStringLiteral(", …") : QString())),
                        {});
        }
    }

    // WAL with synchronous=NORMAL: a committed batch survives the process being killed; only a power
    // loss can take the last commits.
    if (!exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !exec(QStringLiteral("PRAGMA synchronous=NORMAL")))
        return false;
    if (version == 0) {
        // One transaction, so a process killed while setting up leaves an empty file rather than
        // tables without a version (which would then be taken for another program's).
        // Incremental auto-vacuum, so that deleting runs gives the space back (compactAfterDelete);
        // it can only be chosen before the first table.
        if (!exec(QStringLiteral("PRAGMA auto_vacuum=INCREMENTAL")) || !exec(QStringLiteral("BEGIN IMMEDIATE")))
            return false;
        const QStringList schema = {
            QStringLiteral("CREATE TABLE IF NOT EXISTS runs ("
                           "id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, host TEXT, kernel TEXT, "
                           "guest TEXT, source TEXT, leaf_layout TEXT, notes TEXT, started_at TEXT, "
                           "finished_at TEXT, state INTEGER NOT NULL, failure TEXT, "
                           "sample_count INTEGER NOT NULL DEFAULT 0, marker_count INTEGER NOT NULL DEFAULT 0, recorder TEXT)"),
            // Samples are most of the data and what people query, so they get a table of their own.
            QStringLiteral("CREATE TABLE IF NOT EXISTS samples ("
                           "run_id INTEGER NOT NULL, ord INTEGER NOT NULL, seq INTEGER NOT NULL, "
                           "t_ns INTEGER NOT NULL, exits INTEGER NOT NULL, cycles INTEGER NOT NULL, "
                           "own_cpuid INTEGER NOT NULL, PRIMARY KEY (run_id, ord)) WITHOUT ROWID"),
            QStringLiteral("CREATE TABLE IF NOT EXISTS events ("
                           "run_id INTEGER NOT NULL, ord INTEGER NOT NULL, type INTEGER NOT NULL, seq INTEGER, "
                           "t_ns INTEGER, exits INTEGER, cycles INTEGER, kind INTEGER, flags INTEGER, "
                           "span INTEGER, value INTEGER, text TEXT, PRIMARY KEY (run_id, ord)) WITHOUT ROWID"),
            QStringLiteral("PRAGMA user_version=%1").arg(SchemaVersion),
        };
        for (const auto &statement : schema) {
            if (!exec(statement)) {
                exec(QStringLiteral("ROLLBACK"));
                return false;
            }
        }
        if (!exec(QStringLiteral("COMMIT")))
            return false;
    } else if (version == 1) {
        if (!exec(QStringLiteral("BEGIN IMMEDIATE")))
            return false;
        if (!exec(QStringLiteral("ALTER TABLE runs ADD COLUMN recorder TEXT"))
            || !exec(QStringLiteral("PRAGMA user_version=%1").arg(SchemaVersion))) {
            exec(QStringLiteral("ROLLBACK"));
            return false;
        }
        if (!exec(QStringLiteral("COMMIT")))
            return false;
    }
    if (!recoverInterruptedRuns())
        return false;
    m_lastError.clear();
    return true;
}

bool RunStore::recoverInterruptedRuns()
{
    auto db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT id, recorder, sample_count FROM runs WHERE state = ?"));
    q.addBindValue(int(RunInfo::State::Recording));
    if (!q.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot read the runs of %1").arg(m_path), q.lastError().text());
    struct Orphan
    {
        qint64 id;
        qint64 samples;
    };
    QVector<Orphan> orphans;
    while (q.next()) {
        // Only a process that is known to have ended leaves an orphan; one recording on another
        // machine sharing the file is left alone.
        if (RecorderIdentity::fromString(q.value(1).toString()).liveness() == RecorderIdentity::Liveness::Gone)
            orphans.append({q.value(0).toLongLong(), q.value(2).toLongLong()});
    }
    q.finish();
    for (const auto &orphan : orphans) {
        QSqlQuery update(db);
        // The state is checked again: the run may have been finished since it was read.
        update.prepare(QStringLiteral("UPDATE runs SET state = ?, failure = ? WHERE id = ? AND state = ?"));
        update.addBindValue(int(RunInfo::State::Interrupted));
        update.addBindValue(QCoreApplication::translate("RunStore",
                                                        "The recording process ended without finishing the run "
                                                        "(killed, crashed, or its machine went down); the "
                                                        "%1 samples it had stored are kept")
                                .arg(orphan.samples));
        update.addBindValue(orphan.id);
        update.addBindValue(int(RunInfo::State::Recording));
        if (!update.exec())
            return fail(QCoreApplication::translate("RunStore", "Cannot mark run %1 as interrupted").arg(orphan.id),
                        update.lastError().text());
        qCInfo(lcStore) << "run" << orphan.id << "was left recording by a process that ended: marked interrupted";
    }
    return true;
}

qint64 RunStore::createRun(const RunInfo &info)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("INSERT INTO runs (name, host, kernel, guest, source, leaf_layout, notes, started_at, "
                             "state, recorder) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    const auto started = info.startedAt.isValid() ? info.startedAt : QDateTime::currentDateTimeUtc();
    // Every run has a name in the list; one nobody gave is named after its start.
    const auto name = RunInfo::cleanName(info.name);
    q.addBindValue(name.isEmpty() ? QCoreApplication::translate("RunStore", "run of %1").arg(started.toLocalTime().toString(Qt::ISODate))
                                  : name);
    q.addBindValue(info.host);
    q.addBindValue(info.kernel);
    q.addBindValue(info.guest);
    q.addBindValue(info.source);
    q.addBindValue(info.leafLayout);
    q.addBindValue(info.notes);
    q.addBindValue(started.toString(Qt::ISODateWithMs));
    q.addBindValue(int(RunInfo::State::Recording));
    q.addBindValue(RecorderIdentity::current().toString());
    if (!q.exec()) {
        fail(QCoreApplication::translate("RunStore", "Cannot create a run"), q.lastError().text());
        return -1;
    }
    const auto id = q.lastInsertId().toLongLong();
    m_nextOrdinal.insert(id, 0);
    return id;
}

bool RunStore::finishRun(qint64 runId, RunInfo::State state, const QString &failure)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE runs SET state = ?, failure = ?, finished_at = ? WHERE id = ?"));
    q.addBindValue(int(state));
    q.addBindValue(failure);
    q.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    q.addBindValue(runId);
    if (!q.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot finish run %1").arg(runId), q.lastError().text());
    return true;
}

bool RunStore::updateLeafLayout(qint64 runId, const QString &layout)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE runs SET leaf_layout = ? WHERE id = ?"));
    q.addBindValue(layout);
    q.addBindValue(runId);
    return q.exec() || fail(QCoreApplication::translate("RunStore", "Cannot update run %1").arg(runId), q.lastError().text());
}

bool RunStore::updateOrigin(qint64 runId, const QString &host, const QString &guest)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE runs SET host = ?, guest = ? WHERE id = ?"));
    q.addBindValue(host);
    q.addBindValue(guest);
    q.addBindValue(runId);
    return q.exec() || fail(QCoreApplication::translate("RunStore", "Cannot update run %1").arg(runId), q.lastError().text());
}

bool RunStore::renameRun(qint64 runId, const QString &newName)
{
    const auto name = RunInfo::cleanName(newName);
    if (name.isEmpty())
        return fail(QCoreApplication::translate("RunStore", "A run needs a name: '%1' has no visible characters").arg(newName), {});
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE runs SET name = ? WHERE id = ?"));
    q.addBindValue(name);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot rename run %1").arg(runId), q.lastError().text());
    if (q.numRowsAffected() != 1)
        return fail(QCoreApplication::translate("RunStore", "There is no run %1").arg(runId), {});
    return true;
}

bool RunStore::setNotes(qint64 runId, const QString &notes)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE runs SET notes = ? WHERE id = ?"));
    q.addBindValue(notes);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot change notes of run %1").arg(runId),
                    q.lastError().text());
    if (q.numRowsAffected() != 1)
        return fail(QCoreApplication::translate("RunStore", "There is no run %1").arg(runId), {});
    return true;
}

bool RunStore::deleteRun(qint64 runId)
{
    auto db = QSqlDatabase::database(m_connection, false);
    if (!db.transaction())
        return fail(QCoreApplication::translate("RunStore", "Cannot delete run %1").arg(runId), db.lastError().text());
    QSqlQuery q(db);
    // A run another process (or this one) is recording is not deleted under it: its next batch
    // would land in rows that belong to no run.
    q.prepare(QStringLiteral("SELECT recorder FROM runs WHERE id = ? AND state = ?"));
    q.addBindValue(runId);
    q.addBindValue(int(RunInfo::State::Recording));
    if (q.exec() && q.next()) {
        const auto recorder = RecorderIdentity::fromString(q.value(0).toString());
        if (recorder.liveness() != RecorderIdentity::Liveness::Gone) {
            db.rollback();
            return fail(QCoreApplication::translate("RunStore",
                                                    "Run %1 is being recorded (process %2 on %3); stop that "
                                                    "recording first")
                            .arg(runId)
                            .arg(recorder.pid())
                            .arg(recorder.machine()),
                        {});
        }
    }
    q.finish();
    bool found = false;
    bool ok = true;
    for (const auto *table : {"samples", "events", "runs"}) {
        const auto column = qstrcmp(table, "runs") == 0 ? QStringLiteral("id") : QStringLiteral("run_id");
        q.prepare(QStringLiteral("DELETE FROM %1 WHERE %2 = ?").arg(QLatin1String(table), column));
        q.addBindValue(runId);
        ok = ok && q.exec();
        if (ok && qstrcmp(table, "runs") == 0)
            found = q.numRowsAffected() == 1;
    }
    if (!ok) {
        const auto error = q.lastError().text();
        db.rollback();
        return fail(QCoreApplication::translate("RunStore", "Cannot delete run %1").arg(runId), error);
    }
    if (!found) {
        db.rollback();
        return fail(QCoreApplication::translate("RunStore", "There is no run %1").arg(runId), {});
    }
    m_nextOrdinal.remove(runId);
    if (!db.commit())
        return fail(QCoreApplication::translate("RunStore", "Cannot delete run %1").arg(runId), db.lastError().text());
    compactAfterDelete();
    return true;
}

void RunStore::compactAfterDelete()
{
    // The run is gone either way: a store that cannot be compacted now (another process reading or
    // writing it) is compacted after a later delete.
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    const auto pragma = [&q](const char *name) -> qint64 {
        return q.exec(QStringLiteral("PRAGMA %1").arg(QLatin1String(name))) && q.next() ? q.value(0).toLongLong() : -1;
    };
    const auto autoVacuum = pragma("auto_vacuum");
    const auto pages = pragma("page_count");
    const auto freePages = pragma("freelist_count");
    q.finish();
    if (autoVacuum == 2) {
        // Pages freed go back to the file system at the next checkpoint.
        if (freePages > 0 && !q.exec(QStringLiteral("PRAGMA incremental_vacuum")))
            qCInfo(lcStore) << "cannot give back the space of deleted runs now:" << q.lastError().text();
        while (q.next()) { } // incremental_vacuum works as its rows are stepped through
        q.finish();
        exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
        return;
    }
    // A store made before incremental auto-vacuum never shrank. Once more than half of it is free,
    // it is rewritten once with incremental auto-vacuum, after which every delete shrinks it.
    if (pages > 0 && freePages * 2 > pages) {
        qCInfo(lcStore) << "compacting" << m_path << ":" << freePages << "of" << pages << "pages are free";
        if (!exec(QStringLiteral("PRAGMA auto_vacuum=INCREMENTAL")) || !exec(QStringLiteral("VACUUM")))
            qCInfo(lcStore) << "cannot compact now:" << m_lastError;
        m_lastError.clear();
    }
}

bool RunStore::discardEmptyRun(qint64 runId)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("DELETE FROM runs WHERE id = ? AND sample_count = 0 AND marker_count = 0 "
                             "AND NOT EXISTS (SELECT 1 FROM samples WHERE run_id = ?) "
                             "AND NOT EXISTS (SELECT 1 FROM events WHERE run_id = ?)"));
    q.addBindValue(runId);
    q.addBindValue(runId);
    q.addBindValue(runId);
    if (!q.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot delete run %1").arg(runId), q.lastError().text());
    if (q.numRowsAffected() != 1)
        return false;
    m_nextOrdinal.remove(runId);
    return true;
}

namespace {
RunInfo runFromQuery(const QSqlQuery &q)
{
    RunInfo r;
    r.id = q.value(0).toLongLong();
    r.name = q.value(1).toString();
    r.host = q.value(2).toString();
    r.kernel = q.value(3).toString();
    r.guest = q.value(4).toString();
    r.source = q.value(5).toString();
    r.leafLayout = q.value(6).toString();
    r.notes = q.value(7).toString();
    r.startedAt = QDateTime::fromString(q.value(8).toString(), Qt::ISODateWithMs);
    r.finishedAt = QDateTime::fromString(q.value(9).toString(), Qt::ISODateWithMs);
    r.state = RunInfo::State(q.value(10).toInt());
    r.failure = q.value(11).toString();
    r.sampleCount = q.value(12).toLongLong();
    r.markerCount = q.value(13).toLongLong();
    return r;
}
const auto RunColumns = "id, name, host, kernel, guest, source, leaf_layout, notes, started_at, finished_at, "
                        "state, failure, sample_count, marker_count";
} // namespace

QVector<RunInfo> RunStore::listRuns()
{
    QVector<RunInfo> runs;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("SELECT %1 FROM runs ORDER BY id").arg(QLatin1String(RunColumns)))) {
        fail(QCoreApplication::translate("RunStore", "Cannot list runs"), q.lastError().text());
        return runs;
    }
    while (q.next())
        runs.append(runFromQuery(q));
    return runs;
}

bool RunStore::runInfo(qint64 runId, RunInfo *info)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT %1 FROM runs WHERE id = ?").arg(QLatin1String(RunColumns)));
    q.addBindValue(runId);
    if (!q.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot read run %1").arg(runId), q.lastError().text());
    if (!q.next())
        return fail(QCoreApplication::translate("RunStore", "There is no run %1").arg(runId), {});
    *info = runFromQuery(q);
    return true;
}

qint64 RunStore::nextOrdinal(qint64 runId)
{
    auto it = m_nextOrdinal.find(runId);
    if (it != m_nextOrdinal.end())
        return *it;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    // Qt binds positional values one per placeholder: a numbered placeholder used twice ("?1") makes
    // the statement fail with a parameter count mismatch.
    q.prepare(QStringLiteral("SELECT MAX(m) FROM (SELECT MAX(ord) AS m FROM samples WHERE run_id = ? "
                             "UNION ALL SELECT MAX(ord) FROM events WHERE run_id = ?)"));
    q.addBindValue(runId);
    q.addBindValue(runId);
    qint64 next = 0;
    if (q.exec() && q.next() && !q.value(0).isNull())
        next = q.value(0).toLongLong() + 1;
    m_nextOrdinal.insert(runId, next);
    return next;
}

bool RunStore::appendRecords(qint64 runId, const QVector<BufferedRecord> &records)
{
    if (records.isEmpty())
        return true;
    auto db = QSqlDatabase::database(m_connection, false);
    if (!db.transaction())
        return failSql(QCoreApplication::translate("RunStore", "Cannot write to the run database"), db.lastError());
    if (!m_statements) {
        auto statements = std::make_unique<Statements>(db);
        for (int i = 0; i < SamplesPerInsert * SampleColumns; ++i)
            statements->placeholders.append(QStringLiteral(":v%1").arg(i));
        const auto multiRow = [&statements](int rows) -> QString {
            QStringList tuples;
            for (int r = 0; r < rows; ++r)
                tuples.append(QLatin1Char('(')
                              + statements->placeholders.mid(r * SampleColumns, SampleColumns).join(QStringLiteral(", "))
                              + QLatin1Char(')'));
            return QStringLiteral("INSERT INTO samples VALUES ") + tuples.join(QLatin1Char(','));
        };
        if (!statements->sample.prepare(multiRow(1))
            || !statements->samples.prepare(multiRow(SamplesPerInsert))
            || !statements->fewSamples.prepare(multiRow(FewSamplesPerInsert))
            || !statements->event.prepare(
                QStringLiteral("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))) {
            const auto error = statements->sample.lastError().isValid() ? statements->sample.lastError().text()
                : statements->samples.lastError().isValid()             ? statements->samples.lastError().text()
                : statements->fewSamples.lastError().isValid()          ? statements->fewSamples.lastError().text()
                                                                        : statements->event.lastError().text();
            db.rollback();
            return fail(QCoreApplication::translate("RunStore", "Cannot write to the run database"), error);
        }
        m_statements = std::move(statements);
    }
    QSqlQuery &sampleQuery = m_statements->sample;
    const QStringList &placeholders = m_statements->placeholders;
    QSqlQuery &eventQuery = m_statements->event;

    qint64 ord = nextOrdinal(runId);
    qint64 samples = 0;
    qint64 markers = 0;
    QSqlError error;
    const auto event = [&](int type, quint64 seq, quint64 tNs, quint64 exits, quint64 cycles, int kind, int flags,
                           quint64 span, quint64 value, const QString &text) {
        const QVariant values[] = {runId, ord, type, u64(seq), u64(tNs), u64(exits), u64(cycles), kind, flags,
                                   u64(span), u64(value), text};
        for (int i = 0; i < 12; ++i)
            eventQuery.bindValue(i, values[i]);
        return eventQuery.exec();
    };
    for (qsizetype i = 0; i < records.size(); ++i) {
        const auto &record = records.at(i);
        bool ok = true;
        int run = 0;
        while (run < SamplesPerInsert && i + run < records.size() && std::holds_alternative<Sample>(records.at(i + run)))
            ++run;
        if (run >= FewSamplesPerInsert) {
            const int rows = run == SamplesPerInsert ? SamplesPerInsert : FewSamplesPerInsert;
            QSqlQuery &samplesQuery = rows == SamplesPerInsert ? m_statements->samples : m_statements->fewSamples;
            int column = 0;
            for (int r = 0; r < rows; ++r) {
                const auto &s = std::get<Sample>(records.at(i + r));
                samplesQuery.bindValue(placeholders.at(column++), runId);
                samplesQuery.bindValue(placeholders.at(column++), ord + r);
                samplesQuery.bindValue(placeholders.at(column++), u64(s.seq));
                samplesQuery.bindValue(placeholders.at(column++), u64(s.tNs));
                samplesQuery.bindValue(placeholders.at(column++), qint64(s.exits));
                samplesQuery.bindValue(placeholders.at(column++), u64(s.cycles));
                samplesQuery.bindValue(placeholders.at(column++), u64(s.ownCpuid));
            }
            if (!samplesQuery.exec()) {
                const auto error = samplesQuery.lastError();
                db.rollback();
                m_nextOrdinal.remove(runId);
                return failSql(QCoreApplication::translate("RunStore", "Cannot write records of run %1").arg(runId), error);
            }
            samples += rows;
            ord += rows;
            i += rows - 1;
            continue;
        }
        if (const auto *s = std::get_if<Sample>(&record)) {
            sampleQuery.bindValue(placeholders.at(0), runId);
            sampleQuery.bindValue(placeholders.at(1), ord);
            sampleQuery.bindValue(placeholders.at(2), u64(s->seq));
            sampleQuery.bindValue(placeholders.at(3), u64(s->tNs));
            sampleQuery.bindValue(placeholders.at(4), qint64(s->exits));
            sampleQuery.bindValue(placeholders.at(5), u64(s->cycles));
            sampleQuery.bindValue(placeholders.at(6), u64(s->ownCpuid));
            ok = sampleQuery.exec();
            if (!ok)
                error = sampleQuery.lastError();
            ++samples;
        } else {
            if (const auto *m = std::get_if<Marker>(&record)) {
                ok = event(int(RecordType::Marker), m->seq, m->tNs, m->exits, m->cycles, int(m->kind), m->flags,
                           m->span, 0, m->text);
                ++markers;
            } else if (const auto *h = std::get_if<Handshake>(&record)) {
                ok = event(int(RecordType::Handshake), h->seq, 0, 0, 0, 0, 0, 0, h->sessionId, handshakeToJson(*h));
            } else if (const auto *b = std::get_if<Heartbeat>(&record)) {
                ok = event(int(RecordType::Heartbeat), b->seq, b->tNs, 0, 0, 0, 0, 0, b->dropped, {});
            } else if (const auto *e = std::get_if<ErrorRecord>(&record)) {
                ok = event(int(RecordType::Error), e->seq, e->tNs, 0, 0, 0, 0, 0, e->code, e->text);
            } else if (const auto *r = std::get_if<ReasonSample>(&record)) {
                ok = event(int(RecordType::ReasonSample), r->seq, r->tNs, r->exits, r->cycles, 0, 0, 0, r->reason, {});
            } else if (const auto *g = std::get_if<GapRecord>(&record)) {
                ok = event(GapRow, g->first, 0, 0, 0, 0, 0, 0, g->last, {});
            }
            if (!ok)
                error = eventQuery.lastError();
        }
        if (!ok) {
            db.rollback();
            m_nextOrdinal.remove(runId);
            return failSql(QCoreApplication::translate("RunStore", "Cannot write records of run %1").arg(runId), error);
        }
        ++ord;
    }
    QSqlQuery counts(db);
    counts.prepare(QStringLiteral(
        "UPDATE runs SET sample_count = sample_count + ?, marker_count = marker_count + ? WHERE id = ?"));
    counts.addBindValue(samples);
    counts.addBindValue(markers);
    counts.addBindValue(runId);
    if (counts.exec() && counts.numRowsAffected() != 1) {
        // The run was deleted (by another process) while it was being recorded: its rows would be
        // orphans that no list shows and no delete removes.
        db.rollback();
        m_nextOrdinal.remove(runId);
        return fail(QCoreApplication::translate("RunStore", "Run %1 no longer exists in the run database: it was "
                                                            "deleted while it was being recorded")
                        .arg(runId),
                    {});
    }
    if (counts.lastError().isValid() || !db.commit()) {
        const auto detail = counts.lastError().isValid() ? counts.lastError() : db.lastError();
        db.rollback();
        m_nextOrdinal.remove(runId);
        return failSql(QCoreApplication::translate("RunStore", "Cannot write records of run %1").arg(runId), detail);
    }
    m_nextOrdinal.insert(runId, ord);
    return true;
}

QStringList RunStore::integrityProblems(int limit)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("PRAGMA integrity_check(%1)").arg(qMax(1, limit))))
        return {q.lastError().text()};
    QStringList problems;
    while (q.next())
        problems << q.value(0).toString();
    if (q.lastError().isValid())
        problems << q.lastError().text();
    if (problems == QStringList{QStringLiteral("ok")})
        return {};
    return problems;
}

bool RunStore::replay(qint64 runId, RecordSink *sink, const std::function<bool(qint64, qint64)> &progress)
{
    auto db = QSqlDatabase::database(m_connection, false);
    // One read transaction: the run's counts and its rows come from the same snapshot, so a recorder
    // appending meanwhile cannot make a complete read look short (or a short one look complete).
    const bool snapshot = db.transaction();
    const auto endSnapshot = qScopeGuard([&] {
        if (snapshot)
            db.rollback();
    });
    RunInfo info;
    if (!runInfo(runId, &info))
        return false;
    QSqlQuery samples(db);
    samples.setForwardOnly(true);
    samples.prepare(QStringLiteral("SELECT ord, seq, t_ns, exits, cycles, own_cpuid FROM samples WHERE run_id = ? "
                                   "ORDER BY ord"));
    samples.addBindValue(runId);
    QSqlQuery events(db);
    events.setForwardOnly(true);
    events.prepare(QStringLiteral("SELECT ord, type, seq, t_ns, exits, cycles, kind, flags, span, value, text "
                                  "FROM events WHERE run_id = ? ORDER BY ord"));
    events.addBindValue(runId);
    if (!samples.exec() || !events.exec())
        return fail(QCoreApplication::translate("RunStore", "Cannot read run %1").arg(runId),
                    samples.lastError().isValid() ? samples.lastError().text() : events.lastError().text());

    const qint64 total = info.sampleCount;
    qint64 done = 0;
    qint64 markers = 0;
    bool haveSample = samples.next();
    bool haveEvent = events.next();
    while (haveSample || haveEvent) {
        const bool takeSample =
            haveSample && (!haveEvent || samples.value(0).toLongLong() < events.value(0).toLongLong());
        if (takeSample) {
            Sample s;
            s.seq = toU64(samples.value(1));
            s.tNs = toU64(samples.value(2));
            s.exits = quint32(samples.value(3).toLongLong());
            s.cycles = toU64(samples.value(4));
            s.ownCpuid = toU64(samples.value(5));
            sink->sample(s);
            haveSample = samples.next();
            ++done;
            if (progress && (done % 8192) == 0 && !progress(done, total))
                return fail(QCoreApplication::translate("RunStore", "Loading was cancelled"), {});
            continue;
        }
        const int type = events.value(1).toInt();
        const quint64 seq = toU64(events.value(2));
        const quint64 tNs = toU64(events.value(3));
        const quint64 value = toU64(events.value(9));
        const QString text = events.value(10).toString();
        switch (type) {
        case int(RecordType::Handshake): {
            auto h = handshakeFromJson(text);
            h.seq = seq;
            sink->handshake(h);
            break;
        }
        case int(RecordType::Marker): {
            Marker m;
            m.seq = seq;
            m.tNs = tNs;
            m.exits = quint32(events.value(4).toLongLong());
            m.cycles = toU64(events.value(5));
            m.kind = MarkerKind(events.value(6).toInt());
            m.flags = quint8(events.value(7).toInt());
            m.span = quint32(events.value(8).toLongLong());
            m.text = text;
            sink->marker(m);
            ++markers;
            break;
        }
        case int(RecordType::Heartbeat):
            sink->heartbeat(Heartbeat{seq, tNs, value});
            break;
        case int(RecordType::Error):
            sink->error(ErrorRecord{seq, tNs, quint16(value), text});
            break;
        case int(RecordType::ReasonSample):
            sink->reasonSample(ReasonSample{seq, tNs, quint32(value), quint32(events.value(4).toLongLong()),
                                            toU64(events.value(5))});
            break;
        case GapRow:
            sink->gap(seq, value);
            break;
        default:
            qCWarning(lcStore) << "skipping stored event of unknown type" << type << "in run" << runId;
        }
        haveEvent = events.next();
    }
    // next() is false at the end of the rows and on an error alike: a damaged page in the middle of a
    // run must not pass for its end. Both the error and the count the run recorded are checked.
    const auto readError = samples.lastError().isValid() ? samples.lastError().text() : events.lastError().text();
    if (!readError.isEmpty() || done != info.sampleCount || markers != info.markerCount) {
        return fail(QCoreApplication::translate("RunStore",
                                                "Run %1 is damaged in the run database %2: %3 of its %4 samples "
                                                "and %5 of its %6 markers could be read")
                        .arg(runId)
                        .arg(m_path)
                        .arg(done)
                        .arg(info.sampleCount)
                        .arg(markers)
                        .arg(info.markerCount),
                    readError.isEmpty() ? QCoreApplication::translate("RunStore", "rows are missing")
                                        : readError);
    }
    if (progress)
        progress(total, total);
    return true;
}

} // namespace ExitScope
