// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QIODevice;

namespace ExitScope {

class ExitSeries;

// Writes a series as CSV (RFC 4180: CRLF line ends, fields quoted when they need it). One row per
// sample and one per marker, in time order; the columns are documented in docs/csv.md.
class CsvExporter
{
public:
    static QString header();
    static bool write(const ExitSeries &series, QIODevice *out, QString *error = nullptr);
    static bool writeFile(const ExitSeries &series, const QString &path, QString *error = nullptr);
    // The reasons a run sampled, in long format: one row per reading of one reason (docs/csv.md).
    static QString reasonHeader();
    static bool writeReasons(const ExitSeries &series, QIODevice *out, QString *error = nullptr);
    static bool writeReasonsFile(const ExitSeries &series, const QString &path, QString *error = nullptr);
    static QString quote(const QString &field);
    // Marker text as a field: quoted as needed, and never read as a formula by a spreadsheet.
    static QString textField(const QString &text);
};

} // namespace ExitScope
