"""Event: one item of the stream, with Python types."""

import json
from datetime import datetime
from typing import Any, Dict, Optional

from . import _sw

__all__ = ["Event", "parse_ts"]


def parse_ts(text: str) -> Optional[datetime]:
    """Parses an RFC 3339 timestamp as the library writes it into an aware datetime.

    Takes both ``...Z`` and ``...+00:00`` (Python 3.9's ``fromisoformat`` does
    not take ``Z``). Returns None for a time a datetime cannot hold (the
    library keeps years outside 1..9999 that an audit line claimed).
    """
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


class Event(_sw.Event):
    """One event of the stream: read-only, made only by the library.

    Attributes:
        ts: when it happened, an aware ``datetime`` in UTC (None only for a
            year a datetime cannot hold); ``ts_text`` is the library's string.
        source: ``"dns"``, ``"audit"``, ``"nflog"`` or ``"watch"``.
        action: what happened, e.g. ``"blocked_query"``, ``"blocked_connection"``.
        container: the container's name.
        domain, query_type, dest, detail: ``str``, or None when absent.
        port, proto, uid, gid, icmp_type: ``int``, or None when absent.

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
