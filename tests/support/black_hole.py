"""A half-open server: a port on 127.0.0.1 that completes TCP handshakes (the kernel does, from the listen
backlog) but never accepts, reads or answers. A client connects at once, sends its request, and then waits for
an answer that never comes: the case a per-read timeout alone already bounds, but only if one is set."""

from __future__ import annotations

import socket


class BlackHole:
    """``with BlackHole() as hole:`` then point a client at ``hole.url``."""

    def __init__(self, path: str = "/") -> None:
        self.path = path
        self._socket: socket.socket | None = None

    def __enter__(self) -> BlackHole:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)  # connections wait in the backlog, handshake done, never accepted
        return self

    def __exit__(self, *exc: object) -> None:
        if self._socket is not None:
            self._socket.close()

    @property
    def url(self) -> str:
        assert self._socket is not None, "use 'with BlackHole() as hole:'"
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}{self.path}"
