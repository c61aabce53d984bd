"""AuditLog: the audit.jsonl writer, shaped like the Python shield tool's AuditLogger."""

import os
from typing import Any, Dict, Iterator, List, Optional, Union

from . import _sw
from ._event import Event

__all__ = ["AuditLog"]

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class AuditLog:
    """Appends JSON lines to one container's ``audit.jsonl`` (sw_audit_*).

    Each ``log_event`` is one ``write(2)`` with ``O_APPEND`` of
    ``{"ts","container","action","dest"?,"detail"?}``, so lines from several
    writers never interleave. The file is created (mode 0600) when missing;
    its directory must exist. While ``enabled`` is False, ``log_event`` does
    nothing. Failures raise ``shieldwatch.Error`` (an ``OSError``).

    Use it as a context manager, or call ``close()``.
    """

    def __init__(self, path: PathLike, *, enabled: bool = True) -> None:
        self._path = os.fspath(path)
        self._h = _sw.AuditLog(self._path)
        self._enabled = True
        self.enabled = enabled

    @property
    def path(self) -> Union[str, bytes]:
        """The audit log's path."""
        return self._path

    @property
    def enabled(self) -> bool:
        """Whether ``log_event`` writes; settable."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._h.set_enabled(bool(value))
        self._enabled = bool(value)

    def log_event(
        self,
        container: str,
        action: str,
        *,
        dest: Optional[str] = None,
        detail: Optional[str] = None,
    ) -> None:
        """Appends one event; a no-op while disabled.

        Args:
            container: the container's name.
            action: what happened (setup, teardown, allowed, denied, ...).
            dest: destination IP or domain, if any.
            detail: free-form detail, if any.
        """
        self._h.write(container, action, dest, detail)

    def tail(self, n: int = 50) -> List[Event]:
        """The last ``n`` events of the file as ``Event``s, oldest first.

        Invalid lines are skipped; a missing file gives an empty list.
        """
        if n <= 0:
            return []
        return _sw.audit_tail(self._path, n, Event)

    def tail_log(self, n: int = 50) -> Iterator[Dict[str, Any]]:
        """Yields the last ``n`` audit events as dicts (``Event.to_dict()``), oldest first."""
        for ev in self.tail(n):
            yield ev.to_dict()

    def close(self) -> None:
        """Closes the file; later ``log_event`` calls raise ``ClosedError``."""
        self._h.close()

    def __enter__(self) -> "AuditLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "AuditLog(%r, enabled=%r)" % (self._path, self._enabled)
