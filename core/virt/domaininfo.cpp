// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/domaininfo.h"

#include <QCoreApplication>
#include <QXmlStreamReader>

#include <optional>

namespace ExitScope {

QString DomainInfo::stateName(State state)
{
    switch (state) {
    case State::NoState:
        return QCoreApplication::translate("DomainInfo", "unknown");
    case State::Running:
        return QCoreApplication::translate("DomainInfo", "running");
    case State::Blocked:
        return QCoreApplication::translate("DomainInfo", "blocked");
    case State::Paused:
        return QCoreApplication::translate("DomainInfo", "paused");
    case State::ShuttingDown:
        return QCoreApplication::translate("DomainInfo", "shutting down");
    case State::ShutOff:
        return QCoreApplication::translate("DomainInfo", "shut off");
    case State::Crashed:
        return QCoreApplication::translate("DomainInfo", "crashed");
    case State::Suspended:
        return QCoreApplication::translate("DomainInfo", "suspended");
    }
    return {};
}

namespace {
// The <target> of the virtio channel of this name in a domain's XML, as its attributes; none if absent.
std::optional<QXmlStreamAttributes> channelTarget(const QString &domainXml, const QString &channel)
{
    QXmlStreamReader xml(domainXml);
    int channelDepth = 0; // inside <channel>, how deep
    while (!xml.atEnd()) {
        switch (xml.readNext()) {
        case QXmlStreamReader::StartElement:
            if (channelDepth > 0) {
                ++channelDepth;
                if (xml.name() == QLatin1String("target") && xml.attributes().value(QLatin1String("name")) == channel)
                    return xml.attributes();
            } else if (xml.name() == QLatin1String("channel")) {
                channelDepth = 1;
            }
            break;
        case QXmlStreamReader::EndElement:
            if (channelDepth > 0)
                --channelDepth;
            break;
        default:
            break;
        }
    }
    return std::nullopt;
}
} // namespace

bool DomainInfo::declaresChannel(const QString &domainXml, const QString &channel)
{
    return channelTarget(domainXml, channel).has_value();
}

DomainInfo::PortState DomainInfo::guestPortState(const QString &domainXml, const QString &channel)
{
    const auto target = channelTarget(domainXml, channel);
    if (!target)
        return PortState::Unknown;
    const auto state = target->value(QLatin1String("state"));
    if (state == QLatin1String("connected"))
        return PortState::Connected;
    if (state == QLatin1String("disconnected"))
        return PortState::Disconnected;
    return PortState::Unknown;
}

} // namespace ExitScope
