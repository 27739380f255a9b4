// SPDX-License-Identifier: GPL-3.0-or-later
#include "sources/processsource.h"

#include <QCoreApplication>

namespace ExitScope {

namespace {
constexpr qsizetype StderrTail = 4096;
}

ProcessSource::ProcessSource(const QString &program, const QStringList &arguments, QObject *parent)
    : Source(parent)
    , m_program(program)
    , m_arguments(arguments)
{
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &ProcessSource::readOutput);
    connect(&m_process, &QProcess::readyReadStandardError, this, &ProcessSource::appendStderr);
    connect(&m_process, &QProcess::finished, this, &ProcessSource::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, &ProcessSource::onError);
    connect(&m_process, &QProcess::started, this, &ProcessSource::markStarted);
}

ProcessSource::~ProcessSource()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.disconnect(this);
        m_process.kill();
        m_process.waitForFinished(2000);
    }
}

QString ProcessSource::description() const
{
    const auto command = (QStringList{m_program} + m_arguments).join(QLatin1Char(' '));
    return QCoreApplication::translate("ProcessSource", "command: %1").arg(command);
}

void ProcessSource::start()
{
    m_stopping = false;
    m_stderrTail.clear();
    m_process.start(m_program, m_arguments, QIODevice::ReadOnly);
}

void ProcessSource::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_stopping = true;
    m_process.terminate();
    if (!m_process.waitForFinished(3000))
        m_process.kill();
}

void ProcessSource::readOutput()
{
    deliverBytes(m_process.readAllStandardOutput());
}

void ProcessSource::appendStderr()
{
    m_stderrTail += m_process.readAllStandardError();
    if (m_stderrTail.size() > StderrTail)
        m_stderrTail = m_stderrTail.right(StderrTail);
}

void ProcessSource::onFinished(int exitCode, QProcess::ExitStatus status)
{
    readOutput();
    appendStderr();
    if (m_stopping || (status == QProcess::NormalExit && exitCode == 0)) {
        endOfInput();
        return;
    }
    const auto details = QString::fromLocal8Bit(m_stderrTail).trimmed();
    if (status == QProcess::CrashExit)
        failWith(QCoreApplication::translate("ProcessSource", "%1 crashed").arg(m_program), details);
    else
        failWith(QCoreApplication::translate("ProcessSource", "%1 exited with status %2").arg(m_program).arg(exitCode),
                 details);
}

void ProcessSource::onError(QProcess::ProcessError error)
{
    if (error != QProcess::FailedToStart)
        return; // crashes and exit codes arrive through finished()
    failWith(QCoreApplication::translate("ProcessSource", "Cannot run %1").arg(m_program),
             m_process.errorString()
                 + QCoreApplication::translate("ProcessSource", "\nCheck that the program is installed and in PATH."));
}

} // namespace ExitScope
