// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace ExitScope {

// One step of an experiment's recipe, as written there: "start", "wait-boot", "idle 5",
// "run write 64", "mark before", "shutdown".
struct ExperimentStep
{
    enum class Kind {
        Start,    // start the guest, its channel already being read: the boot is recorded whole
        WaitBoot, // until the agent's boot marker
        Idle,     // seconds on the host's side, recorded
        Run,      // a workload in the guest (agent command), until its end marker
        Mark,     // a user marker in the guest
        Shutdown, // an orderly shutdown, until the guest is off
    };

    Kind kind = Kind::Idle;
    QString argument; // Run: the agent's command; Mark: the text
    double seconds = 0; // Idle

    // Empty and *step filled, or what is wrong with text.
    static QString parse(const QString &text, ExperimentStep *step);
    // As written in a recipe.
    QString text() const;
    // For progress: "starting the guest", "running write 64 in the guest", translated.
    QString describe() const;
};

} // namespace ExitScope
