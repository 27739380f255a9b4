// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/htmlpage.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>

namespace ExitScope::HtmlPage {

QString begin(const QString &title, const QString &heading)
{
    return QStringLiteral(
               "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; "
               "style-src 'unsafe-inline'\">\n<title>%1</title>\n<style>\n"
               "body { font-family: sans-serif; margin: 2em; max-width: 70em; }\n"
               "table { border-collapse: collapse; margin-bottom: 1em; }\n"
               "th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }\n"
               "table.numbers td { text-align: right; }\n table.numbers td:first-child { text-align: left; }\n"
               "table.markers td:last-child { white-space: pre-wrap; }\n img { max-width: 100%; }\n"
               "</style>\n</head>\n<body>\n<h1>%2</h1>\n")
        .arg(escaped(title), escaped(heading));
}

QString end()
{
    return QStringLiteral("<p><small>Written by ExitScope %1 on %2.</small></p>\n</body>\n</html>\n")
        .arg(escaped(QCoreApplication::applicationVersion()), QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString count(quint64 value)
{
    static const QLocale english(QLocale::English, QLocale::UnitedStates);
    return english.toString(qulonglong(value));
}

QString fixed(double value, int decimals)
{
    static const QLocale english(QLocale::English, QLocale::UnitedStates);
    return english.toString(value, 'f', decimals);
}

QString row(const QStringList &cells, bool header)
{
    const auto tag = header ? QStringLiteral("th") : QStringLiteral("td");
    QString html = QStringLiteral("<tr>");
    for (const auto &cell : cells)
        html += QStringLiteral("<%1>%2</%1>").arg(tag, cell);
    return html + QStringLiteral("</tr>\n");
}

QString describe(const QString &label, const QString &value)
{
    if (value.isEmpty())
        return {};
    return QStringLiteral("<tr><th>%1</th><td>%2</td></tr>\n").arg(escaped(label), escaped(value));
}

} // namespace ExitScope::HtmlPage
