"""Digests, feeds and citations in the real site: a strict MkDocs build of the shipped knowledge base plus a
sync record, then real headless Chromium: open a digest, follow a paper link, copy the paper's BibTeX with
Material's copy button and read it back from the clipboard."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import bibtexparser
import feedparser
import pytest

from paperkb.model.config import read_site_url
from paperkb.model.pages import load_page, load_pages, set_section, write_page
from paperkb.publish import bibtex
from tests.support.browser import chromium_context, serve_directory

REPO = Path(__file__).resolve().parent.parent
SYNC_DATE = "2026-11-20"
HOSTILE = ' Then <script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"> ends.'
# What a contributor's section text can do in a digest without the hook's sanitizer: an attr_list event handler,
# a javascript: link and raw <img onerror> behind escaped backticks. (An entity-encoded javascript: link fails
# the strict build as an unrecognized relative link; tests/test_digest.py covers it without MkDocs.)
HOSTILE_BLOCK = (
    '\n\nHover [click](javascript:window.__pwned=4) now, \\`<img src="z" onerror="window.__pwned = 5">\\` ends.\n{: onmouseover="window.__pwned = 3" }'
)
SITE_PATH = "/paperkb/"  # the path of mkdocs.yml's site_url, where the site is served
RECORD = f"""date: {SYNC_DATE}
window: {{since: 2026-11-13, until: {SYNC_DATE}}}
queries:
  - {{name: deepseek, query: "abs:DeepSeek", max_results: 50, found: 3}}
