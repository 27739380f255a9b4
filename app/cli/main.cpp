// SPDX-License-Identifier: GPL-3.0-or-later
#include "commandline.h"

#include <QApplication>

int main(int argc, char **argv)
{
    // The command line never shows a window; plots for --png/--pdf render offscreen on any platform.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("exitscope"));
    QApplication::setOrganizationName(QStringLiteral("ExitScope"));
    QApplication::setApplicationVersion(QStringLiteral(EXITSCOPE_VERSION));
    ExitScope::CommandLine commandLine;
    return commandLine.run(QApplication::arguments());
}
