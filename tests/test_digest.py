"""Research Sync digests: golden files built from fixed pages and sync records, ordering, the one source
of truth, `paperkb digest` (Markdown and e-mail HTML: no script, no external asset, links only to papers
and arXiv), and clear errors.

Regenerate the golden files after a deliberate format change with PAPERKB_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import paperkb.check as check
from paperkb.cli.main import main
from paperkb.model import config, paths, syncs
from paperkb.model.pages import load_page, parse_page, set_section, write_page
from paperkb.model.site_input import load_site_input
from paperkb.publish import digest
from tests.support.golden import Elements

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "research_sync"
GOLDEN = HERE / "golden" / "digest"
TODAY = dt.date(2026, 11, 22)
SITE_URL = "https://kb.example.org/research/"
UPDATE = os.environ.get("PAPERKB_UPDATE_GOLDEN") == "1"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    assert path.exists(), f"{path} missing: run with PAPERKB_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text("utf-8"), f"{name} differs from its golden file (PAPERKB_UPDATE_GOLDEN=1 to accept)"


def site_input(root: Path = FIXTURE):
    return dataclasses.replace(load_site_input(config.load(root), SITE_URL), today=TODAY)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    return root


def run_cli(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), "digest", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- golden files --------------------------------------------------------------------------------------------
SITE_FILES = ["digests/2026-11-15.md", "digests/2026-11-22.md", "digests/weekly.md", "digests/monthly.md", "digests/index.md"]


def test_site_generates_one_digest_per_sync_record_plus_rolling_and_index():
    files = digest.generate(site_input())
    assert sorted(files) == sorted(SITE_FILES)


@pytest.mark.parametrize("path", SITE_FILES)
def test_site_digest_matches_golden(path):
    assert_golden("site/" + path.replace("digests/", ""), digest.generate(site_input())[path])


@pytest.mark.parametrize(
    "name, args",
    [
        ("sync-latest-top2.md", ["--sync", "latest", "--top", "2"]),
        ("window-top2.md", ["--since", "2026-11-16", "--until", "2026-11-22", "--top", "2"]),
        ("window-top2.html", ["--since", "2026-11-16", "--until", "2026-11-22", "--top", "2", "--format", "html"]),
        ("sync-2026-11-22.html", ["--sync", "2026-11-22", "--format", "html"]),
    ],
)
def test_command_output_matches_golden(capsys, name, args):
    code, out, err = run_cli(capsys, FIXTURE, *args)
    assert code == 0, err
    assert_golden("cli/" + name, out)


# -- what a digest contains ----------------------------------------------------------------------------------
def test_sync_digest_holds_exactly_the_papers_the_sync_added():
    site = site_input()
    record = next(r for r in site.syncs if syncs.record_date(r) == dt.date(2026, 11, 22))
    built = digest.digest_for_sync(site.pages, record)
    assert {p.meta["arxiv"] for p in built.papers} == {"2501.12948", "2412.19437", "2412.14093", "2504.07128", "2511.01234"}
    assert built.missing == ["2511.99999"]  # listed by the sync, no page now: reported, not invented
    assert (built.since, built.until) == (dt.date(2026, 11, 15), dt.date(2026, 11, 22))


def test_rolling_windows_count_back_from_today_by_added_date():
    site = site_input()
    weekly = digest.rolling_digest(site.pages, TODAY, 7)
    monthly = digest.rolling_digest(site.pages, TODAY, 30)
    assert weekly.since == dt.date(2026, 11, 16) and monthly.since == dt.date(2026, 10, 24)
    assert "quantization-drop" not in {p.slug for p in weekly.papers}  # added 2026-11-02
    assert "quantization-drop" in {p.slug for p in monthly.papers}
    assert "deepseek-llm" not in {p.slug for p in monthly.papers}  # added 2026-09-01


def test_top_n_in_full_and_the_rest_listed_by_title(capsys):
    code, out, _ = run_cli(capsys, FIXTURE, "--sync", "latest", "--top", "2")
    assert code == 0
    assert "2 of 5 papers shown" in out
    full, _, rest = out.partition("## More papers")
    assert full.count("**Summary:**") == 2
    assert "Alignment Faking in Large Language Models](https://kb.example.org/research/papers/alignment-faking/)" in rest
    assert "**Summary:**" not in rest


def test_todo_pages_show_their_abstract_and_a_pending_mark_escaped(capsys):
    code, out, _ = run_cli(capsys, FIXTURE, "--sync", "latest", "--top", "10")
    assert code == 0
    block = out.split("## [DeepSeek-R1 Thoughtology")[1].split("---")[0]
    assert "**Summary pending**" in block
    assert "Large Reasoning Models like DeepSeek-R1 mark a shift" in block
    assert "<script>" not in out and "&lt;script&gt;" in block  # the abstract cannot inject HTML
    assert "\\*think\\*" in block  # nor Markdown emphasis
    assert "TODO" not in out and "TBD" not in out  # placeholders never reach a reader


def test_a_persons_other_sections_stay_on_the_page():
    text = digest.generate(site_input())["digests/2026-11-22.md"]
    assert "never appear in a digest" not in text  # the ## Notes of deepseek-r1.md


def test_links_inside_sections_are_rebased_for_the_digest_page():
    text = digest.generate(site_input())["digests/2026-11-22.md"]
    assert "[DeepSeek-V3](../papers/deepseek-v3.md#architecture)" in text


def test_digest_reads_the_page_at_build_time(kb: Path):
    """One source of truth: edit a page and the next digest shows the new text, nothing else to update."""
    page = load_page(kb / "content" / "papers" / "alignment-faking.md")
    write_page(page, set_section(page, "Why It Matters", "A sentence a person just rewrote."))
    files = digest.generate(site_input(kb))
    for path in ("digests/2026-11-22.md", "digests/weekly.md"):
        assert "A sentence a person just rewrote." in files[path]
        assert "RLHF alone may not be enough" not in files[path]


def test_empty_window_says_so(capsys):
    code, out, _ = run_cli(capsys, FIXTURE, "--since", "2020-01-01", "--until", "2020-01-31")
    assert code == 0
    assert "**Papers:** 0" in out and "No papers in this window." in out


# -- ordering --------------------------------------------------------------------------------------------------
PRIORITY_VALUES = st.sampled_from(["urgent", "high", "medium", "low", None])
DATES = st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31))


def _page(index: int, priority: str | None, published: dt.date):
    lines = ["---", f"title: Paper {index}", f"published: {published.isoformat()}", "added: 2026-11-20", "status: todo"]
    if priority:
        lines.append(f"priority: {priority}")
    return parse_page(Path(f"p{index:03d}.md"), "\n".join(lines + ["---", ""]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(PRIORITY_VALUES, DATES), min_size=1, max_size=25))
def test_order_is_priority_urgent_first_unrated_last_then_newest(specs):
    pages = [_page(i, priority, published) for i, (priority, published) in enumerate(specs)]
    ordered = digest.order_pages(pages)
    rank = {"urgent": 0, "high": 1, "medium": 2, "low": 3, None: 4}
    keys = [(rank[p.meta.get("priority")], -p.meta["published"].toordinal()) for p in ordered]
    assert keys == sorted(keys)
    assert sorted(p.slug for p in ordered) == sorted(p.slug for p in pages)


# -- e-mail HTML -------------------------------------------------------------------------------------------------
class _Audit(HTMLParser):
    """Collects what matters for a self-contained e-mail: tags, URL-bearing attributes, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.bad_attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            value = value or ""
            if name == "href":
                self.hrefs.append(value)
            elif (
                name.startswith("on")
                or name in ("src", "srcset", "action", "background", "poster", "data", "formaction")
                or (name == "style" and ("url(" in value or "expression(" in value or "@import" in value))
            ):
                self.bad_attrs.append((tag, name, value))

    def handle_data(self, data):
        self.text.append(data)


