// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experiment/experimentstep.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ExitScope {

// A named, declarative experiment, stored as a JSON file (docs/experiments.md): which guest, the
// steps of one repetition, what to measure, how often and with what pause between repetitions.
// Shipped recipes live in resources/experiments/, the user's in the "experiments" folder beside the
// run store; a user's recipe of the same name comes first.
struct ExperimentRecipe
{
    // A figure the experiment knows in advance: a span must have cost at least this many exits of
    // this reason, and no more than that plus the sampler's own reads (the CPUID storm).
    struct Expectation
    {
        QString span;   // measured span's label
        QString reason; // reason name ("CPUID") or number; empty: the span's total exits
        quint64 exits = 0;
    };

    static constexpr int MaxRepetitions = 1000;
    static constexpr double MaxSettleSeconds = 3600;

    QString name; // the file's name without .json: what the CLI and the runs are tagged with
    QString title;
    QString description;
    QString guest;
    int repetitions = 3;
    double settleSeconds = 0; // between repetitions, after the guest is off
    QStringList reasons;      // exit reasons the agent samples meanwhile, by name or number
    QVector<ExperimentStep> steps;
    QStringList measure;      // span labels ("boot", "write 64", "Whole run"), as RunComparison rows
    QVector<Expectation> expectations;
    QString path;             // where it was read from

    // Empty and *recipe filled, or what is wrong, naming the field (and the step's number).
    static QString parse(const QByteArray &json, const QString &name, ExperimentRecipe *recipe);
    // Reads path (name: its base name); empty or what is wrong, naming the file.
    static QString load(const QString &path, ExperimentRecipe *recipe);
    QByteArray toJson() const;

    // The first step starts the guest: every repetition records a boot. Otherwise the guest must be
    // running, and each repetition reads its agent as it is.
    bool bootsGuest() const { return !steps.isEmpty() && steps.first().kind == ExperimentStep::Kind::Start; }
    bool shutsDown() const { return !steps.isEmpty() && steps.last().kind == ExperimentStep::Kind::Shutdown; }

    // Every recipe found: the user's folder first, then the shipped ones; one per name. Files that do
    // not parse are listed in *problems ("file: what is wrong"), not returned.
    static QVector<ExperimentRecipe> findAll(const QStringList &folders, QStringList *problems = nullptr);
    // The shipped recipes' folder: resources/experiments in the source tree or the installed data.
    static QStringList defaultFolders(const QString &storePath);
};

} // namespace ExitScope
