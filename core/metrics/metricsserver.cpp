// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/metricsserver.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace ExitScope {

MetricsServer::MetricsServer(Renderer renderer, QObject *parent)
    : QObject(parent)
    , m_renderer(std::move(renderer))
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &MetricsServer::onNewConnection);
}

MetricsServer::~MetricsServer() = default;

bool MetricsServer::parseListen(const QString &text, QHostAddress *address, quint16 *port, QString *error)
{
    const int colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon < 0) {
        *error = QStringLiteral("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:9477, not '%1'").arg(text);
        return false;
    }
    auto host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    bool ok = false;
    const uint number = text.mid(colon + 1).toUInt(&ok);
    if (!ok || number > 65535) {
        *error = QStringLiteral("'%1' is not a port number").arg(text.mid(colon + 1));
        return false;
    }
    if (host.isEmpty())
        *address = QHostAddress::Any;
    else if (!address->setAddress(host)) {
        *error = QStringLiteral("'%1' is not an IP address (the exporter listens on an address, not a name)").arg(host);
        return false;
    }
    *port = quint16(number);
    return true;
}

bool MetricsServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_server->listen(address, port)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(m_server->errorString());
        return false;
    }
    return true;
}

quint16 MetricsServer::port() const
{
    return m_server->serverPort();
}

void MetricsServer::onNewConnection()
{
    while (auto socket = m_server->nextPendingConnection()) {
        auto deadline = new QTimer(socket);
        deadline->setSingleShot(true);
        connect(deadline, &QTimer::timeout, socket, [socket] { socket->abort(); });
        deadline->start(RequestTimeoutMs);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { handle(socket); });
    }
}

void MetricsServer::handle(QTcpSocket *socket)
{
    if (socket->property("answered").toBool()) {
        socket->readAll();
        return;
    }
    // The whole head, or wait for more of it.
    const auto buffered = socket->peek(MaxRequestHead + 4);
    const int end = buffered.indexOf("\r\n\r\n");
    if (end < 0) {
        if (buffered.size() > MaxRequestHead) {
            socket->setProperty("answered", true);
            respond(socket, "431 Request Header Fields Too Large", "text/plain; charset=utf-8", "request head too large\n");
        }
        return;
    }
    const auto head = socket->read(end + 4);
    socket->setProperty("answered", true);
    const auto lines = head.split('\n');
    const auto requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
        respond(socket, "400 Bad Request", "text/plain; charset=utf-8", "not an HTTP/1 request\n");
        return;
    }
    const auto &method = requestLine.at(0);
    auto path = requestLine.at(1);
    if (const int query = path.indexOf('?'); query >= 0)
        path.truncate(query);
    QByteArray accept;
    for (const auto &line : lines) {
        if (line.toLower().startsWith("accept:"))
            accept = line.mid(7).trimmed();
    }
    const bool headOnly = method == "HEAD";
    if (method != "GET" && !headOnly) {
        respond(socket, "405 Method Not Allowed", "text/plain; charset=utf-8", "only GET and HEAD\n");
        return;
    }
    if (path == "/metrics") {
        const auto format = OpenMetricsWriter::negotiate(accept);
        ++m_served;
        respond(socket, "200 OK", OpenMetricsWriter::contentType(format), m_renderer(format), headOnly);
        return;
    }
    if (path == "/") {
        respond(socket, "200 OK", "text/html; charset=utf-8",
                "<!DOCTYPE html><html><head><title>ExitScope exporter</title></head>"
                "<body><h1>ExitScope exporter</h1><p><a href=\"/metrics\">/metrics</a></p></body></html>\n",
                headOnly);
        return;
    }
    respond(socket, "404 Not Found", "text/plain; charset=utf-8", "no such page; the metrics are at /metrics\n", headOnly);
}

void MetricsServer::respond(QTcpSocket *socket, const QByteArray &status, const QByteArray &contentType, const QByteArray &body,
                            bool headOnly)
{
    QByteArray response = "HTTP/1.1 " + status + "\r\nContent-Type: " + contentType + "\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!headOnly)
        response += body;
    socket->write(response);
    socket->disconnectFromHost();
}

} // namespace ExitScope
