#!/usr/bin/env python3
"""A journald stand-in for tests: binds the native protocol socket and
writes every entry it receives as one JSON object per line.

Usage: journal_receiver.py SOCKET OUT COUNT
Exits after COUNT entries (or 10 s). It validates what it parses the way
journald does: each item is NAME=VALUE\\n, or NAME\\n + 64-bit LE length +
VALUE + \\n (binary-safe); names are [A-Z0-9_], not starting with a digit.
Large entries arrive as a sealed memfd passed with SCM_RIGHTS."""
import array, json, os, re, socket, sys

NAME = re.compile(rb"[A-Z_][A-Z0-9_]*\Z")


def parse(buf):
    entry, i = {}, 0
    while i < len(buf):
        nl = buf.index(b"\n", i)
        line = buf[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            n = int.from_bytes(buf[nl + 1:nl + 9], "little")
            value = buf[nl + 9:nl + 9 + n]
            if len(value) != n or buf[nl + 9 + n:nl + 10 + n] != b"\n":
                raise ValueError("bad binary field %r" % name)
            i = nl + 10 + n
        if not NAME.match(name):
            raise ValueError("bad field name %r" % name)
        entry[name.decode()] = value.decode("utf-8")
    return entry


def main():
    path, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10)
    with open(out, "w") as f:
        for _ in range(count):
            data, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(4))
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fd = array.array("i", payload[:4])[0]
                    data = os.pread(fd, 1 << 24, 0)
                    os.close(fd)
            try:
                f.write(json.dumps(parse(data)) + "\n")
            except ValueError as e:
                f.write(json.dumps({"INVALID": str(e)}) + "\n")
            f.flush()


main()
