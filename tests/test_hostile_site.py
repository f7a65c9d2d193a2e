"""Every hostile vector, through every channel, built into a site and opened in real Chromium.

Channels: a page's title, authors, labs, topics, abstract, description, each section, url (one page per vector,
tests/support/hostile_pages.py, 175 vectors); topic titles and descriptions and lab names in the vocabularies;
a sync record (its digest quotes the pages); the feeds, BibTeX and e-mail digest are parsed by their own readers
in tests/test_output_injection.py. Every generated HTML page of the site is opened: no dialog opens, no injected
script runs (``window.__pwned`` stays undefined), no element carries an inline event handler, and no link or
source is a script URL. Search for the hostile pages is typed into the header, and its results are inert too.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support.browser import chromium_context, header_search, require_chromium, serve_directory
from tests.support.hostile import HTML_VECTORS, MARKDOWN_VECTORS
from tests.support.hostile_pages import VECTORS, hostile_pages, sync_record
from tests.support.site_build import copy_knowledge_base, mkdocs_build

pytestmark = pytest.mark.browser

VOCABULARY_VECTORS = HTML_VECTORS[:40] + MARKDOWN_VECTORS

# In the page: anything that would run. Inline handlers on any element, script URLs on anything that loads or
# navigates, and a clobbered Material config (an element other than its own <script> taking the id).
INERT = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc'].includes(attr.name)
          && /^(javascript|vbscript|data:text)/.test(value)) found.push(el.tagName + ' ' + attr.name + '=' + value);
    }
  }
  const config = document.getElementById('__config');
  if (config && config.tagName !== 'SCRIPT') found.push('clobbered __config: ' + config.tagName);
  if (window.__pwned !== undefined) found.push('script ran: __pwned=' + window.__pwned);
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    require_chromium()
    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    content = root / "content"
    ids = hostile_pages(content / "papers")
    (content / "syncs").mkdir(exist_ok=True)
    (content / "syncs" / "2026-11-21.yml").write_text(sync_record(ids), "utf-8")
    # The description channel (printed into <meta name="description">)
    for n, vector in enumerate(HTML_VECTORS[:20]):
        page = content / "papers" / f"hostile-{n}.md"
        page.write_text(page.read_text("utf-8").replace("---\n", f"---\ndescription: {json.dumps(vector)}\n", 1), "utf-8")
    # The vocabularies: hostile topic titles and descriptions, hostile lab names (distinct slugs)
    topics = yaml.safe_load((content / "topics.yml").read_text("utf-8"))
    topics += [{"id": f"hostile-{n}", "title": f"Topic {n} {v}", "description": v} for n, v in enumerate(VOCABULARY_VECTORS)]
    (content / "topics.yml").write_text(yaml.safe_dump(topics, allow_unicode=True), "utf-8")
    labs = yaml.safe_load((content / "labs.yml").read_text("utf-8"))
    labs += [{"name": f"Lab {n} {v}"} for n, v in enumerate(VOCABULARY_VECTORS)]
    (content / "labs.yml").write_text(yaml.safe_dump(labs, allow_unicode=True), "utf-8")
    for n in range(len(VOCABULARY_VECTORS)):  # each hostile topic and lab on a page, so their pages list it
        page = content / "papers" / f"hostile-{n}.md"
        text = page.read_text("utf-8")
        lab = json.dumps(labs[-len(VOCABULARY_VECTORS) + n]["name"])
        page.write_text(text.replace("topics:\n", f"topics:\n- hostile-{n}\n", 1).replace("labs:\n", f"labs:\n- {lab}\n", 1), "utf-8")
    result = mkdocs_build(root, strict=False)  # what a lenient build publishes (the strict one may refuse some)
    assert result.returncode == 0, result.stderr[-4000:]
    site = root / "site"
    with serve_directory(site) as base:
        yield {"root": root, "site": site, "base": base}


def test_every_vector_is_in_the_site(hostile_site):
    site = hostile_site["site"]
    papers = {p.parent.name for p in (site / "papers").glob("hostile-*/index.html")}
    assert len(papers) == len(VECTORS) >= 170
    assert len(list((site / "topics").glob("hostile-*/index.html"))) == len(VOCABULARY_VECTORS)


#: The crawl below opens every page of the site (over 300) at about a quarter of a second each: it is split into this
#: many tests, each opening every SHARDS-th page, so that `make test`'s workers (pytest-xdist) share it.
SHARDS = 4


@pytest.mark.parametrize("shard", [pytest.param(n, marks=pytest.mark.xdist_group(f"hostile-crawl-{n}")) for n in range(SHARDS)])
def test_no_page_of_the_site_runs_or_carries_injected_script(hostile_site, chromium, shard):
    site, base = hostile_site["site"], hostile_site["base"]
    every_page = sorted(str(p.parent.relative_to(site)) for p in site.rglob("index.html"))
    assert len(every_page) > len(VECTORS) + len(VOCABULARY_VECTORS)
    pages = every_page[shard::SHARDS]
    problems: dict[str, list[str]] = {}
    dialogs: list[str] = []
    with chromium_context(chromium) as context:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path in pages:
            url = base + ("" if path == "." else path + "/")
            # Material's bundle is a plain script at the end of the body: it has run (and read its config, the
            # target of clobbering) by DOMContentLoaded; inline handlers are found by the attribute scan
            page.goto(url, wait_until="domcontentloaded")
            found = page.evaluate(INERT)
            if found:
                problems[path] = found
    assert not dialogs, dialogs[:5]
    assert not problems, dict(list(problems.items())[:5])


def test_search_results_for_hostile_pages_are_inert(hostile_site, chromium):
    dialogs: list[str] = []
    with chromium_context(chromium) as context:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(hostile_site["base"], wait_until="load")
        assert len(header_search(page, "Hostile script")) > 1  # the hostile pages' results, rendered
        page.keyboard.press("ArrowDown")
        assert page.evaluate(INERT) == []
    assert not dialogs
