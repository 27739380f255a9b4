// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/recordbuffer.h"
#include "sources/source.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTimer>

namespace ExitScope {

// Replays a recording (*.exs): as fast as the reader takes it, or paced by the records' own
// timestamps (optionally sped up), as if the sender were live.
class FileReplaySource : public Source
{
    Q_OBJECT
public:
    enum class Pace { Fast, Recorded };

    FileReplaySource(const QString &path, Pace pace, double speed = 1.0, QObject *parent = nullptr);

    void setSink(RecordSink *sink) override;
    QString description() const override;
    void start() override;
    void stop() override;

    // Records decoded and not yet released by paced replay; bounded by the read-ahead, whatever the
    // file's size (0 in fast replay, which hands every chunk on as it is decoded).
    qsizetype heldRecords() const { return m_decoded.size() - m_next; }
    // How many decoded records paced replay keeps ahead of its clock: one chunk is read when fewer are held.
    static constexpr qsizetype ReadAheadRecords = 16 * 1024;

private:
    // False when the input ended (or failed) with this chunk.
    bool readChunk();
    void pacedTick();
    void releaseDue();

    QFile m_file;
    Pace m_pace;
    double m_speed;
    QTimer m_timer;
    // Paced mode decodes the file a chunk ahead of its clock and releases records when their time
    // has come; released ones are dropped from the front now and then.
    RecordBuffer m_decoded;
    RecordSink *m_target = nullptr;
    qsizetype m_next = 0;
    QElapsedTimer m_clock;
    quint64 m_baseNs = 0;
    qint64 m_rebaseMs = 0; // replay time at which m_baseNs was taken
    quint64 m_lastNs = 0;
    qint64 m_lastDueMs = 0; // replay time at which the record of m_lastNs was due
    // The longest pause paced replay makes between two records, whatever their timestamps say.
    static constexpr qint64 MaxPauseMs = 2000;
    bool m_haveBase = false;

};

} // namespace ExitScope
