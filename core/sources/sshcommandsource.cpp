// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/sshcommandsource.h"

#include "ssh/sshsession.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <libssh/libssh.h>

Q_LOGGING_CATEGORY(lcSsh, "exitscope.ssh", QtWarningMsg)

namespace ExitScope {

namespace {

constexpr int ReadTimeoutMs = 50;
constexpr qsizetype StderrTail = 4096;

} // namespace

SshCommandSource::SshCommandSource(const SshTarget &target, const QString &command, QObject *parent)
    : ThreadedSource(parent)
    , m_target(target)
    , m_command(command)
{
}

SshCommandSource::~SshCommandSource()
{
    joinWorker();
}

QString SshCommandSource::description() const
{
    return tr("%1 on %2").arg(m_command, m_target.display());
}

void SshCommandSource::run()
{
    const auto post = [this](auto &&function) { postToSource(this, function); };
    const auto fail = [&](const QString &message, const QString &details) {
        qCWarning(lcSsh) << message << details;
        post([message, details](SshCommandSource *source) { source->failWith(message, details); });
    };

    SshSession ssh(m_target);
    SshFailure failure;
    if (!ssh.open(&failure)) {
        fail(failure.message, failure.details);
        return;
    }
    ssh_session session = ssh.handle();
    const auto cleanup = [&](ssh_channel channel) {
        if (channel) {
            ssh_channel_close(channel);
            ssh_channel_free(channel);
        }
        ssh.close();
    };

    ssh_channel channel = ssh_channel_new(session);
    if (!channel || ssh_channel_open_session(channel) != SSH_OK
        || ssh_channel_request_exec(channel, m_command.toUtf8().constData()) != SSH_OK) {
        fail(tr("Cannot run %1 on %2").arg(m_command, m_target.display()), QString::fromUtf8(ssh_get_error(session)));
        cleanup(channel);
        return;
    }

    QByteArray buffer(64 * 1024, Qt::Uninitialized);
    QByteArray stderrTail;
    bool broken = false;
    // Not reading while the parser is behind leaves the data in the SSH window: the remote command
    // waits, and this process does not grow.
    while (waitForRoom()) {
        const int got = ssh_channel_read_timeout(channel, buffer.data(), uint32_t(buffer.size()), 0, ReadTimeoutMs);
        if (got > 0) {
            postBytes(QByteArray(buffer.constData(), got));
        } else if (got == SSH_ERROR) {
            broken = true;
            break;
        }
        int errors = 0;
        while ((errors = ssh_channel_read_nonblocking(channel, buffer.data(), uint32_t(buffer.size()), 1)) > 0) {
            stderrTail.append(buffer.constData(), errors);
            if (stderrTail.size() > StderrTail)
                stderrTail = stderrTail.right(StderrTail);
        }
        if (got == 0 && ssh_channel_is_eof(channel))
            break;
    }
    if (stopRequested()) {
        // Ask the remote command to end; sshd ends it with the session anyway.
        ssh_channel_request_send_signal(channel, "TERM");
        cleanup(channel);
        return;
    }
    const auto sessionError = QString::fromUtf8(ssh_get_error(session));
    int status = -1;
    if (!broken) {
        ssh_channel_send_eof(channel);
        status = ssh_channel_get_exit_status(channel);
    }
    cleanup(channel);
    const auto details = QString::fromLocal8Bit(stderrTail).trimmed();
    if (broken) {
        fail(tr("Lost the SSH connection to %1").arg(m_target.display()), sessionError);
    } else if (status != 0) {
        fail(tr("%1 on %2 exited with status %3").arg(m_command, m_target.display()).arg(status), details);
    } else {
        post([](SshCommandSource *source) { source->endOfInput(); });
    }
}

} // namespace ExitScope
