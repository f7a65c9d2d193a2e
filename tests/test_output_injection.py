"""Injection into what the site publishes beyond its pages (issue 10, item 8): hostile pages (tests/support/
hostile_pages.py: every vector in title, authors, labs, topics, abstract, each section, url, doi, primary category)
built into papers.bib, the Atom feeds, the Markdown digests (site and `paperkb digest`) and the e-mail digest, and
each output read back by its own third-party reader: bibtexparser 2 and pybtex (entry count, keys, fields),
feedparser and ElementTree (entries, links, control characters), Python-Markdown (link targets, elements) and
html.parser (tags, handlers, links). Nothing may come out but our entries, our links and inert text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import bibtexparser
import feedparser
import markdown
import pytest
from hypothesis import given, settings, strategies as st
from pybtex.database import parse_string as pybtex_parse

import paperkb.check as check
from paperkb.cli.main import main
from paperkb.model import config, facts, paths, syncs
from paperkb.model.links import links_of
from paperkb.model.pages import load_page, parse_page, render_new_page, set_section, write_page
from paperkb.model.site_input import load_site_input
from paperkb.publish import bibtex, digest, feeds
from paperkb.publish.markup import rebase_links
from tests.support.golden import to_html
from tests.support.hostile_pages import LINK_VECTORS, URL_VECTORS, VECTORS, browser_url, hostile_pages, runs_script, sync_record

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "research_sync"
SITE_URL = "https://kb.example.org/research/"
TODAY = dt.date(2026, 11, 22)
OUR_FIELDS = {"title", "author", "year", "eprint", "archivePrefix", "primaryClass", "howpublished", "note", "url", "doi"}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory) -> Path:
    """The research-sync fixture plus one hostile page per vector and a sync record that added the arXiv ones."""
    root = tmp_path_factory.mktemp("hostile") / "kb"
    shutil.copytree(FIXTURE, root)
    ids = hostile_pages(root / "content" / "papers")
    (root / "content" / "syncs" / "2026-11-21.yml").write_text(sync_record(ids), "utf-8")
    return root


def site_input(root: Path, site_url: str = SITE_URL):
    return dataclasses.replace(load_site_input(config.load(root), site_url), today=TODAY)


def hostile_site(root: Path, site_url: str = SITE_URL):
    site = site_input(root, site_url)
    assert sum(p.slug.startswith("hostile-") for p in site.pages) == len(VECTORS), "every hostile page reads"
    return site


# -- BibTeX -------------------------------------------------------------------------------------------------------
def read_both(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The keys bibtexparser 2 reads (line-based: it splits at a line-leading '@') and the entries pybtex reads
    (brace-counting, as BibTeX does); both must agree and neither may see anything but entries."""
    assert not CONTROL.search(text.replace("\n", "")), "no control character but the line breaks between fields"
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks][:3]
    assert {type(b).__name__ for b in library.blocks} <= {"Entry"}, "no @string, @preamble or @comment block"
    data = pybtex_parse(text, "bibtex")  # strict mode: raises on a syntax error or a repeated key
    pybtex_entries = {key: dict(entry.fields) for key, entry in data.entries.items()}
    assert [e.key for e in library.entries] == list(pybtex_entries)
    for entry in library.entries:
        assert {f.key for f in entry.fields} <= OUR_FIELDS, entry.key
        assert set(pybtex_entries[entry.key]) | set(data.entries[entry.key].persons) <= OUR_FIELDS
    return [e.key for e in library.entries], pybtex_entries


def test_papers_bib_holds_exactly_one_entry_per_page_whatever_the_pages_hold(hostile_root: Path):
    site = hostile_site(hostile_root)
    files = bibtex.generate(site)
    keys = bibtex.keys_for_site(site)
    read, entries = read_both(files[paths.ALL_PAPERS_BIB])
    assert sorted(read) == sorted(keys.values()) and len(read) == len(site.pages)
    assert all(re.fullmatch(r"[a-z0-9]+", key) for key in read)
    for key, fields in entries.items():
        url = fields.get("url")
        assert url is None or (facts.is_web_url(url) and not runs_script(url)), (key, url)
    by_slug = {p.slug: p for p in site.pages}
    for slug, key in keys.items():  # a url the rule refuses is left out, a valid one is kept
        page = by_slug[slug]
        expected = facts.paper_source_url(page)
        assert entries[key].get("url") == (bibtex._escape_url(expected) if expected else None), slug
    for topic_id in site.vocab.topics:
        read_both(files[paths.topic_bib_path(topic_id)])
    assert "evil2025" not in read and "tail" not in read


