// SPDX-License-Identifier: GPL-3.0-or-later
#include "virt/libvirterror.h"

#include "virt/libvirtfailure.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <mutex>

namespace ExitScope {

namespace {
void ignoreError(void *, virErrorPtr)
{
}
} // namespace

void LibvirtError::silenceDefaultHandler()
{
    static std::once_flag once;
    std::call_once(once, [] { virSetErrorFunc(nullptr, ignoreError); });
}

QString LibvirtError::last(const QString &fallback)
{
    return LibvirtFailure::last(fallback).message;
}

} // namespace ExitScope
