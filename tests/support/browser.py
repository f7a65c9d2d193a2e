"""Drive the built site in real headless Chromium: Debian's /usr/bin/chromium through Playwright.

No browser is ever downloaded: Playwright gets ``executable_path``. Without Chromium the browser tests
skip, except in CI (``CI=true``) where a missing browser is a failure, so CI cannot pass by skipping.
The site is served by a small threaded static server on 127.0.0.1 (random port) for the test's life.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PAPERKB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> Path:
    """The Chromium binary; skip the test when it is absent (fail instead when CI=true)."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run browser tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: browser tests must run in CI)")
    pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 at a free port; yields the base URL ('http://127.0.0.1:PORT/')."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium_context(color_scheme: str = "light") -> Iterator[object]:
    """A Playwright browser context in headless Debian Chromium with a fresh, private user-data dir."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="paperkb-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(executable),
            args=CHROMIUM_FLAGS,
            headless=True,
            color_scheme=color_scheme,
            viewport={"width": 1280, "height": 900},
        )
        # Nothing but the local server: any other request (fonts, CDNs) is refused and recorded in
        # ``context.blocked_requests``, so a test can assert that the site works offline.
        blocked: list[str] = []

        def refuse(route) -> None:
            blocked.append(route.request.url)
            route.abort()

        context.blocked_requests = blocked
        context.route(lambda url: not url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")), refuse)
        try:
            yield context
        finally:
            context.close()
