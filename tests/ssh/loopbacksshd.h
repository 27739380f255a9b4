// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A real sshd on 127.0.0.1 for tests, with host and user keys of its own in a temporary directory,
// SFTP enabled, logins for the user running the test. Needs root (sshd switches to the user's
// session) and openssh-server.

#include "ssh/sshtarget.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>

#include <pwd.h>
#include <unistd.h>

namespace ExitScope::TestFixture {

class LoopbackSshd
{
public:
    ~LoopbackSshd()
    {
        m_sshd.terminate();
        m_sshd.waitForFinished(5000);
    }

    // Empty on success, else what is missing.
    QString start()
    {
        if (!m_dir.isValid())
            return QStringLiteral("no temporary directory");
        m_user = QString::fromLocal8Bit(getpwuid(getuid())->pw_name);
        const QString sshd = QStringLiteral("/usr/sbin/sshd");
        if (!QFile::exists(sshd))
            return QStringLiteral("this test needs a real sshd: apt-get install openssh-server");
        if (getuid() != 0)
            return QStringLiteral("sshd on loopback needs root to switch to the test user's session");
        QDir().mkpath(QStringLiteral("/run/sshd")); // sshd's privilege separation directory
        for (const auto *name : {"host", "other-host", "user", "stranger"}) {
            if (!keygen(QString::fromLatin1(name)))
                return QStringLiteral("ssh-keygen failed");
        }
        if (!writeFile(QStringLiteral("authorized_keys"), publicKey(QStringLiteral("user")) + '\n'))
            return QStringLiteral("cannot write authorized_keys");
        {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHost, 0))
                return QStringLiteral("no free port on 127.0.0.1");
            m_port = probe.serverPort();
        }
        const auto config = QStringLiteral("Port %1\nListenAddress 127.0.0.1\nHostKey %2\nPidFile %3\n"
                                           "AuthorizedKeysFile %4\nPasswordAuthentication no\n"
                                           "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                                           "PermitRootLogin prohibit-password\nAllowUsers %5\n"
                                           "Subsystem sftp internal-sftp\n")
                                .arg(m_port)
                                .arg(path(QStringLiteral("host")), path(QStringLiteral("sshd.pid")),
                                     path(QStringLiteral("authorized_keys")), m_user);
        const auto entry = QStringLiteral("[127.0.0.1]:%1 ").arg(m_port).toUtf8();
        const auto keyOnly = [](const QByteArray &pub) { return pub.split(' ').mid(0, 2).join(' '); };
        if (!writeFile(QStringLiteral("sshd_config"), config.toUtf8())
            || !writeFile(QStringLiteral("known_hosts"), entry + keyOnly(publicKey(QStringLiteral("host"))) + '\n')
            || !writeFile(QStringLiteral("changed_known_hosts"), entry + keyOnly(publicKey(QStringLiteral("other-host"))) + '\n')
            || !writeFile(QStringLiteral("empty_known_hosts"), {}))
            return QStringLiteral("cannot write the sshd configuration");

        m_sshd.setProcessChannelMode(QProcess::MergedChannels);
        m_sshd.start(sshd, {QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), path(QStringLiteral("sshd_config"))});
        if (!m_sshd.waitForStarted())
            return QStringLiteral("sshd did not start");
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 15000 && m_sshd.state() == QProcess::Running) {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, quint16(m_port));
            if (socket.waitForConnected(500))
                return QString();
            QThread::msleep(100);
        }
        return QStringLiteral("sshd did not listen: ") + QString::fromLocal8Bit(m_sshd.readAll());
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    int port() const { return m_port; }
    QString user() const { return m_user; }

    // knownHosts: known_hosts (the right key), changed_known_hosts, empty_known_hosts; key: user or
    // stranger (not authorized).
    SshTarget target(const QString &knownHosts = QStringLiteral("known_hosts"), const QString &key = QStringLiteral("user")) const
    {
        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = m_port;
        t.user = m_user;
        t.keyFile = path(key);
        t.knownHostsFile = path(knownHosts);
        return t;
    }

    // The same as a libvirt URI, as the application is given it.
    QString uri(const QString &knownHosts = QStringLiteral("known_hosts")) const
    {
        return QStringLiteral("qemu+libssh://%1@127.0.0.1:%2/system?keyfile=%3&known_hosts=%4")
            .arg(m_user)
            .arg(m_port)
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(path(QStringLiteral("user")))),
                 QString::fromLatin1(QUrl::toPercentEncoding(path(knownHosts))));
    }

private:
    bool run(const QString &program, const QStringList &arguments)
    {
        QProcess p;
        p.start(program, arguments);
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }
    bool keygen(const QString &name)
    {
        return run(QStringLiteral("ssh-keygen"), {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                                                  QStringLiteral("-N"), QString(), QStringLiteral("-C"), name,
                                                  QStringLiteral("-f"), path(name)});
    }
    QByteArray publicKey(const QString &name)
    {
        QFile f(path(name + QStringLiteral(".pub")));
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
    }
    bool writeFile(const QString &name, const QByteArray &bytes)
    {
        QFile f(path(name));
        return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
    }

    QTemporaryDir m_dir;
    QProcess m_sshd;
    int m_port = 0;
    QString m_user;
};

} // namespace ExitScope::TestFixture
