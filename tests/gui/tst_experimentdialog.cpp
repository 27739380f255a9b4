// SPDX-License-Identifier: GPL-3.0-or-later
// The experiment dialog, driven through its widgets and the main window's action: the recipes it
// offers, what it says when an experiment cannot run (libvirt's test driver stands in for the host:
// its guest runs, so a recipe that boots it must refuse), and the result view of a result computed
// from a shipped recording.
#include "experimentdialog.h"
#include "mainwindow.h"

#include "experiment/experimentresult.h"
#include "protocol/streamparser.h"
#include "store/runstore.h"

#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

class TestExperimentDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    RunStore m_store;

    template<typename T>
    static T *child(QWidget *parent, const char *name)
    {
        auto widget = parent->findChild<T *>(QLatin1String(name));
        Q_ASSERT(widget);
        return widget;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_store.open(m_dir.filePath(QStringLiteral("runs.sqlite"))));
    }

    // The shipped recipes are offered; choosing one fills in its guest and repetitions.
    void recipesAreOffered()
    {
        ExperimentDialog dialog(&m_store, m_store.path());
        auto recipe = child<QComboBox>(&dialog, "recipe");
        QStringList names;
        for (int i = 0; i < recipe->count(); ++i)
            names << recipe->itemData(i).toString();
        for (const auto *name : {"boot-cost", "idle-baseline", "disk-write-read", "cpu-loop", "cpuid-storm"})
            QVERIFY2(names.contains(QLatin1String(name)), name);
        QVERIFY(dialog.selectRecipe(QStringLiteral("idle-baseline")));
        QCOMPARE(child<QLineEdit>(&dialog, "guest")->text(), QStringLiteral("exitscope-l2"));
        QCOMPARE(child<QSpinBox>(&dialog, "repetitions")->value(), 5);
        QVERIFY(child<QPushButton>(&dialog, "run")->isEnabled());
        QVERIFY(!child<QPushButton>(&dialog, "cancel")->isEnabled());
        QVERIFY(!child<QPushButton>(&dialog, "report")->isEnabled());
    }

    // Without a host nothing starts, and the dialog says why.
    void noHostIsRefused()
    {
        ExperimentDialog dialog(&m_store, m_store.path());
        dialog.setUri(QString());
        QTest::mouseClick(child<QPushButton>(&dialog, "run"), Qt::LeftButton);
        QVERIFY(!dialog.isRunning());
        QVERIFY2(child<QLabel>(&dialog, "step")->text().contains(QLatin1String("No host")),
                 qPrintable(child<QLabel>(&dialog, "step")->text()));
    }

    // A recipe that boots the guest refuses one that runs: it would not be a boot. The refusal is
    // on screen, the controls are usable again, and no run was made.
    void aRunningGuestIsNotBooted()
    {
        ExperimentDialog dialog(&m_store, m_store.path());
        QVERIFY(dialog.selectRecipe(QStringLiteral("boot-cost")));
        dialog.setUri(QStringLiteral("test:///default"));
        child<QLineEdit>(&dialog, "guest")->setText(QStringLiteral("test"));
        QSignalSpy finished(&dialog, &ExperimentDialog::experimentFinished);
        const auto runsBefore = m_store.listRuns().size();
        QTest::mouseClick(child<QPushButton>(&dialog, "run"), Qt::LeftButton);
        QVERIFY(dialog.isRunning());
        QVERIFY(!child<QPushButton>(&dialog, "run")->isEnabled());
        QVERIFY(child<QPushButton>(&dialog, "cancel")->isEnabled());
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.first().at(0).value<ExperimentRunner::Outcome>(), ExperimentRunner::Outcome::Failed);
        const auto step = child<QLabel>(&dialog, "step")->text();
        QVERIFY2(step.contains(QLatin1String("test is running")) && step.contains(QLatin1String("shut it down first")),
                 qPrintable(step));
        QVERIFY(child<QPlainTextEdit>(&dialog, "log")->toPlainText().contains(QLatin1String("shut it down first")));
        QVERIFY(child<QPushButton>(&dialog, "run")->isEnabled());
        QVERIFY(!child<QPushButton>(&dialog, "cancel")->isEnabled());
        QCOMPARE(m_store.listRuns().size(), runsBefore);

        // A guest the host does not have.
        finished.clear();
        child<QLineEdit>(&dialog, "guest")->setText(QStringLiteral("no-such-guest"));
        QTest::mouseClick(child<QPushButton>(&dialog, "run"), Qt::LeftButton);
        QVERIFY(finished.wait(30000));
        QVERIFY2(child<QLabel>(&dialog, "step")->text().contains(QLatin1String("no guest named no-such-guest")),
                 qPrintable(child<QLabel>(&dialog, "step")->text()));
    }

    // A result on screen: a row per measured span with its spread and each repetition's exits, and
    // the report button enabled. Two "repetitions" of the shipped recording of a boot with I/O.
    void resultView()
    {
        QFile file(QStringLiteral(EXITSCOPE_SOURCE_DIR "/resources/recordings/l2-boot-and-io.exs"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        auto series = std::make_shared<ExitSeries>();
        StreamParser parser;
        parser.setSink(series.get());
        parser.feed(file.readAll());
        parser.finish();
        ExperimentRecipe recipe;
        QVERIFY(ExperimentRecipe::parse(R"({"steps": ["run write 16", "run read 16"], "measure": ["write 16", "read 16", "Whole run"]})",
                                        QStringLiteral("disk"), &recipe)
                    .isEmpty());
        const auto result = ExperimentResult::compute(recipe, {{1, 41, series}, {2, 42, series}}, false);

        ExperimentDialog dialog(&m_store, m_store.path());
        dialog.showResult(recipe, result);
        auto table = child<QTableWidget>(&dialog, "result");
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("write 16"));
        QCOMPARE(table->item(0, 1)->text(), QStringLiteral("2"));
        QCOMPARE(table->horizontalHeaderItem(6)->text(), QStringLiteral("#1 (run 41)"));
        QCOMPARE(table->item(0, 6)->text(), QLocale().toString(459.0, 'f', 0));
        QCOMPARE(table->item(1, 0)->text(), QStringLiteral("read 16"));
        QCOMPARE(table->item(1, 7)->text(), QLocale().toString(190.0, 'f', 0));
        QVERIFY(child<QPushButton>(&dialog, "report")->isEnabled());
    }

    // The main window's Run ▸ Run an experiment opens the dialog with the host panel's host.
    void mainWindowAction()
    {
        MainWindow window;
        QVERIFY(window.openStore(m_dir.filePath(QStringLiteral("window.sqlite"))));
        auto action = window.findChild<QAction *>(QStringLiteral("runExperiment"));
        QVERIFY(action);
        QVERIFY(action->isEnabled());
        action->trigger();
        auto dialog = window.findChild<ExperimentDialog *>(QStringLiteral("experimentDialog"));
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
    }
};

QTEST_MAIN(TestExperimentDialog)
#include "tst_experimentdialog.moc"
