// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QPair>
#include <QString>
#include <QVector>

namespace ExitScope {

// Writes metric families in the OpenMetrics text format (what Prometheus asks for first) or in
// Prometheus' older text format 0.0.4. The two differ for counters (the family is named without
// _total in OpenMetrics) and in the closing "# EOF".
class OpenMetricsWriter
{
public:
    enum class Format { OpenMetrics, PrometheusText };
    using Labels = QVector<QPair<QString, QString>>;

    explicit OpenMetricsWriter(Format format);

    static QByteArray contentType(Format format);
    // The format an Accept header asks for.
    static Format negotiate(const QByteArray &acceptHeader);

    // A counter family: its samples are named NAME_total.
    void counter(const QString &name, const QString &help);
    void gauge(const QString &name, const QString &help);
    // A sample of the family begun last.
    void value(const Labels &labels, quint64 value);
    void value(const Labels &labels, double value);

    QByteArray finish();

private:
    void writeLabels(const Labels &labels);

    Format m_format;
    QByteArray m_text;
    QByteArray m_sampleName;
};

} // namespace ExitScope
