// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sources/threadedsource.h"

#include <QMutex>
#include <QByteArrayList>

struct _virStream;

namespace ExitScope {

// The guest agent's stream, read through libvirt from the domain's virtio-serial channel
// (virDomainOpenChannel), so that it works wherever libvirt reaches: a local host, or an L1 over SSH.
// The channel is read on a thread of its own. When the guest closes it (a reboot) the source waits and
// opens it again, as the agent keeps running across reconnects; only a failure to reach the host or the
// domain at all ends the source.
class LibvirtChannelSource : public ThreadedSource
{
    Q_OBJECT
public:
    static constexpr auto DefaultChannel = "org.exitscope.agent.0";

    LibvirtChannelSource(const QString &uri, const QString &domain, const QString &channel = QString::fromLatin1(DefaultChannel),
                         QObject *parent = nullptr);
    ~LibvirtChannelSource() override;

    QString description() const override;

    bool acceptsCommands() const override { return true; }
    // Queued until the channel is open and the channel takes it.
    void sendCommand(const QString &line) override;
    bool isChannelOpen() const { return m_channelOpen; }

private:
    void run() override;
    // Sends queued commands in order; false if the stream failed (they stay queued for the next one).
    bool sendPendingCommands(::_virStream *stream);
    QString threadName() const override { return QStringLiteral("agent channel"); }

    QString m_uri;
    QString m_domain;
    QString m_channel;
    bool m_channelOpen = false;
    QMutex m_commandsLock;
    QByteArrayList m_commands; // whole lines, the first possibly sent in part
};

} // namespace ExitScope
