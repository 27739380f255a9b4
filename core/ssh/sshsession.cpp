// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/sshsession.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>

namespace ExitScope {

namespace {

constexpr int PollMs = 100;

QString tr(const char *text)
{
    return QCoreApplication::translate("SshSession", text);
}

QString fingerprintOf(ssh_session session)
{
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK)
        return tr("(unknown)");
    unsigned char *hash = nullptr;
    size_t length = 0;
    QString fingerprint = tr("(unknown)");
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
        if (char *text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length)) {
            fingerprint = QString::fromLatin1(text);
            ssh_string_free_char(text);
        }
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
    return fingerprint;
}

bool cancelled(const std::atomic_bool *cancel)
{
    return cancel && cancel->load();
}

} // namespace

SshSession::SshSession(SshTarget target)
    : m_target(std::move(target))
{
}

SshSession::~SshSession()
{
    close();
}

void SshSession::close()
{
    if (m_session) {
        if (m_open)
            ssh_disconnect(m_session);
        ssh_free(m_session);
        m_session = nullptr;
    }
    m_open = false;
}

SshFailure SshSession::fail(SshError code, const QString &message, const QString &details) const
{
    return SshFailure{code, message, details};
}

QString SshSession::sessionError() const
{
    return m_session ? QString::fromUtf8(ssh_get_error(m_session)) : QString();
}

bool SshSession::checkHostKey(SshFailure *failure, long connectTimeoutSeconds)
{
    m_stopAfterHostKey = true;
    const bool ok = open(failure, connectTimeoutSeconds);
    m_stopAfterHostKey = false;
    close();
    return ok;
}

bool SshSession::openAcceptingNewKey(SshFailure *failure, long connectTimeoutSeconds)
{
    m_stopAfterHostKey = true;
    const bool ok = open(failure, connectTimeoutSeconds, HostKeyPolicy::AcceptNew);
    m_stopAfterHostKey = false;
    close();
    return ok;
}