added: ["2501.12948", "2412.19437", "2510.18234"]
counts: {{found: 3, added: 3, already_present: 0}}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """The shipped knowledge base with one sync record, built strictly into site/."""
    root = tmp_path_factory.mktemp("kb")
    for name in ("pyproject.toml", "mkdocs.yml"):
        shutil.copy2(REPO / name, root / name)
    for name in ("content", "overrides", "scripts"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    v3 = load_page(root / "content" / "papers" / "deepseek-v3-technical-report.md")
    write_page(v3, set_section(v3, "Summary", v3.section_text("Summary") + HOSTILE + HOSTILE_BLOCK))  # a section gone bad
    (root / "content" / "syncs").mkdir(exist_ok=True)
    (root / "content" / "syncs" / f"{SYNC_DATE}.yml").write_text(RECORD, "utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(root / "site")],
        cwd=root,
        capture_output=True,
        text=True,
        env={"DISABLE_MKDOCS_2_WARNING": "true", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    pages, _ = load_pages(root / "content" / "papers")
    return {"root": root, "site": root / "site", "pages": pages}


# -- the built files ------------------------------------------------------------------------------------------
@pytest.mark.build
def test_digest_pages_are_built(built: dict):
    site = built["site"]
    for path in (f"digests/{SYNC_DATE}/index.html", "digests/weekly/index.html", "digests/monthly/index.html", "digests/index.html"):
        assert (site / path).is_file(), path
    html = (site / f"digests/{SYNC_DATE}/index.html").read_text("utf-8")
    assert f"AI Research Sync — {SYNC_DATE}" in html
    assert "3 of 3 papers shown" in html
    assert 'href="../../papers/deepseek-r1/"' in html
    assert "<script>window.__pwned" not in html and '<img src="x"' not in html  # shown as text, never run
    assert "window.__pwned = 1" in html.replace("&lt;", "<")
    nav = (site / "index.html").read_text("utf-8")
    assert re.search(r'href="digests/"[^>]*>\s*(<span[^>]*>)?\s*Digests', nav), "Digests is in the navigation"


def _content_hazards(page_html: str) -> list[tuple[str, str, str]]:
    """Event handlers (an <img onerror> among them) and script URLs (entity-decoded, as a browser reads them) in
    a page's article."""
    from html.parser import HTMLParser

    article = page_html.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]
    found: list[tuple[str, str, str]] = []

    class Audit(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                url = re.sub(r"[\t\n\r]", "", value or "").strip().lower()
                if name.startswith("on") or (name in ("href", "src") and url.startswith(("javascript:", "data:", "vbscript:"))):
                    found.append((tag, name, value or ""))

    Audit(convert_charrefs=True).feed(article)
    return found


@pytest.mark.build
def test_digest_pages_drop_event_handlers_script_links_and_raw_images(built: dict):
    pages = sorted((built["site"] / "digests").rglob("index.html"))
    hostile = [p for p in pages if "Hover click now," in re.sub(r"<[^>]*>", "", p.read_text("utf-8"))]
    assert hostile, "the hostile section is quoted by some digest"
    for page in pages:
        assert _content_hazards(page.read_text("utf-8")) == [], page
    shown = re.sub(r"<[^>]*>", "", hostile[0].read_text("utf-8")).replace("&lt;", "<").replace("&gt;", ">")
    assert '<img src="z" onerror="window.__pwned = 5">' in shown  # behind escaped backticks: text, not a tag
    paper = (built["site"] / "papers" / "deepseek-v3-technical-report" / "index.html").read_text("utf-8")
    assert _content_hazards(paper) == []


@pytest.mark.build
def test_every_page_links_the_feed_and_the_link_resolves(built: dict):
    site = built["site"]
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        html = page.read_text("utf-8")
        # autodiscovery as feed readers do it: 'alternate' among the rel words, and the Atom type
        match = re.search(r'<link rel="(?:[^"]* )?alternate(?: [^"]*)?" type="application/atom\+xml"[^>]*href="([^"]+)"', html)
        assert match, f"{page.relative_to(site)} has no feed link"
        path = urlsplit(urljoin(SITE_PATH + page.relative_to(site).as_posix(), match.group(1))).path
        assert path.startswith(SITE_PATH), (page, match.group(1))
        target = posixpath.normpath(path[len(SITE_PATH) :])  # 404.html links from the site root, the others relatively
        assert target == "feeds/papers.xml" and (site / target).is_file(), (page, match.group(1))


@pytest.mark.build
def test_feeds_and_bibliographies_are_published(built: dict):
    site, pages = built["site"], built["pages"]
    feed = feedparser.parse((site / "feeds" / "papers.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == len(pages)
    site_url = read_site_url(built["root"])
    assert site_url.endswith(SITE_PATH)
    assert all(e.link.startswith(site_url + "papers/") for e in feed.entries)
    ET.fromstring((site / "feeds" / "topics" / "reasoning.xml").read_bytes())
    library = bibtexparser.parse_string((site / "papers.bib").read_text("utf-8"))
    assert not library.failed_blocks and len(library.entries) == len(pages)
    assert (site / "bib" / "topics" / "reasoning.bib").is_file()


@pytest.mark.build
def test_every_paper_page_cites_itself_with_the_published_key(built: dict):
    keys = bibtex.assign_keys(built["pages"])
    for page in built["pages"]:
        html = (built["site"] / "papers" / page.slug / "index.html").read_text("utf-8")
        assert 'id="cite"' in html, page.slug
        text = re.sub(r"<[^>]+>", "", html.split('id="cite"', 1)[1])
        assert f"@misc{{{keys[page.slug]}," in text, page.slug


# -- in the browser ---------------------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.build
def test_open_a_digest_follow_a_paper_and_copy_its_bibtex(built: dict, chromium):
    keys = bibtex.assign_keys(built["pages"])
    r1 = next(p for p in built["pages"] if p.slug == "deepseek-r1")
    expected = bibtex.format_entry(r1, keys["deepseek-r1"])
    with serve_directory(built["site"]) as base, chromium_context(chromium) as context:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
        page = context.new_page()
        page.goto(base + "digests/")
        page.get_by_role("link", name=SYNC_DATE, exact=True).click()
        page.wait_for_url(f"**/digests/{SYNC_DATE}/")
        assert page.locator("h1").first.inner_text().rstrip("¶").strip() == f"AI Research Sync — {SYNC_DATE}"
        assert page.get_by_text("3 of 3 papers shown").is_visible()
        assert page.evaluate("window.__pwned") is None  # the hostile section did not run

        paper_link = page.locator("article h2 a", has_text=re.compile(r"^DeepSeek-R1: Incentivizing"))
        assert paper_link.count() == 1
        paper_link.click()
        page.wait_for_url("**/papers/deepseek-r1/")
        cite = page.locator("#cite ~ pre.bibtex").first  # plain <pre><code>: no Pygments pass (mkdocs.yml)
        cite.scroll_into_view_if_needed()
        cite.hover()
        button = cite.locator("button[data-clipboard-target]")  # Material 9.8: nav.md-code__nav > button
        button.wait_for(state="attached")
        assert button.count() == 1, "Material's copy button is on the BibTeX block"
        target = button.get_attribute("data-clipboard-target")
        assert page.locator(target).inner_text().strip() == expected.strip()  # what the button copies
        button.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.strip() == expected.strip()
        assert bibtexparser.parse_string(copied).entries[0].key == "deepseekai2025deepseekr1"
