// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QIcon>

namespace ExitScope {

// Help ▸ About: what this is, its licence, and the versions of the libraries it runs with, which
// a bug report needs.
class AboutDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AboutDialog(QWidget *parent = nullptr);

    // The versions as plain lines ("Qt 6.4.2 (built with 6.4.2)"), also for copying into a report.
    static QStringList versionLines();
    // The product's icon: from the icon theme when installed, built in otherwise.
    static QIcon applicationIcon();
};

} // namespace ExitScope
