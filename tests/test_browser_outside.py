"""What outside tools see of the built site, in real headless Chromium (Debian's /usr/bin/chromium).

- No request of a page fails: every response is recorded while the page loads and settles (Material's
  instant navigation prefetches sitemaps; a feed link once sent every page to feeds/sitemap.xml, a 404), and
  feed readers still discover the Atom feed.
"""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_context, require_chromium, serve_directory
from tests.support.site_build import add_machine_written_page, copy_knowledge_base, mkdocs_build

pytestmark = pytest.mark.browser

#: One page of each kind the site has: home, all papers, a topic, a lab, a paper (and one still machine-written),
#: the status board, a digest.
PAGES = {
    "home": "",
    "all-papers": "papers/",
    "topic": "topics/reasoning/",
    "lab": "labs/deepseek/",
    "paper": "papers/deepseek-r1/",
    "status": "status/",
    "digest": "digests/weekly/",
    "machine-written paper": "papers/machine-written-example/",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_chromium()  # skip (or fail in CI) before spending a build
    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    add_machine_written_page(root)
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr[-4000:]
    with serve_directory(root / "site") as base:
        yield {"root": root, "base": base}


def test_the_pages_exist(site):
    for path in PAGES.values():
        assert (site["root"] / "site" / path / "index.html").is_file(), path


def test_no_request_fails_on_any_kind_of_page(site):
    with chromium_context() as context:
        failed: list[str] = []
        page = context.new_page()
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
        for path in PAGES.values():
            page.goto(site["base"] + path, wait_until="networkidle")
        assert failed == []
        assert context.blocked_requests == []


def test_feed_autodiscovery_still_finds_the_atom_feed(site):
    """What a feed reader does with a page: links whose rel words include 'alternate', of the Atom type."""
    with chromium_context() as context:
        page = context.new_page()
        page.goto(site["base"] + PAGES["paper"])
        hrefs = page.evaluate("[...document.querySelectorAll('link[rel~=alternate][type=\"application/atom+xml\"]')].map(l => l.href)")
        assert hrefs == [site["base"] + "feeds/papers.xml"]
        response = page.request.get(hrefs[0])
        assert response.ok and b"<feed xmlns=\"http://www.w3.org/2005/Atom\"" in response.body()