def test_a_url_with_a_line_break_no_longer_adds_an_entry():
    """The issue's case: bibtexparser 2 read an attacker-chosen entry out of a `url:` holding a newline."""
    page = parse_page(
        Path("papers/x.md"),
        render_new_page({"title": "T", "url": 'https://example.org/\n@misc(evil2025, title="Injected")\n', "authors": ["A B"], "status": "todo"}),
    )
    text = bibtex.format_bibliography([page], bibtex.assign_keys([page]))
    keys, entries = read_both(text)
    assert keys == ["bndt"] and "url" not in entries["bndt"]


def test_a_file_name_cannot_put_anything_into_a_key():
    page = parse_page(Path("papers/x},@misc{evil.md"), render_new_page({"title": "漢字", "status": "todo"}))
    key = bibtex.base_key(page)
    assert key == "anonndxmiscevil"
    assert read_both(bibtex.format_entry(page, key))[0] == [key]


ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list('@{}\\\n\r%#"(),=')), max_size=40)
BLANK_PAGE = parse_page(Path("papers/x.md"), "---\ntitle: x\n---\n")


@settings(max_examples=80, deadline=None)
@given(title=ANY_TEXT, author=ANY_TEXT, doi=ANY_TEXT, primary=ANY_TEXT, url=ANY_TEXT, slug=ANY_TEXT)
def test_any_text_in_any_field_stays_inside_its_one_entry(title, author, doi, primary, url, slug):
    meta = {"title": title, "authors": [author, "Ada Lovelace"], "doi": doi, "primary_category": primary, "published": dt.date(2025, 1, 20), "status": "todo"}
    for source in ({"arxiv": "2501.12948"}, {"url": "https://example.org/" + url}):
        page = dataclasses.replace(BLANK_PAGE, path=Path("papers") / (slug.replace("/", "") + "x.md"), meta={**meta, **source})
        key = bibtex.base_key(page)
        keys, entries = read_both(bibtex.format_entry(page, key))
        assert keys == [key]
        written = entries[key].get("url")
        assert written == bibtex._escape_url(facts.paper_source_url(page) or "") or (written is None and facts.paper_source_url(page) is None)


