// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

// A TCP port on 127.0.0.1 that listens and never accepts: the kernel completes the handshake, then
// nothing ever answers, as with a host whose sshd hangs. Closing it resets the waiting connections,
// so whatever still waits on them ends. CLOEXEC: an ssh child must not keep the port open.
class SilentPort
{
public:
    SilentPort()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address = loopback();
        socklen_t length = sizeof address;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), length) < 0 || ::listen(m_fd, 16) < 0
            || ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &length) < 0) {
            close();
            return;
        }
        m_port = ntohs(address.sin_port);
    }
    ~SilentPort() { close(); }
    SilentPort(const SilentPort &) = delete;
    SilentPort &operator=(const SilentPort &) = delete;

    bool isListening() const { return m_fd >= 0; }
    quint16 port() const { return m_port; }
    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    // A loopback port nothing listens on: connecting to it is refused at once.
    static quint16 closedPort()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address = loopback();
        socklen_t length = sizeof address;
        quint16 port = 0;
        if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr *>(&address), length) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
            port = ntohs(address.sin_port);
        if (fd >= 0)
            ::close(fd);
        return port;
    }

private:
    static sockaddr_in loopback()
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        return address;
    }

    int m_fd = -1;
    quint16 m_port = 0;
};
