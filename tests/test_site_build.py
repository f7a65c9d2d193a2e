"""The real site: `mkdocs build --strict` of a copy of the shipped knowledge base, then its files.

One build per module (plus one deliberately broken build): the copy gets a page whose sections are still
machine-written (correct sha256 records) and a page with a hostile title and body.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

import pytest

from paperkb.model import config
from paperkb.model.pages import load_pages
from paperkb.model.vocab import load_vocabulary
from tests.support.golden import Elements
from tests.support.site_build import (
    MACHINE_DATE,
    MACHINE_MODEL,
    MACHINE_SLUG,
    add_machine_written_page,
    copy_knowledge_base,
    internal_links,
    mkdocs_build,
    site_path_prefix,
)

pytestmark = pytest.mark.build

HOSTILE_SLUG = "hostile-example"
HOSTILE_PAGE = """---
title: '</title><script>window.__pwned = 1</script> <think>hm</think> | *x*'
arxiv: '2511.00002'
authors: ['<img src=x onerror="window.__pwned = 2">']
description: '"><script>window.__pwned = 5</script>'
topics: [reasoning]
published: 2025-11-04
status: todo
---

## Summary

Body <script>window.__pwned = 3</script> and [a link](javascript:window.__pwned=4).

## Key Insights

TODO

## Why It Matters

TODO
"""


EDGE_SLUG = "edge-example"
EDGE_PAGE = """---
title: 'Edge Example: A Page That Starts Oddly'
arxiv: '2511.00003'
topics: [reasoning]
published: 2025-11-05
status: todo
---

Note: this first line is text, not metadata.

## Summary

See [the citation](#cite) and [R1's](deepseek-r1.md#cite).

# Shouting

<h1>Raw heading</h1>

## Key Insights

TODO

## Why It Matters

TODO
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    add_machine_written_page(root)
    (root / "content" / "papers" / f"{HOSTILE_SLUG}.md").write_text(HOSTILE_PAGE, "utf-8")
    (root / "content" / "papers" / f"{EDGE_SLUG}.md").write_text(EDGE_PAGE, "utf-8")
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr[-4000:]
    kb = config.load(root)
    pages, errors = load_pages(kb.papers_dir)
    assert not errors
    return {
        "root": root,
        "site": root / "site",
        "result": result,
        "pages": pages,
        "vocab": load_vocabulary(kb.topics_file, kb.labs_file),
    }


def html_of(built: dict, path: str) -> str:
    return (built["site"] / path / "index.html").read_text("utf-8")


def test_strict_build_passes_without_a_warning(built):
    assert "WARNING" not in built["result"].stderr, built["result"].stderr


def test_every_topic_lab_and_paper_has_its_page(built):
    vocab = built["vocab"]
    assert len(vocab.topics) >= 10 and len(vocab.labs) >= 10 and len(built["pages"]) >= 36
    for topic in vocab.topics.values():
        assert "<h1" in (html := html_of(built, f"topics/{topic.id}")) and topic.title in html, topic.id
    for lab in vocab.labs.values():
        assert lab.name in html_of(built, f"labs/{lab.slug}"), lab.name
    for page in built["pages"]:
        html = html_of(built, f"papers/{page.slug}")
        assert 'class="pkb-header"' in html, page.slug
    for path in ("", "papers", "topics", "labs", "priorities", "priorities/unrated", "status", "timeline"):
        assert (built["site"] / path / "index.html").is_file(), path


def test_every_internal_link_resolves_to_a_built_file(built):
    links = internal_links(built["site"], site_path_prefix(built["root"]))
    broken = [(str(page.relative_to(built["site"])), href) for page, href, target in links if not target.is_file()]
    assert not broken, broken[:20]
    assert len(links) > 2000  # the indexes link every paper several times


def test_paper_pages_stay_out_of_the_sidebar(built):
    nav_entries = 8  # Home, All papers, Topics, Labs, Priorities, Status board, Timeline, Digests
    for page in ("papers/deepseek-r1", "topics/reasoning", ""):
        html = (built["site"] / page / "index.html").read_text("utf-8")
        primary = html.split("md-nav--primary", 1)[1].split("md-sidebar--secondary", 1)[0]
        links = re.findall(r'class="md-nav__link[^"]*"[^>]*href="([^"]*)"|href="([^"]*)"[^>]*class="md-nav__link', primary)
        hrefs = [a or b for a, b in links if not (a or b).startswith("#")]  # '#…': the current page's contents
        resolved = [posixpath.normpath(posixpath.join(page or ".", h)) for h in hrefs]
        assert not [r for r in resolved if re.fullmatch(r"papers/[a-z0-9-]+", r)], (page, resolved)
        assert 7 <= len(set(hrefs)) <= nav_entries, (page, hrefs)


def test_machine_written_sections_show_a_note_with_model_and_date(built):
    html = html_of(built, f"papers/{MACHINE_SLUG}")
    day = MACHINE_DATE.isoformat()  # kept on one line on a phone
    assert html.count(f'Machine-written by {MACHINE_MODEL} on <time datetime="{day}" style="white-space:nowrap">{day}</time>') == 3
    assert 'class="pkb-badge pkb-priority pkb-priority--high"' in html
    assert "<summary>and 3 more</summary>" in html


def test_hostile_page_cannot_run_script_in_the_built_site(built):
    html = html_of(built, f"papers/{HOSTILE_SLUG}")
    elements = Elements(html)
    assert "window.__pwned = 3" in elements.text  # shown as text ...
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)  # ... never run
    assert scripts and not [s for s in scripts if "__pwned" in s]
    assert not [attrs for _, attrs in elements.tags if "onerror" in attrs or (attrs.get("href") or "").startswith("javascript")]
    assert not [name for name, _ in elements.tags if name in ("think", "img")]
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "&lt;/title&gt;&lt;script&gt;" in title