# -- Atom -----------------------------------------------------------------------------------------------------------
class Audit(HTMLParser):
    """Tags, event handlers and link targets of an HTML document or fragment, attribute values decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction", "xlink:href", "data", "srcset"):
                self.urls.append(value or "")


def audit(fragment: str) -> Audit:
    found = Audit()
    found.feed(fragment)
    found.close()
    return found


def _site_or_arxiv(href: str, site_url: str) -> bool:
    return href.startswith("https://arxiv.org/abs/") or bool(site_url and href.startswith(site_url))


@pytest.mark.parametrize("site_url", [SITE_URL, ""])
def test_feeds_of_hostile_pages_hold_only_text_and_links_to_arxiv_or_the_site(hostile_root: Path, site_url: str):
    site = hostile_site(hostile_root, site_url)
    pages = [p for p in site.pages if p.slug.startswith("hostile-")]
    chunks = [pages[i : i + feeds.MAX_ENTRIES] for i in range(0, len(pages), feeds.MAX_ENTRIES)]
    seen = 0
    for chunk in chunks:
        document = feeds.build_feed(
            chunk,
            feed_path=paths.ALL_PAPERS_FEED,
            title="t <b>",
            subtitle="s\x01",
            site_url=site_url,
            alternate_path=paths.ALL_PAPERS,
            topics=site.vocab.topics,
            today=TODAY,
        )
        assert not CONTROL.search(document), CONTROL.search(document)
        parsed = feedparser.parse(document)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(chunk)
        root = ET.fromstring(document.encode("utf-8"))
        links = [(link.get("rel"), link.get("href", "")) for link in root.iter("{http://www.w3.org/2005/Atom}link")]
        # a page's own links (front matter `links:`) are related links: any address, as long as it is a web one
        assert links and all((_site_or_arxiv(href, site_url) or rel == "related") and facts.is_web_url(href) for rel, href in links), links
        for entry in root.iter("{http://www.w3.org/2005/Atom}entry"):
            entry_id = entry.findtext("{http://www.w3.org/2005/Atom}id") or ""
            assert entry_id.startswith("tag:paperkb") or facts.is_web_url(entry_id), entry_id
            has_alternate = any(link.get("rel") == "alternate" for link in entry.iter("{http://www.w3.org/2005/Atom}link"))
            assert has_alternate or entry.find("{http://www.w3.org/2005/Atom}content") is not None  # RFC 4287 4.1.1
            content = entry.findtext("{http://www.w3.org/2005/Atom}content")
            if content and entry.find("{http://www.w3.org/2005/Atom}content").get("type") == "html":
                found = audit(content)
                assert found.handlers == [] and not {"script", "img", "iframe", "svg", "math", "object", "embed", "form", "style"} & set(found.tags)
                # besides the site and arXiv, only the addresses of the page's own links (`links:`), as checked
                own = {unquote(item.url) for page in chunk for item in links_of(page) if item.url}
                assert all(_site_or_arxiv(url, site_url) or (unquote(url) in own and facts.is_web_url(url)) for url in found.urls), found.urls
        by_title = {e.title: e for e in parsed.entries}
        for page in chunk:  # the title arrives whole, as text (one line, control characters gone)
            title = " ".join(CONTROL.sub("", str(page.meta["title"])).split())
            assert title in by_title, title
            seen += 1
    assert seen == len(pages)


def test_a_page_url_is_the_entry_id_never_a_link():
    page = parse_page(
        Path("papers/blog.md"), render_new_page({"title": "A blog post", "url": "https://blog.example/post", "added": dt.date(2026, 1, 2), "status": "todo"})
    )
    for site_url, expected_id in ((SITE_URL, "https://blog.example/post"), ("", "tag:paperkb,2026:papers/blog")):
        entry = feedparser.parse(
            feeds.build_feed([page], feed_path="f.xml", title="t", subtitle="s", site_url=site_url, alternate_path="p.md", topics={}, today=TODAY)
        ).entries[0]
        assert entry.id == expected_id  # without a link of its own, feedparser would take a URL id for the link
        assert all("blog.example" not in link.href for link in entry.get("links", [])) and "blog.example" not in entry.get("link", "")
    spaced = parse_page(Path("papers/a b.md"), render_new_page({"title": "x", "added": dt.date(2026, 1, 2), "status": "todo"}))
    document = feeds.build_feed([spaced], feed_path="f.xml", title="t", subtitle="s", site_url=SITE_URL, alternate_path="p.md", topics={}, today=TODAY)
    assert "a b/" not in document and feedparser.parse(document).entries[0].id == "tag:paperkb,2026:papers/a%20b"
    hostile = parse_page(
        Path("papers/js.md"), render_new_page({"title": "x", "url": "javascript:window.__pwned=1", "added": dt.date(2026, 1, 2), "status": "todo"})
    )
    assert feeds.entry_id(hostile, "") == ""  # not a URL the rule accepts: the caller's tag: id instead


# -- Markdown digests -------------------------------------------------------------------------------------------------
MARKDOWN_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "img", "ul", "ol", "li", "em", "strong", "code", "pre", "blockquote", "hr", "br"}


def assert_inert_markdown(text: str) -> Audit:
    """``text`` rendered by Python-Markdown with no extension (what any Markdown reader does at the least) and with
    the site's extensions: no script URL in either, and plain rendering makes no element Markdown itself does not."""
    plain = audit(markdown.markdown(text))
    assert not [u for u in plain.urls if runs_script(u)], [u for u in plain.urls if runs_script(u)][:5]
    assert plain.handlers == [] and set(plain.tags) <= MARKDOWN_TAGS, (plain.handlers[:3], set(plain.tags) - MARKDOWN_TAGS)
    site = audit(to_html(text))  # attr_list handlers are the site hook's to drop (tests/test_digest.py); URLs are ours
    assert not [u for u in site.urls if runs_script(u)], [u for u in site.urls if runs_script(u)][:5]
    return plain


