// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/filereplaysource.h"
#include "mainwindow.h"
#include "sources/processsource.h"
#include "store/runstore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QProcess>
#include <QTimer>

using namespace ExitScope;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("exitscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("ExitScope"));
    QApplication::setOrganizationName(QStringLiteral("ExitScope"));
    QApplication::setApplicationVersion(QStringLiteral(EXITSCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A workbench for studying KVM VM exits."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption store(QStringLiteral("store"), QStringLiteral("Run database (default: %1).").arg(RunStore::defaultPath()),
                                   QStringLiteral("path"), RunStore::defaultPath());
    const QCommandLineOption replay(QStringLiteral("replay"), QStringLiteral("Start by replaying this recording at recorded speed."),
                                    QStringLiteral("file"));
    const QCommandLineOption fast(QStringLiteral("fast"), QStringLiteral("With --replay: as fast as possible."));
    const QCommandLineOption speed(QStringLiteral("speed"), QStringLiteral("With --replay: speed factor."), QStringLiteral("factor"),
                                   QStringLiteral("1"));
    const QCommandLineOption command(QStringLiteral("command"), QStringLiteral("Start by recording this command's output."),
                                     QStringLiteral("command line"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("When the first recording ends, save the window as this PNG and quit."),
                                        QStringLiteral("file"));
    const QCommandLineOption host(QStringLiteral("connect"), QStringLiteral("Connect to this L1 host's libvirt."),
                                  QStringLiteral("uri"));
    const QCommandLineOption agent(QStringLiteral("record-agent"),
                                   QStringLiteral("With --connect: record this guest's agent."), QStringLiteral("guest"));
    const QCommandLineOption boot(QStringLiteral("boot"), QStringLiteral("With --record-agent: start the guest, to record its boot."));
    parser.addOptions({store, replay, fast, speed, command, screenshot, host, agent, boot});
    parser.process(app);

    MainWindow window;
    if (!window.openStore(parser.value(store)))
        return 3;
    window.show();

    if (parser.isSet(screenshot)) {
        const auto path = parser.value(screenshot);
        QObject::connect(&window, &MainWindow::recordingEnded, &app, [&window, path](qint64, bool ok) {
            // Let the last queued replot land before grabbing.
            QTimer::singleShot(300, &window, [&window, path, ok] {
                const bool saved = window.grab().save(path);
                if (!saved)
                    qWarning("cannot write %s", qPrintable(path));
                QApplication::exit(ok && saved ? 0 : 1);
            });
        });
    }
    if (parser.isSet(host))
        window.connectToHost(parser.value(host));
    if (parser.isSet(host) && parser.isSet(agent)) {
        window.recordAgent(parser.value(host), parser.value(agent), parser.isSet(boot));
    } else if (parser.isSet(replay)) {
        const auto pace = parser.isSet(fast) ? FileReplaySource::Pace::Fast : FileReplaySource::Pace::Recorded;
        window.record(new FileReplaySource(parser.value(replay), pace, parser.value(speed).toDouble()));
    } else if (parser.isSet(command)) {
        auto words = QProcess::splitCommand(parser.value(command));
        if (!words.isEmpty()) {
            const auto program = words.takeFirst();
            window.record(new ProcessSource(program, words));
        }
    }
    return app.exec();
}
