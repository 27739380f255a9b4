// SPDX-License-Identifier: GPL-3.0-or-later
#include "experiment/experimentrecipe.h"

#include "deploy/datalocation.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace ExitScope {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("ExperimentRecipe", text);
}

// A recipe is read in full; anything larger is not one.
constexpr qint64 MaxRecipeBytes = 1 << 20;
constexpr int MaxSteps = 1000;

bool isStringList(const QJsonValue &value)
{
    if (!value.isArray())
        return false;
    const auto array = value.toArray();
    return std::all_of(array.begin(), array.end(), [](const QJsonValue &v) { return v.isString(); });
}

QStringList toStringList(const QJsonValue &value)
{
    QStringList list;
    const auto array = value.toArray();
    for (const auto &v : array)
        list << v.toString();
    return list;
}
} // namespace

QString ExperimentRecipe::parse(const QByteArray &json, const QString &name, ExperimentRecipe *recipe)
{
    QJsonParseError error;
    const auto document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return tr("not JSON: %1 at byte %2").arg(error.errorString()).arg(error.offset);
    if (!document.isObject())
        return tr("not a JSON object");
    const auto o = document.object();
    static const QSet<QString> known = {
        QStringLiteral("title"),   QStringLiteral("description"), QStringLiteral("guest"),
        QStringLiteral("repetitions"), QStringLiteral("settle_seconds"), QStringLiteral("reasons"),
        QStringLiteral("steps"),   QStringLiteral("measure"),     QStringLiteral("expect"),
    };
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            return tr("unknown field '%1'").arg(it.key());

    ExperimentRecipe r;
    r.name = name;
    if (!QRegularExpression(QStringLiteral("^[a-z0-9][a-z0-9-]*$")).match(name).hasMatch())
        return tr("the name '%1' must be lower-case letters, digits and dashes").arg(name);
    for (const auto &field : {QStringLiteral("title"), QStringLiteral("description"), QStringLiteral("guest")})
        if (o.contains(field) && !o.value(field).isString())
            return tr("'%1' must be a string").arg(field);
    r.title = o.value(QStringLiteral("title")).toString(name);
    r.description = o.value(QStringLiteral("description")).toString();
    r.guest = o.value(QStringLiteral("guest")).toString();

    if (o.contains(QStringLiteral("repetitions"))) {
        const auto v = o.value(QStringLiteral("repetitions")).toDouble(-1);
        if (v != std::floor(v) || v < 1 || v > MaxRepetitions)
            return tr("'repetitions' must be a whole number from 1 to %1").arg(MaxRepetitions);
        r.repetitions = int(v);
    }
    if (o.contains(QStringLiteral("settle_seconds"))) {
        const auto v = o.value(QStringLiteral("settle_seconds")).toDouble(-1);
        if (!(v >= 0 && v <= MaxSettleSeconds))
            return tr("'settle_seconds' must be a number of seconds from 0 to %1").arg(MaxSettleSeconds);
        r.settleSeconds = v;
    }
    for (const auto &field : {QStringLiteral("reasons"), QStringLiteral("steps"), QStringLiteral("measure")})
        if (o.contains(field) && !isStringList(o.value(field)))
            return tr("'%1' must be a list of strings").arg(field);
    r.reasons = toStringList(o.value(QStringLiteral("reasons")));

    const auto steps = toStringList(o.value(QStringLiteral("steps")));
    if (steps.isEmpty() || steps.size() > MaxSteps)
        return tr("'steps' must list from 1 to %1 steps").arg(MaxSteps);
    for (int i = 0; i < steps.size(); ++i) {
        ExperimentStep step;
        if (const auto problem = ExperimentStep::parse(steps.at(i), &step); !problem.isEmpty())
            return tr("step %1: %2").arg(i + 1).arg(problem);
        r.steps << step;
    }
    // A repetition is one guest's life at most: started first, shut down last.
    for (int i = 0; i < r.steps.size(); ++i) {
        const auto kind = r.steps.at(i).kind;
        if (kind == ExperimentStep::Kind::Start && i != 0)
            return tr("step %1: 'start' can only be the first step").arg(i + 1);
        if (kind == ExperimentStep::Kind::Shutdown && i != r.steps.size() - 1)
            return tr("step %1: 'shutdown' can only be the last step").arg(i + 1);
        if (kind == ExperimentStep::Kind::WaitBoot && !r.bootsGuest())
            return tr("step %1: 'wait-boot' needs 'start' as the first step").arg(i + 1);
    }

    if (r.bootsGuest() && !r.shutsDown())
        return tr("a recipe that starts the guest must end with 'shutdown', so that the next repetition can start it");

    r.measure = toStringList(o.value(QStringLiteral("measure")));
    if (r.measure.isEmpty())
        r.measure << QStringLiteral("Whole run");
    if (const auto expect = o.value(QStringLiteral("expect")); !expect.isUndefined()) {
        if (!expect.isArray())
            return tr("'expect' must be a list of objects");
        const auto array = expect.toArray();
        for (int i = 0; i < array.size(); ++i) {
            const auto e = array.at(i).toObject();
            Expectation x;
            x.span = e.value(QStringLiteral("span")).toString();
            x.reason = e.value(QStringLiteral("reason")).toString();
            const auto exits = e.value(QStringLiteral("exits")).toDouble(-1);
            if (!array.at(i).isObject() || x.span.isEmpty() || exits != std::floor(exits) || exits < 1 || exits > 1e15)
                return tr("expectation %1 needs 'span' and a whole number of 'exits'").arg(i + 1);
            if (!r.measure.contains(x.span))
                return tr("expectation %1: the span '%2' is not measured").arg(i + 1).arg(x.span);
            x.exits = quint64(exits);
            r.expectations << x;
        }
    }
    *recipe = r;
    return {};
}

