// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/source.h"

namespace ExitScope {

Source::Source(QObject *parent)
    : QObject(parent)
{
}

void Source::setSink(RecordSink *sink)
{
    m_parser.setSink(sink);
}

void Source::dispose()
{
    beginDisposal();
    if (m_running)
        stop();
    m_rawCopy = nullptr;
    deleteLater();
}

void Source::deliverBytes(QByteArrayView bytes)
{
    if (!m_running || m_disposed)
        return; // a reader thread's last chunk, posted after stop(), or read while being disposed
    if (m_rawCopy && m_rawCopy->write(bytes.data(), bytes.size()) != bytes.size()) {
        qWarning("cannot save the raw stream: %s", qPrintable(m_rawCopy->errorString()));
        m_rawCopy = nullptr; // the run itself is still stored; say so once
    }
    const auto before = m_parser.stats().records;
    m_parser.feed(bytes);
    if (m_parser.stats().records != before)
        Q_EMIT recordsDelivered();
}

void Source::markStarted()
{
    m_running = true;
    Q_EMIT started();
}

void Source::endOfInput()
{
    if (!m_running)
        return;
    m_running = false;
    if (!m_disposed) {
        const auto before = m_parser.stats().records;
        m_parser.finish();
        if (m_parser.stats().records != before)
            Q_EMIT recordsDelivered();
    }
    Q_EMIT finished();
}

void Source::failWith(const QString &message, const QString &details)
{
    m_running = false;
    if (!m_disposed)
        m_parser.finish();
    Q_EMIT failed(message, details);
}

} // namespace ExitScope
