"""The generated index pages (paperkb.indexes): golden files, ordering, status board, escaping, links.

Golden files live in tests/golden/kb (see tests/support/golden.py). After an intended change, rewrite
them with ``PAPERKB_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_indexes.py tests/test_render.py``
and review ``git diff tests/golden`` before committing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import posixpath
import random
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings, strategies as st

from paperkb.check import check_pages
from paperkb.model import config, paths
from paperkb.model.pages import as_date, dump_key, parse_page, render_new_page
from paperkb.publish.indexes import Bounds, index_files
from paperkb.publish.markup import RAW_END, RAW_START, restore_raw_html, stash_raw_html
from paperkb.publish.site import SiteInput
from tests.support.golden import Elements, check_golden, golden_site, to_html


def page_html(files: dict[str, str], path: str) -> str:
    return to_html(files[path])


def rows_of(html: str) -> list[list[str]]:
    """The body rows of the first table: per row, the hrefs of its links (or its text)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r'href="([^"]*)"', row) for row in body.split("</tr>") if "<td" in row]


def slugs_in_order(html: str) -> list[str]:
    return re.findall(r'href="(?:\.\./)*papers/([a-z0-9-]+)/"', html)


# -- golden -------------------------------------------------------------------------------------------------------
def test_index_pages_match_their_golden_files():
    check_golden(index_files(golden_site()), "indexes")


def test_writes_exactly_the_paths_paperkb_check_accepts_as_link_targets():
    site = golden_site()
    produced = set(index_files(site))
    accepted = paths.generated_paths(site.vocab.topics, [lab.name for lab in site.vocab.labs.values()])
    assert [p for p in produced if p not in accepted] == []  # archive pages (browse/…) are accepted by their shape
    others = accepted - produced  # what other stages generate (digests, feeds, BibTeX)
    assert not [p for p in others if p.endswith(".md") and (p.startswith(("topics/", "labs/", "priorities/", "papers/")) or "/" not in p)]
    assert {"topics/safety.md", "labs/empty-lab.md", "priorities/unrated.md", "status.md", "timeline.md"} <= produced


def test_output_is_deterministic_whatever_the_page_order_or_the_day():
    site = golden_site()
    shuffled = list(site.pages)
    random.Random(7).shuffle(shuffled)
    other = dataclasses.replace(site, pages=shuffled, today=dt.date(2030, 1, 1))
    assert index_files(other) == index_files(site)


SMALL = Bounds(listed=2, home=1, archive=2)  # small enough for the six golden pages to need every kind of page


def test_bounded_pages_match_their_golden_files():
    """Lists cut at their bound, a year split into month pages and a month into parts (2024-12 has 3 papers)."""
    check_golden(index_files(golden_site(), SMALL), "indexes-bounded")


# -- ordering -----------------------------------------------------------------------------------------------------
def test_topic_page_lists_its_papers_newest_first():
    site = golden_site()
    html = page_html(index_files(site), "topics/reasoning.md")
    tagged = [p for p in site.pages if "reasoning" in p.meta.get("topics", [])]
    expected = [p.slug for p in sorted(tagged, key=lambda p: p.meta["published"], reverse=True)]
    assert len(expected) == 4
    assert slugs_in_order(html) == expected
    assert "Models that think before they answer" in html  # the description comes first


def test_undated_papers_come_last_and_get_their_own_timeline_section():
    files = index_files(golden_site())
    assert slugs_in_order(page_html(files, "papers/index.md"))[-1] == "undated"
    timeline = page_html(files, "timeline.md")
    months = re.findall(r'<h2 id="([^"]+)"', timeline)
    assert months == ["2025-01", "2024-12", "2023-06", "undated", "months"]
    assert slugs_in_order(timeline.split('id="2024-12"')[1].split("<h2")[0]) == ["edited-summary", "reviewed-paper", "hostile-title"]


def test_latest_additions_order_by_added_then_published():
    site = golden_site()
    home = page_html(index_files(site), "index.md")
    latest = home.split('id="latest-additions"')[1]

    def key(page):
        added, published = as_date(page.meta.get("added")), as_date(page.meta.get("published"))
        return (added or dt.date.min, published or dt.date.min)

    expected = [p.slug for p in sorted(site.pages, key=key, reverse=True)]
    assert slugs_in_order(latest) == expected
    assert expected[:2] == ["reasoning-rl", "edited-summary"]  # same 'added' day: the newer paper first


