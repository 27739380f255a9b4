// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experiment/experimentrecipe.h"
#include "experiment/experimentrunner.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace ExitScope {

class RunStore;

// Run ▸ Run an experiment: choose a recipe (shipped or the user's), the host and guest and the
// repetitions, run it with its progress (repetition, step, what is waited for and for how long),
// cancel it, and see its result: each measured span's spread and per-repetition exits, and the
// recipe's checks; write it as a report folder. Each repetition is a run in the store.
class ExperimentDialog : public QDialog
{
    Q_OBJECT
public:
    ExperimentDialog(RunStore *store, const QString &storePath, QWidget *parent = nullptr);

    void setUri(const QString &uri);
    // Selects a recipe by name; false if there is none.
    bool selectRecipe(const QString &name);
    bool isRunning() const { return m_runner->isRunning(); }
    ExperimentRunner *runner() const { return m_runner; }
    // Shows a result in the result table (the runner's when it finishes).
    void showResult(const ExperimentRecipe &recipe, const ExperimentResult &result);

Q_SIGNALS:
    // A repetition's run was stored: the run list should show it.
    void runStored(qint64 runId);
    void experimentFinished(ExitScope::ExperimentRunner::Outcome outcome);

private:
    void loadRecipes();
    void recipeChanged();
    void run();
    void log(const QString &line);
    void updateButtons();
    void writeReport();

    RunStore *m_store;
    QString m_storePath;
    QVector<ExperimentRecipe> m_recipes;
    ExperimentRunner *m_runner;
    ExperimentRecipe m_shownRecipe;
    ExperimentResult m_shownResult;
    QComboBox *m_recipe;
    QLabel *m_description;
    QLineEdit *m_uri;
    QLineEdit *m_guest;
    QSpinBox *m_repetitions;
    QCheckBox *m_subtractOwn;
    QSpinBox *m_bootRetries;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QPushButton *m_report;
    QProgressBar *m_progress;
    QLabel *m_step;
    QPlainTextEdit *m_log;
    QTableWidget *m_result;
    QLabel *m_checks;
};

} // namespace ExitScope
