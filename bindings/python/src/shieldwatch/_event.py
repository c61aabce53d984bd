"""Event: one item of the stream, with Python types."""

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

from . import _sw

__all__ = ["Event", "parse_ts"]


# RFC 3339 date-time, also with the lowercase/space forms the library reads.
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:[Zz]|([+-])(\d\d):(\d\d))\Z"
)


def parse_ts(text: str) -> Optional[datetime]:
    """Parses an RFC 3339 timestamp into an aware datetime in UTC.

    Takes ``...Z`` and ``...+00:00`` alike, any offset and any number of
    fraction digits (cut to microseconds): the library passes an audit line's
    plain RFC 3339 ts on verbatim, and Python 3.9's ``fromisoformat`` takes
    neither ``Z`` nor most of these. Returns None for text that is not RFC
    3339 or a time a datetime cannot hold (a year outside 1..9999, a leap
    second).
    """
    m = _RFC3339.match(text)
    if m is None:
        return None
    year, mon, day, hour, minute, sec, frac, sign, off_h, off_m = m.groups()
    offset = timedelta(0)
    if sign is not None:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            offset = -offset
    try:
        ts = datetime(int(year), int(mon), int(day), int(hour), int(minute), int(sec),
                      int((frac or "")[:6].ljust(6, "0")), tzinfo=timezone(offset))
        return ts.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


class Event(_sw.Event):
    """One event of the stream: read-only, made only by the library.

    Attributes:
        ts: when it happened, an aware ``datetime`` in UTC (None only for a
            time a datetime cannot hold, e.g. year 0 in an audit line);
            ``ts_text`` is the library's string (an audit line's own ts when
            it was plain RFC 3339, else the library's ``...+00:00`` form).
        source: ``"dns"``, ``"audit"``, ``"nflog"`` or ``"watch"``.
        action: what happened, e.g. ``"blocked_query"``, ``"blocked_connection"``.
        container: the container's name.
        domain, query_type, dest, detail: ``str``, or None when absent.
        port, proto, uid, gid, icmp_type: ``int``, or None when absent.
        suppressed: with dedup, how many more occurrences of its key the
            event stands for (0: none); ``1 + suppressed`` summed over the
            stream equals the occurrences.
        cursor: where to resume after this event (dns and audit events),
            or None; pass it back as ``dns_cursor``/``audit_cursor``.
        member: the name the container was opened or added under
            (``container``, except for an audit line naming another
            container): store the cursor under it.

    ``to_json()`` is the library's JSON (``bytes(event)`` the same bytes);
    ``to_dict()`` is that JSON as a dict, so both have the same keys.
    """

    __slots__ = ()

    @property
    def ts(self) -> Optional[datetime]:
        """The event's time as an aware UTC datetime (see ``ts_text``)."""
        return parse_ts(self.ts_text)

    def to_dict(self) -> Dict[str, Any]:
        """The library's JSON for the event as a dict (absent fields have no key)."""
        return json.loads(bytes(self))

    def __repr__(self) -> str:
        return "Event(%s)" % ", ".join("%s=%r" % kv for kv in self.to_dict().items())
