// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/libvirtchannelsource.h"

#include "virt/hostkeypolicy.h"

#include "virt/domaininfo.h"
#include "virt/libvirterror.h"
#include "virt/libvirtfailure.h"
#include "virt/libvirteventloop.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>

#include <libvirt/libvirt.h>

#include <condition_variable>
#include <mutex>

Q_LOGGING_CATEGORY(lcAgent, "exitscope.agent", QtWarningMsg)

namespace ExitScope {

namespace {
constexpr int ReadBufferSize = 64 * 1024;
constexpr int ReopenDelayMs = 1000;
// How often the reader thread looks at what the stream callbacks left it (closed, silent, stop).
constexpr auto WorkerTick = std::chrono::milliseconds(250);
constexpr int StreamEvents = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
// The agent writes a heartbeat every second and answers "hello" at once, so an open channel that
// stays silent this long while the agent has its port open is not delivering. The usual cause is QEMU's side of the port: when a reader
// goes away while the guest writes, QEMU (since 5.1) can leave the port throttled with nothing to
// unthrottle it, and every later reader gets nothing. Closing the channel resets that state
// (virtio_serial_close()), so a silent channel is closed and opened again (docs/lab.md).
constexpr qint64 SilenceReopenMs = 3000;
} // namespace

// What the reader thread, libvirt's event-loop thread (stream callbacks) and the source's own thread
// (sendCommand) share. It outlives the source while a callback may still hold it: libvirt frees its
// reference only when the callback is removed and no dispatch is running.
struct LibvirtChannelSource::Shared
{
    std::mutex lock;
    std::condition_variable wake;      // for the reader thread
    LibvirtChannelSource *source;      // null once the source is gone
    virStreamPtr stream = nullptr;     // the stream the callbacks serve; null between opens
    QByteArrayList commands;           // whole lines, the first possibly sent in part
    bool wantWritable = false;         // the callback listens for "writable" too
    bool paused = false;               // not reading: the source's thread has too much to parse
    bool closed = false;               // the open stream ended (end of file, error, hang-up)
    QString closedBecause;
    bool delivered = false;            // bytes arrived since the channel was opened
    QElapsedTimer sinceData;
    QByteArray buffer = QByteArray(ReadBufferSize, Qt::Uninitialized);

    explicit Shared(LibvirtChannelSource *s)
        : source(s)
    {
    }

    // Sends queued commands in order; false if the stream failed (they stay queued). Lock held.
    bool sendPendingCommands(virStreamPtr st)
    {
        while (!commands.isEmpty()) {
            QByteArray &line = commands.first();
            const int sent = virStreamSend(st, line.constData(), size_t(line.size()));
            if (sent == -2)
                return true; // the channel is full for now; the rest stays first in the queue
            if (sent < 0)
                return false;
            if (sent < line.size()) {
                line.remove(0, sent);
                return true;
            }
            commands.removeFirst();
        }
        return true;
    }

    // What the stream's callback should listen for now. Lock held.
    int wantedEvents() const
    {
        return (paused ? StreamEvents & ~VIR_STREAM_EVENT_READABLE : StreamEvents)
            | (wantWritable ? VIR_STREAM_EVENT_WRITABLE : 0);
    }

    void close(const QString &reason)
    {
        closed = true;
        closedBecause = reason;
    }

    // On libvirt's event-loop thread: read what there is, send what can be sent, never block.
    static void onEvent(virStreamPtr st, int events, void *opaque)
    {
        const auto shared = *static_cast<std::shared_ptr<Shared> *>(opaque);
        std::lock_guard<std::mutex> guard(shared->lock);
        if (!shared->source || shared->stream != st || shared->closed)
            return;
        if ((events & VIR_STREAM_EVENT_WRITABLE) && !shared->sendPendingCommands(st))
            shared->close(LibvirtError::last());
        while (!shared->closed) {
            if (shared->source->backlogged()) {
                // Left in libvirt and the guest's port until the reader thread sees room again.
                shared->paused = true;
                break;
            }
            const int got = virStreamRecv(st, shared->buffer.data(), size_t(shared->buffer.size()));
            if (got == -2)
                break;
            if (got <= 0) {
                shared->close(got == 0 ? QCoreApplication::translate("LibvirtChannelSource", "the guest closed the channel")
                                       : LibvirtError::last());
                break;
            }
            shared->sinceData.restart();
            shared->delivered = true;
            shared->source->postBytes(QByteArray(shared->buffer.constData(), got));
        }
        const int before = shared->wantedEvents();
        shared->wantWritable = !shared->closed && !shared->commands.isEmpty();
        if (shared->wantedEvents() != before)
            virStreamEventUpdateCallback(st, shared->wantedEvents());
        shared->wake.notify_all();
    }

