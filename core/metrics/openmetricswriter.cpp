// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/openmetricswriter.h"

#include <cmath>

namespace ExitScope {

namespace {

// Label values escape backslash, double quote and line feed; HELP text escapes backslash and line feed.
QByteArray escaped(const QString &text, bool quotes)
{
    QByteArray out;
    const auto utf8 = text.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quotes)
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

} // namespace

OpenMetricsWriter::OpenMetricsWriter(Format format)
    : m_format(format)
{
}

QByteArray OpenMetricsWriter::contentType(Format format)
{
    return format == Format::OpenMetrics ? QByteArrayLiteral("application/openmetrics-text; version=1.0.0; charset=utf-8")
                                         : QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
}

OpenMetricsWriter::Format OpenMetricsWriter::negotiate(const QByteArray &acceptHeader)
{
    return acceptHeader.contains("application/openmetrics-text") ? Format::OpenMetrics : Format::PrometheusText;
}

void OpenMetricsWriter::counter(const QString &name, const QString &help)
{
    const auto base = name.toLatin1();
    const QByteArray family = m_format == Format::OpenMetrics ? base : QByteArray(base + "_total");
    m_text += "# HELP " + family + ' ' + escaped(help, false) + '\n';
    m_text += "# TYPE " + family + " counter\n";
    m_sampleName = base + "_total";
}

void OpenMetricsWriter::gauge(const QString &name, const QString &help)
{
    const auto base = name.toLatin1();
    m_text += "# HELP " + base + ' ' + escaped(help, false) + '\n';
    m_text += "# TYPE " + base + " gauge\n";
    m_sampleName = base;
}

void OpenMetricsWriter::writeLabels(const Labels &labels)
{
    m_text += m_sampleName;
    if (labels.isEmpty())
        return;
    m_text += '{';
    for (int i = 0; i < labels.size(); ++i) {
        if (i)
            m_text += ',';
        m_text += labels.at(i).first.toLatin1() + "=\"" + escaped(labels.at(i).second, true) + '"';
    }
    m_text += '}';
}

void OpenMetricsWriter::value(const Labels &labels, quint64 value)
{
    writeLabels(labels);
    m_text += ' ' + QByteArray::number(value) + '\n';
}

void OpenMetricsWriter::value(const Labels &labels, double value)
{
    writeLabels(labels);
    if (std::isnan(value))
        m_text += " NaN\n";
    else
        m_text += ' ' + QByteArray::number(value, 'g', 17) + '\n';
}

QByteArray OpenMetricsWriter::finish()
{
    if (m_format == Format::OpenMetrics)
        m_text += "# EOF\n";
    return std::move(m_text);
}

} // namespace ExitScope
