"""shieldwatch: a live stream of what a container's egress shield blocked.

Python binding of libshieldwatch. ``Watcher`` follows a container's shield
state directory and merges three sources into one stream of ``Event``s:
blocked DNS queries from dnsmasq's query log, the shield's ``audit.jsonl``,
and packets the firewall logs to an NFLOG group. ``AuditLog`` writes
``audit.jsonl``. ``Host`` follows many containers (explicitly, or every
container of a state root as it appears) with one fd.

Example::

    import shieldwatch

    with shieldwatch.Watcher("/var/lib/shield/c1", "c1") as w:
        for ev in w:                     # blocks; ends when w.close() is called
            print(ev.to_json())

Errors are ``shieldwatch.Error`` (an ``OSError`` carrying the library's errno
and reason), ``TierError`` when the state directory's ``dns.tier`` is not
dnsmasq, and ``ClosedError`` for a closed handle.
"""

from . import _sw
from ._audit import AuditLog
from ._event import Event
from ._watcher import Host, Source, Stat, Watcher

# help() and repr() show the public names where users import them from.
for _cls in (AuditLog, Event, Host, Source, Stat, Watcher):
    _cls.__module__ = __name__
del _cls

Error = _sw.Error
TierError = _sw.TierError
ClosedError = _sw.ClosedError

#: errno of a TierError: SW_ETIER (EMEDIUMTYPE).
ETIER: int = _sw.ETIER

__all__ = [
    "AuditLog",
    "ClosedError",
    "ETIER",
    "Error",
    "Event",
    "Host",
    "Source",
    "Stat",
    "TierError",
    "Watcher",
    "library_version",
    "strerror",
]


def library_version() -> str:
    """The version of the libshieldwatch in use, "MAJOR.MINOR.PATCH" (sw_version)."""
    return _sw.version()


def strerror(code: int) -> str:
    """The library's description of an error code (either sign, or ETIER)."""
    return _sw.strerror(code)