# -- labs, topics, priorities -------------------------------------------------------------------------------------
def test_lab_pages_resolve_aliases_and_unknown_labs_stay_plain_text():
    files = index_files(golden_site())
    example = page_html(files, "labs/example-lab.md")
    assert set(slugs_in_order(example)) == {"edited-summary", "not-on-arxiv", "reviewed-paper"}  # 'ExLab' is an alias
    assert 'href="https://example.org/lab_(research)"' in example
    assert "No papers yet" in page_html(files, "labs/empty-lab.md")
    all_papers = page_html(files, "papers/index.md")
    assert "Mystery Lab" in all_papers and "mystery-lab" not in all_papers
    assert "not-a-topic" in all_papers and "topics/not-a-topic" not in all_papers


def test_each_priority_page_lists_its_papers_and_unrated_collects_the_rest():
    site = golden_site()
    files = index_files(site)
    for name in paths.PRIORITY_PAGES:
        expected = {p.slug for p in site.pages if (p.meta.get("priority") or paths.UNRATED) == name}
        assert set(slugs_in_order(page_html(files, paths.priority_path(name)))) == expected, name
    assert set(slugs_in_order(page_html(files, "priorities/unrated.md"))) == {"hostile-title"}


def test_home_counts_papers_by_status_and_priority():
    site = golden_site()
    home = page_html(index_files(site), "index.md")
    statuses = Counter(p.meta["status"] for p in site.pages)
    for status, label in (("todo", "To do"), ("draft", "Awaiting review"), ("reviewed", "Reviewed")):
        assert re.search(rf">{label}</a></td>\s*<td[^>]*>{statuses[status]}</td>", home), status
    urgent = home.split('id="urgent-papers"')[1].split("<h2")[0]
    assert slugs_in_order(urgent) == ["reasoning-rl"]


def test_status_board_shows_missing_sections_and_drafts_awaiting_review():
    html = page_html(index_files(golden_site()), "status.md")
    todo = html.split('id="todo"')[1].split('id="draft"')[0]
    draft = html.split('id="draft"')[1].split('id="reviewed"')[0]
    # Most urgent first: medium, low, then unrated.
    assert slugs_in_order(todo) == ["undated", "not-on-arxiv", "hostile-title"]
    coins = r"(<span class=\"Z3988\"[^>]*></span>)?"  # a reference manager's COinS after the title
    assert re.search(r"not-on-arxiv/\">A Paper Not on arXiv</a>" + coins + r"</td><td data-label=\"Missing sections\">Key Insights, Why It Matters</td>", todo)
    assert "Summary, Key Insights, Why It Matters" in todo  # the undated page has nothing written
    assert slugs_in_order(draft) == ["reasoning-rl", "edited-summary"]
    assert '<td data-label="Machine-written">Summary, Key Insights</td>' in draft  # still machine-written
    assert "1 paper checked by a person" in html


# -- escaping -----------------------------------------------------------------------------------------------------
def test_hostile_titles_and_names_stay_text_and_keep_the_table_intact():
    site = golden_site()
    html = page_html(index_files(site), "papers/index.md")
    elements = Elements(html)
    assert not {"script", "think", "img"} & elements.names()
    assert "<script>alert(1)</script> | *Bold* [link](x) <think>hm</think> & more" in elements.text
    rows = html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == len(site.pages)
    assert all(row.count("<td ") == 6 for row in html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1])


def test_vocabulary_descriptions_are_escaped_in_markdown_tables():
    html = page_html(index_files(golden_site()), "topics/index.md")
    assert "<b>" not in html and "<em>" not in html
    assert "*with* stars, a | pipe and <b>tags</b> to escape" in Elements(html).text
    assert html.count("<tr>") == 4  # header + three topics: the '|' did not split a row


