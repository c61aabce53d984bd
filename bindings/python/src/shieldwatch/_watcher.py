"""Watcher: one container's state directory as a stream of events."""

import asyncio
import enum
import errno
import math
import os
import time
from typing import (TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Iterable, Iterator, List,
                    Mapping, Optional, TypeVar, Union)

from . import _sw
from ._event import Event

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["Host", "Source", "Stat", "Watcher"]

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_S = TypeVar("_S", bound="_Stream")
_T = TypeVar("_T")


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


def _options(
    sources: Union[int, Iterable[str]],
    netns: Optional[PathLike],
    dedup_ms: float,
    **rest: Any,
) -> Dict[str, Any]:
    """The keyword options of the C layer (one set for Watcher, Host and Host.add)."""
    opts = dict(rest)
    opts["sources"] = _source_mask(sources)
    opts["netns"] = None if netns is None else os.fspath(netns)
    if dedup_ms < 0:
        raise ValueError("dedup_ms must not be negative")
    # Whole milliseconds, rounded up, as in Go and Rust: only 0 means off.
    opts["dedup_ms"] = math.ceil(dedup_ms)
    return opts


def _status_error(rc: int) -> "Optional[_sw.Error]":
    if rc == 0:
        return None
    err = -rc
    cls = _sw.TierError if err == _sw.ETIER else _sw.Error
    return cls(err, _sw.strerror(err))


def _one_source(source: "Source") -> int:
    if source not in (Source.DNS, Source.AUDIT, Source.NFLOG):
        raise ValueError("source_status takes one Source flag, not %r" % (source,))
    return int(source)


class _Stream:
    """What a Watcher and a Host share: the fd, polling, blocking and asyncio
    iteration, closing from any thread."""

    _h: Any

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Closes the handle; idempotent, callable from any thread.

        A thread blocked in iteration or ``next_event`` wakes and ends; the
        fds are released once no thread waits on them any more.
        """
        self._h.close()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._h.closed

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- non-blocking ------------------------------------------------------

    def fileno(self) -> int:
        """The pollable fd (sw_fd): readable while there is work or events queued.

        Owned by the handle: never close it. Raises ``ClosedError`` once closed.
        """
        return self._h.fileno()

    def poll(self) -> List[Event]:
        """Processes everything ready and returns the queued events. Never blocks.

        Reading stops after about 4096 events so memory stays bounded; the
        fd then stays readable and the next ``poll()`` continues. With
        ``json_stream`` it raises ``Error`` (errno EOPNOTSUPP), as the other
        event calls do: use ``read_json``.
        """
        return self._h.poll()

    # -- blocking ----------------------------------------------------------

    def _wait(self, take: Callable[[], _T], timeout: Optional[float]) -> _T:
        """take()'s first non-empty result, waiting up to ``timeout`` seconds
        (None: forever) between tries; its empty one once the time is up."""
        h = self._h
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            got = take()
            if got:
                return got
            if deadline is None:
                ms = -1
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    return got
                ms = math.ceil(left * 1000)
            if not h.wait(ms) and h.closed:
                raise _sw.ClosedError(errno.EBADF, "handle is closed")

    def next_event(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event, waiting up to ``timeout`` seconds (None: forever).

        Returns None when the timeout passes. Raises ``ClosedError`` when the
        handle is closed, also while waiting. The wait releases the GIL.
        """
        return self._wait(self._h.take, timeout)

    def read_json(self, size: int = 65536, timeout: Optional[float] = 0) -> bytes:
        """Up to ``size`` bytes of the JSON-lines stream of a ``json_stream`` handle.

        The stream is each event's ``to_json()`` bytes and a newline; a line
        may be split between two reads (as ``read(2)`` on a pipe), also
        between two threads (read from one to keep lines whole); no byte
        is lost or repeated. Returns b"" when nothing came within
        ``timeout`` seconds: 0 (the default) never blocks, None waits
        forever, as ``next_event`` does. Each try is one library read
        (sw_read_json), which processes what is ready when nothing is
        queued, so no ``poll()`` is needed: in your own loop, wait until
        ``fileno()`` is readable, then call ``read_json()`` until it
        returns b"". Raises ``Error`` (errno EOPNOTSUPP)
        on a handle without ``json_stream``, ``ClosedError`` as
        ``next_event`` does, ``ValueError`` for a ``size`` below 1.
        """
        h = self._h
        return self._wait(lambda: h.read_json(size), timeout)

    def readinto(self, buffer: "WriteableBuffer", timeout: Optional[float] = 0) -> int:
        """As ``read_json``, into a writable buffer (``bytearray``,
        ``memoryview``, ...) without allocating; returns the bytes stored
        (0: none within ``timeout``)."""
        h = self._h
        return self._wait(lambda: h.readinto(buffer), timeout)

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        """Blocks until the next event; stops once the handle is closed."""
        try:
            ev = self.next_event()
        except _sw.ClosedError:
            raise StopIteration from None
        assert ev is not None
        return ev

    # -- asyncio -----------------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        """Yields events as they arrive, waiting with the running loop's ``add_reader``.

        Ends when the handle is closed (also while it waits). The fd is
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

    def stat(self, counter: Stat) -> int:
        """The value of one counter (``Stat``)."""
        return self._h.stat(int(counter))