QString ExperimentRecipe::load(const QString &path, ExperimentRecipe *recipe)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return tr("%1: %2").arg(path, file.errorString());
    if (file.size() > MaxRecipeBytes)
        return tr("%1: larger than a recipe can be (%2 bytes)").arg(path).arg(MaxRecipeBytes);
    const auto problem = parse(file.readAll(), QFileInfo(path).completeBaseName(), recipe);
    if (!problem.isEmpty())
        return tr("%1: %2").arg(path, problem);
    recipe->path = path;
    return {};
}

QByteArray ExperimentRecipe::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("title"), title);
    if (!description.isEmpty())
        o.insert(QStringLiteral("description"), description);
    if (!guest.isEmpty())
        o.insert(QStringLiteral("guest"), guest);
    o.insert(QStringLiteral("repetitions"), repetitions);
    o.insert(QStringLiteral("settle_seconds"), settleSeconds);
    if (!reasons.isEmpty())
        o.insert(QStringLiteral("reasons"), QJsonArray::fromStringList(reasons));
    QStringList stepTexts;
    for (const auto &step : steps)
        stepTexts << step.text();
    o.insert(QStringLiteral("steps"), QJsonArray::fromStringList(stepTexts));
    o.insert(QStringLiteral("measure"), QJsonArray::fromStringList(measure));
    if (!expectations.isEmpty()) {
        QJsonArray expect;
        for (const auto &x : expectations) {
            QJsonObject e{{QStringLiteral("span"), x.span}, {QStringLiteral("exits"), double(x.exits)}};
            if (!x.reason.isEmpty())
                e.insert(QStringLiteral("reason"), x.reason);
            expect.append(e);
        }
        o.insert(QStringLiteral("expect"), expect);
    }
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

QVector<ExperimentRecipe> ExperimentRecipe::findAll(const QStringList &folders, QStringList *problems)
{
    QVector<ExperimentRecipe> recipes;
    QSet<QString> seen;
    for (const auto &folder : folders) {
        const auto files = QDir(folder).entryInfoList({QStringLiteral("*.json")}, QDir::Files | QDir::Readable, QDir::Name);
        for (const auto &file : files) {
            ExperimentRecipe recipe;
            if (const auto problem = load(file.filePath(), &recipe); !problem.isEmpty()) {
                if (problems)
                    *problems << problem;
                continue;
            }
            if (!seen.contains(recipe.name)) {
                seen.insert(recipe.name);
                recipes << recipe;
            }
        }
    }
    return recipes;
}

QStringList ExperimentRecipe::defaultFolders(const QString &storePath)
{
    return {QFileInfo(storePath).absoluteDir().filePath(QStringLiteral("experiments")),
            DataLocation::sourceFile(QStringLiteral("resources/experiments"))};
}

} // namespace ExitScope
