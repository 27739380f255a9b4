// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sources/threadedsource.h"
#include "virt/domaininfo.h"

#include <memory>

struct _virDomain;

namespace ExitScope {

// The guest agent's stream, read through libvirt from the domain's virtio-serial channel
// (virDomainOpenChannel), so that it works wherever libvirt reaches: a local host, or an L1 over SSH.
// A thread of its own connects and opens the channel (blocking calls); the data is then read as it
// arrives by callbacks on libvirt's event loop, and commands are sent when the stream can take them,
// never dropped. When the guest closes the channel (a reboot) the source opens it again, as the agent
// keeps running across reconnects; only a failure to reach the host or the domain at all ends it.
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
    struct Shared;

    void run() override;
    DomainInfo::PortState guestPortState(struct _virDomain *domain) const;
    QString threadName() const override { return QStringLiteral("agent channel"); }

    QString m_uri;
    QString m_domain;
    QString m_channel;
    bool m_channelOpen = false;
    std::shared_ptr<Shared> m_shared;
};

} // namespace ExitScope
