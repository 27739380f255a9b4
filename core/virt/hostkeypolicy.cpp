// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/hostkeypolicy.h"

#include <QCoreApplication>
#include <QUrl>
#include <QUrlQuery>

#include <atomic>

namespace ExitScope {

namespace {
std::atomic<bool> accepted{false};
} // namespace

QString HostKeyPolicy::uncheckedParameter(const QString &uri)
{
    const QUrlQuery query(QUrl(uri).query());
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        const auto key = name.trimmed().toLower();
        const auto setting = value.trimmed().toLower();
        // libvirt reads no_verify as a number: anything but 0 turns the check off.
        if (key == QLatin1String("no_verify") && setting != QLatin1String("0") && !setting.isEmpty())
            return name + QLatin1Char('=') + value;
        if (key == QLatin1String("known_hosts_verify")
            && (setting == QLatin1String("ignore") || setting == QLatin1String("auto")))
            return name + QLatin1Char('=') + value;
    }
    return {};
}

QString HostKeyPolicy::refusal(const QString &uri)
{
    const auto parameter = uncheckedParameter(uri);
    if (parameter.isEmpty() || uncheckedKeysAccepted())
        return {};
    return QCoreApplication::translate("HostKeyPolicy",
                                       "The URI turns off the check of the host's SSH key (%1): anyone on the way "
                                       "to the host could pose as it. Put the host's key in known_hosts and drop "
                                       "that parameter, or, if you accept the risk, say so with "
                                       "--accept-unverified-host-key.")
        .arg(parameter);
}

void HostKeyPolicy::setUncheckedKeysAccepted(bool value)
{
    accepted = value;
}

bool HostKeyPolicy::uncheckedKeysAccepted()
{
    return accepted;
}

} // namespace ExitScope
