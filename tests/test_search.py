"""Search on Pagefind: the records (pure, no browser), then the built site in real Chromium.

Browser tests: one strict build per module of a copy of the shipped knowledge base, plus a machine-written
page, a paper with an old-style arXiv ID, a short page that cites Alignment Faking's ID over and over (it
outscores the paper on the bare ID, so "the paper comes first" is the search box's doing, not luck), and
twenty filler papers so the browse view has a second page. Served on 127.0.0.1; every request that is not
for the local server is refused and recorded, and each test asserts there was none. One test runs the
real `mkdocs serve` (the site under /paperkb/, as published).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from paperkb.model import config
from paperkb.model.facts import labs_of, title_of, topics_of
from paperkb.model.pages import load_pages, parse_page, render_new_page
from paperkb.model.vocab import Lab, Topic, Vocabulary, load_vocabulary
from paperkb.publish import search_index
from paperkb.publish.search_index import Record
from tests.support.browser import chromium_context, header_search, require_chromium, serve_directory
from tests.support.site_build import BUILD_ENV, add_machine_written_page, copy_knowledge_base, mkdocs_build

ALIGNMENT_FAKING = "alignment-faking-in-large-language-models"
THOUGHTOLOGY = "deepseek-r1-thoughtology"
OLD_STYLE_SLUG = "old-style-identifier"
OLD_STYLE_ID = "cs/9901001"
CITING_SLUG = "citing-alignment-faking"
FILLERS = 20


# -- records (no browser) ---------------------------------------------------------------------------------------------
VOCAB = Vocabulary(
    topics={"reasoning": Topic("reasoning", "Reasoning", "Models that think."), "ai-safety": Topic("ai-safety", "AI Safety", "Safe.")},
    labs={"DeepSeek": Lab("DeepSeek", aliases=["DeepSeek-AI"])},
)
PAGE_TEXT = """---
title: 'A <b>Bold</b> Paper: On Thinking'
arxiv: '2501.12948'
authors: [Ada One, Ben Two, Cy Three, Di Four]
labs: [DeepSeek-AI, Nowhere Lab]
topics: [reasoning, ai-safety, reasoning]
published: 2025-01-22
priority: high
status: draft
abstract: |
  We ruminate   about reasoning.
generated:
  summary: {model: m, date: 2025-02-01, sha256: '0000'}
---

