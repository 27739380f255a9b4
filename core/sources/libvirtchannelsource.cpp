// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/libvirtchannelsource.h"

#include "virt/libvirterror.h"
#include "virt/libvirteventloop.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <libvirt/libvirt.h>

Q_LOGGING_CATEGORY(lcAgent, "exitscope.agent", QtWarningMsg)

namespace ExitScope {

namespace {
constexpr int ReadBufferSize = 64 * 1024;
constexpr int IdleSleepMs = 10; // at 1 kHz the agent writes 44 bytes/ms: 10 ms of it is nothing
constexpr int ReopenDelayMs = 1000;
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
    m_commands.append(line.trimmed());
}

void LibvirtChannelSource::run()
{
    const auto post = [this](auto &&function) { postToSource(this, function); };
    const auto fatal = [&](const QString &message, const QString &error) {
        const auto hint = LibvirtError::hint(error);
        const QString details = hint.isEmpty() ? error : error + QStringLiteral("\n\n") + hint;
        post([message, details](LibvirtChannelSource *source) { source->failWith(message, details); });
    };
    const auto tr = [](const char *text) { return QCoreApplication::translate("LibvirtChannelSource", text); };

    virConnectPtr connection = virConnectOpen(m_uri.toUtf8().constData());
    if (!connection) {
        fatal(tr("Cannot connect to %1").arg(m_uri), LibvirtError::last());
        return;
    }
    virDomainPtr domain = virDomainLookupByName(connection, m_domain.toUtf8().constData());
    if (!domain) {
        fatal(tr("Cannot find the guest %1 on %2").arg(m_domain, m_uri), LibvirtError::last());
        virConnectClose(connection);
        return;
    }

    QByteArray buffer(ReadBufferSize, Qt::Uninitialized);
    bool reported = false;
    while (!stopRequested()) {
        virStreamPtr stream = virStreamNew(connection, VIR_STREAM_NONBLOCK);
        // FORCE: a reader left over from a crashed ExitScope must not keep the channel from us.
        if (!stream
            || virDomainOpenChannel(domain, m_channel.toUtf8().constData(), stream, VIR_DOMAIN_CHANNEL_FORCE) < 0) {
            const auto error = LibvirtError::last();
            if (stream)
                virStreamFree(stream);
            if (error.contains(QLatin1String("not supported")) || error.contains(QLatin1String("cannot find channel"))
                || error.contains(QLatin1String("No chardev"))) {
                fatal(tr("The guest %1 has no channel %2").arg(m_domain, m_channel), error);
                break;
            }
            if (!reported) {
                // Usually the guest is not running yet: keep trying, say so once.
                reported = true;
                post([error](LibvirtChannelSource *source) {
                    source->m_channelOpen = false;
                    Q_EMIT source->channelStateChanged(false, error);
                });
            }
            QThread::msleep(ReopenDelayMs);
            continue;
        }
        reported = false;
        post([](LibvirtChannelSource *source) {
            source->m_channelOpen = true;
            Q_EMIT source->channelStateChanged(true, {});
        });
        // Ask for a handshake: a reader joining mid-stream needs the session's layout.
        {
            QMutexLocker lock(&m_commandsLock);
            m_commands.prepend(QStringLiteral("hello"));
        }
        QString closedBecause;
        while (!stopRequested()) {
            QStringList commands;
            {
                QMutexLocker lock(&m_commandsLock);
                commands.swap(m_commands);
            }
            for (const auto &command : std::as_const(commands)) {
                const QByteArray line = command.toUtf8() + '\n';
                if (virStreamSend(stream, line.constData(), size_t(line.size())) < 0)
                    qCWarning(lcAgent) << "cannot send" << command << LibvirtError::last();
            }
            const int got = virStreamRecv(stream, buffer.data(), size_t(buffer.size()));
            if (got > 0) {
                const QByteArray bytes(buffer.constData(), got);
                post([bytes](LibvirtChannelSource *source) { source->deliverBytes(bytes); });
            } else if (got == -2) {
                QThread::msleep(IdleSleepMs);
            } else {
                closedBecause = got == 0 ? tr("the guest closed the channel") : LibvirtError::last();
                break;
            }
        }
        if (stopRequested())
            virStreamAbort(stream);
        else
            virStreamFinish(stream);
        virStreamFree(stream);
        if (!stopRequested()) {
            post([closedBecause](LibvirtChannelSource *source) {
                source->m_channelOpen = false;
                Q_EMIT source->channelStateChanged(false, closedBecause);
            });
            QThread::msleep(ReopenDelayMs);
        }
    }
    virDomainFree(domain);
    virConnectClose(connection);
}

} // namespace ExitScope
