// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "protocol/parserstats.h"
#include "protocol/streamparser.h"

#include <QIODevice>
#include <QObject>
#include <QPointer>

namespace ExitScope {

class RecordSink;

// Anything that produces the sample stream: a recording replayed, a command's stdout, the guest
// agent's channel, the host probe. A source decodes its bytes itself and hands records to the sink
// set with setSink(); signals tell about its life.
class Source : public QObject
{
    Q_OBJECT
public:
    explicit Source(QObject *parent = nullptr);

    virtual void setSink(RecordSink *sink);
    // Stops the source and deletes it once it can be, without waiting for anything on the caller's
    // thread: a reader blocked in a connect is left to end on its own.
    virtual void dispose();
    // Human-readable origin, e.g. "replay of boot.exs" or "command: exitscope-probe --rate 20".
    virtual QString description() const = 0;
    virtual void start() = 0;
    // Stops producing; emits finished() unless the source has already ended.
    virtual void stop() = 0;

    const ParserStats &stats() const { return m_parser.stats(); }
    // Also writes every byte received, as received, to this device: a recording file (*.exs) that
    // replays exactly, damage included. The device must outlive the source's input.
    void setRawCopy(QIODevice *device) { m_rawCopy = device; }
    bool isRunning() const { return m_running; }

    // Whether sendCommand() reaches the sender (docs/protocol.md, "Commands"): only a guest agent's
    // channel carries commands back.
    virtual bool acceptsCommands() const { return false; }
    // Sends one command line to the sender; queued until it can be delivered, never dropped.
    virtual void sendCommand(const QString &line) { Q_UNUSED(line) }

Q_SIGNALS:
    void started();
    // One or more records went to the sink since the last emission.
    void recordsDelivered();
    // progress of a source with a known size (a file): done and total in bytes.
    void progress(qint64 done, qint64 total);
    // The input ended normally.
    void finished();
    // The input ended with an error; message is short, details may help to fix it.
    void failed(const QString &message, const QString &details);
    // A source that reconnects on its own (a guest's channel across reboots) lost or regained its
    // sender; reason says why it was lost or reopened.
    void connectionChanged(bool open, const QString &reason);

protected:
    // For sources that read on a thread of their own: runs function(source) on the source's thread,
    // unless the source is gone by then. The source must outlive the worker thread (join it first).
    template<typename Derived, typename Function>
    static void postToSource(Derived *source, Function function)
    {
        QPointer<Derived> guard(source);
        QMetaObject::invokeMethod(
            source,
            [guard, function] {
                if (guard)
                    function(guard.data());
            },
            Qt::QueuedConnection);
    }

    void deliverBytes(QByteArrayView bytes);
    void markStarted();
    void endOfInput();
    void failWith(const QString &message, const QString &details);
    // From dispose(): nothing read from now on reaches the parser. Stopping may still read (a
    // process's last output, read while it is waited for), and the sink is already gone.
    void beginDisposal() { m_disposed = true; }

    StreamParser m_parser;

private:
    bool m_running = false;
    bool m_disposed = false;
    QIODevice *m_rawCopy = nullptr;
};

} // namespace ExitScope
