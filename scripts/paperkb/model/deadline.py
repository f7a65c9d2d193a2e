"""A deadline for one network call as a whole: connecting, sending, waiting and every byte of the answer; and
:func:`excerpt`, how error messages quote what a server sent.

Timeouts in HTTP clients are per operation: a read timeout restarts with every byte, so a server that drips
one byte every few seconds (or a proxy that does) keeps a request alive for hours. No client we use offers a
total limit, so this module provides one, with the standard library only: the clients (``ingest.arxiv_client``
and ``fill.llm``, both over httpx) hand it each connection's socket through httpx's ``trace`` request
extension (:meth:`Deadline.trace`), and a timer shuts those sockets down when the deadline passes. A thread
blocked reading one then sees the connection end at once and the client raises its usual connection error,
which the caller turns into "no complete answer within N s" because :attr:`Deadline.expired` is set.
:meth:`Deadline.cancel` does the same at any moment (Ctrl-C: requests in flight end now, not at their deadline).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

#: httpx trace events whose ``return_value`` is a new network stream: the TCP connection, then the TLS one
#: (TLS wraps the TCP socket into a new socket object, so both are watched).
_NEW_STREAM_EVENTS = ("connect_tcp.complete", "start_tls.complete")


class Deadline:
    """``with Deadline(seconds) as deadline:`` around one request; pass ``deadline.trace`` as its trace extension."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False  # the deadline passed while the call was running
        self.cancelled = False  # cancel() ended the call
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True  # never keeps the process alive

    def __enter__(self) -> Deadline:
        return self.start()

    def start(self) -> Deadline:
        """Start the clock (``with`` does it, and stops it at the end of the block)."""
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the timer (the call is over); sockets are left to their client."""
        self._timer.cancel()

    @property
    def ended(self) -> bool:
        """Whether the call was cut off (deadline passed or cancelled)."""
        return self.expired or self.cancelled

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it already has)."""
        with self._lock:
            if not self.ended:
                self._sockets.append(sock)
                return
        _shut(sock)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's ``trace`` extension callback: watches the socket of every connection the request opens."""
        if event.endswith(_NEW_STREAM_EVENTS):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                self.watch(sock)

    def cancel(self) -> None:
        """End the call now, from any thread."""
        self._end("cancelled")

    def _expire(self) -> None:
        self._end("expired")

    def _end(self, how: str) -> None:
        with self._lock:
            if self.ended:
                return
            setattr(self, how, True)
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown() (not close()) is what wakes a thread blocked in recv() on the same socket; the client closes
    # it afterwards as usual. A socket already closed by its client raises OSError: nothing left to do.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def excerpt(data: bytes, limit: int = 100) -> str:
    """The start of what a server sent, for an error message: one printable line, whitespace collapsed,
    control characters (a terminal's escape sequences) shown as '?', at most ``limit`` characters."""
    text = " ".join(data[: limit * 4].decode("utf-8", "replace").split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
