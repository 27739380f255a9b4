// SPDX-License-Identifier: GPL-3.0-or-later
// Writes the seed corpus of fuzz_streamparser into a folder: streams of every kind the parser meets,
// each behind the fuzz target's chunking prefix (see fuzz_streamparser.cpp).
//   exitscope-fuzz-corpus FOLDER
#include "protocol/streamwriter.h"

#include <QDir>
#include <QFile>

#include <cstdio>

using namespace ExitScope;

namespace {

Handshake handshake(quint64 seq, quint64 session, quint16 major = Protocol::Major)
{
    Handshake h;
    h.seq = seq;
    h.protocolMajor = major;
    h.sourceKind = SourceKind::GuestAgent;
    h.cpuVendor = CpuVendor::AmdSvm;
    h.abiVersion = 1;
    h.sessionId = session;
    h.periodNs = 50'000'000;
    h.sender = QStringLiteral("exitscope-agent 1.0.0");
    h.host = QStringLiteral("l2-guest");
    return h;
}

Sample sample(quint64 seq)
{
    return Sample{seq, seq * 50'000'000, quint32(0xFFFFFF00u + seq * 100), 1'000'000 * seq, seq};
}

Marker marker(quint64 seq, MarkerKind kind, quint32 span, const QString &text)
{
    Marker m;
    m.seq = seq;
    m.tNs = seq * 50'000'000 + 1;
    m.exits = quint32(0xFFFFFF00u + seq * 100 + 7);
    m.cycles = 1'000'000 * seq + 7;
    m.kind = kind;
    m.flags = Marker::CountersValid;
    m.span = span;
    m.text = text;
    return m;
}

QByteArray mixed()
{
    QByteArray out;
    StreamWriter::append(out, handshake(0, 0x1234));
    StreamWriter::append(out, sample(1));
    StreamWriter::append(out, marker(2, MarkerKind::IoStart, 7, QStringLiteral("vda write 12 MiB — ü")));
    StreamWriter::append(out, sample(3));
    StreamWriter::append(out, marker(4, MarkerKind::IoEnd, 7, QStringLiteral("ok 80 MiB/s")));
    StreamWriter::append(out, Heartbeat{5, 250'000'000, 3});
    StreamWriter::append(out, ErrorRecord{6, 300'000'000, 3, QStringLiteral("diskstats unreadable")});
    StreamWriter::append(out, ReasonSample{7, 350'000'000, 0x1E, 500, 123456});
    StreamWriter::append(out, sample(8));
    return out;
}

bool write(const QDir &dir, const QString &name, const QByteArray &prefix, const QByteArray &stream)
{
    QFile file(dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(prefix + stream) != prefix.size() + stream.size()) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(file.fileName()));
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: exitscope-fuzz-corpus FOLDER\n");
        return 2;
    }
    const QDir dir(QString::fromLocal8Bit(argv[1]));
    if (!QDir().mkpath(dir.path()))
        return 1;
    const QByteArray whole("\0", 1); // no splits
    const QByteArray bytewise("\x01\x00", 2); // one byte at a time
    const QByteArray odd("\x03\x06\x2a\xff", 4); // chunks of 7, 43 and 256 bytes in turn

    QByteArray damagedCrc = mixed();
    damagedCrc[60] = char(damagedCrc.at(60) ^ 0x40);
    QByteArray damagedLength = mixed();
    damagedLength[QByteArray(StreamWriter::encode(handshake(0, 0x1234))).size() + 3] = char(0xFF);
    QByteArray noisy = QByteArray("noise \xE5\xE5\x58 more", 17) + mixed();
    noisy.insert(noisy.size() / 2, QByteArray(40, '\xE5'));
    QByteArray truncated = mixed();
    truncated.chop(5);

    QByteArray sessions;
    StreamWriter::append(sessions, handshake(0, 1));
    StreamWriter::append(sessions, sample(1));
    StreamWriter::append(sessions, sample(5)); // gap
    StreamWriter::append(sessions, sample(4)); // backwards
    StreamWriter::append(sessions, handshake(0, 2)); // sender restarted
    StreamWriter::append(sessions, sample(1));
    StreamWriter::append(sessions, handshake(2, 2)); // reconnect
    StreamWriter::append(sessions, sample(3));

    QByteArray versions;
    QByteArray v2;
    v2.append('\x02').append('\0').append('\0').append('\0');
    StreamWriter::appendRaw(versions, quint8(RecordType::Handshake), 0, v2);
    StreamWriter::append(versions, sample(1));
    StreamWriter::appendRaw(versions, 0x7F, 2, QByteArray(17, 'x')); // unknown type
    StreamWriter::append(versions, handshake(0, 9));
    StreamWriter::append(versions, sample(1));
    StreamWriter::appendRaw(versions, 0x7F, 2, QByteArray(17, 'x'));
    StreamWriter::appendRaw(versions, quint8(RecordType::Sample), 3, QByteArray(10, '\0')); // short
    StreamWriter::appendRaw(versions, quint8(RecordType::Sample), 4,
                            StreamWriter::encode(sample(4)).mid(12, 28) + QByteArray(8, '\x11')); // longer

    QByteArray headless;
    for (quint64 seq = 17; seq < 40; ++seq)
        StreamWriter::append(headless, sample(seq));

    QByteArray longText;
    StreamWriter::append(longText, handshake(0, 3));
    StreamWriter::append(longText, marker(1, MarkerKind::UserMark, 0, QString(300, QChar(0x00E9))));
    StreamWriter::append(longText, ErrorRecord{2, 0, 5, QString(300, QLatin1Char('e'))});

    const bool ok = write(dir, QStringLiteral("mixed"), whole, mixed())
        && write(dir, QStringLiteral("mixed-bytewise"), bytewise, mixed())
        && write(dir, QStringLiteral("mixed-odd-chunks"), odd, mixed())
        && write(dir, QStringLiteral("damaged-crc"), odd, damagedCrc)
        && write(dir, QStringLiteral("damaged-length"), whole, damagedLength)
        && write(dir, QStringLiteral("noise"), odd, noisy) && write(dir, QStringLiteral("truncated"), bytewise, truncated)
        && write(dir, QStringLiteral("sessions"), odd, sessions) && write(dir, QStringLiteral("versions"), whole, versions)
        && write(dir, QStringLiteral("headless"), odd, headless) && write(dir, QStringLiteral("long-text"), whole, longText);
    return ok ? 0 : 1;
}
