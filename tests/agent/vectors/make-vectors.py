#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes stream.bin from records.tsv: a third encoder of docs/protocol.md, written from the document
alone, so that the C encoder (guest-agent/) and the C++ one (core/) are both checked against bytes
that neither produced. Run it only when records.tsv changes: python3 make-vectors.py"""
import os
import struct
import sys
import zlib

LIMITS = {"handshake": 100, "marker": 228, "error": 244}


def unescape(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            n = text[i + 1]
            if n == "\\":
                out += b"\\"
                i += 2
            elif n == "t":
                out += b"\t"
                i += 2
            elif n == "x":
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
            else:
                sys.exit(f"bad escape \\{n}")
        else:
            out += c.encode()
            i += 1
    return bytes(out)


def cut(data, limit):
    if len(data) <= limit:
        return data
    n = limit
    while n > 0 and (data[n] & 0xC0) == 0x80:
        n -= 1
    return data[:n]


def string(data, limit):
    data = cut(data, limit)
    return struct.pack("<B", len(data)) + data


def record(rtype, seq, payload):
    body = struct.pack("<BBQ", rtype, len(payload), seq) + payload
    return b"\xe5\x58" + body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def encode(fields):
    kind, seq = fields[0], int(fields[1], 0)
    v = fields[2:]
    num = lambda i: int(v[i], 0)
    if kind == "handshake":
        p = struct.pack("<HHBBHIIIQQ", 1, 0, num(0), num(1), num(2), num(3), num(4), num(5), num(6), num(7))
        p += string(unescape(v[8]), LIMITS[kind]) + string(unescape(v[9]), LIMITS[kind])
        return record(1, seq, p)
    if kind == "sample":
        return record(2, seq, struct.pack("<QIQQ", num(0), num(1), num(2), num(3)))
    if kind == "marker":
        p = struct.pack("<QIQBBI", num(0), num(1), num(2), num(3), num(4), num(5))
        return record(3, seq, p + string(unescape(v[6]), LIMITS[kind]))
    if kind == "heartbeat":
        return record(4, seq, struct.pack("<QQ", num(0), num(1)))
    if kind == "error":
        return record(5, seq, struct.pack("<QH", num(0), num(1)) + string(unescape(v[2]), LIMITS[kind]))
    if kind == "reason":
        return record(6, seq, struct.pack("<QIIQ", num(0), num(1), num(2), num(3)))
    sys.exit(f"unknown record type {kind}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = bytearray()
    with open(os.path.join(here, "records.tsv"), encoding="ascii") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                out += encode(line.split("\t"))
    with open(os.path.join(here, "stream.bin"), "wb") as f:
        f.write(out)
    print(f"stream.bin: {len(out)} bytes")


if __name__ == "__main__":
    main()
