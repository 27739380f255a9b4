// SPDX-License-Identifier: GPL-3.0-or-later
#include "aboutdialog.h"

#include "qcustomplot_wrapper.h"
#include "ssh/libsshversion.h"
#include "virt/libvirtversion.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

// The resources of a static library are registered by hand, outside any namespace.
static void registerIconResources()
{
    Q_INIT_RESOURCE(icons);
}

namespace ExitScope {

QIcon AboutDialog::applicationIcon()
{
    static const bool registered = (registerIconResources(), true);
    Q_UNUSED(registered)
    // The installed theme icon where there is one; the built-in renderings otherwise (a build tree,
    // or Qt without its SVG plugin).
    QIcon builtIn;
    builtIn.addFile(QStringLiteral(":/icons/exitscope-48.png"));
    builtIn.addFile(QStringLiteral(":/icons/exitscope-128.png"));
    return QIcon::fromTheme(QStringLiteral("org.exitscope.ExitScope"), builtIn);
}

QStringList AboutDialog::versionLines()
{
    return {
        QStringLiteral("ExitScope %1").arg(QCoreApplication::applicationVersion()),
        QStringLiteral("Qt %1 (built with %2)").arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR)),
        QStringLiteral("QCustomPlot %1").arg(QStringLiteral(QCUSTOMPLOT_VERSION_STR)),
        QStringLiteral("libvirt %1").arg(libvirtLibraryVersion()),
        QStringLiteral("libssh %1").arg(libsshLibraryVersion()),
    };
}

AboutDialog::AboutDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("About ExitScope"));
    auto layout = new QVBoxLayout(this);

    auto header = new QHBoxLayout;
    auto icon = new QLabel(this);
    icon->setObjectName(QStringLiteral("aboutIcon"));
    icon->setPixmap(applicationIcon().pixmap(64, 64));
    header->addWidget(icon, 0, Qt::AlignTop);
    auto text = new QLabel(this);
    text->setObjectName(QStringLiteral("aboutText"));
    text->setTextFormat(Qt::RichText);
    text->setWordWrap(true);
    text->setOpenExternalLinks(false);
    text->setText(tr("<h2>ExitScope %1</h2>"
                     "<p>A workbench for studying KVM VM exits: it deploys a small KVM patch to a host, records "
                     "what an agent in each guest reads from it, live, and keeps every run for comparison.</p>"
                     "<p>Free software under the GNU General Public License, version 3 or later. "
                     "The kernel patch is under the GNU GPL, version 2.</p>")
                      .arg(QCoreApplication::applicationVersion().toHtmlEscaped()));
    header->addWidget(text, 1);
    layout->addLayout(header);

    auto versions = new QLabel(this);
    versions->setObjectName(QStringLiteral("versions"));
    versions->setTextInteractionFlags(Qt::TextSelectableByMouse);
    versions->setText(versionLines().join(QLatin1Char('\n')));
    layout->addWidget(versions);

    auto buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto copy = buttons->addButton(tr("&Copy versions"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyVersions"));
    copy->setToolTip(tr("For a bug report"));
    connect(copy, &QPushButton::clicked, this, [] { QGuiApplication::clipboard()->setText(versionLines().join(QLatin1Char('\n'))); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

} // namespace ExitScope
