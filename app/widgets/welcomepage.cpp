// SPDX-License-Identifier: GPL-3.0-or-later
#include "welcomepage.h"

#include "deploy/datalocation.h"

#include <QCommandLinkButton>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QVBoxLayout>

namespace ExitScope {

namespace {

// The "what" column of the README's table (| `file` | what | how |), up to its first colon: one
// source for the descriptions, kept beside the files.
QString describedIn(const QString &readme, const QString &fileName)
{
    QFile file(readme);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    const auto prefix = QStringLiteral("| `%1` |").arg(fileName);
    while (!file.atEnd()) {
        const auto line = QString::fromUtf8(file.readLine());
        if (!line.startsWith(prefix))
            continue;
        auto what = line.mid(prefix.size()).section(QLatin1Char('|'), 0, 0).trimmed();
        what.remove(QLatin1Char('`'));
        return what.section(QLatin1Char(':'), 0, 0).trimmed();
    }
    return {};
}

} // namespace

QVector<WelcomePage::Recording> WelcomePage::shippedRecordings()
{
    const QDir dir(DataLocation::sourceFile(QStringLiteral("resources/recordings")));
    QVector<Recording> found;
    for (const auto &info : dir.entryInfoList({QStringLiteral("*.exs")}, QDir::Files, QDir::Name))
        found.append({info.absoluteFilePath(), describedIn(dir.filePath(QStringLiteral("README.md")), info.fileName())});
    return found;
}

WelcomePage::WelcomePage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("welcome"));
    auto outer = new QVBoxLayout(this);
    outer->addStretch(1);
    auto column = new QWidget(this);
    column->setMaximumWidth(640);
    auto layout = new QVBoxLayout(column);
    auto title = new QLabel(tr("<h2>Study the VM exits of KVM guests</h2>"
                               "<p>Nothing is shown yet. Start in one of three ways:</p>"),
                            column);
    title->setWordWrap(true);
    layout->addWidget(title);

    auto connect = new QCommandLinkButton(tr("Connect to a host, or to the lab"),
                                          tr("Its guests are listed in the Host panel; boot one and record its agent. "
                                             "The nested lab is the first of the saved connections."),
                                          column);
    connect->setObjectName(QStringLiteral("welcomeConnect"));
    QObject::connect(connect, &QCommandLinkButton::clicked, this, &WelcomePage::connectRequested);
    layout->addWidget(connect);

    const auto recordings = shippedRecordings();
    for (const auto &recording : recordings) {
        const auto name = QFileInfo(recording.path).fileName();
        auto replay = new QCommandLinkButton(tr("Replay %1").arg(name),
                                             recording.description.isEmpty() ? tr("A recording shipped with ExitScope.")
                                                                             : recording.description,
                                             column);
        replay->setObjectName(QStringLiteral("welcomeReplay"));
        replay->setToolTip(QDir::toNativeSeparators(recording.path));
        QObject::connect(replay, &QCommandLinkButton::clicked, this, [this, path = recording.path] { Q_EMIT replayRequested(path); });
        layout->addWidget(replay);
    }
    auto open = new QCommandLinkButton(tr("Replay a recording…"), tr("Any ExitScope recording (*.exs), at recorded speed."), column);
    open->setObjectName(QStringLiteral("welcomeOpen"));
    QObject::connect(open, &QCommandLinkButton::clicked, this, &WelcomePage::chooseRecordingRequested);
    layout->addWidget(open);

    auto command = new QCommandLinkButton(tr("Record a command's output…"),
                                          tr("A command that writes the sample stream, e.g. ssh root@host exitscope-probe --rate 50."),
                                          column);
    command->setObjectName(QStringLiteral("welcomeCommand"));
    QObject::connect(command, &QCommandLinkButton::clicked, this, &WelcomePage::recordCommandRequested);
    layout->addWidget(command);

    auto centered = new QHBoxLayout;
    centered->addStretch(1);
    centered->addWidget(column, 3);
    centered->addStretch(1);
    outer->addLayout(centered);
    outer->addStretch(2);
}

} // namespace ExitScope
