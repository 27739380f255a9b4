// SPDX-License-Identifier: GPL-3.0-or-later
#include "userprompts.h"

#include <QFileDialog>
#include <QInputDialog>
#include <QMessageBox>

namespace ExitScope {

QString UserPrompts::openFile(QWidget *parent, const QString &title, const QString &filter)
{
    return QFileDialog::getOpenFileName(parent, title, {}, filter);
}

QString UserPrompts::saveFile(QWidget *parent, const QString &title, const QString &suggested, const QString &filter)
{
    return QFileDialog::getSaveFileName(parent, title, suggested, filter);
}

QString UserPrompts::text(QWidget *parent, const QString &title, const QString &label, const QString &initial, bool *ok)
{
    return QInputDialog::getText(parent, title, label, QLineEdit::Normal, initial, ok);
}

QString UserPrompts::multiLineText(QWidget *parent, const QString &title, const QString &label, const QString &initial,
                                   bool *ok)
{
    return QInputDialog::getMultiLineText(parent, title, label, initial, ok);
}

bool UserPrompts::confirm(QWidget *parent, const QString &title, const QString &question)
{
    return QMessageBox::question(parent, title, question) == QMessageBox::Yes;
}

} // namespace ExitScope
