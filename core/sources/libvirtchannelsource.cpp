// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/libvirtchannelsource.h"

#include "virt/domaininfo.h"
#include "virt/libvirterror.h"
#include "virt/libvirtfailure.h"
#include "virt/libvirteventloop.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>

#include <libvirt/libvirt.h>

Q_LOGGING_CATEGORY(lcAgent, "exitscope.agent", QtWarningMsg)

namespace ExitScope {

namespace {
constexpr int ReadBufferSize = 64 * 1024;
constexpr int IdleSleepMs = 10; // at 1 kHz the agent writes 44 bytes/ms: 10 ms of it is nothing
constexpr int ReopenDelayMs = 1000;
// The agent writes a heartbeat every second and answers "hello" at once, so an open channel that
// stays silent this long is not delivering. The usual cause is QEMU's side of the port: when a reader
// goes away while the guest writes, QEMU (since 5.1) can leave the port throttled with nothing to
// unthrottle it, and every later reader gets nothing. Closing the channel resets that state
// (virtio_serial_close()), so a silent channel is closed and opened again (docs/lab.md).
constexpr qint64 SilenceReopenMs = 3000;
} // namespace

LibvirtChannelSource::LibvirtChannelSource(const QString &uri, const QString &domain, const QString &channel, QObject *parent)
    : ThreadedSource(parent)
    , m_uri(uri)
    , m_domain(domain)
    , m_channel(channel)
{
    LibvirtEventLoop::ensureRunning();
}

LibvirtChannelSource::~LibvirtChannelSource()
{
    joinWorker();
}

QString LibvirtChannelSource::description() const
{
    return QCoreApplication::translate("LibvirtChannelSource", "agent of %1 on %2").arg(m_domain, m_uri);
}

void LibvirtChannelSource::sendCommand(const QString &line)
{
    QMutexLocker lock(&m_commandsLock);
    m_commands.append(line.trimmed().toUtf8() + '\n');
}

bool LibvirtChannelSource::sendPendingCommands(virStreamPtr stream)
{
    QMutexLocker lock(&m_commandsLock);
    while (!m_commands.isEmpty()) {
        QByteArray &line = m_commands.first();
        const int sent = virStreamSend(stream, line.constData(), size_t(line.size()));
        if (sent == -2)
            return true; // the channel is full for now; the rest stays first in the queue
        if (sent < 0)
            return false;
        if (sent < line.size()) {
            line.remove(0, sent);
            return true;
        }
        m_commands.removeFirst();
    }
    return true;
}

void LibvirtChannelSource::run()
{
    const auto post = [this](auto &&function) { postToSource(this, function); };
    const auto fatal = [&](const QString &message, const LibvirtFailure &failure) {
        const QString details = failure.details();
        post([message, details](LibvirtChannelSource *source) { source->failWith(message, details); });
    };
    const auto tr = [](const char *text) { return QCoreApplication::translate("LibvirtChannelSource", text); };

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

    QByteArray buffer(ReadBufferSize, Qt::Uninitialized);
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
            QMutexLocker lock(&m_commandsLock);
            if (m_commands.isEmpty() || m_commands.constFirst() != "hello\n")
                m_commands.prepend("hello\n");
        }
        QString closedBecause;
        bool silent = false;
        QElapsedTimer sinceData;
        sinceData.start();
        while (!stopRequested()) {
            if (!sendPendingCommands(stream)) {
                closedBecause = LibvirtError::last();
                break;
            }
            const int got = virStreamRecv(stream, buffer.data(), size_t(buffer.size()));
            if (got > 0) {
                sinceData.restart();
                delivered = true;
                const QByteArray bytes(buffer.constData(), got);
                post([bytes](LibvirtChannelSource *source) { source->deliverBytes(bytes); });
            } else if (got == -2) {
                if (sinceData.elapsed() >= SilenceReopenMs) {
                    silent = true;
                    closedBecause = tr("no data for %1 s; reopening the channel").arg(SilenceReopenMs / 1000);
                    break;
                }
                QThread::msleep(IdleSleepMs);
            } else {
                closedBecause = got == 0 ? tr("the guest closed the channel") : LibvirtError::last();
                break;
            }
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
