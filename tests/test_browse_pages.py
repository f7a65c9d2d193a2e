"""The built site's lists of papers and related papers, in real headless Chromium (tests/support/browser.py).

The shared strict build of the shipped knowledge base (tests/support/shared_site.py: with a page that links to
DeepSeek-R1 and one with a long unbreakable title), served on 127.0.0.1: on a 390 px phone no table of papers hides a column off-screen,
a paper page shows its related papers and the pages linking to it, a bounded list links to the browse view with
its filter, and every paper is reachable from the all-papers page through static links (no JavaScript).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from paperkb.model.pages import load_page
from tests.support.browser import chromium_context, require_chromium

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(shared_site):
    require_chromium()  # skip (or fail in CI) before spending a build
    return shared_site


@pytest.fixture
def phone_page(site, chromium):
    with chromium_context(chromium) as context:
        page = context.new_page()
        page.set_viewport_size(PHONE)
        yield page


# Every element of the article's tables whose box reaches past the viewport's edges, and every scroll box that
# hides part of its content sideways (a table scrolled off-screen is still "on the page" by its rect alone).
OFF_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("article table, article table *")) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.left < -0.5 || r.right > width + 0.5)) out.push(`${el.tagName} ${el.textContent.slice(0, 40)} [${r.left}, ${r.right}]`);
  }
  for (const el of document.querySelectorAll("article .md-typeset__scrollwrap, article table")) {
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className || el.tagName} scrolls: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  if (document.documentElement.scrollWidth > width + 1) out.push(`page scrolls: ${document.documentElement.scrollWidth} > ${width}`);
  return out;
}"""


@pytest.mark.parametrize("path", ["topics/reasoning/", "status/", "labs/deepseek/"])  # papers/ shows the browse view (tests/test_search.py)
def test_on_a_phone_no_column_of_a_paper_table_is_off_screen(site, phone_page, path):
    page = phone_page
    page.goto(site["base"] + path)
    page.wait_for_load_state("load")
    cells = page.locator("article .pkb-list td")
    assert cells.count() > 0 and cells.first.is_visible()
    assert page.evaluate(OFF_SCREEN) == []
    # Each cell says which column it is: the header row is hidden on a phone, the label shows instead
    label = cells.nth(0).evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"').strip() == cells.nth(0).get_attribute("data-label")
    assert not page.locator("article .pkb-list thead").first.is_visible()
    if path == "topics/reasoning/":
        page.screenshot(path="/tmp/paperkb-phone-topic.png", full_page=False)


def test_on_a_wide_screen_the_lists_stay_tables(site, chromium):
    with chromium_context(chromium) as context:
        page = context.new_page()
        page.goto(site["base"] + "topics/reasoning/")  # papers/ shows the browse view instead (tests/test_search.py)
        assert page.locator("article .pkb-list thead").is_visible()
        assert page.locator("article .pkb-list tr").first.evaluate("tr => getComputedStyle(tr).display") == "table-row"


def test_a_paper_page_shows_related_papers_and_the_pages_linking_to_it(site, phone_page):
    page = phone_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site["base"] + "papers/deepseek-r1/")
    related = page.locator("h2#related-papers + ul.pkb-related a")
    assert related.count() == 5
    linking = page.locator("h2#linked-from + ul.pkb-related a")
    assert linking.count() == 1 and linking.first.inner_text() == "Reading Notes on R1"
    first = related.first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r".*/papers/[a-z0-9-]+/$"))
    assert page.locator("article h1").inner_text().replace("¶", "").strip() == title
    slug = urlsplit(page.url).path.rstrip("/").rsplit("/", 1)[-1]
    assert load_page(site["root"] / "content" / "papers" / f"{slug}.md").meta["title"] == title


def test_a_bounded_list_links_to_the_browse_view_with_its_filter(site, phone_page):
    page = phone_page
    page.goto(site["base"] + "labs/deepseek/")
    page.locator("article a", has_text=re.compile("filter and sort them|browse all")).first.click()
    page.wait_for_url("**/papers/?lab=DeepSeek")
    assert page.locator("article h1").inner_text().replace("¶", "").strip() == "All papers"


def test_every_paper_is_reachable_from_the_all_papers_page_without_javascript(site):
    """What a crawler (or a reader without JavaScript) can follow: the all-papers page, the archive pages it links
    and the pages those link. Every paper page of the build is among them."""
    site_dir = Path(site["root"]) / "site"
    start = "papers/index.html"
    seen, queue, papers = {start}, [start], set()
    while queue:
        here = queue.pop()
        html = (site_dir / here).read_text("utf-8")
        for href in re.findall(r'<a\b[^>]*\bhref="([^"#?]+)/?"', html):
            target = urlsplit(urljoin(f"http://x/{here}", href)).path.lstrip("/")
            target = (target.rstrip("/") + "/index.html").lstrip("/")
            if target.startswith("papers/") and target != start:
                papers.add(target.split("/")[1])
            elif target.startswith("browse/") and target not in seen:
                seen.add(target)
                queue.append(target)
    built = {p.parent.name for p in (site_dir / "papers").glob("*/index.html")}
    assert papers == built
    assert len(seen) > 1  # through the archive
