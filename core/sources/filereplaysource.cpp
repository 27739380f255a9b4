// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/filereplaysource.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace ExitScope {

namespace {
constexpr qint64 ChunkSize = 256 * 1024;
constexpr int PaceTickMs = 10;
} // namespace

FileReplaySource::FileReplaySource(const QString &path, Pace pace, double speed, QObject *parent)
    : Source(parent)
    , m_file(path)
    , m_pace(pace)
    , m_speed(speed > 0 ? speed : 1.0)
{
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_pace == Pace::Recorded)
            pacedTick();
        else if (m_file.isOpen())
            readChunk();
    });
}

void FileReplaySource::setSink(RecordSink *sink)
{
    m_target = sink;
    Source::setSink(m_pace == Pace::Fast ? sink : static_cast<RecordSink *>(&m_decoded));
}

QString FileReplaySource::description() const
{
    const auto name = QFileInfo(m_file.fileName()).fileName();
    if (m_pace == Pace::Fast)
        return QCoreApplication::translate("FileReplaySource", "replay of %1").arg(name);
    return QCoreApplication::translate("FileReplaySource", "replay of %1 at %2× recorded speed").arg(name).arg(m_speed);
}

void FileReplaySource::start()
{
    if (!m_file.open(QIODevice::ReadOnly)) {
        failWith(QCoreApplication::translate("FileReplaySource", "Cannot open the recording %1").arg(m_file.fileName()),
                 m_file.errorString());
        return;
    }
    markStarted();
    // Reading happens in timer ticks so that a long file never blocks the event loop.
    if (m_pace == Pace::Fast) {
        m_timer.start(0);
        return;
    }
    m_next = 0;
    m_clock.start();
    m_timer.start(PaceTickMs);
    pacedTick();
}

void FileReplaySource::stop()
{
    m_timer.stop();
    m_file.close();
    m_decoded.clear();
    m_next = 0;
    endOfInput();
}

bool FileReplaySource::readChunk()
{
    const auto bytes = m_file.read(ChunkSize);
    if (bytes.isEmpty() && !m_file.atEnd()) {
        const auto error = m_file.errorString();
        m_timer.stop();
        m_file.close();
        failWith(QCoreApplication::translate("FileReplaySource", "Cannot read the recording %1").arg(m_file.fileName()),
                 error);
        return false;
    }
    deliverBytes(bytes);
    Q_EMIT progress(m_file.pos(), m_file.size());
    if (!m_file.atEnd())
        return true;
    m_file.close();
    m_parser.finish();
    if (m_pace == Pace::Fast) {
        m_timer.stop();
        endOfInput();
        return false;
    }
    return true;
}

void FileReplaySource::pacedTick()
{
    // Read ahead only as far as the clock needs: the memory held does not grow with the file.
    while (m_file.isOpen() && heldRecords() < ReadAheadRecords) {
        if (!readChunk())
            return;
    }
    releaseDue();
}

void FileReplaySource::releaseDue()
{
    const auto &records = m_decoded.records();
    const auto now = m_clock.elapsed();
    bool delivered = false;
    while (m_next < records.size()) {
        const auto &record = records.at(m_next);
        const auto tNs = RecordBuffer::timestampOf(record);
        if (tNs != 0) {
            if (!m_haveBase || tNs < m_lastNs) {
                // First timestamp, or the sender's clock started over: release it now and pace
                // the following records from here.
                m_haveBase = true;
                m_baseNs = tNs;
                m_rebaseMs = now;
            } else if (double(tNs - m_lastNs) / 1e6 / m_speed > MaxPauseMs) {
                // A jump forward (a suspended sender, or a damaged or hostile timestamp) would stop the
                // replay for as long as it claims, possibly forever: pause at most MaxPauseMs.
                m_baseNs = tNs;
                m_rebaseMs = m_lastDueMs + MaxPauseMs;
            }
            const double dueMs = double(m_rebaseMs) + double(tNs - m_baseNs) / 1e6 / m_speed;
            if (dueMs > double(now))
                break;
            m_lastNs = tNs;
            m_lastDueMs = qint64(dueMs);
        }
        if (m_target)
            RecordBuffer::deliver(record, m_target);
        delivered = true;
        ++m_next;
    }
    if (delivered)
        Q_EMIT recordsDelivered();
    if (m_next >= records.size() && !m_file.isOpen()) {
        m_timer.stop();
        m_decoded.clear();
        m_next = 0;
        endOfInput();
        return;
    }
    if (m_next >= ReadAheadRecords) {
        m_decoded.dropFront(m_next);
        m_next = 0;
    }
}

} // namespace ExitScope
