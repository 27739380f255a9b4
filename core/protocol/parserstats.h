// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

namespace ExitScope {

struct ParserStats
{
    quint64 bytes = 0; // fed so far
    quint64 records = 0; // delivered to the sink
    quint64 malformed = 0; // damaged stretches and records with a valid frame but invalid content
    quint64 skippedBytes = 0; // bytes that belonged to no valid record
    quint64 unknown = 0; // valid records of a type this reader does not know
    quint64 gaps = 0; // sequence jumps
    quint64 lostRecords = 0; // records missing in those jumps
    quint64 sessions = 0; // distinct session ids seen
    quint64 rejected = 0; // records ignored because their session's protocol major is unsupported

    bool clean() const { return malformed == 0 && skippedBytes == 0 && gaps == 0 && rejected == 0; }
    // The bytes themselves were damaged (or of a protocol this reader rejects). Gaps alone are not
    // damage: a sender that dropped records it could not deliver (and says so) leaves a gap in
    // a stream whose every byte is sound.
    bool damaged() const { return malformed != 0 || skippedBytes != 0 || rejected != 0; }
};

} // namespace ExitScope
