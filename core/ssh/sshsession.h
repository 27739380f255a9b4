// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/sshtarget.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <functional>

struct ssh_session_struct;

namespace ExitScope {

// What went wrong on an SSH connection, by kind, so that callers decide on the code and show the
// words. The host key cases are never retried or accepted: the user must act.
enum class SshError {
    None,
    Unreachable,        // no TCP connection or no SSH handshake
    HostKeyChanged,     // the host shows a key other than the one on record
    HostKeyUnknown,     // no key on record for this host
    HostKeyCheckFailed, // the known_hosts file could not be read
    KeyUnreadable,      // our private key file
    LoginRefused,
    ChannelFailed,   // the host refused to run the command or open SFTP
    ConnectionLost,  // the session broke while a command ran
    TimedOut,        // the command did not end in its time
    Cancelled,       // the caller asked to stop
    TransferFailed,  // an SFTP upload
    LocalFileFailed, // a local file to upload could not be read
};

struct SshFailure
{
    SshError code = SshError::None;
    QString message; // one line: what went wrong
    QString details; // why, and what to do
};

// A blocking SSH connection (libssh) for one thread: connect, verify the host key against the
// target's known_hosts (never accepting an unknown or changed key), log in, then run commands and
// upload files. Deployment runs its stages through one of these; SshCommandSource streams through
// one. Not thread-safe: use it from the thread that opened it.
class SshSession
{
public:
    explicit SshSession(SshTarget target);
    ~SshSession();
    SshSession(const SshSession &) = delete;
    SshSession &operator=(const SshSession &) = delete;

    enum class HostKeyPolicy {
        KnownOnly, // the key must be on record
        AcceptNew, // a host with no key on record has its key recorded (trust on first use, asked
                   // for by the user who saw its fingerprint); a changed key is refused all the same
    };
    // Connects, checks the host key and authenticates; connectTimeoutSeconds bounds each network step.
    bool open(SshFailure *failure, long connectTimeoutSeconds = 15, HostKeyPolicy policy = HostKeyPolicy::KnownOnly);
    // Only the first steps of open(): connect and check the host key, no login. For showing a new
    // host's fingerprint before the user trusts it.
    bool checkHostKey(SshFailure *failure, long connectTimeoutSeconds = 15);
    // checkHostKey() that records the key of a host with none on record (HostKeyPolicy::AcceptNew).
    bool openAcceptingNewKey(SshFailure *failure, long connectTimeoutSeconds = 15);
    bool isOpen() const { return m_open; }
    void close();

    // SHA256 fingerprint of the host's key as OpenSSH prints it, known after open() (also after a
    // refused key, for the message).
    QString hostKeyFingerprint() const { return m_fingerprint; }
    const SshTarget &target() const { return m_target; }

    struct CommandResult
    {
        int exitStatus = -1;
        QByteArray standardOutput;
        QByteArray standardError;
    };
    // Runs a command with `input` on its standard input, until it ends, timeoutSeconds pass (0: no
    // limit) or *cancel becomes true. onErrorLine gets its standard error line by line as it comes
    // (progress). Returns false only when the command could not be run to its end; a command that
    // ran and failed returns true with its exit status.
    bool run(const QString &command, const QByteArray &input, int timeoutSeconds, CommandResult *result,
             SshFailure *failure, const std::function<void(const QString &)> &onErrorLine = {},
             const std::atomic_bool *cancel = nullptr);

    // Copies a local file to remotePath over SFTP, creating it with the given mode.
    bool upload(const QString &localPath, const QString &remotePath, int mode, SshFailure *failure,
                const std::atomic_bool *cancel = nullptr);

    // For SshCommandSource, which reads its channel itself.
    ssh_session_struct *handle() const { return m_session; }

private:
    SshFailure fail(SshError code, const QString &message, const QString &details) const;
    QString sessionError() const;

    SshTarget m_target;
    ssh_session_struct *m_session = nullptr;
    QString m_fingerprint;
    bool m_open = false;
    bool m_stopAfterHostKey = false;
};

} // namespace ExitScope
