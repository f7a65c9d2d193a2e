"""One site build shared by the test modules that only read it (``shared_site``, session-scoped).

The shipped knowledge base plus the pages those modules look for: a machine-written page
(tests/support/site_build.py), a page of every hostile vector (test_browser), a page with math (test_browser_outside),
a page with hostile citation values (test_citation), and a page linking to DeepSeek-R1 plus one with a long
unbreakable title (test_browse_pages). Built strictly once per pytest process (each pytest-xdist worker that runs one
of those modules) and served on 127.0.0.1 for the session. Tests must not change it: a module that edits its site
builds its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from paperkb.model.pages import render_new_page
from tests.support.browser import serve_directory
from tests.support.hostile import HTML_VECTORS, MARKDOWN_VECTORS
from tests.support.site_build import add_machine_written_page, copy_knowledge_base, mkdocs_build

HOSTILE_SLUG = "hostile-vectors"
MATH_SLUG = "math-example"
CITATION_SLUG = "hostile-citation"
LINKING_SLUG = "reading-notes-on-r1"
LONG_SLUG = "long-title"

MATH_ABSTRACT = "We bound $\\max_\\theta \\mathcal{L}(\\theta)$ and show $$\\sum_{i=1}^n x_i^2 \\le 1$$ for \\$5."
MATH_SUMMARY = "The loss $\\mathcal{L}$ falls as $O(n^{-1/2})$. A hostile one: $\\href{javascript:window.__pwned=1}{click}$."
CITATION_META = {
    "title": 'Quotes " and <script>alert(1)</script> & $\\alpha$',
    "arxiv": "2511.00091",
    "status": "todo",
    "authors": ['Ada "Bobby" <b>Lovelace</b>', "Y.K. Li"],
    "published": dt.date(2025, 11, 2),
}
LONG_TITLE = "Supercalifragilistic" * 6 + ": a title no phone can fit on one line"


def hostile_page() -> str:
    """A paper page whose Summary holds every hostile vector of tests/support/hostile.py."""
    body = "\n\n".join(HTML_VECTORS + MARKDOWN_VECTORS)
    meta = {"title": "Hostile Vectors: Every Way In", "arxiv": "2511.00009", "topics": ["reasoning"], "status": "todo"}
    return render_new_page(meta, {"summary": body})


def math_page() -> str:
    meta = {
        "title": "Math Example: Bounds on Everything",
        "arxiv": "2511.00077",
        "topics": ["reasoning"],
        "status": "draft",
        "published": dt.date(2025, 11, 5),
        "abstract": MATH_ABSTRACT + "\n",
    }
    return render_new_page(meta, {"summary": MATH_SUMMARY})


def linking_page() -> str:
    """Reading notes that link to DeepSeek-R1 (its page lists them under "Linked from")."""
    return render_new_page(
        {"title": "Reading Notes on R1", "topics": ["reasoning"], "labs": ["DeepSeek"], "status": "todo", "published": "2026-01-05"},
        {"summary": "How [DeepSeek-R1](deepseek-r1.md) learns to reason with reinforcement learning."},
    )


def long_title_page() -> str:
    return render_new_page({"title": LONG_TITLE, "topics": ["reasoning"], "labs": ["DeepSeek", "Google DeepMind"], "status": "draft"})


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory) -> Iterator[dict]:
    """The shared build: ``root`` (the knowledge base), ``site`` (what MkDocs wrote) and ``base`` (its URL)."""
    root = copy_knowledge_base(tmp_path_factory.mktemp("shared-kb"))
    papers = root / "content" / "papers"
    add_machine_written_page(root)
    for slug, text in (
        (HOSTILE_SLUG, hostile_page()),
        (MATH_SLUG, math_page()),
        (CITATION_SLUG, render_new_page(CITATION_META)),
        (LINKING_SLUG, linking_page()),
        (LONG_SLUG, long_title_page()),
    ):
        (papers / f"{slug}.md").write_text(text, "utf-8")
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr[-4000:]
    with serve_directory(root / "site") as base:
        yield {"root": root, "site": root / "site", "base": base}