def test_site_digests_of_hostile_pages_are_inert_markdown(hostile_root: Path):
    files = digest.generate(hostile_site(hostile_root), top=500)
    sync = files["digests/2026-11-21.md"]
    assert sync.count("\n## ") >= len(VECTORS) // 2  # the hostile pages are there in full
    added = len(range(0, len(VECTORS), 2))  # the pages with an arXiv ID
    assert f"**Sync:** found {added}, added {added}, already present 0" in sync
    for text in files.values():
        assert_inert_markdown(text)
    assert sum("(#" in text for text in files.values()) >= 2, "unsafe section links are kept as inert fragments"


@pytest.mark.parametrize("with_site_url", [True, False])
def test_paperkb_digest_markdown_of_hostile_pages_is_inert(capsys, hostile_root: Path, with_site_url: bool, tmp_path: Path):
    root = hostile_root
    if not with_site_url:
        root = tmp_path / "kb"
        shutil.copytree(hostile_root, root)
        (root / "mkdocs.yml").write_text("site_name: No URL\n", "utf-8")
    code = main(["--root", str(root), "digest", "--sync", "2026-11-21", "--top", "500"])
    out, err = capsys.readouterr()
    assert code == 0, err
    found = assert_inert_markdown(out)
    outside = [u for u in found.urls if not u.startswith(("#", "https://arxiv.org/", SITE_URL, "https://example.org/", "https://evil.example/"))]
    assert outside == [], outside[:5]


def test_a_url_cannot_end_its_markdown_link_and_start_another():
    page = parse_page(
        Path("papers/u.md"), render_new_page({"title": "U", "url": "https://example.org/a)[x](javascript:window.__pwned=1)", "added": TODAY, "status": "todo"})
    )
    text = digest.render_markdown(digest.digest_for_window([page], None, None), digest.ExternalLinks(""))
    anchors = re.findall(r'<a href="([^"]*)"', markdown.markdown(text))
    assert anchors == ["https://example.org/a)[x](javascript:window.__pwned=1)"] * 2  # title and Link row: one link each


SAFE_LINKS = [
    ("[a](https://example.org/a:b)", "https://example.org/a:b"),
    ("[m](mailto:someone@example.org)", "mailto:someone@example.org"),
    ("[r](deepseek-r1.md#method)", "deepseek-r1.md#method"),
    ("[f](#results)", "#results"),
    ("[p](//cdn.example.org/x)", "//cdn.example.org/x"),
]


@pytest.mark.parametrize("vector", LINK_VECTORS)
def test_every_unsafe_link_form_in_a_section_is_made_inert(vector: str):
    text = rebase_links(vector, "papers/x.md", lambda path, fragment: None)
    hrefs = audit(markdown.markdown(text)).urls
    assert not [h for h in hrefs if runs_script(h)], (text, hrefs)


@pytest.mark.parametrize("source, href", SAFE_LINKS)
def test_safe_links_are_left_as_written(source: str, href: str):
    assert rebase_links(source, "papers/x.md", lambda path, fragment: None) == source
    assert audit(markdown.markdown(source)).urls == [href]


def test_prose_that_looks_like_a_scheme_is_left_alone():
    prose = "Training data: 14.8T tokens; see [the method](deepseek-r1.md) and note: javascript: is a scheme."
    assert rebase_links(prose, "papers/x.md", lambda path, fragment: None) == prose


@pytest.mark.parametrize("text", ["\n" * 1_000_000, "](" * 500_000, "](javascript&#58;" * 60_000, "\n[x]:" * 200_000, "[" * 1_000_000])
def test_link_rewriting_is_linear_on_a_megabyte(text: str):
    """A '\\s*' crossing lines at every line start once made 100,000 blank lines take 13 s (quadratic)."""
    start = time.perf_counter()
    rebase_links(text, "papers/x.md", lambda path, fragment: "y.md")
    assert time.perf_counter() - start < 8


# -- e-mail -----------------------------------------------------------------------------------------------------------
def test_email_digest_of_hostile_pages_runs_nothing_and_links_only_papers_and_arxiv(capsys, hostile_root: Path):
    code = main(["--root", str(hostile_root), "digest", "--sync", "2026-11-21", "--top", "500", "--format", "html"])
    out, err = capsys.readouterr()
    assert code == 0, err
    found = audit(out)
    assert found.handlers == []
    assert not {"script", "img", "iframe", "svg", "math", "object", "embed", "form", "style", "link", "base"} & set(found.tags)
    assert found.urls and all(u.startswith(("https://arxiv.org/abs/", SITE_URL + "papers/")) for u in found.urls), [
        u for u in found.urls if not u.startswith(("https://arxiv.org/abs/", SITE_URL + "papers/"))
    ][:5]
    assert all(facts.is_web_url(u) for u in found.urls), [u for u in found.urls if not facts.is_web_url(u)]
    assert "window.__pwned" in out  # the words are there, as text


