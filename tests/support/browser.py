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
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path(os.environ.get("PAPERKB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # No host but this machine resolves: a request for anything else (fonts, CDNs) fails at once and never leaves it.
    # A browser context records such requests (chromium_context); routing them instead would turn off the HTTP
    # cache, and every page would fetch the theme's scripts and styles again.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
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


class _Server(http.server.ThreadingHTTPServer):
    # The stdlib's listen backlog is 5. Chromium opens six connections per host at once, one per request (the handler
    # speaks HTTP/1.0), and on a busy machine a connection over the backlog waits for a SYN retry, 1 s then 3 s: a
    # search that fetches a dozen index files in a row then took many seconds.
    request_queue_size = 128


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 at a free port; yields the base URL ('http://127.0.0.1:PORT/')."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


#: How long a browser test waits for anything (Playwright's default is 30 s). The suite runs two workers on two cores,
#: each with its own Chromium and MkDocs builds: a wait that takes a tenth of a second alone can take seconds then.
WAIT_MS = 45_000

#: What a page of the site may ask for: the test server, and what the page makes itself.
LOCAL = ("http://127.0.0.1:", "data:", "blob:", "about:")


@contextlib.contextmanager
def chromium_browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright (Playwright gives each launch a fresh, private user-data dir)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One Chromium for a test module: a launch costs one to three seconds here, a context a few milliseconds. Each
    test still gets its own context (``chromium_context``): no cookie, storage or cache is shared between tests."""
    with chromium_browser() as browser:
        yield browser


@contextlib.contextmanager
def chromium_context(browser: object | None = None, color_scheme: str = "light") -> Iterator[object]:
    """A fresh Playwright browser context (isolated like a new profile) in ``browser``, or in a Chromium launched for
    it alone when none is given (the benchmarks)."""
    if browser is None:
        with chromium_browser() as own, chromium_context(own, color_scheme) as context:
            yield context
        return
    context = browser.new_context(color_scheme=color_scheme, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(WAIT_MS)
    # Nothing but the local server: any other request (fonts, CDNs) fails (CHROMIUM_FLAGS) and is recorded in
    # ``context.blocked_requests``, so a test can assert that the site works offline.
    blocked: list[str] = []
    context.on("request", lambda request: None if request.url.startswith(LOCAL) else blocked.append(request.url))
    context.blocked_requests = blocked
    try:
        yield context
    finally:
        context.close()


# What the header search box shows, for a failure message
SEARCH_STATE = """() => ({
  typed: document.querySelector('.md-search__input').value,
  open: document.getElementById('__search').checked,
  focus: document.activeElement ? document.activeElement.tagName + '.' + document.activeElement.className : null,
  info: document.querySelector('.md-search-result__meta').textContent,
  resultsFor: document.querySelector('.md-search-result__list').dataset.query,
  results: document.querySelectorAll('.md-search-result__item').length,
})"""


def header_search(page: Page, query: str) -> list[str]:
    """Type ``query`` into the header search (with Material's `/` shortcut), wait until the results shown are for all
    of it, and return their links; on a timeout, fail saying what the search box showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.keyboard.press("/")
    page.keyboard.type(query)
    try:
        page.wait_for_function("q => document.querySelector('.md-search-result__list').dataset.query === q", arg=query)
        page.locator(".md-search-result__link").first.wait_for()
    except PlaywrightTimeout:
        state = page.evaluate(SEARCH_STATE)
        raise AssertionError(f"no results for {query!r} in time; the search box showed {state}") from None
    return [link.get_attribute("href") or "" for link in page.locator("a.md-search-result__link").all()]