def audit(document: str) -> _Audit:
    parser = _Audit()
    parser.feed(document)
    parser.close()
    return parser


def _allowed_link(href: str) -> bool:
    return href.startswith("https://arxiv.org/abs/") or href.startswith(SITE_URL + "papers/")


@pytest.fixture
def hostile_kb(kb: Path) -> Path:
    """A filled page whose sections try every way into an e-mail: script, images, styles, foreign links."""
    page = load_page(kb / "content" / "papers" / "deepseek-v3.md")
    text = set_section(
        page,
        "Summary",
        'Pwned <script>alert(1)</script><img src="https://tracker.example/pixel.gif" onerror="x()">\n'
        '<style>body{background:url(https://evil.example/a.png)}</style><iframe src="https://evil.example"></iframe>\n'
        "[a phishing link](https://evil.example/login) and [js](javascript:alert(1)) and "
        "[a sibling paper](deepseek-r1.md) and [the arXiv page](https://arxiv.org/abs/2412.19437) "
        '<a href="https://evil.example/x" onclick="y()">raw</a> <link rel="stylesheet" href="https://evil.example/s.css">',
    )
    write_page(page, text)
    return kb


def test_html_is_self_contained_and_links_only_to_papers_and_arxiv(capsys, hostile_kb: Path):
    code, out, _ = run_cli(capsys, hostile_kb, "--sync", "latest", "--format", "html")
    assert code == 0
    found = audit(out)
    assert out.startswith("<!DOCTYPE html>") and found.tags[0] == "html"
    assert not {"script", "img", "iframe", "style", "link", "object", "embed", "form", "base"} & set(found.tags)
    assert found.bad_attrs == []
    assert found.hrefs and all(_allowed_link(h) for h in found.hrefs), [h for h in found.hrefs if not _allowed_link(h)]
    assert SITE_URL + "papers/deepseek-r1/" in found.hrefs  # the sibling link, made absolute
    text = "".join(found.text)
    assert "Pwned" in text and "a phishing link" in text  # the words stay, the hazards go
    assert "evil.example" not in out and "tracker.example" not in out and "alert(1)" not in out


