#!/usr/bin/env python3
"""shield_watch.py STATE_DIR CONTAINER: the ``shield watch`` loop on shieldwatch.

Streams a container's blocked-access events as JSON lines on stdout, one
line per event, flushed: blocked DNS queries (dnsmasq log), audit.jsonl
entries and NFLOG packets. Exits 0 on SIGINT or SIGTERM, 1 when the state
directory's DNS tier is not dnsmasq or it cannot be watched.

Where the original slept in select() for up to a second and re-read its
files, this blocks on the library's one fd, so an event is printed as soon
as it is written; NFLOG events carry the domain the library learnt from the
DNS log, and lost NFLOG messages are reported as events. The lines are the
library's JSON-lines stream copied to stdout (each event's ``to_json()`` and
a newline): no event object is built, and no poll() is made (the library's
read does that work).
"""

import argparse
import signal
import sys

import shieldwatch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("state_dir", help="the container's shield state directory")
    ap.add_argument("container", help="container name (for event metadata)")
    ap.add_argument("--netns", help="read NFLOG in this network namespace (/run/netns/NAME)")
    ap.add_argument("--nflog-group", type=int, default=100, help="NFLOG group (default 100)")
    args = ap.parse_args()

    try:
        watcher = shieldwatch.Watcher(
            args.state_dir, args.container, netns=args.netns, nflog_group=args.nflog_group,
            json_stream=True,
        )
    except shieldwatch.Error as e:  # TierError included: the reason names dns.tier
        print("Error: %s" % e.strerror, file=sys.stderr)
        return 1

    # close() ends the blocked read below (ClosedError); it is safe in a signal handler.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: watcher.close())
    out = sys.stdout.buffer  # the library's UTF-8 bytes as they are
    with watcher:
        while True:
            try:
                chunk = watcher.read_json(timeout=None)
            except shieldwatch.ClosedError:
                break
            out.write(chunk)
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
