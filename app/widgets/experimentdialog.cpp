// SPDX-License-Identifier: GPL-3.0-or-later
#include "experimentdialog.h"

#include "report/experimentreport.h"
#include "store/runstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTime>
#include <QVBoxLayout>

#include <cmath>

namespace ExitScope {

namespace {
QString meanAndSd(const RunComparison::Spread &s, int decimals)
{
    if (s.n == 0)
        return QStringLiteral("–");
    const QLocale locale;
    return s.n > 1 ? QStringLiteral("%1 ± %2").arg(locale.toString(s.mean, 'f', decimals), locale.toString(s.sd, 'f', decimals))
                   : locale.toString(s.mean, 'f', decimals);
}
} // namespace

ExperimentDialog::ExperimentDialog(RunStore *store, const QString &storePath, QWidget *parent)
    : QDialog(parent)
    , m_store(store)
    , m_storePath(storePath)
    , m_runner(new ExperimentRunner(store, this))
    , m_recipe(new QComboBox(this))
    , m_description(new QLabel(this))
    , m_uri(new QLineEdit(this))
    , m_guest(new QLineEdit(this))
    , m_repetitions(new QSpinBox(this))
    , m_subtractOwn(new QCheckBox(tr("Leave the sampler's own CPUIDs out of each span's exits"), this))
    , m_bootRetries(new QSpinBox(this))
    , m_run(new QPushButton(tr("&Run"), this))
    , m_cancel(new QPushButton(tr("&Cancel experiment"), this))
    , m_report(new QPushButton(tr("Write a &report…"), this))
    , m_progress(new QProgressBar(this))
    , m_step(new QLabel(this))
    , m_log(new QPlainTextEdit(this))
    , m_result(new QTableWidget(this))
    , m_checks(new QLabel(this))
{
    setWindowTitle(tr("Run an experiment"));
    setObjectName(QStringLiteral("experimentDialog"));
    m_recipe->setObjectName(QStringLiteral("recipe"));
    m_uri->setObjectName(QStringLiteral("host"));
    m_guest->setObjectName(QStringLiteral("guest"));
    m_repetitions->setObjectName(QStringLiteral("repetitions"));
    m_run->setObjectName(QStringLiteral("run"));
    m_cancel->setObjectName(QStringLiteral("cancel"));
    m_report->setObjectName(QStringLiteral("report"));
    m_progress->setObjectName(QStringLiteral("progress"));
    m_step->setObjectName(QStringLiteral("step"));
    m_log->setObjectName(QStringLiteral("log"));
    m_result->setObjectName(QStringLiteral("result"));
    m_checks->setObjectName(QStringLiteral("checks"));

    m_description->setWordWrap(true);
    m_uri->setPlaceholderText(tr("libvirt URI of the host, e.g. qemu+ssh://root@host/system"));
    m_repetitions->setRange(1, ExperimentRecipe::MaxRepetitions);
    m_bootRetries->setObjectName(QStringLiteral("bootRetries"));
    m_bootRetries->setRange(0, 100);
    m_bootRetries->setToolTip(tr("A repetition whose guest was reset, crashed or never spoke while it booted is discarded and "
                                 "run again, at most this often in all (nested or emulated hosts do this now and then)"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_result->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_result->verticalHeader()->hide();
    m_checks->setWordWrap(true);
    m_checks->setTextFormat(Qt::PlainText);

    auto form = new QFormLayout;
    form->addRow(tr("&Experiment:"), m_recipe);
    form->addRow(QString(), m_description);
    form->addRow(tr("&Host:"), m_uri);
    form->addRow(tr("&Guest:"), m_guest);
    form->addRow(tr("Re&petitions:"), m_repetitions);
    form->addRow(tr("Failed &boots run again:"), m_bootRetries);
    form->addRow(QString(), m_subtractOwn);
    auto buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    buttons->addStretch();
    buttons->addWidget(m_report);
    auto close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_step);
    layout->addWidget(m_log, 1);
    layout->addWidget(m_result, 1);
    layout->addWidget(m_checks);
    layout->addWidget(close);
    resize(900, 700);

    connect(m_recipe, &QComboBox::currentIndexChanged, this, &ExperimentDialog::recipeChanged);
    connect(m_run, &QPushButton::clicked, this, &ExperimentDialog::run);
    connect(m_cancel, &QPushButton::clicked, m_runner, &ExperimentRunner::cancel);
    connect(m_report, &QPushButton::clicked, this, &ExperimentDialog::writeReport);

    connect(m_runner, &ExperimentRunner::connecting, this,
            [this](const QString &uri) { log(tr("Connecting to %1").arg(uri.section(QLatin1Char('?'), 0, 0))); });
    connect(m_runner, &ExperimentRunner::repetitionStarted, this, [this](int repetition, int repetitions, qint64 runId) {
        m_progress->setRange(0, repetitions);
        m_progress->setValue(repetition - 1);
        log(tr("Repetition %1 of %2: run %3").arg(repetition).arg(repetitions).arg(runId));
    });
    connect(m_runner, &ExperimentRunner::stepStarted, this, [this](int repetition, int step, const QString &description) {
        m_step->setText(tr("Repetition %1 of %2, step %3 of %4: %5")
                            .arg(repetition)
                            .arg(m_runner->repetitionCount())
                            .arg(step + 1)
                            .arg(m_runner->recipe().steps.size())
                            .arg(description));
        log(QStringLiteral("  ") + description);
    });
    connect(m_runner, &ExperimentRunner::waiting, this, [this](int waited, int timeout, const QString &what) {
        m_step->setText(tr("%1: waited %2 s of %3 s").arg(what).arg(waited).arg(timeout));
    });
    connect(m_runner, &ExperimentRunner::settling, this,
            [this](double seconds) { m_step->setText(tr("Settling for %1 s before the next repetition").arg(seconds)); });
    connect(m_runner, &ExperimentRunner::repetitionDiscarded, this, [this](int repetition, qint64 runId, const QString &why) {
        log(tr("Repetition %1 discarded: %2; run %3 is kept as discarded, the guest is forced off and the repetition runs again")
                .arg(repetition)
                .arg(why)
                .arg(runId));
        Q_EMIT runStored(runId);
    });
    connect(m_runner, &ExperimentRunner::notice, this, [this](const QString &message) { log(tr("  Note: %1").arg(message)); });
    connect(m_runner, &ExperimentRunner::repetitionEnded, this, [this](int repetition, qint64 runId, bool ok, const QString &message) {
        m_progress->setValue(repetition);
        log(ok ? tr("Repetition %1 done (run %2)").arg(repetition).arg(runId)
               : runId < 0 ? tr("Repetition %1 failed: %2 (nothing was recorded)").arg(repetition).arg(message)
                           : tr("Repetition %1 failed: %2 (run %3 keeps what was recorded)").arg(repetition).arg(message).arg(runId));
        if (runId >= 0)
            Q_EMIT runStored(runId);
    });
    connect(m_runner, &ExperimentRunner::finished, this, [this](ExperimentRunner::Outcome outcome, const QString &message) {
        switch (outcome) {
        case ExperimentRunner::Outcome::Completed:
            m_step->setText(tr("Done: %n repetition(s)", nullptr, int(m_runner->result().repetitions().size())));
            break;
        case ExperimentRunner::Outcome::Cancelled:
            m_step->setText(message);
            break;
        case ExperimentRunner::Outcome::Failed:
            m_step->setText(tr("Failed: %1").arg(message));
            break;
        }
        log(m_step->text());
        showResult(m_runner->recipe(), m_runner->result());
        updateButtons();
        Q_EMIT experimentFinished(outcome);
    });

    loadRecipes();
    updateButtons();
}

void ExperimentDialog::loadRecipes()
{
    QStringList problems;
    m_recipes = ExperimentRecipe::findAll(ExperimentRecipe::defaultFolders(m_storePath), &problems);
    m_recipe->clear();
    for (const auto &recipe : std::as_const(m_recipes))
        m_recipe->addItem(recipe.title, recipe.name);
    for (const auto &problem : std::as_const(problems))
        log(tr("Skipped a recipe: %1").arg(problem));
    recipeChanged();
}

bool ExperimentDialog::selectRecipe(const QString &name)
{
    const int index = m_recipe->findData(name);
    if (index < 0)
        return false;
    m_recipe->setCurrentIndex(index);
    return true;
}

void ExperimentDialog::setUri(const QString &uri)
{
    m_uri->setText(uri);
}

void ExperimentDialog::recipeChanged()
{
    const int index = m_recipe->currentIndex();
    if (index < 0 || index >= m_recipes.size()) {
        m_description->setText(tr("No experiments were found."));
        updateButtons();
        return;
    }
    const auto &recipe = m_recipes.at(index);
    QStringList steps;
    for (const auto &step : recipe.steps)
        steps << step.text();
    m_description->setText(tr("%1\nSteps: %2. Measured: %3.")
                               .arg(recipe.description, steps.join(QStringLiteral(" → ")), recipe.measure.join(QStringLiteral(", "))));
    m_guest->setText(recipe.guest);
    m_repetitions->setValue(recipe.repetitions);
    updateButtons();
}

void ExperimentDialog::run()
{
    const int index = m_recipe->currentIndex();
    if (index < 0 || index >= m_recipes.size() || m_runner->isRunning())
        return;
    ExperimentRunner::Options options;
    options.uri = m_uri->text().trimmed();
    options.guest = m_guest->text().trimmed();
    options.repetitions = m_repetitions->value();
    options.subtractOwnExits = m_subtractOwn->isChecked();
    options.bootRetries = m_bootRetries->value();
    m_result->clear();
    m_result->setRowCount(0);
    m_checks->clear();
    m_progress->setRange(0, options.repetitions);
    m_progress->setValue(0);
    if (!m_runner->start(m_recipes.at(index), options)) {
        m_step->setText(tr("Cannot run: %1").arg(m_runner->lastError()));
        log(m_step->text());
        return;
    }
    log(tr("Experiment %1: %n repetition(s)", nullptr, options.repetitions).arg(m_recipes.at(index).name));
    updateButtons();
}

void ExperimentDialog::showResult(const ExperimentRecipe &recipe, const ExperimentResult &result)
{
    m_shownRecipe = recipe;
    m_shownResult = result;
    QStringList headers{tr("Span"), tr("n"), tr("Exits"), tr("Min – max"), tr("Cycles/exit"), tr("Duration (s)")};
    for (const auto &rep : result.repetitions())
        headers << tr("#%1 (run %2)").arg(rep.number).arg(rep.runId);
    m_result->clear();
    m_result->setColumnCount(int(headers.size()));
    m_result->setHorizontalHeaderLabels(headers);
    m_result->setRowCount(int(result.measures().size()));
    const QLocale locale;
    for (int row = 0; row < result.measures().size(); ++row) {
        const auto &m = result.measures().at(row);
        QStringList cells{m.span, QString::number(m.exits.n), meanAndSd(m.exits, 0),
                          m.exits.n ? QStringLiteral("%1 – %2").arg(locale.toString(m.exits.min, 'f', 0), locale.toString(m.exits.max, 'f', 0))
                                    : QStringLiteral("–"),
                          meanAndSd(m.cyclesPerExit, 0), meanAndSd(m.duration, 3)};
        for (const auto &v : m.perRepetition)
            cells << (v.present ? locale.toString(v.exits, 'f', 0) : QStringLiteral("–"));
        for (int column = 0; column < cells.size(); ++column) {
            auto item = new QTableWidgetItem(cells.at(column));
            if (column > 0)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_result->setItem(row, column, item);
        }
    }
    m_result->resizeColumnsToContents();
    QStringList checks;
    for (const auto &check : result.checks())
        checks << tr("%1, repetition %2: %3")
                      .arg(check.passed ? tr("Check passed") : tr("CHECK FAILED"))
                      .arg(check.repetition)
                      .arg(check.verdict);
    m_checks->setText(checks.join(QLatin1Char('\n')));
    updateButtons();
}

void ExperimentDialog::writeReport()
{
    if (m_shownResult.repetitions().isEmpty())
        return;
    const auto folder = QFileDialog::getSaveFileName(this, tr("Write the experiment's report into a new folder"));
    if (folder.isEmpty())
        return;
    QVector<RunInfo> runs;
    for (const auto &r : m_shownResult.repetitions()) {
        RunInfo info;
        m_store->runInfo(r.runId, &info);
        runs << info;
    }
    QString error;
    if (!ExperimentReport::write(folder, m_shownRecipe, m_shownResult, runs, &error))
        QMessageBox::warning(this, tr("The report was not written"), error);
    else
        log(tr("Wrote %1/%2").arg(folder, QLatin1String(ExperimentReport::PageFile)));
}

void ExperimentDialog::log(const QString &line)
{
    m_log->appendPlainText(QStringLiteral("%1  %2").arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), line));
}

void ExperimentDialog::updateButtons()
{
    const bool running = m_runner->isRunning();
    const bool haveRecipe = m_recipe->currentIndex() >= 0;
    m_run->setEnabled(!running && haveRecipe);
    m_cancel->setEnabled(running);
    m_report->setEnabled(!running && !m_shownResult.repetitions().isEmpty());
    for (QWidget *w : std::initializer_list<QWidget *>{m_recipe, m_uri, m_guest, m_repetitions, m_bootRetries, m_subtractOwn})
        w->setEnabled(!running);
}

} // namespace ExitScope