Intro line with a [link](https://example.org "t") and **bold** text.

## Summary

GRPO is *fast*; see ![a figure](fig.png) and `code`.

| a | b |
|---|---|
| x | y |

## Key Insights

TODO

## Why It Matters

- It matters <span>a lot</span>.

```python
print("kept code")
```

## Notes

Extra section.
"""


def sample_page(text: str = PAGE_TEXT, slug: str = "bold-paper"):
    return parse_page(Path(f"content/papers/{slug}.md"), text)


def test_a_paper_record_has_the_searchable_text_and_nothing_else():
    record = search_index.paper_record(sample_page(), VOCAB)
    assert record.url == "papers/bold-paper/"
    texts = [text for text, _ in record.content]
    assert texts[0] == "A <b>Bold</b> Paper: On Thinking" and record.content[0][1] == search_index.WEIGHT_TITLE
    assert ("2501.12948 arXiv:2501.12948", search_index.WEIGHT_ID) in record.content
    assert "Ada One, Ben Two, Cy Three, Di Four" in texts  # every author is searchable
    assert "DeepSeek-AI, Nowhere Lab" in texts
    assert "We ruminate about reasoning." in texts
    assert "Intro line with a link and bold text." in texts
    assert "GRPO is fast; see a figure and code. a b x y" in texts
    assert 'It matters a lot . print("kept code")' in texts
    assert "Notes. Extra section." in texts  # a section of the author's own keeps its title
    assert texts[-1] == search_index.BROWSE_TERM
    text = record.text
    for left_out in ("TODO", "Summary", "Key Insights", "https://example.org", "fig.png", "**", "```", "|", "<span>"):
        assert left_out not in text.replace("<b>Bold</b>", ""), left_out  # the title is text, shown escaped


def test_a_paper_record_has_the_meta_filters_and_sort_keys_the_site_uses():
    record = search_index.paper_record(sample_page(), VOCAB)
    assert record.meta == {
        "title": "A <b>Bold</b> Paper: On Thinking",
        "authors": "Ada One, Ben Two, Cy Three et al.",
        "date": "2025-01-22",
        "priority": "high",
        "status": "draft",
        "arxiv": "2501.12948",
    }
    assert record.filters == {
        "topic": ("reasoning", "ai-safety"),
        "lab": ("DeepSeek", "Nowhere Lab"),  # canonical names; an unknown lab as written
        "year": ("2025",),
        "priority": ("high",),
        "status": ("draft",),
    }
    assert record.sort["date"] == "2025-01-22" and record.sort["title"] == "a <b>bold</b> paper: on thinking"


def test_an_unrated_undated_paper_still_has_every_sort_key():
    page = sample_page("---\ntitle: Bare\nstatus: nonsense\n---\n\n## Summary\n\nText.\n", slug="bare")
    record = search_index.paper_record(page, VOCAB)
    assert record.meta == {"title": "Bare", "priority": "unrated", "status": "todo"}
    assert record.filters == {"priority": ("unrated",), "status": ("todo",)}
    assert set(record.sort) == {"date", "priority", "title"}  # Pagefind drops a record without the key from a sort


def test_sort_by_priority_puts_urgent_first_and_the_newest_first_within_a_priority():
    keys = [
        search_index.priority_sort_key(priority, date)
        for priority, date in [("urgent", "2024-01-01"), ("urgent", ""), ("high", "2025-06-01"), ("high", "2025-01-01"), ("low", ""), ("unrated", "2026-01-01")]
    ]
    assert keys[0] < keys[1] < keys[2]
    assert keys[2] < keys[3] < keys[4] < keys[5]
    assert sorted(keys) == keys


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("[GRPO](../papers/x.md) is **fast**", "GRPO is fast"),
        ("a [ref][1] link\n\n[1]: https://x.org", "a ref link"),
        ("<https://arxiv.org/abs/1> and <em>x</em>", "and x"),
        ("# Heading { #anchor }\n> quoted\n1. first\n* second", "Heading quoted first second"),
        ("***strong em*** and __under__ and ~~gone~~", "strong em and under and gone"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("~~~\ncode line\n~~~", "code line"),
    ],
)
def test_plain_text_keeps_the_words_and_drops_the_syntax(markdown, text):
    assert search_index.plain_text(markdown) == text


def test_the_document_pagefind_reads_escapes_everything_from_a_page():
    hostile = "---\ntitle: '</p><script>alert(1)</script>'\nauthors: ['\"><img src=x onerror=alert(2)>']\n---\n\n## Summary\n\nx\n"
    document = search_index.record_html(search_index.paper_record(sample_page(hostile, slug="hostile"), VOCAB))

    class Tags(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.found.append(tag)

    parser = Tags()
    parser.feed(document)
    assert "script" not in parser.found and "img" not in parser.found
    assert "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert '<span data-pagefind-filter="status">todo</span>' in document
    assert '<div data-pagefind-ignore><span data-pagefind-meta="title">' in document


def test_site_records_are_papers_topics_and_labs_sorted_and_never_digests():
    records = search_index.site_records([sample_page(), sample_page(slug="another")], VOCAB)
    assert [record.url for record in records] == [
        "labs/deepseek/",
        "papers/another/",
        "papers/bold-paper/",
        "topics/ai-safety/",
        "topics/reasoning/",
    ]
    kinds = {record.url: record.filters.get("kind") for record in records}
    assert kinds["labs/deepseek/"] == ("lab",) and kinds["topics/reasoning/"] == ("topic",) and kinds["papers/another/"] is None


def test_common_words_are_the_words_of_more_than_half_of_the_papers_once_there_are_many():
    def paper(index: int, words: str) -> Record:
        return Record(url=f"papers/p{index}/", content=((words, 1), (search_index.BROWSE_TERM, 1)))

    few = [paper(i, "The model") for i in range(10)]
    assert search_index.common_words(few) == []  # a small knowledge base: every query stays exact
    many = [paper(i, f"The Model-R1, {'rare' if i % 3 else 'x'} number{i}") for i in range(search_index.COMMON_MIN_PAPERS)]
    topic = Record(url="topics/t/", content=(("the the the", 1),), filters={"kind": ("topic",)})
    assert search_index.common_words([*many, topic]) == ["modelr1", "rare", "the"]  # as Pagefind's query reads words
    assert search_index.query_words("Müller’s «Model-R1»: $5+x_y") == ["müllers", "modelr1", "$5+x_y"]


def test_write_bundle_runs_pagefind_and_writes_the_labels_and_common_words(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MkDocs runs the hook from the knowledge base's root
    bundle = tmp_path / "site" / "pagefind"
    records = search_index.site_records([sample_page()], VOCAB)
    count = search_index.write_bundle(records, bundle, VOCAB)
    assert count == len(records) == 4
    entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
    assert entry["languages"]["en"]["page_count"] == 4
    assert (bundle / "pagefind.js").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # written there only, not to ./pagefind as well
    extra = json.loads((bundle / "paperkb.json").read_text("utf-8"))
    assert extra == {"labels": {"topic": {"ai-safety": "AI Safety", "reasoning": "Reasoning"}}, "common": []}


def bundle_pages(bundle: Path) -> int:
    return json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))["languages"]["en"]["page_count"]


def test_a_new_bundle_replaces_the_old_one_whole(tmp_path):
    bundle = tmp_path / "site" / "pagefind"
    search_index.write_bundle(search_index.site_records([sample_page(slug=f"p{i}") for i in range(5)], VOCAB), bundle, VOCAB)
    first = {p.name for p in (bundle / "fragment").iterdir()}
    search_index.write_bundle(search_index.site_records([sample_page(slug="other")], VOCAB), bundle, VOCAB)
    assert bundle_pages(bundle) == 4
    assert len(list((bundle / "fragment").iterdir())) == 4 and not first <= {p.name for p in (bundle / "fragment").iterdir()}
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["pagefind"]  # no staging or old folder left


# Stand-ins for a Pagefind binary that goes wrong (PAGEFIND_BINARY_PATH): one fails with a message, one exits 0 having
# written an empty pagefind-entry.json, as the binary did when it was stopped while its writes were still under way.
FAILING_PAGEFIND = {
    "fails": 'echo "Error: out of cheese" >&2\nexit 3\n',
    "empty entry": 'while [ $# -gt 0 ]; do [ "$1" = "--output-path" ] && out="$2"; shift; done\nmkdir -p "$out" && : > "$out/pagefind-entry.json"\n',
}


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [("fails", "Pagefind exited with status 3: Error: out of cheese"), ("empty entry", "Pagefind exited without writing a whole pagefind-entry.json")],
)
def test_a_pagefind_that_fails_or_leaves_a_broken_bundle_is_reported_and_the_old_bundle_stays(tmp_path, monkeypatch, behaviour, said):
    bundle = tmp_path / "site" / "pagefind"
    search_index.write_bundle(search_index.site_records([sample_page()], VOCAB), bundle, VOCAB)  # the real Pagefind
    before = {p.relative_to(bundle): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\n" + FAILING_PAGEFIND[behaviour], "utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    with pytest.raises(RuntimeError, match=re.escape(said)):
        search_index.write_bundle(search_index.site_records([sample_page(slug="other")], VOCAB), bundle, VOCAB)
    assert {p.relative_to(bundle): p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["pagefind"]  # no staging folder left


def test_a_build_waits_for_its_index_at_its_end(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    indexer = search_index.SiteIndexer()
    bundle = tmp_path / "pagefind"
    log = logging.getLogger("mkdocs.hooks.test")
    indexer.begin()
    indexer.start([sample_page()], VOCAB, bundle, log)
    assert not bundle.exists()  # the build renders its pages meanwhile
    indexer.finish(log)
    assert bundle_pages(bundle) == 4 and "the build waited" in caplog.text
    # not a thread of the build's process, which renders meanwhile, and below its priority
    assert f"by a worker process at niceness {search_index.INDEX_NICENESS}" in caplog.text


def test_under_serve_the_index_is_written_in_the_background_for_the_latest_build(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    indexer = search_index.SiteIndexer()
    indexer.background = True
    bundle = tmp_path / "pagefind"
    log = logging.getLogger("mkdocs.hooks.test")
    indexer.begin()
    indexer.start([sample_page(slug=f"old{i}") for i in range(3)], VOCAB, bundle, log)
    indexer.finish(log)
    assert not bundle.exists()  # the build is over (the browser reloads) while Pagefind works
    indexer.begin()  # an edit: the next build
    indexer.start([sample_page(slug="new")], VOCAB, bundle, log)
    indexer.finish(log)
    for thread in [t for t in threading.enumerate() if t.name == "paperkb-search-index"]:
        thread.join(timeout=120)
    assert bundle_pages(bundle) == 4  # the newest build's: one paper, two topics, a lab
    assert "alongside the build" in caplog.text and "not written" not in caplog.text and "waited" not in caplog.text
    assert f"by a worker process at niceness {search_index.INDEX_NICENESS}" in caplog.text  # below the server's rebuilds


def test_under_serve_the_index_waits_for_a_quiet_moment_and_an_edit_meanwhile_drops_it(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    log = logging.getLogger("mkdocs.hooks.test")
    indexers = {"quiet": search_index.SiteIndexer(), "at once": search_index.SiteIndexer()}
    indexers["quiet"].quiet, indexers["at once"].quiet = 600.0, 0.0  # 600 s: longer than the test
    threads = {}
    for name, indexer in indexers.items():  # the quiet one starts first
        indexer.background = True
        indexer.begin()
        indexer.start([sample_page()], VOCAB, tmp_path / name / "pagefind", log)
        started = time.perf_counter()
        indexer.finish(log)
        [threads[name]] = [t for t in threading.enumerate() if t.name == "paperkb-search-index" and t not in threads.values()]
    threads["at once"].join(timeout=120)
    took = time.perf_counter() - started
    assert bundle_pages(tmp_path / "at once" / "pagefind") == 4
    threads["quiet"].join(timeout=2 * took + 5)  # as long as indexing took, and more: it is still waiting
    assert threads["quiet"].is_alive() and not (tmp_path / "quiet").exists()
    indexers["quiet"].begin()  # an edit: the next build begins, and the index of the last one is moot at once
    threads["quiet"].join(timeout=10)
    assert not threads["quiet"].is_alive() and not (tmp_path / "quiet").exists()
    assert caplog.text.count("alongside the build") == 1


def test_a_record_url_outside_the_site_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a page below the site root"):
        search_index.write_bundle([Record(url="../../etc/", content=(("x", 1),))], tmp_path / "pagefind", VOCAB)
    assert not (tmp_path / "pagefind").exists()


def test_a_build_without_the_pagefind_binary_fails_with_one_line(tmp_path):
    root = copy_knowledge_base(tmp_path / "kb")
    result = mkdocs_build(root, env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-pagefind")})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "search index was not written" in line]
    assert len(lines) == 1 and "no-such-pagefind" in lines[0] and "pip install" in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr


# -- the built site in Chromium --------------------------------------------------------------------------------------
def extra_pages(root: Path) -> None:
    papers = root / "content" / "papers"
    old = {"title": "An Old-Style Identifier", "arxiv": OLD_STYLE_ID, "topics": ["surveys"], "published": dt.date(1999, 1, 5), "status": "todo"}
    (papers / f"{OLD_STYLE_SLUG}.md").write_text(render_new_page(old), "utf-8")
    citing = {"title": "2412.14093 Revisited: Notes on Another Paper", "topics": ["alignment"], "published": dt.date(2025, 3, 1), "status": "todo"}
    summary = "2412.14093 " * 30
    (papers / f"{CITING_SLUG}.md").write_text(render_new_page(citing, {"summary": summary}), "utf-8")
    for index in range(1, FILLERS + 1):
        meta = {
            "title": f"Filler Paper {index:02d}",
            "labs": ["Anthropic"],
            "topics": ["scaling"],
            "published": dt.date(2020, 1, index),
            "priority": "low",
            "status": "reviewed",
        }
        (papers / f"filler-{index:02d}.md").write_text(render_new_page(meta), "utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_chromium()  # skip (or fail in CI) before spending a build
    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    add_machine_written_page(root)
    extra_pages(root)
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr[-4000:]
    kb = config.load(root)
    pages, errors = load_pages(kb.papers_dir)
    assert not errors
    with serve_directory(root / "site") as base:
        yield {"root": root, "base": base, "pages": pages, "vocab": load_vocabulary(kb.topics_file, kb.labs_file)}


@pytest.fixture
def page(site, chromium):
    with chromium_context(chromium) as context:
        tab = context.new_page()
        yield tab
        assert not context.blocked_requests, f"the site asked for something beyond 127.0.0.1: {context.blocked_requests}"


def slug_of(href: str) -> str:
    return href.rstrip("/").rsplit("/", 1)[-1]


def test_rumination_finds_thoughtology_whose_abstract_says_ruminate(site, page):
    page.goto(site["base"])
    links = header_search(page, "rumination")
    assert slug_of(links[0]) == THOUGHTOLOGY
    title = page.locator(".md-search-result__article h1").first.inner_text()
    assert title.startswith("DeepSeek-R1 Thoughtology")
    excerpt = page.locator(".md-search-result__article").first.inner_html()
    assert "<mark>ruminate</mark>" in excerpt  # the snippet is where the match is, not the author list
    details = page.locator(".pkb-result__details").first.inner_text()
    assert "Sara Vera Marjanović" in details and "et al." in details and "2025-04-02" in details
    assert page.locator(".md-search-result__item").first.locator(".pkb-badge").count() == 2


@pytest.mark.parametrize(
    "query",
    [
        "2412.14093",
        "arXiv:2412.14093",
        "2412.14093v2",
        "https://arxiv.org/abs/2412.14093",
        "https://arxiv.org/pdf/2412.14093v1",
    ],
)
def test_an_arxiv_id_in_any_form_puts_its_paper_first(site, page, query):
    page.goto(site["base"] + "topics/")
    links = header_search(page, query)
    assert slug_of(links[0]) == ALIGNMENT_FAKING, links
    if query == "2412.14093":  # the citing page outscores the paper on the bare ID: it is found, second
        assert CITING_SLUG in [slug_of(link) for link in links[1:]]


@pytest.mark.parametrize("query", ["2412.14093", "arXiv:2412.14093"])
def test_enter_on_an_arxiv_id_opens_the_paper(site, page, query):
    page.goto(site["base"])
    page.keyboard.press("/")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/papers/{ALIGNMENT_FAKING}/")
    assert page.locator("article h1").inner_text().startswith("Alignment Faking")
    assert page.evaluate("document.getElementById('__search').checked") is False


def test_an_old_style_arxiv_id_finds_its_paper(site, page):
    page.goto(site["base"])
    assert slug_of(header_search(page, OLD_STYLE_ID)[0]) == OLD_STYLE_SLUG


def test_shortcuts_open_the_search_and_esc_closes_it(site, page):
    page.goto(site["base"] + "papers/deepseek-r1/")
    for key in ("/", "s", "f"):
        page.keyboard.press(key)
        assert page.evaluate("document.activeElement.classList.contains('md-search__input')"), key
        assert page.evaluate("document.getElementById('__search').checked"), key
        assert page.locator(".md-search__input").input_value() == ""  # the key opened it, it was not typed
        page.keyboard.press("Escape")
        assert not page.evaluate("document.getElementById('__search').checked"), key
        assert not page.evaluate("document.activeElement.classList.contains('md-search__input')"), key


def test_arrow_keys_move_through_the_results_and_enter_opens_one(site, page):
    page.goto(site["base"])
    links = header_search(page, "GRPO")
    assert len(links) >= 3
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == links[1]
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('href')") == links[0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{links[1]}")


def test_papers_come_before_topic_and_lab_pages(site, page):
    page.goto(site["base"])
    links = header_search(page, "GRPO")  # DeepSeek-R1, DeepSeekMath, and the Reinforcement Learning topic
    kinds = [link.strip("/").split("/")[0] for link in links]
    assert "topics" in kinds and "papers" in kinds
    assert kinds == sorted(kinds, key=lambda kind: kind != "papers"), links
    assert "deepseekmath" in [slug_of(link) for link in links]  # its abstract writes "(GRPO),"


def test_the_index_holds_papers_topics_and_labs_but_no_listing_or_digest(site, page):
    page.goto(site["base"])
    records = page.evaluate(
        """async () => {
            const pagefind = await import(new URL("pagefind/pagefind.js", location.href).href);
            const found = await pagefind.search(null);
            return Promise.all(found.results.map(async (r) => { const d = await r.data(); return [d.url, d.filters, d.content]; }));
        }"""
    )
    urls = {url for url, _, _ in records}
    vocab = site["vocab"]
    expected = {f"/papers/{p.slug}/" for p in site["pages"]} | {f"/topics/{t}/" for t in vocab.topics} | {f"/labs/{lab.slug}/" for lab in vocab.labs.values()}
    assert urls == expected  # no digest, no index page: a paper is found once, at its page
    r1 = next(filters for url, filters, _ in records if url == "/papers/deepseek-r1/")
    assert r1["topic"] == ["reasoning", "reinforcement-learning"] and r1["lab"] == ["DeepSeek"]
    machine = next(content for url, _, content in records if url.endswith("/machine-written-example/"))
    assert "Hal Example" in machine and "DeepSeek" in machine and "2511.00001" in machine
    assert "An example abstract for a page whose sections a model wrote." in machine
    for furniture in ("Machine-written by", "Edit this section", "@misc", "archivePrefix", "Authors", "draft"):
        assert furniture not in machine, furniture


def expected_slugs(site, **wanted: str) -> set[str]:
    """Slugs of the pages that have every wanted topic id / canonical lab name, computed from the pages."""
    vocab = site["vocab"]
    found = set()
    for paper in site["pages"]:
        labs = {lab.name if (lab := vocab.lab_for(name)) else name for name in labs_of(paper)}
        if wanted.get("topic") in (None, *topics_of(paper)) and wanted.get("lab") in (None, *labs):
            found.add(paper.slug)
    return found


def card_slugs(page) -> list[str]:
    page.locator("#pkb-browse .pkb-browse__status", has_text="paper").wait_for()
    return [slug_of(href) for href in page.locator("#pkb-browse a.pkb-card__title").evaluate_all("links => links.map(a => a.getAttribute('href'))")]


def test_browse_by_lab_and_topic_lists_exactly_the_pages_with_both(site, page):
    page.goto(site["base"] + "papers/")
    page.locator("#pkb-browse select[name=lab]").select_option("DeepSeek")
    page.wait_for_url("**/papers/?lab=DeepSeek")
    page.locator("#pkb-browse select[name=topic]").select_option("reasoning")
    page.wait_for_url("**/papers/?topic=reasoning&lab=DeepSeek")
    page.wait_for_function("() => /^\\d+ papers?$/.test(document.querySelector('.pkb-browse__status').textContent)")
    wanted = expected_slugs(site, topic="reasoning", lab="DeepSeek")
    assert len(wanted) >= 2 and set(card_slugs(page)) == wanted
    assert page.locator("#pkb-browse .pkb-browse__status").inner_text() == f"{len(wanted)} papers"


def test_a_shared_browse_url_restores_its_filters_sort_and_page(site, page):
    page.goto(site["base"] + "papers/?topic=reasoning&lab=DeepSeek&sort=title")
    slugs = card_slugs(page)
    assert page.locator("select[name=topic]").input_value() == "reasoning"
    assert page.locator("select[name=lab]").input_value() == "DeepSeek"
    assert page.locator("select[name=sort]").input_value() == "title"
    titles = {p.slug: title_of(p).casefold() for p in site["pages"]}
    assert set(slugs) == expected_slugs(site, topic="reasoning", lab="DeepSeek")
    assert [titles[s] for s in slugs] == sorted(titles[s] for s in slugs)
    after = page.evaluate("[...document.querySelectorAll('#pkb-browse ~ *')].map(e => getComputedStyle(e).display)")
    assert after and set(after) == {"none"}  # the static list gives way to the view


def test_a_search_in_the_browse_view_combines_with_its_filters_and_is_shared(site, page):
    page.goto(site["base"] + "papers/?q=reinforcement")
    found = set(card_slugs(page))
    assert page.locator(".pkb-browse__status").inner_text() == f"{len(found)} papers"  # all on one page
    deepseek = expected_slugs(site, lab="DeepSeek")
    wanted = found & deepseek
    assert len(wanted) >= 2 and found - deepseek and deepseek - found  # so neither the query nor the filter is moot
    page.goto(site["base"] + "papers/?lab=DeepSeek")
    assert set(card_slugs(page)) == deepseek
    page.locator("#pkb-browse input[name=q]").click()
    page.keyboard.type("reinforcement")
    page.wait_for_url("**/papers/?q=reinforcement&lab=DeepSeek")
    page.wait_for_function(f"() => document.querySelector('.pkb-browse__status').textContent === '{len(wanted)} papers'")
    assert set(card_slugs(page)) == wanted
    assert page.locator("select[name=sort]").input_value() == "relevance"  # a search ranks by best match
    page.goto(site["base"] + "papers/?q=reinforcement&lab=DeepSeek&sort=oldest")  # shared, with a sort of its own
    slugs = card_slugs(page)
    assert page.locator("#pkb-browse input[name=q]").input_value() == "reinforcement"
    assert set(slugs) == wanted
    dates = [str(p.meta.get("published") or "0000") for p in site["pages"] if p.slug in wanted]
    assert [str(next(p for p in site["pages"] if p.slug == s).meta.get("published") or "0000") for s in slugs] == sorted(dates)


def test_the_header_search_links_to_the_browse_view_with_its_query(site, page):
    page.goto(site["base"] + "papers/deepseek-r1/")
    found = [slug_of(link) for link in header_search(page, "rumination") if "/papers/" in link]
    page.locator(".md-search-result__meta a.pkb-search__browse").click()
    page.wait_for_url("**/papers/?q=rumination")
    assert page.evaluate("document.getElementById('__search').checked") is False
    assert page.locator("#pkb-browse input[name=q]").input_value() == "rumination"
    assert set(card_slugs(page)) == set(found) and THOUGHTOLOGY in found


def test_an_arxiv_id_in_the_browse_view_puts_its_paper_first(site, page):
    page.goto(site["base"] + "papers/?q=" + urllib.parse.quote("arXiv:2412.14093"))
    slugs = card_slugs(page)
    assert slugs[0] == ALIGNMENT_FAKING and CITING_SLUG in slugs  # the citing page outscores it on the bare ID


@pytest.mark.parametrize("sort", ["bogus", "toString", "relevance"])  # relevance needs a search
def test_a_sort_the_view_cannot_apply_falls_back_to_newest(site, page, sort):
    page.goto(site["base"] + f"papers/?sort={sort}")
    assert len(card_slugs(page)) == 50
    assert page.locator("select[name=sort]").input_value() == "newest"


def test_browse_pages_through_every_paper_newest_first(site, page):
    page.goto(site["base"] + "papers/")
    first = card_slugs(page)
    assert len(first) == 50 and page.locator(".pkb-browse__status").inner_text() == f"{len(site['pages'])} papers, page 1 of 2"
    page.locator(".pkb-browse__pager button", has_text="2").click()
    page.wait_for_url("**/papers/?page=2")
    page.locator(".pkb-browse__status", has_text="page 2 of 2").wait_for()
    second = card_slugs(page)
    assert sorted(first + second) == sorted(p.slug for p in site["pages"])
    dates = {p.slug: str(p.meta.get("published") or "0000") for p in site["pages"]}
    ordered = [dates[s] for s in first + second]
    assert ordered == sorted(ordered, reverse=True)
    page.goto(site["base"] + "papers/?sort=oldest&page=2")  # a shared later page, restored
    page.locator(".pkb-browse__status", has_text="page 2 of 2").wait_for()
    assert page.locator("select[name=sort]").input_value() == "oldest"
    last = [dates[s] for s in card_slugs(page)]
    assert last == sorted(dates.values())[50:]


def test_the_browse_view_fits_a_phone(site, chromium):
    with chromium_context(chromium) as context:
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(site["base"] + "papers/")
        card_slugs(phone)
        assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
        phone.screenshot(path="/tmp/paperkb-browse-phone.png")
        assert not context.blocked_requests


def test_the_search_box_follows_the_dark_palette(site, chromium):
    backgrounds = {}
    for scheme in ("light", "dark"):
        with chromium_context(chromium, color_scheme=scheme) as context:
            tab = context.new_page()
            tab.goto(site["base"])
            header_search(tab, "GRPO")
            backgrounds[scheme] = tab.locator(".md-search__scrollwrap").evaluate("e => getComputedStyle(e).backgroundColor")
            tab.screenshot(path=f"/tmp/paperkb-search-{scheme}.png")
            assert not context.blocked_requests
    assert backgrounds["light"] != backgrounds["dark"]


# -- under `mkdocs serve` ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_search_works_under_mkdocs_serve_below_the_site_path(site, chromium, tmp_path):
    port = free_port()
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    server = subprocess.Popen(
        [mkdocs, "serve", "--dev-addr", f"127.0.0.1:{port}", "--no-livereload"],
        cwd=site["root"],
        env=BUILD_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/paperkb/"  # served below site_url's path, like the published site
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "pagefind/pagefind-entry.json", timeout=5) as answer:
                entry = json.load(answer)
                break
            assert server.poll() is None and time.monotonic() < deadline, "mkdocs serve did not come up"
            time.sleep(0.5)
        assert entry["languages"]["en"]["page_count"] > len(site["pages"])
        with chromium_context(chromium) as context:
            tab = context.new_page()
            tab.goto(base)
            links = header_search(tab, "rumination")
            assert links[0] == f"/paperkb/papers/{THOUGHTOLOGY}/"
            tab.locator("a.md-search-result__link").first.click()
            tab.wait_for_url(f"**/paperkb/papers/{THOUGHTOLOGY}/")
            assert not context.blocked_requests
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_static_list_is_there_without_javascript(site):
    html = (site["root"] / "site" / "papers" / "index.html").read_text("utf-8")
    before, marker, after = html.partition('<div id="pkb-browse" hidden></div>')
    assert marker and re.search(r'<a href="(?:\.\./papers/)?[a-z0-9-]+/">', after)  # hidden until the script fills it; papers follow
