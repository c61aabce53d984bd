#!/usr/bin/env python3
"""Reference implementation (stdlib only) of libshieldwatch's DNS filtering,
written from the documented semantics (README "The state directory"), for
bench/dns_throughput: reads a dnsmasq query log, and for every
`query[TYPE] NAME from ADDR` whose NAME is not allowed prints one JSON line
{"ts","source":"dns","action":"blocked_query","container","domain","query_type"}
(json.dumps, same field order, empty fields omitted).

Allowed = (profile.domains | live.domains) - denied.domains, entries
normalized (trimmed, lowercased, leading "*." dropped) and kept only when
the shield tool's grammar accepts them (labels of [a-z0-9-] without leading
or trailing hyphen, a last label of 2+ letters, no trailing dot); a name is
allowed when it or a parent domain is in the set (label-wise, ASCII
case-insensitive, one trailing dot ignored). The reported domain is the name
lowercased (ASCII) with one trailing dot dropped; dnsmasq's
"<name unprintable>" is reported without a domain.

usage: ref_dns.py --state DIR --container NAME LOG > out.jsonl
"""
import argparse
import datetime
import json
import os
import re
import sys

_ENTRY = re.compile(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\Z")


def normalize(line):
    s = line.strip(" \t\n\r\v\f\x1c\x1d\x1e\x1f").translate(_LOWER)
    if s.startswith("*."):
        s = s[2:]
    if len(s) > 253 or not _ENTRY.match(s):
        return ""
    return s


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def read_entries(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return {e for e in (normalize(l) for l in f.read().split("\n")) if e}
    except FileNotFoundError:
        return set()


def load_allowlist(state):
    allowed = read_entries(os.path.join(state, "profile.domains"))
    allowed |= read_entries(os.path.join(state, "live.domains"))
    allowed -= read_entries(os.path.join(state, "denied.domains"))
    return allowed


def allows(allowed, name):
    if not allowed:
        return False
    if name.endswith("."):
        name = name[:-1]
    if not name or len(name.encode()) > 253:
        return False
    name = name.translate(_LOWER)
    while True:
        if name in allowed:
            return True
        dot = name.find(".")
        if dot < 0:
            return False
        name = name[dot + 1:]


def message_of(line):
    tag = line.find("dnsmasq")
    if tag < 0:
        return line
    colon = line.find(": ", tag)
    if colon < 0:
        return line
    return line[colon + 2:]


def skip_extra(msg):
    # log-queries=extra: "SERIAL ADDR/PORT " before the verb
    i = 0
    while i < len(msg) and "0" <= msg[i] <= "9":
        i += 1
    if i == 0 or i >= len(msg) or msg[i] != " ":
        return msg
    end = msg.find(" ", i + 1)
    if end < 0 or "/" not in msg[i + 1:end]:
        return msg
    return msg[end + 1:]


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--container", required=True)
    ap.add_argument("log")
    a = ap.parse_args()
    allowed = load_allowlist(a.state)
    out = sys.stdout
    dumps = json.dumps
    with open(a.log, encoding="utf-8", errors="replace", newline="\n") as f:
        for line in f:
            if line.endswith("\n"):
                line = line[:-1]
            msg = skip_extra(message_of(line))
            if not msg.startswith("query["):
                continue
            close = msg.find("] ", 6)
            frm = msg.rfind(" from ")
            if close < 0 or frm < close + 2:
                continue
            qtype = msg[6:close]
            name = msg[close + 2:frm]
            if allows(allowed, name):
                continue
            ev = {"ts": now_rfc3339(), "source": "dns", "action": "blocked_query",
                  "container": a.container}
            if name == "<name unprintable>":
                name, detail = "", "name unprintable"
            else:
                detail = ""
                if name.endswith("."):
                    name = name[:-1]
                name = name.translate(_LOWER)
            if name:
                ev["domain"] = name
            if qtype:
                ev["query_type"] = qtype
            if detail:
                ev["detail"] = detail
            out.write(dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