# -- sync record counts ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "counts",
    [
        '{found: "<img src=x onerror=window.__pwned=1>", added: 1, already_present: 0}',
        "{found: 1, added: -1, already_present: 0}",
        "{found: 1, added: 1, already_present: true}",
        "{found: 1.5, added: 1, already_present: 0}",
        "{found: [1], added: 1, already_present: 0}",
    ],
)
def test_sync_counts_must_be_whole_numbers(tmp_path: Path, counts: str):
    record = tmp_path / "2026-11-21.yml"
    record.write_text(sync_record(["2501.12948"]).replace("counts: {found: 1, added: 1, already_present: 0}", f"counts: {counts}"), "utf-8")
    records, errors = syncs.load_sync_records(tmp_path)
    assert records == [] and len(errors) == 1
    assert errors[0].report_line() == (
        f"{record}:1: error: 'counts' must be a mapping {{found, added, already_present}} of whole numbers ≥ 0 "
        "(digests print them as they are); see the sync record format in the README"
    )


def test_a_digest_prints_only_whole_counts_whatever_record_it_is_given():
    record = {
        "date": TODAY,
        "window": {"since": TODAY, "until": TODAY},
        "added": [],
        "counts": {"found": "<script>window.__pwned=1</script>", "added": 2, "already_present": True, "x": "y"},
    }
    built = digest.digest_for_sync([], record)
    assert digest.counts_line(built) == "added 2"


# -- the url rule in check -----------------------------------------------------------------------------------------------
# Odd but single-line http(s) URLs: every writer escapes them for its format (the tests above)
ODD_BUT_VALID = [
    "https://example.org/a)[x](javascript:window.__pwned=1)",
    "https://example.org/a>[x](javascript:window.__pwned=1)",
    'https://example.org/"onmouseover="window.__pwned=1',
]


@pytest.mark.parametrize("url", [u for u in URL_VECTORS if u not in ODD_BUT_VALID] + ["https://example.org/a b"])
def test_check_reports_a_url_that_is_not_one_clean_http_url_with_its_line(tmp_path: Path, url: str):
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    path = root / "content" / "papers" / "blog-post.md"
    path.write_text(render_new_page({"title": "A blog post", "url": url, "status": "todo"}), "utf-8")
    problems = [p for p in check.check_pages(config.load(root), [path]) if "'url'" in p.message]
    line = next(n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if text.startswith("url:"))
    assert [(p.line, p.message) for p in problems] == [
        (line, ("'url' must be one http(s) URL on one line, with no space, line break or control character; percent-encode a space as %20"))
    ]


def test_check_accepts_a_clean_url(tmp_path: Path):
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    path = root / "content" / "papers" / "blog-post.md"
    path.write_text(render_new_page({"title": "A blog post", "url": "https://例え.jp/a_(b)?q=1#x", "status": "todo"}), "utf-8")
    assert [p for p in check.check_pages(config.load(root), [path]) if "'url'" in p.message] == []


def test_url_of_is_the_one_rule_for_every_reader():
    assert [u for u in URL_VECTORS if facts.is_web_url(u)] == ODD_BUT_VALID
    page = parse_page(Path("papers/x.md"), render_new_page({"title": "x", "url": URL_VECTORS[0], "status": "todo"}))
    assert facts.url_of(page) is None and facts.paper_source_url(page) is None


def test_hostile_section_in_a_real_page_file(tmp_path: Path):
    """The same link neutralising on a page read from disk, through the site digest (SiteLinks)."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    page = load_page(root / "content" / "papers" / "deepseek-v3.md")
    write_page(page, set_section(page, "Summary", "\n\n".join(LINK_VECTORS)))
    text = digest.generate(site_input(root))["digests/2026-11-22.md"]
    assert_inert_markdown(text)
    assert browser_url("&#106;avascript:x") == "javascript:x"  # the helper decodes as a browser does
