// SPDX-License-Identifier: GPL-3.0-or-later
#include "recording/sourcefactory.h"

#include "sources/filereplaysource.h"
#include "sources/libvirtchannelsource.h"
#include "sources/processsource.h"
#include "sources/sshcommandsource.h"
#include "ssh/sshtarget.h"

#include <QProcess>

namespace ExitScope {

std::unique_ptr<Source> createSource(const SourceSpec &spec, QString *error)
{
    if (const auto problem = spec.validate(); !problem.isEmpty()) {
        *error = problem;
        return nullptr;
    }
    switch (spec.kind) {
    case SourceSpec::Kind::Replay:
        return std::make_unique<FileReplaySource>(spec.path,
                                                  spec.paced ? FileReplaySource::Pace::Recorded
                                                             : FileReplaySource::Pace::Fast,
                                                  spec.speed);
    case SourceSpec::Kind::Command: {
        auto words = QProcess::splitCommand(spec.commandLine);
        const auto program = words.takeFirst();
        return std::make_unique<ProcessSource>(program, words);
    }
    case SourceSpec::Kind::GuestAgent:
        return std::make_unique<LibvirtChannelSource>(spec.uri, spec.guest);
    case SourceSpec::Kind::HostProbe: {
        SshTarget target;
        SshTarget::fromLibvirtUri(spec.uri, &target, error);
        return std::make_unique<SshCommandSource>(target, QStringLiteral("exitscope-probe --rate %1").arg(spec.rateHz));
    }
    }
    return nullptr;
}

} // namespace ExitScope
