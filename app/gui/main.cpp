// SPDX-License-Identifier: GPL-3.0-or-later
#include "aboutdialog.h"
#include "mainwindow.h"
#include "recording/sourcespec.h"
#include "store/runstore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

#include <memory>

using namespace ExitScope;

namespace {

void describeApplication(QCoreApplication &app)
{
    Q_UNUSED(app)
    QCoreApplication::setApplicationName(QStringLiteral("exitscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("ExitScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(EXITSCOPE_VERSION));
}

// --help and --version must work where no display is (a terminal over ssh, a package check):
// QApplication would abort there before the parser could answer.
bool onlyAsksForText(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "-v" || arg == "--version")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    std::unique_ptr<QCoreApplication> app;
    if (onlyAsksForText(argc, argv))
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    describeApplication(*app);
    QGuiApplication::setApplicationDisplayName(QStringLiteral("ExitScope"));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.exitscope.ExitScope"));

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
    // What the desktop passes when a recording is opened from a file manager.
    parser.addPositionalArgument(QStringLiteral("recording"), QStringLiteral("A recording (*.exs) to replay, as --replay does."),
                                 QStringLiteral("[recording]"));
    parser.process(*app);
    if (parser.positionalArguments().size() > 1) {
        qCritical("exitscope: one recording at a time, not %lld", qlonglong(parser.positionalArguments().size()));
        return 2;
    }
    const QString toReplay = parser.isSet(replay) ? parser.value(replay) : parser.positionalArguments().value(0);

    bool speedOk = false;
    const double speedFactor = parser.value(speed).toDouble(&speedOk);
    if (!speedOk || !(speedFactor > 0)) {
        qCritical("exitscope: --speed needs a positive number, not '%s'", qPrintable(parser.value(speed)));
        return 2;
    }

    MainWindow window;
    if (!window.openStore(parser.value(store)))
        return 3;
    QGuiApplication::setWindowIcon(AboutDialog::applicationIcon());
    window.show();

    if (parser.isSet(screenshot)) {
        const auto path = parser.value(screenshot);
        QObject::connect(&window, &MainWindow::recordingEnded, app.get(), [&window, path](qint64, bool ok) {
            // Let the last queued replot land before grabbing.
            QTimer::singleShot(300, &window, [&window, path, ok] {
                const bool saved = window.grab().save(path);
                if (!saved)
                    qWarning("cannot write %s", qPrintable(path));
                QCoreApplication::exit(ok && saved ? 0 : 1);
            });
        });
    }
    if (parser.isSet(host))
        window.connectToHost(parser.value(host));
    if (parser.isSet(host) && parser.isSet(agent))
        window.recordAgent(parser.value(host), parser.value(agent), parser.isSet(boot));
    else if (!toReplay.isEmpty())
        window.record(SourceSpec::replay(toReplay, !parser.isSet(fast), speedFactor));
    else if (parser.isSet(command))
        window.record(SourceSpec::command(parser.value(command)));
    return app->exec();
}
