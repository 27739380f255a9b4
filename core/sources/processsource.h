// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sources/source.h"

#include <QProcess>

namespace ExitScope {

// The stream on a command's standard output, e.g. `exitscope-probe` or `ssh host exitscope-probe`.
// Standard error is kept (the last few KiB) to explain a failure.
class ProcessSource : public Source
{
    Q_OBJECT
public:
    ProcessSource(const QString &program, const QStringList &arguments, QObject *parent = nullptr);
    ~ProcessSource() override;

    QString description() const override;
    void start() override;
    void stop() override;

private:
    void readOutput();
    void appendStderr();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);

    QProcess m_process;
    QString m_program;
    QStringList m_arguments;
    QByteArray m_stderrTail;
    bool m_stopping = false;
};

} // namespace ExitScope