bool SshSession::open(SshFailure *failure, long connectTimeoutSeconds, HostKeyPolicy policy)
{
    close();
    m_session = ssh_new();
    const auto host = m_target.host.toUtf8();
    const auto user = m_target.user.toUtf8();
    const unsigned int port = unsigned(m_target.port);
    ssh_options_set(m_session, SSH_OPTIONS_HOST, host.constData());
    ssh_options_set(m_session, SSH_OPTIONS_PORT, &port);
    ssh_options_set(m_session, SSH_OPTIONS_USER, user.constData());
    ssh_options_set(m_session, SSH_OPTIONS_TIMEOUT, &connectTimeoutSeconds);
    // Only the known_hosts file named here (or the user's) decides who the host is.
    const auto knownHosts = m_target.knownHostsFile.toUtf8();
    if (!knownHosts.isEmpty()) {
        ssh_options_set(m_session, SSH_OPTIONS_KNOWNHOSTS, knownHosts.constData());
        ssh_options_set(m_session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    }
    const QString where = m_target.display();
    const QString knownHostsName = knownHosts.isEmpty() ? tr("your known_hosts") : m_target.knownHostsFile;

    if (ssh_connect(m_session) != SSH_OK) {
        *failure = fail(SshError::Unreachable, tr("Cannot reach %1 over SSH").arg(where),
                        sessionError() + QStringLiteral("\n") + tr("Check the address and port, and that sshd runs there."));
        close();
        return false;
    }
    m_open = true;
    m_fingerprint = fingerprintOf(m_session);
    switch (ssh_session_is_known_server(m_session)) {
    case SSH_KNOWN_HOSTS_OK:
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        *failure = fail(SshError::HostKeyChanged,
                        tr("The SSH host key of %1 is not the one on record: refusing to connect").arg(where),
                        tr("The host presented %1, which does not match its entry in %2. If the host was reinstalled, "
                           "remove its old entry; otherwise someone may be in between.")
                            .arg(m_fingerprint, knownHostsName));
        close();
        return false;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (policy == HostKeyPolicy::AcceptNew) {
            if (ssh_session_update_known_hosts(m_session) == SSH_OK)
                break;
            *failure = fail(SshError::HostKeyCheckFailed, tr("Cannot record the SSH host key of %1 in %2").arg(where, knownHostsName),
                            sessionError());
            close();
            return false;
        }
        *failure = fail(SshError::HostKeyUnknown, tr("%1 is not a known SSH host: refusing to connect").arg(where),
                        tr("Its key has the fingerprint %1. Check it on the host (ssh-keygen -lf "
                           "/etc/ssh/ssh_host_ed25519_key.pub) and add the host to %2, e.g. with ssh-keyscan.")
                            .arg(m_fingerprint, knownHostsName));
        close();
        return false;
    case SSH_KNOWN_HOSTS_ERROR:
        *failure = fail(SshError::HostKeyCheckFailed, tr("Cannot check the SSH host key of %1").arg(where), sessionError());
        close();
        return false;
    }

    if (m_stopAfterHostKey)
        return true;
    int auth = SSH_AUTH_DENIED;
    if (!m_target.keyFile.isEmpty()) {
        ssh_key key = nullptr;
        if (ssh_pki_import_privkey_file(m_target.keyFile.toUtf8().constData(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
            *failure = fail(SshError::KeyUnreadable, tr("Cannot read the SSH key %1").arg(m_target.keyFile),
                            tr("The file is missing, unreadable, or protected by a passphrase (use an SSH agent for those)."));
            close();
            return false;
        }
        auth = ssh_userauth_publickey(m_session, nullptr, key);
        ssh_key_free(key);
    } else {
        auth = ssh_userauth_publickey_auto(m_session, nullptr, nullptr);
    }
    if (auth != SSH_AUTH_SUCCESS) {
        *failure = fail(SshError::LoginRefused, tr("%1 refused the SSH login").arg(where),
                        tr("Check the user name and that the key is in the user's authorized_keys on the host.")
                            + QStringLiteral("\n") + sessionError());
        close();
        return false;
    }
    return true;
}

bool SshSession::run(const QString &command, const QByteArray &input, int timeoutSeconds, CommandResult *result,
                     SshFailure *failure, const std::function<void(const QString &)> &onErrorLine,
                     const std::atomic_bool *cancel)
{
    *result = CommandResult();
    if (!m_open) {
        *failure = fail(SshError::ConnectionLost, tr("Not connected to %1").arg(m_target.display()), QString());
        return false;
    }
    QDeadlineTimer deadline = timeoutSeconds > 0 ? QDeadlineTimer(qint64(timeoutSeconds) * 1000) : QDeadlineTimer::Forever;
    ssh_channel channel = ssh_channel_new(m_session);
    const auto closeChannel = [&] {
        if (channel) {
            ssh_channel_close(channel);
            ssh_channel_free(channel);
            channel = nullptr;
        }
    };
    if (!channel || ssh_channel_open_session(channel) != SSH_OK
        || ssh_channel_request_exec(channel, command.toUtf8().constData()) != SSH_OK) {
        *failure = fail(SshError::ChannelFailed, tr("Cannot run a command on %1").arg(m_target.display()), sessionError());
        closeChannel();
        return false;
    }
    for (qsizetype written = 0; written < input.size();) {
        const int n = ssh_channel_write(channel, input.constData() + written, uint32_t(input.size() - written));
        if (n == SSH_ERROR) {
            *failure = fail(SshError::ConnectionLost, tr("Lost the SSH connection to %1").arg(m_target.display()),
                            sessionError());
            closeChannel();
            return false;
        }
        written += n;
    }
    ssh_channel_send_eof(channel);

    QByteArray buffer(64 * 1024, Qt::Uninitialized);
    QByteArray partialLine;
    const auto takeErrors = [&](const char *data, int size) {
        result->standardError.append(data, size);
        if (!onErrorLine)
            return;
        partialLine.append(data, size);
        qsizetype newline;
        while ((newline = partialLine.indexOf('\n')) >= 0) {
            onErrorLine(QString::fromUtf8(partialLine.left(newline)));
            partialLine.remove(0, newline + 1);
        }
    };
    while (true) {
        if (cancelled(cancel)) {
            ssh_channel_request_send_signal(channel, "TERM");
            closeChannel();
            *failure = fail(SshError::Cancelled, tr("Cancelled"), QString());
            return false;
        }
        if (deadline.hasExpired()) {
            ssh_channel_request_send_signal(channel, "TERM");
            closeChannel();
            *failure = fail(SshError::TimedOut,
                            tr("A command on %1 did not end within %2 s").arg(m_target.display()).arg(timeoutSeconds),
                            QString::fromUtf8(result->standardError).trimmed().right(2000));
            return false;
        }
        const int got = ssh_channel_read_timeout(channel, buffer.data(), uint32_t(buffer.size()), 0, PollMs);
        if (got == SSH_ERROR) {
            *failure = fail(SshError::ConnectionLost, tr("Lost the SSH connection to %1").arg(m_target.display()),
                            sessionError());
            closeChannel();
            return false;
        }
        if (got > 0)
            result->standardOutput.append(buffer.constData(), got);
        int errors = 0;
        while ((errors = ssh_channel_read_nonblocking(channel, buffer.data(), uint32_t(buffer.size()), 1)) > 0)
            takeErrors(buffer.constData(), errors);
        if (got == 0 && ssh_channel_is_eof(channel))
            break;
    }
    if (onErrorLine && !partialLine.isEmpty())
        onErrorLine(QString::fromUtf8(partialLine));
    result->exitStatus = ssh_channel_get_exit_status(channel);
    closeChannel();
    return true;
}

bool SshSession::upload(const QString &localPath, const QString &remotePath, int mode, SshFailure *failure,
                        const std::atomic_bool *cancel)
{
    QFile local(localPath);
    if (!local.open(QIODevice::ReadOnly)) {
        *failure = fail(SshError::LocalFileFailed, tr("Cannot read %1").arg(localPath), local.errorString());
        return false;
    }
    sftp_session sftp = sftp_new(m_session);
    if (!sftp || sftp_init(sftp) != SSH_OK) {
        *failure = fail(SshError::ChannelFailed, tr("%1 offers no SFTP").arg(m_target.display()),
                        tr("Enable the sftp subsystem in the host's sshd_config (Subsystem sftp …).") + QStringLiteral("\n")
                            + sessionError());
        if (sftp)
            sftp_free(sftp);
        return false;
    }
    const auto remoteName = remotePath.toUtf8();
    sftp_file file = sftp_open(sftp, remoteName.constData(), O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode));
    if (!file) {
        *failure = fail(SshError::TransferFailed, tr("Cannot create %1 on %2").arg(remotePath, m_target.display()),
                        sessionError());
        sftp_free(sftp);
        return false;
    }
    bool ok = true;
    QByteArray chunk;
    while (ok && !(chunk = local.read(32 * 1024)).isEmpty()) {
        if (cancelled(cancel)) {
            *failure = fail(SshError::Cancelled, tr("Cancelled"), QString());
            ok = false;
            break;
        }
        if (sftp_write(file, chunk.constData(), size_t(chunk.size())) != ssize_t(chunk.size())) {
            *failure = fail(SshError::TransferFailed, tr("Writing %1 on %2 failed").arg(remotePath, m_target.display()),
                            sessionError());
            ok = false;
        }
    }
    if (ok && local.error() != QFileDevice::NoError) {
        *failure = fail(SshError::LocalFileFailed, tr("Cannot read %1").arg(localPath), local.errorString());
        ok = false;
    }
    if (sftp_close(file) != SSH_NO_ERROR && ok) {
        *failure = fail(SshError::TransferFailed, tr("Closing %1 on %2 failed").arg(remotePath, m_target.display()),
                        sessionError());
        ok = false;
    }
    sftp_free(sftp);
    return ok;
}

} // namespace ExitScope
