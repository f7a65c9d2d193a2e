"""Atom feeds: parsed entry by entry with feedparser, and checked structurally as Atom (RFC 4287):
well-formed XML, the required id/title/updated once per feed and per entry, an author for every entry,
RFC 3339 dates, absolute links and ids, newest added first, capped, hostile text kept as text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser

from paperkb.model import config, paths
from paperkb.model.pages import as_list, load_page, render_new_page, set_section, write_page
from paperkb.model.site_input import load_site_input
from paperkb.publish import feeds

HERE = Path(__file__).parent
REPO = HERE.parent
FIXTURE = HERE / "fixtures" / "research_sync"
SITE_URL = "https://kb.example.org/research/"
TODAY = dt.date(2026, 11, 22)
A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def site_input(root: Path, site_url: str = SITE_URL):
    return dataclasses.replace(load_site_input(config.load(root), site_url), today=TODAY)


def assert_valid_atom(document: str) -> ET.Element:
    """The structural rules of RFC 4287 that a validator checks first."""
    assert document.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(document.encode("utf-8"))  # raises on anything not well-formed
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{required}")) == 1, f"feed needs exactly one atom:{required}"
    feed_has_author = root.find(f"{A}author/{A}name") is not None
    ids = []
    for entry in root.findall(f"{A}entry"):
        for required in ("id", "title", "updated"):
            elements = entry.findall(f"{A}{required}")
            assert len(elements) == 1 and (elements[0].text or "").strip(), f"entry needs exactly one atom:{required}"
        assert feed_has_author or entry.find(f"{A}author/{A}name") is not None
        for date in entry.findall(f"{A}updated") + entry.findall(f"{A}published"):
            assert RFC3339.match(date.text), date.text
        assert re.match(r"^(https?|tag):", entry.find(f"{A}id").text)
        alternates = [link for link in entry.findall(f"{A}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) <= 1
        for link in entry.findall(f"{A}link"):
            assert link.get("href", "").startswith("https://")
        summary = entry.find(f"{A}summary")
        assert summary is not None and summary.get("type") in ("text", "html", "xhtml")
        ids.append(entry.find(f"{A}id").text)
    assert len(ids) == len(set(ids)), "entry ids must be unique within a feed"
    assert RFC3339.match(root.find(f"{A}updated").text)
    return root


def test_every_generated_feed_is_valid_atom_and_parses_cleanly():
    files = feeds.generate(site_input(REPO))  # the shipped knowledge base
    assert paths.ALL_PAPERS_FEED in files
    assert any(path.startswith("feeds/topics/") for path in files)
    for path, document in files.items():
        assert_valid_atom(document)
        parsed = feedparser.parse(document)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"


def test_feed_entries_match_their_pages_one_by_one():
    site = site_input(FIXTURE)
    parsed = feedparser.parse(feeds.generate(site)[paths.ALL_PAPERS_FEED])
    by_link = {f"{SITE_URL}papers/{p.slug}/": p for p in site.pages}
    assert len(parsed.entries) == len(site.pages)
    for entry in parsed.entries:
        page = by_link[entry.link]
        assert entry.title == " ".join(page.meta["title"].split())
        assert entry.id == f"https://arxiv.org/abs/{page.meta['arxiv']}"
        assert [a.name for a in entry.authors] == [str(a) for a in page.meta["authors"]]
        assert entry.published.startswith(page.meta["added"].isoformat())
        assert {t.term for t in entry.tags} == set(as_list(page.meta.get("topics")))
        if page.missing_sections():
            assert entry.summary.startswith("Summary pending.")
            abstract = " ".join(str(page.meta.get("abstract", "")).split())
            assert abstract in " ".join(entry.summary.split())
            assert "content" not in entry
        else:
            assert entry.summary == page.section_text("Summary")
            assert "Key Insights" in entry.content[0].value
    # newest added first
    added = [by_link[e.link].meta["added"] for e in parsed.entries]
    assert added == sorted(added, reverse=True)


def test_hostile_text_stays_text(tmp_path: Path):
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    parsed = feedparser.parse(feeds.generate(site_input(root))[paths.ALL_PAPERS_FEED])
    entry = next(e for e in parsed.entries if e.link.endswith("/thoughtology/"))
    assert entry.title == "DeepSeek-R1 Thoughtology: Let's <think> about LLM Reasoning"
    assert '<script>alert("x")</script>' in entry.summary  # type="text": a reader shows it, never runs it
    # a filled page whose section tries to smuggle markup into the HTML content
    filled = load_page(root / "content" / "papers" / "deepseek-v3.md")
    write_page(filled, set_section(filled, "Summary", "Fine <script>steal()</script> [x](https://evil.example/) \x0b\x01 end"))
    document = feeds.generate(site_input(root))[paths.ALL_PAPERS_FEED]
    assert_valid_atom(document)  # control characters XML forbids are gone
    entry = next(e for e in feedparser.parse(document).entries if e.link.endswith("/deepseek-v3/"))
    assert "<script" not in entry.content[0].value and "evil.example" not in entry.content[0].value
    assert "steal()" not in entry.content[0].value


def test_an_open_html_block_in_one_section_does_not_swallow_the_next(tmp_path: Path):
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    filled = load_page(root / "content" / "papers" / "deepseek-v3.md")
    write_page(filled, set_section(filled, "Summary", "Text.\n\n<div>\nan unclosed block."))
    entry = next(e for e in feedparser.parse(feeds.generate(site_input(root))[paths.ALL_PAPERS_FEED]).entries if e.link.endswith("/deepseek-v3/"))
    content = entry.content[0].value
    assert re.search(r"<h4[^>]*>Key Insights</h4>\s*<ul", content) and "<li" in content  # still a heading and a list
    assert "#### " not in content


def test_topic_feeds_hold_only_their_topic():
    site = site_input(FIXTURE)
    files = feeds.generate(site)
    for topic_id, topic in site.vocab.topics.items():
        parsed = feedparser.parse(files[paths.topic_feed_path(topic_id)])
        assert parsed.feed.title.endswith(topic.title)
        expected = {f"{SITE_URL}papers/{p.slug}/" for p in site.pages if topic_id in as_list(p.meta.get("topics"))}
        assert {e.link for e in parsed.entries} == expected
        assert parsed.feed.id == f"{SITE_URL}feeds/topics/{topic_id}.xml"
        self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert self_links == [parsed.feed.id]


def test_feed_is_capped_at_the_newest_entries(tmp_path: Path):
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    papers = root / "content" / "papers"
    start = dt.date(2026, 1, 1)
    for n in range(feeds.MAX_ENTRIES + 15):
        meta = {
            "title": f"Synthetic paper {n}",
            "arxiv": f"2601.{n:05d}",
            "authors": ["A. Person"],
            "published": start,
            "added": start + dt.timedelta(days=n),
            "status": "todo",
        }
        (papers / f"synthetic-{n:03d}.md").write_text(render_new_page(meta), "utf-8")
    parsed = feedparser.parse(feeds.generate(site_input(root))[paths.ALL_PAPERS_FEED])
    assert len(parsed.entries) == feeds.MAX_ENTRIES
    added = {f"{SITE_URL}papers/{p.slug}/": p.meta["added"] for p in site_input(root).pages}
    shown = [added[e.link] for e in parsed.entries]
    assert shown == sorted(shown, reverse=True)
    left_out = [date for link, date in added.items() if link not in {e.link for e in parsed.entries}]
    assert len(left_out) == len(added) - feeds.MAX_ENTRIES and max(left_out) <= min(shown)


def test_entry_updated_follows_the_generated_sections():
    site = site_input(FIXTURE)
    parsed = feedparser.parse(feeds.generate(site)[paths.ALL_PAPERS_FEED])
    v3 = next(e for e in parsed.entries if e.link.endswith("/deepseek-v3/"))
    assert v3.updated.startswith("2026-11-21")  # generated on the day it was added
    assert parsed.feed.updated.startswith("2026-11-22")


def test_without_site_url_links_fall_back_to_arxiv_and_stay_absolute():
    document = feeds.generate(site_input(FIXTURE, site_url=""))[paths.ALL_PAPERS_FEED]
    assert_valid_atom(document)
    parsed = feedparser.parse(document)
    assert not parsed.bozo
    assert all(e.link.startswith("https://arxiv.org/abs/") for e in parsed.entries)