def test_html_escapes_every_text(capsys):
    code, out, _ = run_cli(capsys, FIXTURE, "--sync", "latest", "--format", "html", "--top", "10")
    assert code == 0
    found = audit(out)
    assert "think" not in found.tags and "script" not in found.tags
    text = "".join(found.text)
    assert "Let's <think> about LLM Reasoning" in text  # shown literally, never parsed as a tag
    assert '<script>alert("x")</script>' in " ".join(text.split())  # the abstract, as text


def test_html_without_site_url_links_papers_to_arxiv(capsys, kb: Path):
    (kb / "mkdocs.yml").write_text("site_name: No URL\n", "utf-8")
    code, out, _ = run_cli(capsys, kb, "--sync", "latest", "--format", "html")
    assert code == 0
    hrefs = audit(out).hrefs
    assert hrefs and all(h.startswith("https://arxiv.org/abs/") for h in hrefs)


# -- errors ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "2026-02-30"], "'2026-02-30' is not a date; write it as YYYY-MM-DD"),
        (["--since", "2026-12-01", "--until", "2026-11-01"], "--since 2026-12-01 is after --until 2026-11-01"),
        (["--sync", "2030-01-01"], "no sync record for '2030-01-01'"),
        (["--sync", "yesterday"], "--sync 'yesterday' is not a date"),
        (["--top", "-3"], "'-3' is not a whole number of papers"),
        (["--until", "0001-01-01"], "--until 0001-01-01 leaves no room for a 7-day window; pass --since"),
        (["--format", "html", "--site-url", "javascript:alert(1)//"], "'javascript:alert(1)//' is not an http(s) site URL"),
        (["--site-url", "https://"], "'https://' is not an http(s) site URL"),
        (["--site-url", "//evil.example/"], "'//evil.example/' is not an http(s) site URL"),
    ],
)
def test_bad_arguments_give_one_clear_line(capsys, args, message):
    try:
        code = main(["--root", str(FIXTURE), "digest", *args])
    except SystemExit as exit_:  # argparse rejects a malformed value before the command runs
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err
    assert "Traceback" not in err


def test_a_broken_sync_record_is_named_with_its_line(kb: Path):
    (kb / "content" / "syncs" / "2026-11-29.yml").write_text("date: 2026-11-29\nadded: [2501.1, \n", "utf-8")
    (kb / "content" / "syncs" / "2026-11-30.yml").write_text("window: {since: 2026-11-01}\n", "utf-8")
    records, errors = syncs.load_sync_records(kb / "content" / "syncs")
    assert [syncs.record_date(r).isoformat() for r in records] == ["2026-11-15", "2026-11-22"]
    assert len(errors) == 2
    assert errors[0].report_line().startswith(f"{kb / 'content' / 'syncs' / '2026-11-29.yml'}:3: error: invalid YAML")
    assert errors[1].report_line().startswith(f"{kb / 'content' / 'syncs' / '2026-11-30.yml'}:1: error: 'date' must be a date")


def test_two_syncs_on_one_day_get_a_digest_page_each(kb: Path):
    second = (kb / "content" / "syncs" / "2026-11-22.yml").read_text("utf-8").replace('"2501.12948", ', "")
    (kb / "content" / "syncs" / "2026-11-22-2.yml").write_text(second, "utf-8")
    files = digest.generate(site_input(kb))
    assert {"digests/2026-11-22.md", "digests/2026-11-22-2.md"} <= set(files)
    assert "DeepSeek-R1: Incentivizing" not in files["digests/2026-11-22-2.md"]
    assert "(2026-11-22-2.md)" in files["digests/index.md"]


def test_raw_html_in_a_section_shows_as_text_in_site_digests(kb: Path):
    page = load_page(kb / "content" / "papers" / "deepseek-v3.md")
    write_page(page, set_section(page, "Summary", "Safe `<b>` code, <script>x()</script> and <https://arxiv.org/abs/2412.19437>."))
    text = digest.generate(site_input(kb))["digests/2026-11-22.md"]
    assert "&lt;script>x()&lt;/script>" in text and "<script>" not in text
    assert "`<b>`" in text and "<https://arxiv.org/abs/2412.19437>" in text  # code and autolinks as written


