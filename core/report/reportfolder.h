// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace ExitScope {

// A report folder that appears whole or not at all: its files are written into a staging folder
// beside the final place, which is renamed into place by commit(). The folder asked for must be
// new or empty, so that nothing in it is ever overwritten.
class ReportFolder
{
public:
    // False, with a message that says what to do, when folder cannot be written.
    bool begin(const QString &folder, QString *error);
    // Where a file of the report goes before commit().
    QString filePath(const QString &name) const;
    bool writeText(const QString &name, const QString &text, QString *error);
    bool commit(QString *error);

private:
    QString m_folder;
    std::unique_ptr<QTemporaryDir> m_staging;
};

} // namespace ExitScope
