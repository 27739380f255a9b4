// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the fuzz target without libFuzzer, so that its invariants are checked in every build (gcc
// included): every file of the corpus, then a bounded number of inputs mutated from them with a
// fixed seed, so that a failure can be reproduced.
//   fuzz_TARGET_driver [--mutations N] [--seed S] [--save FILE] CORPUS_FOLDER_OR_FILE...
// A failing input is written to FILE (default fuzz-failure.bin) before the abort. The same driver
// serves every target (fuzz_streamparser, fuzz_recorder).
#include "fuzztarget.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QVector>

#include <cstdio>
#include <cstring>

namespace {

QByteArray g_current;
QString g_savePath = QStringLiteral("fuzz-failure.bin");

void saveCurrent()
{
    QFile file(g_savePath);
    if (file.open(QIODevice::WriteOnly) && file.write(g_current) == g_current.size())
        std::fprintf(stderr, "failing input saved to %s\n", qPrintable(QFileInfo(file).absoluteFilePath()));
}

void run(const QByteArray &input)
{
    g_current = input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(input.constData()), size_t(input.size()));
}

QByteArray mutate(QRandomGenerator &rng, const QVector<QByteArray> &corpus)
{
    QByteArray data = corpus.at(rng.bounded(int(corpus.size())));
    const int steps = 1 + int(rng.bounded(8));
    for (int i = 0; i < steps; ++i) {
        const auto size = int(data.size());
        const int at = size ? int(rng.bounded(size)) : 0;
        switch (rng.bounded(9)) {
        case 0: // flip a bit
            if (size)
                data[at] = char(data.at(at) ^ (1 << rng.bounded(8)));
            break;
        case 1: // a random byte, often one that matters to the framing
            if (size) {
                static const char interesting[] = {'\xE5', '\x58', '\x00', '\xFF', '\x01', '\x02', '\x03', '\x06', '\x7F'};
                data[at] = rng.bounded(2) ? interesting[rng.bounded(int(sizeof interesting))] : char(rng.bounded(256));
            }
            break;
        case 2: // insert random bytes
            for (int n = int(rng.bounded(32)); n > 0; --n)
                data.insert(at, char(rng.bounded(256)));
            break;
        case 3: // delete a range
            data.remove(at, int(rng.bounded(64)));
            break;
        case 4: // duplicate a range
            data.insert(at, data.mid(int(rng.bounded(qMax(1, size))), int(rng.bounded(300))));
            break;
        case 5: // splice in part of another input
        {
            const auto &other = corpus.at(rng.bounded(int(corpus.size())));
            data.insert(at, other.mid(int(rng.bounded(qMax(1, int(other.size())))), int(rng.bounded(400))));
            break;
        }
        case 6: // truncate
            data.truncate(at);
            break;
        case 7: // new chunking
            if (size)
                data[0] = char(rng.bounded(256));
            if (size > 1)
                data[1] = char(rng.bounded(256));
            break;
        case 8: // a length byte set to the maximum, somewhere after a sync word
        {
            const int sync = data.indexOf("\xE5\x58", at);
            if (sync >= 0 && sync + 3 < data.size())
                data[sync + 3] = char(rng.bounded(2) ? 0xFF : rng.bounded(256));
            break;
        }
        }
    }
    return data;
}

} // namespace

int main(int argc, char **argv)
{
    qint64 mutations = 20'000;
    quint32 seed = 20261125;
    QVector<QByteArray> corpus;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--mutations") && i + 1 < argc) {
            mutations = QByteArray(argv[++i]).toLongLong();
        } else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = QByteArray(argv[++i]).toUInt();
        } else if (!std::strcmp(argv[i], "--save") && i + 1 < argc) {
            g_savePath = QString::fromLocal8Bit(argv[++i]);
        } else {
            const QFileInfo info(QString::fromLocal8Bit(argv[i]));
            QStringList files;
            if (info.isDir()) {
                const QDir dir(info.filePath());
                for (const auto &name : dir.entryList(QDir::Files, QDir::Name))
                    files << dir.filePath(name);
            } else {
                files << info.filePath();
            }
            for (const auto &path : files) {
                QFile file(path);
                if (!file.open(QIODevice::ReadOnly)) {
                    std::fprintf(stderr, "cannot read %s\n", qPrintable(path));
                    return 2;
                }
                corpus.append(file.readAll());
            }
        }
    }
    if (corpus.isEmpty()) {
        std::fprintf(stderr, "usage: %s [--mutations N] [--seed S] [--save FILE] CORPUS...\n", argv[0]);
        return 2;
    }
    fuzzFailureHook = saveCurrent;
    for (const auto &input : corpus)
        run(input);
    // Every input of the corpus with every chunking of up to two sizes below 16 bytes.
    for (const auto &input : corpus) {
        const qsizetype prefix = 1 + (uchar(input.at(0)) % 8);
        if (input.size() < prefix)
            continue;
        const auto stream = input.mid(prefix);
        for (int a = 0; a < 16; ++a)
            for (int b = 0; b < 16; b += 5)
                run(QByteArray(1, '\x02') + char(a) + char(b) + stream);
    }
    QRandomGenerator rng(seed);
    for (qint64 i = 0; i < mutations; ++i)
        run(mutate(rng, corpus));
    std::printf("%s: %lld corpus inputs and %lld mutations (seed %u) kept every invariant\n",
                qPrintable(QFileInfo(QString::fromLocal8Bit(argv[0])).fileName()), qint64(corpus.size()), mutations, seed);
    return 0;
}