def test_pages_may_link_to_digests_feeds_and_bibliographies(kb: Path):
    path = kb / "content" / "papers" / "deepseek-r1.md"
    page = load_page(path)
    links = (
        "[this week](../digests/weekly.md), [the feed](../feeds/topics/reasoning.xml), "
        "[all citations](../papers.bib), [reasoning.bib](../bib/topics/reasoning.bib), [gone](../digests/nope.md)"
    )
    write_page(page, set_section(page, "Notes", links))
    problems = [p for p in check.check_pages(config.load(kb), [path]) if "link" in p.message]
    assert [p.message.split(",")[0] for p in problems] == ["link to '../digests/nope.md'"]


# -- site digests: what the published page lets through -------------------------------------------------------
_HOOKS = HERE.parent / "scripts" / "mkdocs_hooks.py"
# A contributor's section text: attr_list event handler, a javascript: link (plain and entity-encoded) and a
# raw <img onerror> behind escaped backticks (which are not a code span).
HOSTILE_SECTION = (
    "Hover [click](javascript:window.__pwned=4) or [this](javascript&colon;window.__pwned=6), "
    '\\`<img src="y" onerror="window.__pwned = 5">\\` ends.\n'
    '{: onmouseover="window.__pwned = 3" }'
)


def _site_hook():
    """scripts/mkdocs_hooks.py as MkDocs loads it (by path, registered in sys.modules: it is no package module)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("paperkb_mkdocs_hooks", _HOOKS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _as_site_shows(docs_path: str, markdown: str) -> str:
    """The digest's HTML after the site's Markdown (mkdocs.yml's extensions) and the hook's on_page_content."""
    from types import SimpleNamespace

    from tests.support.golden import to_html

    page = SimpleNamespace(file=SimpleNamespace(src_uri=docs_path))
    return _site_hook().on_page_content(to_html(markdown), page=page, config=None, files=None)


def hazards(html: str) -> list[tuple[str, str, str]]:
    """Event handlers, script URLs (as a browser decodes them) and images in an HTML fragment (the fixture's
    sections have none of their own)."""
    found = []
    for tag, attrs in Elements(html).tags:
        for name, value in attrs.items():
            url = re.sub(r"[\t\n\r]", "", value or "").strip().lower()
            if name.startswith("on") or (name in ("href", "src") and url.startswith(("javascript:", "data:", "vbscript:"))):
                found.append((tag, name, value or ""))
        if tag == "img":
            found.append((tag, "img", str(attrs)))
    return found


def test_escaped_backticks_are_no_code_span_for_raw_html_escaping():
    from paperkb.publish.markup import escape_raw_html

    assert escape_raw_html('\\`<img onerror="x()">\\`') == '\\`&lt;img onerror="x()">\\`'
    assert escape_raw_html("a `<b>` and ``x`<i>`` code") == "a `<b>` and ``x`<i>`` code"  # real spans untouched


def test_hostile_sections_are_sanitized_on_site_digest_pages(kb: Path):
    page = load_page(kb / "content" / "papers" / "deepseek-v3.md")
    write_page(page, set_section(page, "Summary", HOSTILE_SECTION))
    markdown = digest.generate(site_input(kb))["digests/2026-11-22.md"]
    unsanitized = hazards(_as_site_shows("unsanitized/2026-11-22.md", markdown))
    # Without the hook the attr_list handler bites; the javascript: links are inert in the Markdown itself already
    assert {(tag, name) for tag, name, _ in unsanitized} == {("p", "onmouseover")}
    assert "Hover [click](#) or [this](#), " in markdown
    html = _as_site_shows("digests/2026-11-22.md", markdown)
    assert hazards(html) == [], hazards(html)
    text = Elements(html).text
    assert "Hover click or this," in text and '<img src="y" onerror="window.__pwned = 5">' in text  # words stay


def test_a_pipe_in_a_topic_title_stays_inside_its_digests_index_cell(kb: Path):
    from tests.support.golden import to_html

    topics = kb / "content" / "topics.yml"
    topics.write_text(topics.read_text("utf-8").replace("title: Reasoning", "title: 'Reasoning | Planning'"), "utf-8")
    html = to_html(digest.generate(site_input(kb))[paths.DIGESTS_INDEX])
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "reasoning.bib" in row]
    assert len(rows) == 1
    cells = re.findall(r"<td>(.*?)</td>", rows[0], re.S)
    assert len(cells) == 3 and Elements(cells[0]).text == "Reasoning | Planning", cells
