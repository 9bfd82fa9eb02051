#!/usr/bin/env python3
"""Writes the SPDY frame parser's seed inputs next to this script.

Each seed starts with one byte choosing the fuzzer's feeding chunk size, then frames laid out
by the SPDY/3 draft. The SYN_STREAM header blocks are zlib streams primed with the SPDY/3
dictionary, which is read from src/streaming/spdy_frame.cc so it is written down only once.
"""
import os
import re
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "..", "..", "src", "streaming", "spdy_frame.cc")


def dictionary():
    text = open(SOURCE).read()
    body = text[text.index("kDictionary[] = {"):]
    body = body[:body.index("};")]
    return bytes(int(x, 16) for x in re.findall(r"0x[0-9a-f]{2}", body))


def control(kind, flags, payload):
    return struct.pack(">HHI", 0x8003, kind, (flags << 24) | len(payload)) + payload


def data(stream, flags, payload):
    return struct.pack(">II", stream, (flags << 24) | len(payload)) + payload


def header_block(headers):
    out = struct.pack(">I", len(headers))
    for name, value in headers:
        out += struct.pack(">I", len(name)) + name + struct.pack(">I", len(value)) + value
    return out


def main():
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, 8,
                            zlib.Z_DEFAULT_STRATEGY, dictionary())
    def compress(headers):
        return comp.compress(header_block(headers)) + comp.flush(zlib.Z_SYNC_FLUSH)

    syn1 = control(1, 0, struct.pack(">IIBB", 1, 0, 0, 0) + compress([(b"streamtype", b"error")]))
    syn3 = control(1, 0, struct.pack(">IIBB", 3, 0, 0, 0) +
                   compress([(b"streamtype", b"data"), (b"port", b"80"), (b"requestid", b"0")]))
    reply = control(2, 0, struct.pack(">I", 1) + compress([]))
    seeds = {
        "exec_session": bytes([255]) + syn1 + syn3 + reply + data(3, 0, b"hello") +
                        data(3, 1, b""),
        "control_frames": bytes([7]) +
                          control(4, 0, struct.pack(">IIIII", 2, 7, 65536, 4, 100)) +
                          control(6, 0, struct.pack(">I", 1)) +
                          control(9, 0, struct.pack(">II", 1, 32768)) +
                          control(3, 0, struct.pack(">II", 1, 5)) +
                          control(7, 0, struct.pack(">II", 3, 0)),
        "headers_fin": bytes([0]) + syn1 + control(8, 1, struct.pack(">I", 1) +
                                                   compress([(b"x", b"a\0b")])),
        "unknown_type": bytes([3]) + control(10, 0, b"\x00\x01") + control(6, 0, b"\x00\x00\x00\x02"),
    }
    for name, content in seeds.items():
        with open(os.path.join(HERE, name + ".bin"), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    main()
