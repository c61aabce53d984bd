"""Watcher: one container's state directory as a stream of events."""

import asyncio
import enum
import errno
import math
import os
import time
from typing import Any, AsyncIterator, Iterable, Iterator, List, Mapping, Optional, Union

from . import _sw
from ._event import Event

__all__ = ["Source", "Stat", "Watcher"]

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class Source(enum.IntFlag):
    """The event sources (SW_SOURCE_*); combine with ``|``."""

    DNS = _sw.SOURCE_DNS
    AUDIT = _sw.SOURCE_AUDIT
    NFLOG = _sw.SOURCE_NFLOG
    ALL = _sw.SOURCE_ALL


class Stat(enum.IntEnum):
    """Counters for ``Watcher.stat()`` (sw_stat_id)."""

    EVENTS = _sw.STAT_EVENTS  #: events queued so far
    DNS_LINES = _sw.STAT_DNS_LINES  #: dnsmasq log lines read
    AUDIT_LINES = _sw.STAT_AUDIT_LINES  #: audit lines read
    AUDIT_SKIPPED = _sw.STAT_AUDIT_SKIPPED  #: blank, invalid or non-object audit lines
    LINES_TOO_LONG = _sw.STAT_LINES_TOO_LONG  #: lines dropped for exceeding max_line
    NFLOG_PACKETS = _sw.STAT_NFLOG_PACKETS  #: NFLOG packets turned into events
    NFLOG_LOST = _sw.STAT_NFLOG_LOST  #: NFLOG messages known lost
    DEDUPED = _sw.STAT_DEDUPED  #: events suppressed by the dedup window
    RESCANS = _sw.STAT_RESCANS  #: inotify overflows recovered by rescanning


def _source_mask(sources: Union[int, Iterable[str]]) -> int:
    if isinstance(sources, int):
        return int(sources)
    mask = 0
    for name in sources:
        try:
            mask |= Source[name.upper()]
        except KeyError:
            raise ValueError("unknown source %r (dns, audit, nflog)" % (name,)) from None
    return mask