def test_search_is_pagefinds_index_of_the_papers_topics_and_labs_not_the_listings(built):
    assert not (built["site"] / "search").exists()  # Material's index, fetched whole by a reader's first search
    entry = json.loads((built["site"] / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    vocab = built["vocab"]
    records = len(built["pages"]) + len(vocab.topics) + len(vocab.labs)  # no index page, no digest
    assert entry["languages"]["en"]["page_count"] == records
    logged = re.search(r"paperkb: search index of (\d+) record\(s\) written", built["result"].stderr)
    assert logged and int(logged.group(1)) == records, built["result"].stderr[-2000:]
    extra = json.loads((built["site"] / "pagefind" / "paperkb.json").read_text("utf-8"))
    assert extra["labels"]["topic"]["reasoning"] == "Reasoning"  # what the browse view shows for a topic id
    # What each record holds is tests/test_search.py's (its records, and the bundle through Pagefind's JS API)


def test_every_page_has_the_header_search_box_and_its_script(built):
    for path in ("", "papers", f"papers/{MACHINE_SLUG}", "topics/reasoning"):
        html = html_of(built, path)
        assert html.count('<template id="pkb-search-template">') == 1, path
        assert re.search(r'<script src="(\.\./)*assets/javascripts/paperkb-search\.js"></script>', html), path
        assert 'data-md-component="search"' not in html  # Material's own search would mount there and fetch its index
    assert (built["site"] / "assets" / "javascripts" / "paperkb-search.js").is_file()


def test_a_paper_page_has_its_title_as_its_only_h1(built):
    html = html_of(built, f"papers/{MACHINE_SLUG}")
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", html, re.S) == ["Machine-Written Example: A Page the Model Filled"]
    hostile = re.findall(r"<h1\b[^>]*>(.*?)</h1>", html_of(built, f"papers/{HOSTILE_SLUG}"), re.S)
    assert len(hostile) == 1 and "<script>" not in hostile[0] and "&lt;/title&gt;&lt;script&gt;" in hostile[0]


def test_a_body_keeps_its_first_line_its_h1s_become_sections_and_cite_anchors_resolve(built):
    html = html_of(built, f"papers/{EDGE_SLUG}")
    assert "Note: this first line is text, not metadata." in html  # not eaten as MultiMarkdown metadata
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", html, re.S) == ["Edge Example: A Page That Starts Oddly"]
    assert re.search(r"<h2[^>]*>Shouting", html) and re.search(r"<h2[^>]*>Raw heading</h2>", html)
    assert 'href="#cite"' in html and 'href="../deepseek-r1/#cite"' in html  # and the strict build passed
    toc = html.split("md-sidebar--secondary", 1)[1].split("</nav>", 1)[0]  # the demoted h1 is a section there too
    assert re.findall(r'href="#([^"]+)"', toc) == ["summary", "shouting", "key-insights", "why-it-matters"]


def test_every_paper_page_is_rendered_from_the_parse_the_indexes_used(built):
    """Parse once: MkDocs renders each paper page from gen-files' parse (on_files), never reading it again."""
    summary = re.search(r"paperkb: (\d+) paper page\(s\) rendered from the shared parse, (\d+) read again", built["result"].stderr)
    assert summary, built["result"].stderr[-2000:]
    assert tuple(map(int, summary.groups())) == (len(built["pages"]), 0)


def test_the_template_memo_was_taken(built):
    """The build the other tests look at reused theme fragments (else the byte-for-byte comparison below would
    compare a build with itself)."""
    reused = re.search(r"paperkb: theme fragments reused (\d+) time", built["result"].stderr)
    assert reused, built["result"].stderr[-2000:]
    assert int(reused.group(1)) > 5 * len(built["pages"])


def test_the_template_memo_changes_no_byte(built, tmp_path):
    """The hook renders the theme's sidebar, search box, palette, footer, style and script tags once per folder
    of pages outside the nav (the {% memo %} tag of paperkb.publish.template_memo, added in on_env). Without it,
    every HTML file of the site must be exactly the same."""
    plain = tmp_path / "site"
    result = mkdocs_build(built["root"], site_dir=plain, env={"PAPERKB_TEMPLATE_MEMO": "0"})
    assert result.returncode == 0, result.stderr[-4000:]
    assert "theme fragments reused" not in result.stderr
    suffixes = (".html", ".xml", ".json")

    def compared(site: Path) -> list[Path]:
        # Not the search bundle: no template renders it, and pagefind 1.5.2 writes its list of filters in hash
        # order, a different pagefind-entry.json each build (fixed upstream after 1.5.2, Pagefind PR 1124)
        return sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file() and p.suffix in suffixes and p.relative_to(site).parts[0] != "pagefind")

    files = compared(plain)
    assert len(files) > 80 and files == compared(built["site"])
    differing = [str(p) for p in files if (plain / p).read_bytes() != (built["site"] / p).read_bytes()]
    assert not differing, differing[:10]


def test_no_repository_widget_calls_a_third_party(built):
    html = html_of(built, "papers/deepseek-r1")
    assert 'data-md-component="source"' not in html  # Material's widget fetches stars and forks from api.github.com


def test_edit_buttons_lead_to_the_source_file(built):
    repo = "https://github.com/paperkb/paperkb/edit/main/content/"
    assert f'href="{repo}papers/deepseek-r1.md"' in html_of(built, "papers/deepseek-r1")
    assert f'href="{repo}topics.yml"' in html_of(built, "topics/reasoning")
    assert f'href="{repo}labs.yml"' in html_of(built, "labs/deepseek")
    assert "/edit/" not in html_of(built, "status")  # computed from the papers: nothing to edit there


def test_the_site_loads_no_fonts_from_the_network(built):
    for page in ("", "papers/deepseek-r1"):
        html = (built["site"] / page / "index.html").read_text("utf-8")
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


def test_a_page_that_does_not_parse_fails_the_strict_build_naming_it(tmp_path: Path):
    root = copy_knowledge_base(tmp_path / "kb")
    (root / "content" / "papers" / "broken.md").write_text("---\ntitle: A: B\nstatus: todo\n---\n\n## Summary\n\nx\n", "utf-8")
    for strict in (True, False):  # not even a lenient build (or `mkdocs serve`) publishes it
        result = mkdocs_build(root, strict=strict)
        assert result.returncode != 0
        assert re.search(r"papers/broken\.md:2: invalid YAML", result.stderr), result.stderr[-2000:]
        assert "Traceback" not in result.stderr


THEME_KEYS_PAGE = """---
title: 'Theme Keys: A Page That Tries to Drive the Theme'
arxiv: '2511.00004'
topics: [reasoning]
status: todo
template: redirect.html
location: 'javascript:window.__pwned=1'
author: '<script>window.__pwned=2</script>'
hide: [toc, navigation]
description: '"><script>window.__pwned=3</script>'
---

## Summary

Text.
"""


def test_front_matter_cannot_drive_the_theme(tmp_path: Path):
    """template/location/author/hide are the knowledge base's words, not the theme's: the page renders as a paper
    page, and the values that do reach the theme (title, description, tags) arrive as escaped text."""
    root = copy_knowledge_base(tmp_path / "kb")
    (root / "content" / "papers" / "theme-keys.md").write_text(THEME_KEYS_PAGE, "utf-8")
    topics = root / "content" / "topics.yml"
    topics.write_text(topics.read_text("utf-8").replace("title: Reasoning\n", "title: 'Reasoning <img src=x onerror=window.__pwned=4>'\n", 1), "utf-8")
    result = mkdocs_build(root, strict=False)
    assert result.returncode == 0, result.stderr[-4000:]
    html = (root / "site" / "papers" / "theme-keys" / "index.html").read_text("utf-8")
    assert 'http-equiv="refresh"' not in html and "window.location" not in html  # not Material's redirect template
    assert "Theme Keys: A Page That Tries to Drive the Theme</h1>" in html and "md-sidebar--secondary" in html
    assert "<script>window.__pwned" not in html and '<meta name="author"' not in html
    assert 'content="&#34;&gt;&lt;script&gt;' in html or 'content="&quot;&gt;&lt;script&gt;' in html  # the description, escaped
    assert "<img src=x" not in html.replace("&lt;img src=x", "")


def test_a_sync_record_that_does_not_read_fails_the_strict_build_naming_it(tmp_path: Path):
    root = copy_knowledge_base(tmp_path / "kb")
    (root / "content" / "syncs").mkdir(exist_ok=True)
    (root / "content" / "syncs" / "2026-11-21.yml").write_text("date: 2026-11-21\nwindow: nope\n", "utf-8")
    result = mkdocs_build(root)
    assert result.returncode != 0
    assert "syncs/2026-11-21.yml:1: error: 'window' must be" in result.stderr, result.stderr[-2000:]