_SPECIALS = [
    "<script>alert(1)</script>",
    "<think>",
    "|",
    "*",
    "_",
    "[",
    "]",
    "(",
    ")",
    "`",
    "\\",
    "&amp;",
    "&",
    "<!--",
    "-->",
    "#",
    "- ",
    "1. ",
    "~~~",
    "{: .x}",
    "<b>",
    '"',
    "'",
    "\n",
]
_hostile_text = (
    st.lists(
        st.one_of(st.sampled_from(_SPECIALS), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)),
        min_size=1,
        max_size=8,
    )
    .map("".join)
    .filter(lambda s: s.strip())
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(_hostile_text, min_size=1, max_size=4), lab=_hostile_text)
def test_no_title_or_lab_name_can_add_markup_or_break_a_row(titles, lab):
    vocab = golden_site().vocab
    pages = []
    for number, title in enumerate(titles):
        text = render_new_page(
            {"title": title, "arxiv": f"2501.{number:05d}", "labs": [lab], "topics": ["reasoning"], "published": dt.date(2025, 1, 1 + number), "status": "todo"}
        )
        pages.append(parse_page(Path(f"content/papers/p{number}.md"), text))
    files = index_files(SiteInput(pages=pages, vocab=vocab))
    for path in ("papers/index.md", "topics/reasoning.md", "timeline.md", "priorities/unrated.md"):
        elements = Elements(page_html(files, path))
        ids = [div.get("id") for div in elements.named("div") if div.get("id")]
        assert ids in ([], ["pkb-browse"]), path  # the browse view's, only (others wrap tables, without ids)
        assert elements.names() - {"div"} <= {"h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "a", "ul", "li", "em", "code", "span"}, path
        assert all(span.get("class") == "Z3988" for span in elements.named("span")), path  # only the COinS of each row
        links = [a["href"] for a in elements.named("a")]
        assert all(not href.startswith(("javascript", "data")) for href in links)
    table = page_html(files, "papers/index.md").split("<tbody>")[1].split("</tbody>")[0]
    assert table.count("<tr>") == len(titles)
    assert all(row.count("<td ") == 6 for row in table.split("</tr>")[:-1])


# -- links and raw blocks -------------------------------------------------------------------------------------------
def _target(here: str, href: str) -> tuple[list[str], str]:
    """(docs paths it may be, anchor) of a link on page ``here``: Markdown links name docs paths, HTML ones URLs.
    A query (the browse view's filters) is not part of the page."""
    path, _, anchor = href.partition("#")
    path = path.partition("?")[0]
    if path.endswith(".md"):
        return [posixpath.normpath(posixpath.join(posixpath.dirname(here), path))], anchor
    url = posixpath.normpath(posixpath.join(paths.page_url(here) or ".", path)) + "/"
    url = "" if url in ("./", "/") else url
    candidates = [url + "index.md", url[:-1] + ".md"] if url else ["index.md"]
    return candidates, anchor


def test_every_link_of_the_index_pages_leads_to_a_page_and_anchor_that_exist():
    site = golden_site()
    files = index_files(site)
    existing = set(files) | {paths.paper_path(p.slug) for p in site.pages}
    ids = {path: set(re.findall(r'id="([^"]+)"', to_html(text))) for path, text in files.items()}
    checked = 0
    for here, text in files.items():
        for href in re.findall(r'href="([^"]*)"', to_html(text)):
            if href.startswith(("http://", "https://")) or href.startswith("#"):
                continue
            options, anchor = _target(here, href)
            found = [t for t in options if t in existing]
            assert found, f"{here}: {href} leads nowhere ({options})"
            if anchor and found[0] in ids:
                assert anchor in ids[found[0]], f"{here}: {href}: no #{anchor} on {found[0]}"
            checked += 1
    assert checked > 100


def test_raw_blocks_render_the_same_through_markdown_or_through_the_hooks_stash():
    for path, text in index_files(golden_site()).items():
        stashed, blocks = stash_raw_html(text)
        direct = re.sub(r"\s+", " ", to_html(text).replace(RAW_START, "").replace(RAW_END, "")).strip()
        via_stash = re.sub(r"\s+", " ", restore_raw_html(to_html(stashed), blocks)).strip()
        assert via_stash == direct, path
        assert "PAPERKB-RAW" not in via_stash


# -- layout ---------------------------------------------------------------------------------------------------------
def test_page_urls_and_relative_urls_follow_mkdocs_directory_urls():
    assert paths.page_url("index.md") == ""
    assert paths.page_url("topics/index.md") == "topics/"
    assert paths.page_url("topics/reasoning.md") == "topics/reasoning/"
    assert paths.page_url("status.md#todo") == "status/#todo"
    assert paths.relative_url("papers/x.md", "topics/a.md") == "../../topics/a/"
    assert paths.relative_url("index.md", "papers/x.md") == "papers/x/"
    assert paths.relative_url("index.md", "index.md") == "./"
    assert paths.relative_url("topics/index.md", "status.md#draft") == "../status/#draft"


# -- bounded pages, the browse view's links and the archive -----------------------------------------------------
def many_papers(count: int, heavy_month: int = 0, undated: int = 0, heavy_pages: bool = False) -> SiteInput:
    """``count`` papers over 2023-2024 (about one a day), ``heavy_month`` more in March 2025, ``undated`` without a
    date; topics, labs, priorities and statuses rotate. ``heavy_pages``: 200 authors and a 116-character title each."""
    vocab = golden_site().vocab
    topics, labs = ["reasoning", "safety", "reinforcement-learning"], ["DeepSeek", "Example Lab"]
    dates = [dt.date(2023, 1, 1) + dt.timedelta(days=i * 730 // max(count, 1)) for i in range(count)]
    dates += [dt.date(2025, 3, 1 + i % 28) for i in range(heavy_month)] + [None] * undated
    # 200 authors a page: dumped once, with a placeholder for the page's number (PyYAML's pure-Python dumper takes
    # about 20 ms for such a list, and this builds up to 2,000 pages)
    authors = dump_key("authors", [f"Author{i} Surname{{number}}" for i in range(200)]) if heavy_pages else ""
    pages = []
    for number, published in enumerate(dates):
        meta = {
            "title": f"Paper {number:05d}",
            "arxiv": f"2501.{number:05d}",
            "labs": [labs[number % 2]],
            "topics": [topics[number % 3]],
            "priority": ["urgent", "high", "medium", "low", None][number % 5],
            "status": ["todo", "draft", "reviewed"][number % 3],
        }
        if published:
            meta["published"] = published
        if heavy_pages:
            meta["title"] = f"Paper {number:05d}: " + "a long title " * 8  # 116 characters: longer than most
        text = render_new_page(meta).replace("---\n", "---\n" + authors.replace("{number}", str(number)), 1)
        pages.append(parse_page(Path(f"content/papers/p{number:05d}.md"), text))
    return SiteInput(pages=pages, vocab=vocab)


def paper_links(markdown: str) -> list[str]:
    return re.findall(r'href="(?:\.\./)*papers/(p\d{5})/"', markdown)


def browse_links(markdown: str) -> list[dict[str, str]]:
    """The query of every link to the browse view (the all-papers page), as a dict."""
    return [dict(parse_qsl(urlsplit(href).query)) for href in re.findall(r"\]\(<([^>]*papers/index\.md\?[^>]*)>\)", markdown)]


def test_no_page_lists_more_papers_than_its_bound_and_the_archive_holds_every_paper_once():
    bounds = Bounds(listed=20, home=5, archive=40)
    site = many_papers(600, heavy_month=100, undated=45)
    files = index_files(site, bounds)
    for path, text in files.items():
        assert len(paper_links(text)) <= max(bounds.listed, bounds.archive), path
    archive = {path: text for path, text in files.items() if path.startswith("browse/")}
    assert all(paths.ARCHIVE_PAGE.match(path) for path in archive)
    listed = Counter(slug for text in archive.values() for slug in paper_links(text))
    assert set(listed) == {p.slug for p in site.pages} and set(listed.values()) == {1}
    # A year longer than the bound is an index of months; March 2025 (100 papers) comes in three parts, linked
    assert paper_links(archive["browse/2024.md"]) == [] and "(<2024-12.md>)" in archive["browse/2024.md"]
    assert {"browse/2025-03.md", "browse/2025-03-p2.md", "browse/2025-03-p3.md"} <= set(archive)
    assert "browse/2025-03-p4.md" not in archive and len(paper_links(archive["browse/2025-03-p3.md"])) == 20
    assert "Pages: [1](<2025-03.md>) · [2](<2025-03-p2.md>) · **3**" in archive["browse/2025-03-p3.md"]
    assert {"browse/undated.md", "browse/undated-p2.md"} <= set(archive)


def test_bounded_lists_say_the_total_and_link_the_browse_view_with_their_filter():
    bounds = Bounds(listed=20, home=5, archive=40)
    site = many_papers(300)
    files = index_files(site, bounds)
    expected = {
        "topics/reasoning.md": ({"topic": "reasoning"}, "100 papers; the 20 newest are listed here"),
        "labs/example-lab.md": ({"lab": "Example Lab"}, "150 papers; the 20 newest are listed here"),
        "priorities/unrated.md": ({"priority": "unrated"}, "60 papers; the 20 newest are listed here"),
        "timeline.md": ({"sort": "newest"}, "300 papers; the 20 newest are listed here"),
        "index.md": ({"priority": "urgent"}, "60 papers; the 5 newest are listed here"),
    }
    for path, (query, sentence) in expected.items():
        assert sentence in files[path], path
        assert query in browse_links(files[path]), path
        assert len(paper_links(files[path].split("## Latest additions")[0])) == (5 if path == "index.md" else 20), path
    status = files["status.md"]
    assert {"status": "todo", "sort": "priority"} in browse_links(status) and {"status": "reviewed"} in browse_links(status)
    assert "100 papers with sections still to write; the 20 most urgent are listed here" in status
    # The lab's name is encoded for a URL; MkDocs keeps the query when it rewrites the link
    assert "(<../papers/index.md?lab=Example%20Lab>)" in files["labs/example-lab.md"]
    assert "(<../papers/index.md?year=2024>)" in files["browse/2024.md"]


def test_links_to_the_browse_view_use_only_its_parameters_and_values_it_knows():
    site = many_papers(120)
    files = index_files(site, Bounds(listed=10, home=3, archive=30))
    vocab = site.vocab
    known = {
        "topic": set(vocab.topics),
        "lab": {lab.name for lab in vocab.labs.values()},
        "priority": set(paths.PRIORITY_PAGES),
        "status": {"todo", "draft", "reviewed"},
        "sort": set(paths.BROWSE_SORTS),
        "year": {"2023", "2024"},
    }
    queries = [query for text in files.values() for query in browse_links(text)]
    assert len(queries) > 20
    for query in queries:
        assert query and all(value in known[name] for name, value in query.items()), query


def test_page_weight_does_not_grow_with_the_number_of_papers():
    """The largest generated page is no bigger with four times the papers (same dates, so the same months)."""

    def largest(count: int) -> int:
        return max(len(to_html(text)) for text in index_files(many_papers(count), Bounds(listed=20, home=5, archive=40)).values())

    small, large = largest(400), largest(1600)
    assert large <= small * 1.05, (small, large)


def test_no_generated_page_nears_100_kb_even_with_long_titles_and_200_authors_a_paper():
    """The budget (issue 11) is 100 KB of HTML a page; the theme adds ~15 KB around the content. Fails when a list
    row carries every author (COinS), or an archive part (200 rows) a ContextObject per paper."""
    files = index_files(many_papers(1500, heavy_month=450, heavy_pages=True))
    largest = max(files, key=lambda path: len(to_html(files[path])))
    assert len(to_html(files[largest])) < 80 * 1024, (largest, len(to_html(files[largest])))


def test_paperkb_check_accepts_links_to_archive_pages_and_the_browse_view_but_not_to_a_made_up_page(tmp_path):
    (tmp_path / "content" / "papers").mkdir(parents=True)
    for name in ("topics.yml", "labs.yml"):
        (tmp_path / "content" / name).write_text((Path(__file__).parent / "golden" / "kb" / "input" / name).read_text("utf-8"), "utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb]\n")
    kb = config.load(tmp_path)
    body = (
        "See [2025](../browse/2025.md), [March](../browse/2025-03-p2.md#top), [undated](../browse/undated.md), "
        "[the browse view](index.md?topic=reasoning&sort=newest) and [nothing](../browse/next-year.md)."
    )
    text = render_new_page({"title": "Links", "arxiv": "2501.00001", "status": "todo", "topics": ["reasoning"]}, {"summary": body})
    (kb.papers_dir / "links.md").write_text(text, "utf-8")
    problems = [p.message for p in check_pages(kb) if p.path.name == "links.md" and "link" in p.message]
    assert len(problems) == 1 and "'../browse/next-year.md', which does not exist" in problems[0], problems
