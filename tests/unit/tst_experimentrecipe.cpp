// SPDX-License-Identifier: GPL-3.0-or-later
// ExperimentRecipe and ExperimentStep: what a recipe file may say, what it may not, and the shipped
// recipes, which must all parse.
#include "experiment/experimentrecipe.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace ExitScope;

class TestExperimentRecipe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aFullRecipe()
    {
        ExperimentRecipe r;
        const auto problem = ExperimentRecipe::parse(R"({
            "title": "Storm", "description": "d", "guest": "g", "repetitions": 4, "settle_seconds": 1.5,
            "reasons": ["CPUID", "0x78"],
            "steps": ["start", "wait-boot", "idle 2.5", "run cpuid 1000", "mark  after   it", "shutdown"],
            "measure": ["boot", "cpuid 1000"],
            "expect": [{"span": "cpuid 1000", "reason": "CPUID", "exits": 1000}]
        })",
                                                     QStringLiteral("storm"), &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(r.name, QStringLiteral("storm"));
        QCOMPARE(r.title, QStringLiteral("Storm"));
        QCOMPARE(r.repetitions, 4);
        QCOMPARE(r.settleSeconds, 1.5);
        QCOMPARE(r.reasons, (QStringList{QStringLiteral("CPUID"), QStringLiteral("0x78")}));
        QCOMPARE(r.steps.size(), 6);
        QVERIFY(r.bootsGuest());
        QVERIFY(r.shutsDown());
        QCOMPARE(r.steps.at(2).kind, ExperimentStep::Kind::Idle);
        QCOMPARE(r.steps.at(2).seconds, 2.5);
        QCOMPARE(r.steps.at(3).kind, ExperimentStep::Kind::Run);
        QCOMPARE(r.steps.at(3).argument, QStringLiteral("cpuid 1000"));
        QCOMPARE(r.steps.at(4).argument, QStringLiteral("after it"));
        QCOMPARE(r.expectations.size(), 1);
        QCOMPARE(r.expectations.first().exits, quint64(1000));

        // Written out and read back: the same recipe.
        ExperimentRecipe again;
        QVERIFY(ExperimentRecipe::parse(r.toJson(), r.name, &again).isEmpty());
        QCOMPARE(again.toJson(), r.toJson());
    }

    void defaults()
    {
        ExperimentRecipe r;
        QVERIFY(ExperimentRecipe::parse(R"({"steps": ["run idle 1"]})", QStringLiteral("x"), &r).isEmpty());
        QCOMPARE(r.title, QStringLiteral("x"));
        QCOMPARE(r.repetitions, 3);
        QCOMPARE(r.settleSeconds, 0.0);
        QCOMPARE(r.measure, QStringList{QStringLiteral("Whole run")});
        QVERIFY(!r.bootsGuest());
    }

    // Each mistake is named: the field, the step's number.
    void mistakesAreNamed_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expected");
        const auto row = [](const char *tag, const char *json, const char *expected, const char *name = "x") {
            QTest::newRow(tag) << QByteArray(json) << QString::fromLatin1(name) << QString::fromUtf8(expected);
        };
        row("not json", "{", "not JSON");
        row("array", "[]", "not a JSON object");
        row("unknown field", R"({"steps": ["start", "shutdown"], "stpes": []})", "unknown field 'stpes'");
        row("bad name", R"({"steps": ["run idle 1"]})", "lower-case", "Boot Cost");
        row("no steps", R"({"steps": []})", "'steps' must list");
        row("steps not strings", R"({"steps": [1]})", "'steps' must be a list of strings");
        row("unknown step", R"({"steps": ["jump"]})", "step 1: unknown step 'jump'");
        row("idle bad", R"({"steps": ["run idle 1", "idle soon"]})", "step 2: 'idle' needs a number");
        row("idle negative", R"({"steps": ["idle -1"]})", "step 1: 'idle' needs");
        row("run empty", R"({"steps": ["run"]})", "'run' needs the agent's command");
        row("start late", R"({"steps": ["run idle 1", "start", "shutdown"]})", "step 2: 'start' can only be the first");
        row("shutdown early", R"({"steps": ["start", "shutdown", "run idle 1"]})", "step 2: 'shutdown' can only be the last");
        row("boot without start", R"({"steps": ["wait-boot"]})", "'wait-boot' needs 'start'");
        row("start without shutdown", R"({"steps": ["start", "wait-boot"]})", "must end with 'shutdown'");
        row("repetitions zero", R"({"steps": ["run idle 1"], "repetitions": 0})", "'repetitions' must be");
        row("repetitions fraction", R"({"steps": ["run idle 1"], "repetitions": 2.5})", "'repetitions' must be");
        row("settle", R"({"steps": ["run idle 1"], "settle_seconds": -2})", "'settle_seconds'");
        row("title type", R"({"steps": ["run idle 1"], "title": 3})", "'title' must be a string");
        row("expect unmeasured", R"({"steps": ["run cpuid 5"], "expect": [{"span": "cpuid 5", "exits": 5}]})",
            "the span 'cpuid 5' is not measured");
        row("expect no exits", R"({"steps": ["run cpuid 5"], "measure": ["cpuid 5"], "expect": [{"span": "cpuid 5"}]})",
            "expectation 1 needs");
    }

    void mistakesAreNamed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, name);
        QFETCH(QString, expected);
        ExperimentRecipe r;
        const auto problem = ExperimentRecipe::parse(json, name, &r);
        QVERIFY2(problem.contains(expected), qPrintable(problem));
    }

    // Every shipped recipe parses; the user's folder comes first, and a broken file is reported
    // without hiding the others.
    void shippedAndUserRecipes()
    {
        QStringList problems;
        const auto shipped = ExperimentRecipe::findAll({QStringLiteral(EXITSCOPE_SOURCE_DIR "/resources/experiments")}, &problems);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QStringList names;
        for (const auto &r : shipped)
            names << r.name;
        for (const auto *name : {"boot-cost", "idle-baseline", "disk-write-read", "cpu-loop", "cpuid-storm"})
            QVERIFY2(names.contains(QLatin1String(name)), name);

        QTemporaryDir user;
        QVERIFY(user.isValid());
        QFile mine(user.filePath(QStringLiteral("boot-cost.json")));
        QVERIFY(mine.open(QIODevice::WriteOnly));
        mine.write(R"({"title": "Mine", "steps": ["start", "wait-boot", "shutdown"], "measure": ["boot"]})");
        mine.close();
        QFile broken(user.filePath(QStringLiteral("broken.json")));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{");
        broken.close();
        problems.clear();
        const auto all = ExperimentRecipe::findAll({user.path(), QStringLiteral(EXITSCOPE_SOURCE_DIR "/resources/experiments")}, &problems);
        QCOMPARE(problems.size(), 1);
        QVERIFY(problems.first().contains(QLatin1String("broken.json")));
        QCOMPARE(all.size(), shipped.size());
        const auto bootCost = std::find_if(all.begin(), all.end(), [](const ExperimentRecipe &r) { return r.name == QLatin1String("boot-cost"); });
        QCOMPARE(bootCost->title, QStringLiteral("Mine"));
    }
};

QTEST_GUILESS_MAIN(TestExperimentRecipe)
#include "tst_experimentrecipe.moc"
