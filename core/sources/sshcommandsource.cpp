// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/sshcommandsource.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <libssh/libssh.h>

Q_LOGGING_CATEGORY(lcSsh, "exitscope.ssh", QtWarningMsg)

namespace ExitScope {

namespace {

constexpr int ReadTimeoutMs = 50;
constexpr qsizetype StderrTail = 4096;

QString tr(const char *text)
{
    return QCoreApplication::translate("SshCommandSource", text);
}

QString serverFingerprint(ssh_session session)
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

    ssh_session session = ssh_new();
    const auto host = m_target.host.toUtf8();
    const auto user = m_target.user.toUtf8();
    const unsigned int port = unsigned(m_target.port);
    ssh_options_set(session, SSH_OPTIONS_HOST, host.constData());
    ssh_options_set(session, SSH_OPTIONS_PORT, &port);
    ssh_options_set(session, SSH_OPTIONS_USER, user.constData());
    const long timeoutSeconds = 15;
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeoutSeconds);
    // Only the known_hosts file named here (or the user's) decides who the host is.
    const auto knownHosts = m_target.knownHostsFile.toUtf8();
    if (!knownHosts.isEmpty()) {
        ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, knownHosts.constData());
        ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    }
    const auto cleanup = [&](ssh_channel channel) {
        if (channel) {
            ssh_channel_close(channel);
            ssh_channel_free(channel);
        }
        ssh_disconnect(session);
        ssh_free(session);
    };

    if (ssh_connect(session) != SSH_OK) {
        fail(tr("Cannot reach %1 over SSH").arg(m_target.display()),
             QString::fromUtf8(ssh_get_error(session)) + QStringLiteral("\n\n")
                 + tr("Check the address and port, and that sshd runs there."));
        cleanup(nullptr);
        return;
    }
    const auto fingerprint = serverFingerprint(session);
    switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        fail(tr("The SSH host key of %1 is not the one on record: refusing to connect").arg(m_target.display()),
             tr("The host presented %1, which does not match its entry in %2. If the host was reinstalled, remove "
                "its old entry; otherwise someone may be in between.")
                 .arg(fingerprint, knownHosts.isEmpty() ? tr("your known_hosts") : m_target.knownHostsFile));
        cleanup(nullptr);
        return;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        fail(tr("%1 is not a known SSH host: refusing to connect").arg(m_target.display()),
             tr("Its key has the fingerprint %1. Check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) "
                "and add the host to %2, e.g. with ssh-keyscan.")
                 .arg(fingerprint, knownHosts.isEmpty() ? tr("your known_hosts") : m_target.knownHostsFile));
        cleanup(nullptr);
        return;
    case SSH_KNOWN_HOSTS_ERROR:
        fail(tr("Cannot check the SSH host key of %1").arg(m_target.display()), QString::fromUtf8(ssh_get_error(session)));
        cleanup(nullptr);
        return;
    }

    int auth = SSH_AUTH_DENIED;
    if (!m_target.keyFile.isEmpty()) {
        ssh_key key = nullptr;
        if (ssh_pki_import_privkey_file(m_target.keyFile.toUtf8().constData(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
            fail(tr("Cannot read the SSH key %1").arg(m_target.keyFile),
                 tr("The file is missing, unreadable, or protected by a passphrase (use an SSH agent for those)."));
            cleanup(nullptr);
            return;
        }
        auth = ssh_userauth_publickey(session, nullptr, key);
        ssh_key_free(key);
    } else {
        auth = ssh_userauth_publickey_auto(session, nullptr, nullptr);
    }
    if (auth != SSH_AUTH_SUCCESS) {
        fail(tr("%1 refused the SSH login").arg(m_target.display()),
             tr("Check the user name and that the key is in the user's authorized_keys on the host.")
                 + QStringLiteral("\n") + QString::fromUtf8(ssh_get_error(session)));
        cleanup(nullptr);
        return;
    }

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
    while (!stopRequested()) {
        const int got = ssh_channel_read_timeout(channel, buffer.data(), uint32_t(buffer.size()), 0, ReadTimeoutMs);
        if (got > 0) {
            const QByteArray bytes(buffer.constData(), got);
            post([bytes](SshCommandSource *source) { source->deliverBytes(bytes); });
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
