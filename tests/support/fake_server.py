"""What the fake APIs (tests/support/fake_anthropic.py, fake_openai.py) share: a real HTTP server on 127.0.0.1 in a
thread, started and stopped as a context manager, its handler class reaching the fake as ``self.fake``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class FakeServer:
    handler: type[BaseHTTPRequestHandler]  # set by each fake: its request handler class
    name = "fake-server"  # the serving thread's name

    def __init__(self) -> None:
        self.stopping = threading.Event()  # ends hangs and drips when the server stops
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Self:
        handler = type("Handler", (self.handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``"""
        assert self._server is not None, f"start the server first: 'with {type(self).__name__}() as server:'"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