class Watcher:
    """Follows one container's state directory and yields its events.

    Merges the dnsmasq query log (blocked queries), ``audit.jsonl`` and the
    firewall's NFLOG group into one stream; only lines appended after the
    watcher opened are reported. Three ways to consume it:

    * ``for ev in watcher:`` blocks (in ``poll(2)``, without the GIL) until
      events arrive; it ends when ``close()`` is called, also from another
      thread or a signal handler while it waits.
    * ``async for ev in watcher.events():`` waits with ``loop.add_reader``.
    * your own loop: wait until ``fileno()`` is readable (``select``,
      ``selectors``, ``loop.add_reader``), then call ``poll()``.

    Args:
        state_dir: the container's shield state directory.
        container: the container's name, put in every event.
        sources: ``Source`` flags or names (``["dns", "audit"]``); default all.
        netns: open the NFLOG socket in this network namespace
            (``/run/netns/NAME``, ``/proc/PID/ns/net``); None: the caller's.
        nflog_group: NFLOG group to bind.
        nflog_required: fail when NFLOG cannot be set up; otherwise the other
            sources run and the stream carries one ``nflog_unavailable`` event.
        nflog_actions: extra NFLOG log prefix -> action mappings.
        dedup_ms: drop an event equal to one emitted less than this many ms
            ago; 0 disables.
        max_line: longest log line kept, in bytes (None: library default).
        domain_map_size: entries of the IP -> domain map (None: library default).
        dns_seed_bytes: bytes at the end of an existing dnsmasq.log read at
            open to name packets to addresses resolved before (no events come
            from them; NFLOG only; None: library default, 0: none).

    Raises:
        TierError: ``dns.tier`` is missing or not ``dnsmasq``.
        Error: any other failure (an ``OSError``: ``errno``, and the
            library's reason naming the file or step in ``strerror``).
        ValueError: an option out of range.

    A watcher may be shared between threads; each event goes to one caller.
    """

    def __init__(
        self,
        state_dir: PathLike,
        container: str,
        *,
        sources: Union[int, Iterable[str]] = Source.ALL,
        netns: Optional[PathLike] = None,
        nflog_group: int = 100,
        nflog_required: bool = False,
        nflog_actions: Optional[Mapping[str, str]] = None,
        dedup_ms: int = 0,
        max_line: Optional[int] = None,
        domain_map_size: Optional[int] = None,
        dns_seed_bytes: Optional[int] = None,
    ) -> None:
        self._h = _sw.Watcher(
            os.fspath(state_dir),
            container,
            sources=_source_mask(sources),
            dedup_ms=dedup_ms,
            nflog_group=nflog_group,
            netns=None if netns is None else os.fspath(netns),
            nflog_required=nflog_required,
            nflog_actions=nflog_actions,
            max_line=max_line,
            domain_map_size=domain_map_size,
            dns_seed_bytes=dns_seed_bytes,
            event_type=Event,
        )
        self._container = container

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Closes the watcher; idempotent, callable from any thread.

        A thread blocked in iteration or ``next_event`` wakes and ends; the
        fds are released once no thread waits on them any more.
        """
        self._h.close()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._h.closed

    def __enter__(self) -> "Watcher":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<shieldwatch.Watcher container=%r%s>" % (
            self._container,
            " closed" if self.closed else "",
        )

    # -- non-blocking ------------------------------------------------------

    def fileno(self) -> int:
        """The pollable fd (sw_fd): readable while there is work or events queued.

        Owned by the watcher: never close it. Raises ``ClosedError`` once closed.
        """
        return self._h.fileno()

    def poll(self) -> List[Event]:
        """Processes everything ready and returns the queued events. Never blocks.

        Reading stops after about 4096 events so memory stays bounded; the
        fd then stays readable and the next ``poll()`` continues.
        """
        return self._h.poll()

    # -- blocking ----------------------------------------------------------

    def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event, waiting up to ``timeout`` seconds (None: forever).

        Returns None when the timeout passes. Raises ``ClosedError`` when the
        watcher is closed, also while waiting. The wait releases the GIL.
        """
        h = self._h
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ev = h.take()
            if ev is not None:
                return ev
            if deadline is None:
                ms = -1
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                ms = math.ceil(left * 1000)
            if not h.wait(ms) and h.closed:
                raise _sw.ClosedError(errno.EBADF, "watcher is closed")

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        """Blocks until the next event; stops once the watcher is closed."""
        try:
            ev = self.next_event()
        except _sw.ClosedError:
            raise StopIteration from None
        assert ev is not None
        return ev

    # -- asyncio -----------------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        """Yields events as they arrive, waiting with the running loop's ``add_reader``.

        Ends when the watcher is closed (also while it waits). The fd is
        registered with the loop only while waiting, so a consumer that is
        slow to ask for the next event does not make the loop spin.
        """
        h = self._h
        loop = asyncio.get_running_loop()
        while True:
            try:
                ev = h.take()
            except _sw.ClosedError:
                return
            if ev is not None:
                yield ev
                continue
            try:
                wake = h.hold()  # close() now waits for us to unregister
            except _sw.ClosedError:
                return
            try:
                fd = h.fileno()
                ready = loop.create_future()

                def wakeup(fut: "asyncio.Future[None]" = ready) -> None:
                    if not fut.done():
                        fut.set_result(None)

                loop.add_reader(fd, wakeup)
                loop.add_reader(wake, wakeup)
                try:
                    await ready
                finally:
                    loop.remove_reader(fd)
                    loop.remove_reader(wake)
            finally:
                h.release()

    # -- introspection -----------------------------------------------------

    def source_status(self, source: Source) -> Optional[_sw.Error]:
        """None when ``source`` (one flag) runs, else an ``Error`` saying why not.

        The error is returned, not raised; ``errno`` is ENOTCONN for a source
        that was not requested.
        """
        if source not in (Source.DNS, Source.AUDIT, Source.NFLOG):
            raise ValueError("source_status takes one Source flag, not %r" % (source,))
        rc = self._h.source_status(int(source))
        if rc == 0:
            return None
        err = -rc
        cls = _sw.TierError if err == _sw.ETIER else _sw.Error
        return cls(err, _sw.strerror(err))

    def stat(self, counter: Stat) -> int:
        """The value of one counter (``Stat``)."""
        return self._h.stat(int(counter))