class Watcher(_Stream):
    """Follows one container's state directory and yields its events.

    Merges the dnsmasq query log (blocked queries), ``audit.jsonl`` and the
    firewall's NFLOG group into one stream; only lines appended after the
    watcher opened are reported. Three ways to consume it:

    * ``for ev in watcher:`` blocks (in ``poll(2)``, without the GIL) until
      events arrive; it ends when ``close()`` is called, also from another
      thread or a signal handler while it waits.
    * ``async for ev in watcher.events():`` waits with ``loop.add_reader``.
    * your own loop: wait until ``fileno()`` is readable (``select``,
      ``selectors``, ``loop.add_reader``), then call ``poll()`` (with
      ``json_stream``: ``read_json()`` until it returns b"").

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
        dedup_ms: dedup window in milliseconds (fractions round up; 0: off):
            repeats of an event's key within it are held back and reported
            once, with ``Event.suppressed`` counting them.
        dedup_once: report each key only once; later repeats are counted
            every ``dedup_ms`` (default 60 s).
        dns_cursor, audit_cursor: resume that source right after a saved
            ``Event.cursor`` (see the README's Cursors section); None: start
            at the end of the file.
        json_cursor: ``to_json()`` ends with the event's cursor.
        json_stream: deliver the events as one byte stream of JSON lines,
            read with ``read_json``/``readinto``, instead of ``Event``s
            (``next_event``, iteration and ``poll`` then raise ``Error``
            with errno EOPNOTSUPP). For a host that passes the lines on: the
            library then builds no event object per event.
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
        dedup_ms: float = 0,
        dedup_once: bool = False,
        max_line: Optional[int] = None,
        domain_map_size: Optional[int] = None,
        dns_seed_bytes: Optional[int] = None,
        dns_cursor: Optional[str] = None,
        audit_cursor: Optional[str] = None,
        json_cursor: bool = False,
        json_stream: bool = False,
    ) -> None:
        self._h = _sw.Watcher(
            os.fspath(state_dir),
            container,
            event_type=Event,
            **_options(
                sources,
                netns,
                dedup_ms,
                dedup_once=dedup_once,
                nflog_group=nflog_group,
                nflog_required=nflog_required,
                nflog_actions=nflog_actions,
                max_line=max_line,
                domain_map_size=domain_map_size,
                dns_seed_bytes=dns_seed_bytes,
                dns_cursor=dns_cursor,
                audit_cursor=audit_cursor,
                json_cursor=json_cursor,
                json_stream=json_stream,
            ),
        )
        self._container = container

    def __repr__(self) -> str:
        return "<shieldwatch.Watcher container=%r%s>" % (
            self._container,
            " closed" if self.closed else "",
        )

    def source_status(self, source: Source) -> Optional[_sw.Error]:
        """None when ``source`` (one flag) runs, else an ``Error`` saying why not.

        The error is returned, not raised; ``errno`` is ENOTCONN for a source
        that was not requested.
        """
        return _status_error(self._h.source_status(_one_source(source)))


class Host(_Stream):
    """Follows many containers with one fd and yields the events of all of them.

    One epoll fd and one inotify instance for every container (so Linux's
    default ``fs.inotify.max_user_instances`` of 128 is no limit); every
    event names its container. Membership is explicit (``add``/``remove``),
    or automatic with ``follow(root)``: every directory of ``root/containers``
    whose ``dns.tier`` says dnsmasq, attached when it appears and detached
    when it goes. Membership and health changes are ``watch`` events
    (``container_added``, ``container_removed``, ``nflog_unavailable``, ...).
    Consumed exactly like a ``Watcher``: iteration, ``events()``,
    ``fileno()`` + ``poll()``.

    The keyword options are the defaults of the whole stream (the dedup
    window and ``json_stream`` are the stream's) and the options of followed
    containers; ``add`` takes the same keywords per container (and ignores
    ``json_stream``).
    """

    def __init__(
        self,
        *,
        sources: Union[int, Iterable[str]] = Source.ALL,
        netns: Optional[PathLike] = None,
        dedup_ms: float = 0,
        **options: Any,
    ) -> None:
        self._h = _sw.Host(event_type=Event, **_options(sources, netns, dedup_ms, **options))

    def __repr__(self) -> str:
        if self.closed:
            return "<shieldwatch.Host closed>"
        return "<shieldwatch.Host members=%d>" % len(self)

    def add(
        self,
        state_dir: PathLike,
        container: str,
        *,
        sources: Union[int, Iterable[str]] = Source.ALL,
        netns: Optional[PathLike] = None,
        **options: Any,
    ) -> None:
        """Follows ``state_dir`` as ``container`` (a name unique in the host).

        Takes Watcher's keyword options for this container (NFLOG group and
        netns, cursors, ...). Raises ``TierError``, ``Error`` (errno EEXIST
        for a name already followed) as ``Watcher`` does.
        """
        self._h.add(os.fspath(state_dir), container,
                    **_options(sources, netns, 0, **options))

    def remove(self, container: str) -> None:
        """Stops following ``container``: events already queued for it still
        come, then one ``container_removed``, then nothing more."""
        self._h.remove(container)

    def follow(self, root: PathLike) -> None:
        """Follows every container directory of ``root/containers``, now and as
        they appear (``Error`` with errno ENOENT when it does not exist)."""
        self._h.follow(os.fspath(root))

    def __len__(self) -> int:
        """The number of members."""
        return self._h.size()

    def source_status(self, container: str, source: Source) -> Optional[_sw.Error]:
        """As ``Watcher.source_status`` for one member (``Error`` ENOENT when
        it is not one)."""
        return _status_error(self._h.source_status(container, _one_source(source)))
