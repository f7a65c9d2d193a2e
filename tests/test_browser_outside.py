"""What outside tools see of the built site, in real headless Chromium (Debian's /usr/bin/chromium).

- No request of a page fails: every response is recorded while the page loads and settles (Material's
  instant navigation prefetches sitemaps; a feed link once sent every page to feeds/sitemap.xml, a 404), and
  feed readers still discover the Atom feed.
- Accessibility: axe-core (shipped by axe-playwright-python) finds no violation of serious or critical impact
  in the project's own markup on one page of each kind, in both palettes, nor in the e-mail digest. What
  Material itself does (ACCEPTED_FROM_MATERIAL) is listed in the README with the reason it stays.
- Math: $…$ and $$…$$ in an abstract and in a section are typeset by the site's own MathJax (no request
  leaves 127.0.0.1), and TeX from a page cannot run script or link to javascript: (MathJax's ui/safe).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from paperkb.model.pages import parse_page, render_new_page
from paperkb.publish import digest
from tests.support.browser import chromium_context, header_search, require_chromium
from tests.support.shared_site import MATH_ABSTRACT

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
    "math paper": "papers/math-example/",
}


@pytest.fixture(scope="module")
def site(shared_site):
    require_chromium()  # skip (or fail in CI) before spending a build
    return shared_site


@pytest.fixture(scope="module")
def browser(site, chromium):
    """One browser context for the module; each test opens its own tab."""
    with chromium_context(chromium) as context:
        yield context


@pytest.fixture
def tab(browser):
    page = browser.new_page()
    yield page
    page.close()


def test_the_pages_exist(site):
    for path in PAGES.values():
        assert (site["root"] / "site" / path / "index.html").is_file(), path


def test_no_request_fails_on_any_kind_of_page(site, browser, tab):
    failed: list[str] = []
    tab.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    tab.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    for path in PAGES.values():
        tab.goto(site["base"] + path, wait_until="networkidle")  # the prefetches run after load
    assert failed == []
    assert browser.blocked_requests == []


def test_feed_autodiscovery_still_finds_the_atom_feed(site, tab):
    """What a feed reader does with a page: links whose rel words include 'alternate', of the Atom type."""
    tab.goto(site["base"] + PAGES["paper"])
    hrefs = tab.evaluate("[...document.querySelectorAll('link[rel~=alternate][type=\"application/atom+xml\"]')].map(l => l.href)")
    assert hrefs == [site["base"] + "feeds/papers.xml"]
    response = tab.request.get(hrefs[0])
    assert response.ok and b'<feed xmlns="http://www.w3.org/2005/Atom"' in response.body()


# -- accessibility --------------------------------------------------------------------------------------------
#: Violations that come from Material itself, not from the project's markup (README, "Accessibility"):
#: (axe rule, CSS selector of the element). Anything else of serious or critical impact fails.
ACCEPTED_FROM_MATERIAL = {
    ("aria-dialog-name", ".md-search"),  # Material's search overlay: role="dialog" without a name
    ("color-contrast", ".md-copyright"),  # Material's "Made with Material for MkDocs" footer line (light palette)
}
SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[tuple[str, str]]:
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            found += [(violation["id"], ", ".join(map(str, node["target"]))) for node in violation["nodes"]]
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_of_our_own_on_any_kind_of_page(site, tab, scheme):
    tab.add_init_script("localStorage.clear()")  # Material remembers a palette per browser (the module shares one)
    tab.emulate_media(color_scheme=scheme)  # and otherwise picks the system's on load
    found = {}
    for name, path in PAGES.items():
        tab.goto(site["base"] + path)
        if name == "math paper":
            tab.locator(".admonition.abstract mjx-container").first.wait_for()  # MathJax's output is checked too
        if name == "all-papers":  # the browse view's cards (drawn by script once the index answers) are checked too
            tab.locator("#pkb-browse a.pkb-card__title").first.wait_for()
        assert tab.locator("body").get_attribute("data-md-color-scheme") == ("slate" if scheme == "dark" else "default")
        ours = [v for v in serious_violations(tab) if v not in ACCEPTED_FROM_MATERIAL]
        if ours:
            found[name] = ours
    assert found == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_of_our_own_in_the_search_results(site, tab, scheme):
    """The header search open on its results: their badges, snippets and the link to the browse view."""
    tab.add_init_script("localStorage.clear()")
    tab.emulate_media(color_scheme=scheme)
    tab.goto(site["base"])
    assert header_search(tab, "reasoning")
    tab.locator(".md-search-result__meta a.pkb-search__browse").wait_for()
    found = [v for v in serious_violations(tab) if v not in ACCEPTED_FROM_MATERIAL]
    assert found == [], "\n".join(map(str, found))


def test_the_topic_chips_are_a_named_landmark(site, tab):
    tab.goto(site["base"] + PAGES["paper"])
    assert tab.locator("nav.md-tags").get_attribute("aria-label") == "Topics"


def test_the_email_digest_passes_axe_with_every_badge(tab):
    """Every priority badge of the e-mail (white on its colour) against WCAG AA, in the same Chromium."""
    pages = []
    for index, priority in enumerate(["urgent", "high", "medium", "low", None]):
        meta = {
            "title": f"Paper {index}",
            "arxiv": f"2511.0010{index}",
            "status": "todo",
            "published": dt.date(2025, 11, 1),
            "added": dt.date(2026, 11, 20),
            "abstract": MATH_ABSTRACT + "\n",
        }
        if priority:
            meta["priority"] = priority
        pages.append(parse_page(Path(f"papers/p{index}.md"), render_new_page(meta)))
    mail = digest.render_html(digest.rolling_digest(pages, dt.date(2026, 11, 22), 7, top=10), digest.ExternalLinks("https://kb.example.org/"))
    assert all(label in mail for label in ("URGENT", "HIGH", "MEDIUM", "LOW", "unrated"))
    tab.set_content(mail)
    assert serious_violations(tab) == []


# -- math ------------------------------------------------------------------------------------------------------
def test_math_in_the_abstract_and_a_section_is_typeset_by_the_sites_own_mathjax(site, browser, tab):
    requests: list[str] = []
    dialogs: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.goto(site["base"] + PAGES["math paper"], wait_until="networkidle")
    tab.locator(".admonition.abstract mjx-container").first.wait_for()
    assert tab.locator(".admonition.abstract mjx-container").count() == 2  # inline and display
    assert tab.locator(".admonition.abstract mjx-container[display=true]").count() == 1
    assert tab.locator("article h2#summary ~ p mjx-container").count() == 3
    assert "for $5." in tab.locator(".admonition.abstract").inner_text()  # \$ is a dollar sign
    assert any(url.endswith("/assets/mathjax/tex-chtml.js") for url in requests)
    assert browser.blocked_requests == []  # fonts and extensions from the site, nothing from a CDN
    # a TeX link to javascript: is not a link (ui/safe): clicking it runs nothing
    tab.locator("mjx-container", has_text="click").last.click()
    assert tab.evaluate("window.__pwned") is None and dialogs == []
    assert tab.locator("mjx-container a[href^='javascript']").count() == 0


def test_a_page_without_math_does_not_load_mathjax(site, tab):
    requests: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto(site["base"] + PAGES["paper"], wait_until="networkidle")
    assert not [url for url in requests if "mathjax" in url]
