// SPDX-License-Identifier: GPL-3.0-or-later
#include "series/csvexporter.h"

#include "protocol/exitreasons.h"

#include "series/exitseries.h"

#include <QCoreApplication>
#include <QSaveFile>

#include <cmath>

namespace ExitScope {

namespace {

QString number(double value, int decimals)
{
    return std::isnan(value) ? QString() : QString::number(value, 'f', decimals);
}

QString flagsText(quint8 flags)
{
    QStringList names;
    if (flags & SeriesPoint::First)
        names << QStringLiteral("first");
    if (flags & SeriesPoint::CounterReset)
        names << QStringLiteral("reset");
    if (flags & SeriesPoint::GapBefore)
        names << QStringLiteral("gap");
    if (flags & SeriesPoint::NewSession)
        names << QStringLiteral("session");
    return names.join(QLatin1Char('|'));
}

} // namespace

QString CsvExporter::header()
{
    return QStringLiteral("row,t_s,seq,sender_t_ns,exits_raw,exits_total,cycles_raw,cycles_total,own_cpuid,"
                          "delta_exits,delta_own,delta_cycles,interval_s,exits_per_s,net_exits_per_s,"
                          "cycles_per_exit,flags,marker_kind,span,text");
}

QString CsvExporter::quote(const QString &field)
{
    if (!field.contains(QLatin1Char(',')) && !field.contains(QLatin1Char('"')) && !field.contains(QLatin1Char('\r'))
        && !field.contains(QLatin1Char('\n')))
        return field;
    QString quoted = field;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString CsvExporter::textField(const QString &text)
{
    // Marker text comes from the guest. A spreadsheet that opens the file would run a cell starting
    // with = + - @ (or a tab or CR before one) as a formula: such text gets a leading apostrophe,
    // which spreadsheets show as text and do not evaluate (OWASP's advice for CSV injection).
    static const QString triggers = QStringLiteral("=+-@\t\r");
    if (!text.isEmpty() && triggers.contains(text.front()))
        return quote(QLatin1Char('\'') + text);
    return quote(text);
}

bool CsvExporter::write(const ExitSeries &series, QIODevice *out, QString *error)
{
    const auto crlf = QByteArrayLiteral("\r\n");
    QByteArray buffer = header().toUtf8() + crlf;
    const auto &points = series.points();
    const auto &markers = series.markers();
    qsizetype m = 0;
    const auto flushBuffer = [&] {
        if (out->write(buffer) != buffer.size()) {
            if (error)
                *error = out->errorString();
            return false;
        }
        buffer.clear();
        return true;
    };
    const auto writeMarker = [&](const SeriesMarker &marker) {
        const auto &mk = marker.marker;
        const QStringList fields = {
            QStringLiteral("marker"),
            QString::number(marker.t, 'f', 6),
            QString::number(mk.seq),
            QString::number(mk.tNs),
            mk.countersValid() ? QString::number(mk.exits) : QString(),
            marker.hasTotals ? QString::number(marker.exitsTotal) : QString(),
            mk.countersValid() ? QString::number(mk.cycles) : QString(),
            marker.hasTotals ? QString::number(marker.cyclesTotal) : QString(),
            {}, {}, {}, {}, {}, {}, {}, {}, {},
            markerKindName(mk.kind),
            mk.span ? QString::number(mk.span) : QString(),
            textField(mk.text),
        };
        buffer += fields.join(QLatin1Char(',')).toUtf8() + crlf;
    };
    for (int i = 0; i < points.size(); ++i) {
        const auto &p = points.at(i);
        // Markers are placed between the samples they fall between.
        while (m < markers.size() && markers.at(m).sampleIndex < i)
            writeMarker(markers.at(m++));
        const double net = p.hasRate() ? double(p.deltaExits > p.deltaOwn ? p.deltaExits - p.deltaOwn : 0) / p.interval
                                       : ExitSeries::NaN;
        const double gross = p.hasRate() ? double(p.deltaExits) / p.interval : ExitSeries::NaN;
        const QStringList fields = {
            QStringLiteral("sample"),
            QString::number(p.t, 'f', 6),
            QString::number(p.seq),
            QString::number(p.tNs),
            QString::number(p.exitsRaw),
            QString::number(p.exitsTotal),
            QString::number(p.cycles),
            QString::number(p.cyclesTotal),
            QString::number(p.ownCpuid),
            QString::number(p.deltaExits),
            QString::number(p.deltaOwn),
            QString::number(p.deltaCycles),
            QString::number(p.interval, 'f', 6),
            number(gross, 3),
            number(net, 3),
            number(series.cyclesPerExit(i), 3),
            flagsText(p.flags),
            {}, {}, {},
        };
        buffer += fields.join(QLatin1Char(',')).toUtf8() + crlf;
        if (buffer.size() > (1 << 20) && !flushBuffer())
            return false;
    }
    while (m < markers.size())
        writeMarker(markers.at(m++));
    return flushBuffer();
}

QString CsvExporter::reasonHeader()
{
    return QStringLiteral("t_s,reason,reason_name,exits,cycles,exits_total,cycles_total");
}

bool CsvExporter::writeReasons(const ExitSeries &series, QIODevice *out, QString *error)
{
    const auto crlf = QByteArrayLiteral("\r\n");
    QByteArray buffer = reasonHeader().toUtf8() + crlf;
    const auto vendor = series.cpuVendor();
    for (const auto &point : series.reasonPoints()) {
        buffer += QByteArray::number(point.t, 'f', 6) + ',' + QByteArray::number(point.reason) + ','
            + quote(ExitReasons::name(vendor, point.reason)).toUtf8() + ',' + QByteArray::number(point.deltaExits) + ','
            + QByteArray::number(point.deltaCycles) + ',' + QByteArray::number(point.exitsTotal) + ','
            + QByteArray::number(point.cyclesTotal) + crlf;
        if (buffer.size() > 1 << 16) {
            if (out->write(buffer) != buffer.size()) {
                if (error)
                    *error = out->errorString();
                return false;
            }
            buffer.clear();
        }
    }
    if (out->write(buffer) != buffer.size()) {
        if (error)
            *error = out->errorString();
        return false;
    }
    return true;
}

bool CsvExporter::writeReasonsFile(const ExitSeries &series, const QString &path, QString *error)
{
    QSaveFile file(path);
    QString writeError;
    if (!file.open(QIODevice::WriteOnly) || !writeReasons(series, &file, &writeError) || !file.commit()) {
        if (error)
            *error = QCoreApplication::translate("CsvExporter", "Cannot write %1: %2")
                         .arg(path, writeError.isEmpty() ? file.errorString() : writeError);
        return false;
    }
    return true;
}

bool CsvExporter::writeFile(const ExitSeries &series, const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QCoreApplication::translate("CsvExporter", "Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QString writeError;
    if (!write(series, &file, &writeError) || !file.commit()) {
        if (error)
            *error = QCoreApplication::translate("CsvExporter", "Cannot write %1: %2")
                         .arg(path, writeError.isEmpty() ? file.errorString() : writeError);
        return false;
    }
    return true;
}

} // namespace ExitScope
