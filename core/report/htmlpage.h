// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

namespace ExitScope {

// The pieces the report pages share: one look, no scripts and no remote content (a content
// security policy says so to the browser), every text escaped, numbers grouped the English way
// whatever the workstation's locale.
namespace HtmlPage {

QString begin(const QString &title, const QString &heading);
QString end();
QString escaped(const QString &text);
QString count(quint64 value);
QString fixed(double value, int decimals);
// One table row of cells that are already HTML.
QString row(const QStringList &cells, bool header = false);
// A "label: value" row of a description table, both escaped; nothing for an empty value.
QString describe(const QString &label, const QString &value);

} // namespace HtmlPage

} // namespace ExitScope
