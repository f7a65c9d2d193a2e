"""The built site in real headless Chromium (Debian's /usr/bin/chromium through Playwright).

The shared strict build (tests/support/shared_site.py), served on 127.0.0.1: search for a paper by typing its title and open it,
go from a topic page to a paper, from a paper to the article covering it and back, see the header badges and the machine-written note, unfold a long author
list, switch to dark mode. Screenshots go to /tmp (paperkb-paper-light.png, paperkb-paper-dark.png) to
look at. Without Chromium these tests skip, except when CI=true (see tests/support/browser.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperkb.model.pages import load_page
from tests.support.browser import chromium_context, header_search, require_chromium
from tests.support.shared_site import HOSTILE_SLUG
from tests.support.site_build import MACHINE_DATE, MACHINE_MODEL, MACHINE_SLUG

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def site(shared_site):
    require_chromium()  # skip (or fail in CI) before spending a build
    return shared_site


@pytest.fixture
def browser_page(site, chromium):
    with chromium_context(chromium) as context:
        page = context.new_page()
        yield page
        fonts = [url for url in context.blocked_requests if "fonts." in url]
        assert not fonts, f"the site asked the network for fonts: {fonts}"


def heading(page) -> str:
    """The page's h1 as shown, without the permalink sign."""
    return page.locator("article h1").inner_text().replace("¶", "").strip()


def title_of(root: Path, slug: str) -> str:
    return load_page(root / "content" / "papers" / f"{slug}.md").meta["title"]


def test_search_for_a_paper_by_title_and_open_it(site, browser_page):
    page = browser_page
    title = title_of(site["root"], "deepseek-r1-thoughtology")
    page.goto(site["base"])
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.keyboard.type("Thoughtology")  # typed as a reader types (the search box listens to input events)
    result = page.locator(".md-search-result__item a", has_text="Thoughtology").first
    result.wait_for(state="visible")
    result.click()
    page.wait_for_url("**/papers/deepseek-r1-thoughtology/**")
    assert heading(page) == title


def test_from_a_topic_page_to_a_paper(site, browser_page):
    page = browser_page
    title = title_of(site["root"], "deepseek-r1")
    page.goto(site["base"] + "topics/reasoning/")
    assert heading(page) == "Reasoning"
    page.locator("article table a", has_text=title).first.click()
    page.wait_for_url("**/papers/deepseek-r1/")
    assert heading(page) == title


def test_from_a_paper_to_the_article_that_covers_it_and_back(site, browser_page):
    """Issue 13: a reader of DeepSeek-V3's page finds the article covering it, and the article leads back."""
    page = browser_page
    title = title_of(site["root"], "deepseek-v3-technical-report")
    page.goto(site["base"] + "papers/deepseek-v3-technical-report/")
    page.locator("ul.pkb-in-articles a", has_text="An aggregated report on DeepSeek-R1").click()
    page.wait_for_url("**/articles/deepseek-r1-aggregated-report/")
    assert heading(page) == "An aggregated report on DeepSeek-R1"
    page.locator("article a", has_text=title).first.click()
    page.wait_for_url("**/papers/deepseek-v3-technical-report/")
    assert heading(page) == title


def test_header_badges_are_shown_and_styled(site, browser_page):
    page = browser_page
    page.goto(site["base"] + "papers/deepseek-v3-technical-report/")
    priority = page.locator("a.pkb-badge.pkb-priority")
    status = page.locator("a.pkb-badge.pkb-status")
    assert priority.is_visible() and status.is_visible()
    assert priority.inner_text().strip().lower() == "urgent"
    assert status.inner_text().strip().lower() == "draft"
    # The stylesheet is applied: the urgent badge is red, the draft badge blue.
    assert priority.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"
    assert status.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(21, 101, 192)"
    priority.click()
    page.wait_for_url("**/priorities/urgent/")
    assert page.locator("article table a", has_text="DeepSeek-V3 Technical Report").is_visible()


def test_machine_written_note_and_folded_authors(site, browser_page):
    page = browser_page
    page.goto(site["base"] + f"papers/{MACHINE_SLUG}/")
    notes = page.locator(".admonition.pkb-machine .admonition-title")
    assert notes.count() == 3
    assert notes.first.is_visible()
    assert notes.first.inner_text().strip() == f"Machine-written by {MACHINE_MODEL} on {MACHINE_DATE.isoformat()}"
    authors = page.locator(".pkb-authors")
    assert "Ada Example" in authors.inner_text() and "Hal Example" not in authors.inner_text()  # folded away
    page.locator("details.pkb-more summary").click()
    assert "Hal Example" in authors.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "paperkb-paper-light.png"), full_page=True)


def test_dark_mode_follows_the_system_and_the_toggle(site, chromium):
    with chromium_context(chromium, color_scheme="dark") as context:
        page = context.new_page()
        page.goto(site["base"] + f"papers/{MACHINE_SLUG}/")
        body = page.locator("body")
        assert body.get_attribute("data-md-color-scheme") == "slate"
        background = body.evaluate("e => getComputedStyle(e).backgroundColor")
        page.screenshot(path=str(SCREENSHOTS / "paperkb-paper-dark.png"), full_page=True)
        page.locator("form[data-md-component=palette] label:visible").first.click()
        assert body.get_attribute("data-md-color-scheme") == "default"
        assert body.evaluate("e => getComputedStyle(e).backgroundColor") != background


def test_a_page_of_hostile_vectors_runs_no_script_and_keeps_materials_config(site, browser_page):
    dialogs = []
    browser_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    browser_page.goto(f"{site['base']}papers/{HOSTILE_SLUG}/")
    browser_page.wait_for_load_state("load")
    browser_page.mouse.move(200, 300)  # hover handlers, if any survived
    browser_page.keyboard.press("Tab")  # focus handlers
    assert browser_page.evaluate("window.__pwned") is None and not dialogs
    # Material's config is its own, not a clobbering element's: search works and shows inert results
    assert browser_page.evaluate("document.getElementById('__config').tagName") == "SCRIPT"
    assert header_search(browser_page, "Hostile Vectors")
    assert browser_page.evaluate("window.__pwned") is None and not dialogs
