// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QWidget;

namespace ExitScope {

// Every question the window asks its user (which file, which name, are you sure) goes through
// here, so that tests can answer them and drive the window's real actions. The default asks with
// Qt's standard dialogs.
class UserPrompts
{
public:
    virtual ~UserPrompts() = default;

    // An empty string means the user cancelled.
    virtual QString openFile(QWidget *parent, const QString &title, const QString &filter);
    virtual QString saveFile(QWidget *parent, const QString &title, const QString &suggested, const QString &filter);
    // ok is false when the user cancelled.
    virtual QString text(QWidget *parent, const QString &title, const QString &label, const QString &initial, bool *ok);
    virtual QString multiLineText(QWidget *parent, const QString &title, const QString &label, const QString &initial,
                                  bool *ok);
    virtual bool confirm(QWidget *parent, const QString &title, const QString &question);
};

} // namespace ExitScope
