// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaType>
#include <QString>

namespace ExitScope {

// A guest as libvirt reports it.
struct DomainInfo
{
    // libvirt's virDomainState values.
    enum class State { NoState = 0, Running = 1, Blocked = 2, Paused = 3, ShuttingDown = 4, ShutOff = 5, Crashed = 6,
                       Suspended = 7 };

    QString name;
    QString uuid;
    State state = State::NoState;
    int vcpus = 0;
    quint64 memoryKiB = 0;
    bool hasAgentChannel = false; // the domain XML declares the org.exitscope.agent.0 channel

    // What the user may do in this state, as virt-manager decides it.
    bool canStart() const { return state == State::ShutOff || state == State::Crashed; }
    bool canShutdown() const { return state == State::Running || state == State::Blocked || state == State::Paused; }
    bool canDestroy() const { return state != State::ShutOff && state != State::NoState; }
    bool operator==(const DomainInfo &o) const
    {
        return name == o.name && uuid == o.uuid && state == o.state && vcpus == o.vcpus && memoryKiB == o.memoryKiB
            && hasAgentChannel == o.hasAgentChannel;
    }

    static QString stateName(State state);
    // Whether a domain's XML declares a virtio channel of this name (<channel><target name=…>).
    static bool declaresChannel(const QString &domainXml, const QString &channel);

    // Whether a program in the guest has the virtio port open, as the live XML of a running domain
    // says (libvirt follows QEMU's port events: <target … state='connected'/>); Unknown where the
    // driver does not say.
    enum class PortState { Unknown, Connected, Disconnected };
    static PortState guestPortState(const QString &domainXml, const QString &channel);
};

} // namespace ExitScope

Q_DECLARE_METATYPE(ExitScope::DomainInfo)
