// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

namespace ExitScope {

// What an empty window shows a new user: the three ways in (a host or the lab, a shipped
// recording, a command's output), with the shipped recordings one click away.
class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    struct Recording
    {
        QString path;
        QString description; // from the recordings' README, where it says
    };

    explicit WelcomePage(QWidget *parent = nullptr);

    // The recordings shipped in resources/recordings (installed or in the source tree).
    static QVector<Recording> shippedRecordings();

Q_SIGNALS:
    void connectRequested();
    void replayRequested(const QString &path);
    void chooseRecordingRequested();
    void recordCommandRequested();
};

} // namespace ExitScope
