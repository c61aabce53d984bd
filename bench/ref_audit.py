#!/usr/bin/env python3
"""Reference implementation (stdlib only) of libshieldwatch's audit source,
for bench/audit_throughput: every JSON object line of audit.jsonl becomes one
event, printed as a JSON line with the documented field order
ts, source, action, container, domain, query_type, dest, detail, port, proto
(empty fields omitted). json.loads + json.dumps.

ts: a plain RFC 3339 date-time string (uppercase T, Z or an offset, a real
day, no leap second) is kept verbatim, another readable one is normalized to
UTC with microseconds and "+00:00"; a number is seconds since the epoch;
otherwise the current time. action: "unknown" unless a string. port:
0..65535 (number or numeric string), proto: a protocol name or number 1..255.

usage: ref_audit.py --container NAME FILE > out.jsonl
"""
import argparse
import datetime
import json
import re
import sys

UTC = datetime.timezone.utc
PROTOS = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
          "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132, "udplite": 136}
FMT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
PLAIN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")


def ts_field(v):
    if isinstance(v, str):
        try:
            t = datetime.datetime.fromisoformat(v)
            if t.tzinfo is not None:
                return v if PLAIN.match(v) else t.astimezone(UTC).strftime(FMT)
        except ValueError:
            pass
    elif isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e11:
        return datetime.datetime.fromtimestamp(v, UTC).strftime(FMT)
    return datetime.datetime.now(UTC).strftime(FMT)


def str_field(obj, key):
    v = obj.get(key)
    return v if isinstance(v, str) else ""


def int_field(v, hi):
    if isinstance(v, bool):
        return 0
    if isinstance(v, (int, float)):
        return int(v) if 0 <= v <= hi and v == int(v) else 0
    if isinstance(v, str) and v.isdigit():
        n = int(v)
        return n if n <= hi else 0
    return 0


def proto_field(v):
    if isinstance(v, str):
        if v in PROTOS:
            return PROTOS[v]
        return int(v) if v.isdigit() and 0 < int(v) < 256 else 0
    return int_field(v, 255)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--container", required=True)
    ap.add_argument("file")
    a = ap.parse_args()
    out = sys.stdout
    loads, dumps = json.loads, json.dumps
    with open(a.file, encoding="utf-8", errors="replace", newline="\n") as f:
        for line in f:
            if not line.strip(" \t\r\n"):
                continue
            try:
                obj = loads(line)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            ev = {"ts": ts_field(obj.get("ts")), "source": "audit",
                  "action": obj["action"] if isinstance(obj.get("action"), str) else "unknown",
                  "container": str_field(obj, "container") or a.container}
            for key in ("domain", "dest", "detail"):
                v = str_field(obj, key)
                if v:
                    ev[key] = v
            port = int_field(obj.get("port"), 65535)
            if port:
                ev["port"] = port
            proto = proto_field(obj.get("proto"))
            if proto:
                ev["proto"] = proto
            out.write(dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
