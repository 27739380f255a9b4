// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/openmetricswriter.h"

#include <QHostAddress>
#include <QObject>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace ExitScope {

// The exporter's HTTP side: GET /metrics answers with what the renderer makes, in the format the
// Accept header asks for; / says where the metrics are; anything else is 404 or 405. One request per
// connection (Connection: close), a request head of at most 8 KiB, and 10 s to send it: a slow or
// hostile client cannot hold the server.
class MetricsServer : public QObject
{
    Q_OBJECT
public:
    using Renderer = std::function<QByteArray(OpenMetricsWriter::Format)>;
    static constexpr int MaxRequestHead = 8192;
    static constexpr int RequestTimeoutMs = 10000;

    MetricsServer(Renderer renderer, QObject *parent = nullptr);
    ~MetricsServer() override;

    // "127.0.0.1:9477", "[::1]:9477", ":9477" (all addresses). False with why.
    static bool parseListen(const QString &text, QHostAddress *address, quint16 *port, QString *error);
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const;
    quint64 requestsServed() const { return m_served; }

private:
    void onNewConnection();
    void handle(QTcpSocket *socket);
    static void respond(QTcpSocket *socket, const QByteArray &status, const QByteArray &contentType, const QByteArray &body,
                        bool headOnly = false);

    Renderer m_renderer;
    QTcpServer *m_server;
    quint64 m_served = 0;
};

} // namespace ExitScope