    static void release(void *opaque) { delete static_cast<std::shared_ptr<Shared> *>(opaque); }
};

LibvirtChannelSource::LibvirtChannelSource(const QString &uri, const QString &domain, const QString &channel, QObject *parent)
    : ThreadedSource(parent)
    , m_uri(uri)
    , m_domain(domain)
    , m_channel(channel)
    , m_shared(std::make_shared<Shared>(this))
{
    LibvirtEventLoop::ensureRunning();
}

LibvirtChannelSource::~LibvirtChannelSource()
{
    joinWorker();
    std::lock_guard<std::mutex> guard(m_shared->lock);
    m_shared->source = nullptr;
}

QString LibvirtChannelSource::description() const
{
    return QCoreApplication::translate("LibvirtChannelSource", "agent of %1 on %2").arg(m_domain, m_uri);
}

void LibvirtChannelSource::sendCommand(const QString &line)
{
    std::lock_guard<std::mutex> guard(m_shared->lock);
    m_shared->commands.append(line.trimmed().toUtf8() + '\n');
    m_shared->wake.notify_all(); // the reader thread asks the stream to say when it is writable
}

DomainInfo::PortState LibvirtChannelSource::guestPortState(virDomainPtr domain) const
{
    char *xml = virDomainGetXMLDesc(domain, 0);
    if (!xml)
        return DomainInfo::PortState::Unknown;
    const auto state = DomainInfo::guestPortState(QString::fromUtf8(xml), m_channel);
    free(xml);
    return state;
}

void LibvirtChannelSource::run()
{
    const auto post = [this](auto &&function) { postToSource(this, function); };
    const auto fatal = [&](const QString &message, const LibvirtFailure &failure) {
        const QString details = failure.details();
        post([message, details](LibvirtChannelSource *source) { source->failWith(message, details); });
    };
    const auto tr = [](const char *text) { return QCoreApplication::translate("LibvirtChannelSource", text); };

    // The same rule as HostController's: a URI that would take any host key is not opened.
    if (const auto refusal = HostKeyPolicy::refusal(m_uri); !refusal.isEmpty()) {
        post([message = tr("Refusing to connect to %1").arg(m_uri), refusal](LibvirtChannelSource *source) {
            source->failWith(message, refusal);
        });
        return;
    }
    virConnectPtr connection = virConnectOpen(m_uri.toUtf8().constData());
    if (!connection) {
        fatal(tr("Cannot connect to %1").arg(m_uri), LibvirtFailure::last());
        return;
    }
    virDomainPtr domain = virDomainLookupByName(connection, m_domain.toUtf8().constData());
    if (!domain) {
        fatal(tr("Cannot find the guest %1 on %2").arg(m_domain, m_uri), LibvirtFailure::last());
        virConnectClose(connection);
        return;
    }

    bool reported = false;
    bool delivered = false;    // bytes arrived since the channel was last opened
    bool openReported = false; // said "open", and not "closed" since
    while (!stopRequested()) {
        virStreamPtr stream = virStreamNew(connection, VIR_STREAM_NONBLOCK);
        // FORCE: a reader left over from a crashed ExitScope must not keep the channel from us.
        if (!stream
            || virDomainOpenChannel(domain, m_channel.toUtf8().constData(), stream, VIR_DOMAIN_CHANNEL_FORCE) < 0) {
            const auto failure = LibvirtFailure::last();
            const auto error = failure.message;
            if (stream)
                virStreamFree(stream);
            // A driver without channels says so by code. QEMU reports a channel the guest lacks as a
            // plain internal error ("cannot find channel"), told apart from other internal errors only
            // by its translated text; so the guest's XML decides, which reads the same in any language.
            // No XML (the connection failed meanwhile): not a verdict, try again.
            bool lacksChannel = failure.kind() == LibvirtFailure::Kind::Unsupported;
            if (!lacksChannel) {
                if (char *xml = virDomainGetXMLDesc(domain, 0)) {
                    lacksChannel = !DomainInfo::declaresChannel(QString::fromUtf8(xml), m_channel);
                    free(xml);
                }
            }
            if (lacksChannel) {
                fatal(tr("The guest %1 has no channel %2").arg(m_domain, m_channel), failure);
                break;
            }
            if (!reported) {
                // Usually the guest is not running yet: keep trying, say so once.
                reported = true;
                openReported = false;
                post([error](LibvirtChannelSource *source) {
                    source->m_channelOpen = false;
                    Q_EMIT source->connectionChanged(false, error);
                });
            }
            QThread::msleep(ReopenDelayMs);
            continue;
        }
        reported = false;
        if (!openReported) {
            openReported = true;
            post([](LibvirtChannelSource *source) {
                source->m_channelOpen = true;
                Q_EMIT source->connectionChanged(true, {});
            });
        }
        // Ask for a handshake: a reader joining mid-stream needs the session's layout.
        {
            std::lock_guard<std::mutex> guard(m_shared->lock);
            if (m_shared->commands.isEmpty() || m_shared->commands.constFirst() != "hello\n")
                m_shared->commands.prepend("hello\n");
            m_shared->stream = stream;
            m_shared->closed = false;
            m_shared->closedBecause.clear();
            m_shared->wantWritable = true;
            m_shared->paused = false;
            m_shared->sinceData.start();
        }
        QString closedBecause;
        bool silent = false;
        // From here libvirt's event loop reads the stream as data arrives; this thread only watches.
        if (virStreamEventAddCallback(stream, StreamEvents | VIR_STREAM_EVENT_WRITABLE, &Shared::onEvent,
                                      new std::shared_ptr<Shared>(m_shared), &Shared::release)
            < 0) {
            closedBecause = LibvirtError::last();
        } else {
            std::unique_lock<std::mutex> lock(m_shared->lock);
            while (!stopRequested()) {
                m_shared->wake.wait_for(lock, WorkerTick);
                if (m_shared->closed) {
                    closedBecause = m_shared->closedBecause;
                    break;
                }
                if (m_shared->paused) {
                    // Silence is ours while reading is paused, not the channel's.
                    m_shared->sinceData.restart();
                    if (backlogged())
                        continue;
                    m_shared->paused = false;
                    const int events = m_shared->wantedEvents();
                    lock.unlock();
                    virStreamEventUpdateCallback(stream, events);
                    lock.lock();
                    continue;
                }
                if (m_shared->sinceData.elapsed() >= SilenceReopenMs) {
                    // Reopen only when the agent has its port open and still says nothing. Before it
                    // runs (a guest that boots) silence is no fault, and reopening then would lose what
                    // the agent writes first (its handshake and boot marker) if it came just as the
                    // channel closed.
                    lock.unlock();
                    const auto port = guestPortState(domain);
                    lock.lock();
                    if (port == DomainInfo::PortState::Disconnected) {
                        m_shared->sinceData.restart();
                        continue;
                    }
                    silent = true;
                    closedBecause = tr("no data for %1 s although the guest has the port open; reopening the channel")
                                        .arg(SilenceReopenMs / 1000);
                    break;
                }
                if (!m_shared->commands.isEmpty() && !m_shared->wantWritable) {
                    m_shared->wantWritable = true;
                    const int events = m_shared->wantedEvents();
                    lock.unlock();
                    virStreamEventUpdateCallback(stream, events);
                    lock.lock();
                }
            }
            delivered = delivered || m_shared->delivered;
            m_shared->delivered = false;
            lock.unlock();
            virStreamEventRemoveCallback(stream);
        }
        {
            std::lock_guard<std::mutex> guard(m_shared->lock);
            m_shared->stream = nullptr;
        }
        // Abort, not finish: finishing waits for the other end, which may be the stalled one.
        virStreamAbort(stream);
        virStreamFree(stream);
        if (!stopRequested()) {
            qCInfo(lcAgent) << "channel of" << m_domain << "closed:" << closedBecause;
            // A guest that is still booting is silent too: that is said once, not every few seconds.
            if (delivered || !silent) {
                openReported = false;
                post([closedBecause](LibvirtChannelSource *source) {
                    source->m_channelOpen = false;
                    Q_EMIT source->connectionChanged(false, closedBecause);
                });
            }
            delivered = false;
            if (!silent)
                QThread::msleep(ReopenDelayMs);
        }
    }
    virDomainFree(domain);
    virConnectClose(connection);
}

} // namespace ExitScope
