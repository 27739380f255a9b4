// SPDX-License-Identifier: GPL-3.0-or-later
// The exporter's parts: the configuration file and what it refuses, both text formats, the HTTP
// server against well-formed and hostile requests, and recorders against a real sender process,
// whose counters keep growing across reconnects and equal what the run store holds.
#include "metrics/fleetconfig.h"
#include "metrics/fleetexporter.h"
#include "metrics/metricsserver.h"
#include "metrics/openmetricswriter.h"
#include "metrics/targetrecorder.h"
#include "store/runstore.h"
#include "series/exitseries.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

namespace {

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &text)
{
    QFile file(dir.filePath(name));
    file.open(QIODevice::WriteOnly);
    file.write(text);
    return file.fileName();
}

// One raw HTTP exchange with the server: what a client sends, and all it gets back.
QByteArray exchange(quint16 port, const QByteArray &request, int waitMs = 5000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(waitMs))
        return {};
    socket.write(request);
    QByteArray answer;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < waitMs) {
        QCoreApplication::processEvents();
        socket.waitForReadyRead(50);
        answer += socket.readAll();
    }
    return answer + socket.readAll();
}

QString emitterCommand(int samples, int intervalMs)
{
    return QStringLiteral(EXITSCOPE_TEST_EMITTER " --samples %1 --interval-ms %2").arg(samples).arg(intervalMs);
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void configNamesTargetsAndRefusesMistakes()
    {
        QTemporaryDir dir;
        QVector<FleetTarget> targets;
        QString error;
        const auto good = writeFile(dir, QStringLiteral("good.conf"),
                                    "; two hosts\n"
                                    "[l1]\nuri = qemu+ssh://root@l1/system\nguests = web1, web2\nprobe = 20\n"
                                    "[bench]\ncommand = ssh root@bench exitscope-probe --rate 20\nguest = probe\n");
        QVERIFY2(FleetConfig::load(good, &targets, &error), qPrintable(error));
        QCOMPARE(targets.size(), 4);
        QCOMPARE(targets.at(0).host, QStringLiteral("bench")); // sections in the order QSettings lists them
        QCOMPARE(targets.at(0).spec.kind, SourceSpec::Kind::Command);
        QCOMPARE(targets.at(1).guest, QStringLiteral("web1"));
        QCOMPARE(targets.at(1).spec.kind, SourceSpec::Kind::GuestAgent);
        QCOMPARE(targets.at(2).guest, QStringLiteral("web2"));
        QCOMPARE(targets.at(3).guest, QStringLiteral("probe"));
        QCOMPARE(targets.at(3).spec.kind, SourceSpec::Kind::HostProbe);
        QCOMPARE(targets.at(3).spec.rateHz, 20);

        const std::pair<QByteArray, const char *> bad[] = {
            {"", "names no hosts"},
            {"[l1]\nguests = a\n", "needs uri"},
            {"[l1]\nuri = qemu+ssh://root@l1/system\n", "names nothing to record"},
            {"[l1]\nuri = qemu+ssh://root@l1/system\nguests = a\nprobe = fast\n", "readings per second"},
            {"[l1]\nuri = qemu+ssh://root@l1/system\nguests = a\ncolour = red\n", "unknown key 'colour'"},
            {"[l1]\nuri = qemu+ssh://root@l1/system\nguests = a, a\n", "named twice"},
            {"[l1]\nuri = qemu+ssh://root@l1/system\nguests = a b\n", "a guest name may hold"},
            {"[l1]\ncommand = x\nuri = qemu+ssh://root@l1/system\n", "takes no uri"},
        };
        int n = 0;
        for (const auto &[text, expected] : bad) {
            // A file of its own for each: QSettings caches what it read of a path.
            const auto path = writeFile(dir, QStringLiteral("bad%1.conf").arg(++n), text);
            QVERIFY2(!FleetConfig::load(path, &targets, &error), text.constData());
            QVERIFY2(error.contains(QLatin1String(expected)), qPrintable(error));
        }
        QVERIFY(!FleetConfig::load(dir.filePath(QStringLiteral("missing.conf")), &targets, &error));
        QVERIFY(error.contains(QLatin1String("cannot be read")));
    }

    void bothTextFormats()
    {
        const OpenMetricsWriter::Labels labels{{QStringLiteral("host"), QStringLiteral("a\"b\\c\nd")}};
        OpenMetricsWriter om(OpenMetricsWriter::Format::OpenMetrics);
        om.counter(QStringLiteral("exitscope_exits"), QStringLiteral("help\nwith a line feed"));
        om.value(labels, quint64(12));
        om.gauge(QStringLiteral("exitscope_up"), QStringLiteral("up"));
        om.value({}, 1.5);
        QCOMPARE(om.finish(), QByteArray("# HELP exitscope_exits help\\nwith a line feed\n"
                                         "# TYPE exitscope_exits counter\n"
                                         "exitscope_exits_total{host=\"a\\\"b\\\\c\\nd\"} 12\n"
                                         "# HELP exitscope_up up\n# TYPE exitscope_up gauge\nexitscope_up 1.5\n# EOF\n"));
        OpenMetricsWriter text(OpenMetricsWriter::Format::PrometheusText);
        text.counter(QStringLiteral("exitscope_exits"), QStringLiteral("h"));
        text.value({}, quint64(3));
        QCOMPARE(text.finish(), QByteArray("# HELP exitscope_exits_total h\n# TYPE exitscope_exits_total counter\nexitscope_exits_total 3\n"));
        QCOMPARE(OpenMetricsWriter::negotiate("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
                 OpenMetricsWriter::Format::OpenMetrics);
        QCOMPARE(OpenMetricsWriter::negotiate("*/*"), OpenMetricsWriter::Format::PrometheusText);
    }

    void serverAnswersAndRefuses()
    {
        int renders = 0;
        MetricsServer server([&renders](OpenMetricsWriter::Format format) {
            ++renders;
            return format == OpenMetricsWriter::Format::OpenMetrics ? QByteArray("om\n# EOF\n") : QByteArray("text\n");
        });
        QString error;
        QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        const auto port = server.port();

        auto answer = exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer.constData());
        QVERIFY(answer.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"));
        QVERIFY(answer.contains("Content-Length: 9\r\n"));
        QVERIFY(answer.endsWith("\r\n\r\nom\n# EOF\n"));
        answer = exchange(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
        QVERIFY(answer.endsWith("\r\n\r\ntext\n"));
        answer = exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
        QVERIFY(answer.startsWith("HTTP/1.1 200 OK") && answer.endsWith("\r\n\r\n"));
        QVERIFY(exchange(port, "GET / HTTP/1.1\r\n\r\n").contains("href=\"/metrics\""));
        QVERIFY(exchange(port, "GET /nope HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));
        QVERIFY(exchange(port, "POST /metrics HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 405"));
        QVERIFY(exchange(port, "hello\r\n\r\n").startsWith("HTTP/1.1 400"));
        // A head that never ends is cut off at 8 KiB; one that never comes, after the timeout.
        QVERIFY(exchange(port, QByteArray("GET /metrics HTTP/1.1\r\nX: ") + QByteArray(20000, 'a')).startsWith("HTTP/1.1 431"));
        QElapsedTimer slow;
        slow.start();
        QCOMPARE(exchange(port, "GET /metr", MetricsServer::RequestTimeoutMs + 5000), QByteArray());
        QVERIFY2(slow.elapsed() >= MetricsServer::RequestTimeoutMs * 9 / 10, // a coarse timer: 5 % early at most
                qPrintable(QString::number(slow.elapsed())));
        QCOMPARE(renders, 3);
        QCOMPARE(server.requestsServed(), quint64(3));

        QHostAddress address;
        quint16 listenPort = 0;
        QVERIFY(MetricsServer::parseListen(QStringLiteral("127.0.0.1:9477"), &address, &listenPort, &error));
        QCOMPARE(listenPort, quint16(9477));
        QVERIFY(MetricsServer::parseListen(QStringLiteral("[::1]:80"), &address, &listenPort, &error));
        QCOMPARE(address, QHostAddress(QHostAddress::LocalHostIPv6));
        QVERIFY(MetricsServer::parseListen(QStringLiteral(":9477"), &address, &listenPort, &error));
        QCOMPARE(address, QHostAddress(QHostAddress::Any));
        QVERIFY(!MetricsServer::parseListen(QStringLiteral("localhost:9477"), &address, &listenPort, &error));
        QVERIFY(!MetricsServer::parseListen(QStringLiteral("127.0.0.1:99999"), &address, &listenPort, &error));
        QVERIFY(!MetricsServer::parseListen(QStringLiteral("9477"), &address, &listenPort, &error));
    }

    // A sender that ends after 40 readings is reconnected; the counters only grow, each connection is
    // a run, and what was exported equals the sum of what the runs hold.
    void countersGrowAcrossReconnectsAndMatchTheStore()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))));
        FleetTarget target{QStringLiteral("h"), QStringLiteral("g"), SourceSpec::command(emitterCommand(40, 5))};
        FleetExporter exporter({target}, &store, 60);
        QSignalSpy states(&exporter, &FleetExporter::targetStateChanged);
        exporter.start();
        auto recorder = exporter.recorders().first();
        QTRY_VERIFY_WITH_TIMEOUT(recorder->counters().connections >= 3, 30000);
        exporter.stop();
        QTRY_VERIFY_WITH_TIMEOUT(recorder->counters().runId == -1, 10000);
        const auto counters = recorder->counters();
        QVERIFY(counters.failures >= 2); // each end of the command is a lost sender
        QVERIFY(!counters.lastProblem.isEmpty());
        QVERIFY(states.count() >= 4);

        quint64 storedExits = 0;
        quint64 storedCycles = 0;
        quint64 storedSamples = 0;
        const auto runs = store.listRuns();
        QCOMPARE(quint64(runs.size()), counters.connections);
        for (const auto &run : runs) {
            ExitSeries series;
            QVERIFY2(store.replay(run.id, &series), qPrintable(store.lastError()));
            storedExits += series.totalExits();
            storedCycles += series.totalCycles();
            storedSamples += quint64(series.size());
        }
        QCOMPARE(counters.exits, storedExits);
        QCOMPARE(counters.cycles, storedCycles);
        QCOMPARE(counters.samples, storedSamples);
        QVERIFY(counters.exits > 0);

        const auto text = exporter.render(OpenMetricsWriter::Format::OpenMetrics);
        QVERIFY(text.contains(QByteArray("exitscope_exits_total{host=\"h\",guest=\"g\"} " + QByteArray::number(counters.exits) + '\n')));
        QVERIFY(text.contains("exitscope_up{host=\"h\",guest=\"g\"} 0\n"));
        QVERIFY(text.endsWith("# EOF\n"));
    }

    void aSenderThatCannotStartIsRetried()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))));
        FleetTarget target{QStringLiteral("h"), QStringLiteral("g"), SourceSpec::command(QStringLiteral("/nonexistent/sender"))};
        TargetRecorder recorder(target, &store, 60);
        QSignalSpy states(&recorder, &TargetRecorder::stateChanged);
        recorder.start();
        QTRY_VERIFY_WITH_TIMEOUT(recorder.counters().failures >= 2, 15000); // retried after 1 s, then 2 s
        QVERIFY(!recorder.counters().up);
        QVERIFY2(states.last().at(1).toString().contains(QLatin1String("reconnecting in")), qPrintable(states.last().at(1).toString()));
        recorder.stop();
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
