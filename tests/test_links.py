"""A paper's code and discussion (`links:`): check's rules, the paper page, feeds and search."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

import paperkb.check as check
from paperkb.cli.main import main
from paperkb.ingest.code_links import code_links
from paperkb.model import config
from paperkb.model.links import links_of
from paperkb.model.pages import parse_page
from paperkb.model.vocab import load_vocabulary
from paperkb.publish import feeds, search_index
from paperkb.publish.paper import paper_document
from tests.test_check import LABS, TOPICS

TODAY = dt.date(2026, 11, 22)
A = "{http://www.w3.org/2005/Atom}"
HEAD = """\
---
title: A Paper
arxiv: '2501.12948'
added: 2025-02-01
status: todo
"""
TAIL = """\
---

## Summary

TODO
"""
GOOD_LINKS = """\
links:
- kind: code
  title: example/repo
  url: https://github.com/example/repo
- kind: talk
  title: 'A Paper: How It Works'
  author: A Speaker
  where: a talk summary
- kind: blog
  title: What A Paper Means
  url: https://blog.example.org/a-paper
  author: A Blogger
  date: 2025-01-23
"""


@pytest.fixture
def kb(tmp_path: Path) -> config.KnowledgeBase:
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "topics.yml").write_text(TOPICS)
    (tmp_path / "content" / "labs.yml").write_text(LABS)
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb]\n")
    return config.load(tmp_path)


def link_problems(kb: config.KnowledgeBase, links: str) -> list[str]:
    (kb.papers_dir / "paper.md").write_text(HEAD + links + TAIL)
    return [f"{p.line}: {p.message}" for p in check.check_pages(kb, today=TODAY) if p.path.name == "paper.md" and p.severity == "error"]


def test_good_links_pass_check(kb):
    assert link_problems(kb, GOOD_LINKS) == []


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        (
            "links:\n- kind: podcast\n  title: T\n  url: https://x.org/\n",
            "7: link 1: kind is 'podcast'; use one of code, model, dataset, talk, blog, thread, video, slides, project",
        ),
        (
            "links:\n- kind: code\n  title: T\n  url: https://x.org/\n- kind: code\n  title: T\n  url: ftp://x.org/r\n",
            "10: link 2: url 'ftp://x.org/r' is not one http(s) URL; write https://… on one line, a space as %20",
        ),
        (
            "links:\n- kind: code\n  title: T\n  url: javascript:alert(1)\n",
            "7: link 1: url 'javascript:alert(1)' is not one http(s) URL; write https://… on one line, a space as %20",
        ),
        (
            "links:\n- kind: code\n  title: A\n  url: https://x.org/r\n- kind: blog\n  title: B\n  url: https://x.org/r\n",
            "10: link 2: repeats link 1 (the URL https://x.org/r); remove one",
        ),
        (
            "links:\n- kind: talk\n  title: T\n  author: S\n- kind: talk\n  title: T\n  author: S\n",
            "10: link 2: repeats link 1 (the same kind, title and author); remove one",
        ),
        ("links:\n- kind: code\n  title: T\n", "7: link 1: a code link needs its 'url' (https://…)"),
        ("links:\n- kind: talk\n  title: T\n", "7: link 1: a talk without a 'url' needs an 'author' (who said or wrote it)"),
        (
            "links:\n- kind: code\n  url: https://x.org/\n",
            "7: link 1: needs a 'title' (text: what the link is, e.g. the repository's owner/name or the talk's title)",
        ),
        (
            "links:\n- kind: code\n  title: T\n  url: https://x.org/\n  date: 2025-02-30\n",
            "7: link 1: date 2025-02-30 is not a real date; use YYYY-MM-DD with a valid month and day",
        ),
        (
            "links:\n- kind: code\n  title: T\n  url: https://x.org/\n  when: 2025\n",
            "7: link 1: unknown field(s) when; a link has kind, title, url, author, date, where",
        ),
        ("links:\n- https://x.org/\n", "7: link 1: must be a mapping with kind, title and url (e.g. '- kind: code' then '  title: …' and '  url: https://…')"),
        ("links: https://x.org/\n", "6: 'links' must be a list of mappings, one '- kind: …' item per link"),
    ],
)
def test_each_link_rule_names_the_item_line_and_the_fix(kb, links, expected):
    assert link_problems(kb, links) == [expected]


def page(links: str = GOOD_LINKS):
    return parse_page(Path("content/papers/a-paper.md"), HEAD + "journal_ref: Proc. of a Conference 2025\n" + links + TAIL)


def test_the_paper_page_shows_code_and_discussion_and_the_venue():
    vocab = load_vocabulary(Path("content/topics.yml"), Path("content/labs.yml"))
    html = paper_document(page(), vocab).html('<h2 id="summary">Summary</h2>')
    assert '<p class="pkb-meta"><span class="pkb-label">Venue</span> Proc. of a Conference 2025</p>' in html
    assert '<h2 id="code-and-discussion">Code and discussion' in html
    assert '<li><span class="pkb-label">Code</span> <a href="https://github.com/example/repo">example/repo</a></li>' in html
    assert "<cite>A Paper: How It Works</cite> — A Speaker, a talk summary</li>" in html
    assert '<a href="https://blog.example.org/a-paper">What A Paper Means</a> — A Blogger · <time datetime="2025-01-23">2025-01-23</time>' in html
    assert html.index("code-and-discussion") < html.index('id="cite"')


def test_a_hostile_link_stays_text_on_the_page():
    hostile = (
        "links:\n- kind: code\n  title: <script>alert(1)</script>\n  url: 'https://x.org/\"><svg/onload=alert(2)>'\n"
        "  author: <b>me</b>\n- kind: code\n  title: bad\n  url: javascript:alert(3)\n"
    )
    vocab = load_vocabulary(Path("content/topics.yml"), Path("content/labs.yml"))
    html = paper_document(page(hostile), vocab).html("")
    footer = html[html.index("code-and-discussion") :]
    assert "<script" not in footer and "<svg" not in footer and "<b>" not in footer and "javascript:" not in footer
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in footer and "&lt;b&gt;me&lt;/b&gt;" in footer
    assert 'href="https://x.org/&quot;&gt;&lt;svg/onload=alert(2)&gt;"' in footer


def test_a_page_without_links_has_no_section():
    vocab = load_vocabulary(Path("content/topics.yml"), Path("content/labs.yml"))
    assert "code-and-discussion" not in paper_document(page(""), vocab).html("")


def test_an_anchor_to_code_and_discussion_is_a_valid_link(kb):
    (kb.papers_dir / "paper.md").write_text(HEAD + GOOD_LINKS + TAIL)
    other = HEAD.replace("2501.12948", "2412.19437") + TAIL + "\nSee [its code](paper.md#code-and-discussion) and [x](paper.md#code-and-discussio).\n"
    (kb.papers_dir / "other.md").write_text(other)
    found = [p.message for p in check.check_pages(kb, today=TODAY) if p.path.name == "other.md" and "heading" in p.message]
    assert found == ["link 'paper.md#code-and-discussio': the page has no heading with the id 'code-and-discussio'; did you mean 'code-and-discussion'?"]


def test_feeds_carry_the_links_as_related_links_and_in_the_content():
    entry = feeds._entry(page(), "https://kb.example.org/", {})
    related = [(link.get("href"), link.get("title")) for link in entry.findall(f"{A}link") if link.get("rel") == "related"]
    assert ("https://github.com/example/repo", "Code: example/repo") in related
    assert ("https://blog.example.org/a-paper", "Blog post: What A Paper Means") in related
    assert len(related) == 3  # arXiv, and the two links with a URL (the talk has none)
    document = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(entry, encoding="unicode")
    parsed = feedparser.parse(f'<feed xmlns="http://www.w3.org/2005/Atom">{document.split("?>", 1)[1]}</feed>')
    content = parsed.entries[0].content[0].value
    assert "Code and discussion" in content and "Summary pending" in content  # the sections are still TODO
    assert '<a href="https://github.com/example/repo" style="color: #1a5fb4;">example/repo</a>' in content
    assert "A Paper: How It Works" in content and "A Speaker, a talk summary" in content


def test_a_feed_links_nothing_but_the_pages_own_links():
    hostile = "links:\n- kind: code\n  title: '[x](https://evil.example/)'\n  url: https://ok.example/\n"
    entry = feeds._entry(page(hostile), "https://kb.example.org/", {})
    content = entry.find(f"{A}content").text
    assert "evil.example" not in content.replace("[x](https://evil.example/)", "")
    assert 'href="https://ok.example/"' in content


def test_search_finds_a_paper_by_its_links():
    record = search_index.paper_record(page(), load_vocabulary(Path("content/topics.yml"), Path("content/labs.yml")))
    assert "example/repo; A Paper: How It Works A Speaker; What A Paper Means A Blogger" in record.text
    assert "https://github.com" not in record.text


def test_invalid_links_are_left_out_of_what_the_site_reads():
    links = "links:\n- kind: podcast\n  title: T\n  url: https://x.org/\n- kind: code\n  title: ok\n  url: https://y.org/\n- kind: code\n  title: again\n  url: https://y.org/\n"
    assert [link.title for link in links_of(page(links))] == ["ok"]


# -- paperkb link ---------------------------------------------------------------------------------------------------
PAGE_WITH_LINK = """\
---
title: A Paper   # kept as written
arxiv: '2501.12948'
links:
  - kind: code    # the official repository
    title: example/repo
    url: https://github.com/example/repo
# a comment after the list stays where it is
status: todo
---

## Summary

TODO
"""


def run_link(kb: config.KnowledgeBase, *args: str) -> int:
    return main(["--root", str(kb.root), "link", *args])


@pytest.fixture
def linked(kb) -> Path:
    path = kb.papers_dir / "a-paper.md"
    path.write_bytes(PAGE_WITH_LINK.encode())
    return path


def test_link_appends_one_item_and_changes_no_other_byte(kb, linked, capsys):
    url = "https://huggingface.co/example/model-7b"
    assert run_link(kb, str(linked), url, "--kind", "model", "--author", "Example Lab", "--date", "2025-01-20") == 0
    expected = PAGE_WITH_LINK.replace(
        "# a comment after",
        "  - kind: model\n    title: example/model-7b\n    url: https://huggingface.co/example/model-7b\n"
        "    author: Example Lab\n    date: 2025-01-20\n# a comment after",
    )
    assert linked.read_bytes().decode() == expected
    assert capsys.readouterr().out == f"paperkb link: added model 'example/model-7b' to {kb.relative(linked)}:8\n"
    assert [p for p in check.check_pages(kb, today=TODAY) if p.severity == "error"] == []


def test_link_keeps_crlf_and_creates_the_list_when_absent(kb, capsys):
    path = kb.papers_dir / "crlf.md"
    original = (HEAD + TAIL).replace("\n", "\r\n")
    path.write_bytes(original.encode())
    assert run_link(kb, str(path), "https://example.org/talk", "--kind", "talk", "--title", "A: talk") == 0
    added = "links:\r\n- kind: talk\r\n  title: 'A: talk'\r\n  url: https://example.org/talk\r\n"
    assert path.read_bytes().decode() == original.replace("status: todo\r\n", "status: todo\r\n" + added)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://github.com/example/repo", "--kind", "code"], "the page already links https://github.com/example/repo (link 1); nothing changed"),
        (
            ["https://x.org/", "--kind", "tak"],
            "--kind 'tak' is not a kind of link; use one of code, model, dataset, talk, blog, thread, video, slides, project; did you mean 'talk'?",
        ),
        (["ftp://x.org/", "--kind", "code"], "'ftp://x.org/' is not one http(s) URL; give https://… (a space written as %20)"),
        (["https://x.org/a b", "--kind", "code"], "'https://x.org/a b' is not one http(s) URL; give https://… (a space written as %20)"),
        (["https://x.org/", "--kind", "talk", "--date", "2025-02-30"], "--date '2025-02-30' is not a date; write YYYY-MM-DD, e.g. 2025-01-23"),
        (["https://x.org/", "--kind", "talk", "--author", " "], "'author' must be text (quote it), or remove it"),
    ],
)
def test_link_refuses_with_one_line_and_leaves_the_page(kb, linked, capsys, args, message):
    code = run_link(kb, str(linked), *args)
    err = capsys.readouterr().err
    assert code == (1 if "already" in message else 2)
    assert err.splitlines() == [f"paperkb link: {kb.relative(linked)}:5: {message}" if "already" in message else f"paperkb link: {message}"]
    assert linked.read_bytes().decode() == PAGE_WITH_LINK


def test_link_names_a_page_that_does_not_read(kb, capsys):
    path = kb.papers_dir / "broken.md"
    path.write_text("---\ntitle: [unclosed\n---\n")
    assert run_link(kb, str(path), "https://x.org/", "--kind", "code") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"paperkb link: {kb.relative(path)}:2: invalid YAML in front matter")
    path.write_text("---\ntitle: T\nlinks: https://x.org/\n---\n")
    assert run_link(kb, str(path), "https://x.org/", "--kind", "code") == 2
    assert capsys.readouterr().err == f"paperkb link: {kb.relative(path)}:3: 'links' is not a list; make it one ('- kind: …' items) first\n"


# -- code links from arXiv's abstract and comment -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code: https://github.com/a/b.", [("code", "a/b", "https://github.com/a/b")]),
        ("code at github.com/a/b.git, see (https://www.github.com/A/B/tree/main)", [("code", "a/b", "https://github.com/a/b")]),
        ("\\url{https://github.com/a/b}", [("code", "a/b", "https://github.com/a/b")]),
        ("https://gitlab.com/group/sub/proj/-/blob/main/x.py", [("code", "group/sub/proj", "https://gitlab.com/group/sub/proj")]),
        (
            "weights: https://hf.co/org/m-7B; data: https://huggingface.co/datasets/org/d",
            [("model", "org/m-7B", "https://huggingface.co/org/m-7B"), ("dataset", "org/d", "https://huggingface.co/datasets/org/d")],
        ),
        ("demo https://huggingface.co/spaces/org/demo!", [("project", "org/demo", "https://huggingface.co/spaces/org/demo")]),
        ("profile https://github.com/someone and https://huggingface.co/papers/2501.12948", []),
        ("https://notgithub.com/a/b https://evil.example/github.com/a/b mail@github.com/a/b", []),
        ("https://example.org/code 21 pages, 7 figures", []),
    ],
)
def test_code_links_are_the_repositories_models_and_data_named(text, expected):
    assert [(link.kind, link.title, link.url) for link in code_links(text)] == expected


# -- the seeds' talk and commentary on the shipped pages -----------------------------------------------------------
REPO = Path(__file__).resolve().parent.parent


def test_the_talk_and_commentary_of_the_seeds_are_on_the_pages_they_discuss():
    """Seed 002 (a talk summary on DeepSeek-R1 by Nik Bear Brown) and seed 003 (posts by @jesse_hoogland on DeepSeek-R1
    and Phi-4): who, where, and no URL or date the seeds do not give."""
    from_page = {
        slug: links_of(parse_page(REPO / f"content/papers/{slug}.md", (REPO / f"content/papers/{slug}.md").read_text("utf-8")))
        for slug in ("deepseek-r1", "phi-4-technical-report")
    }
    r1 = {(link.kind, link.title, link.author) for link in from_page["deepseek-r1"]}
    assert ("talk", "DeepSeek-R1: How It Works and What Makes It Special", "Nik Bear Brown") in r1
    assert ("blog", "Implications of DeepSeek-R1", "@jesse_hoogland, executive director at Timaeus") in r1
    phi = {(link.kind, link.title, link.author) for link in from_page["phi-4-technical-report"]}
    assert ("blog", "Phi-4: Synthetic data works. Pretraining's days are numbered.", "@jesse_hoogland, executive director at Timaeus") in phi
    seeded = [link for links in from_page.values() for link in links if link.author in ("Nik Bear Brown", "@jesse_hoogland, executive director at Timaeus")]
    assert len(seeded) == 3 and all(link.url is None and link.date is None and link.where for link in seeded)
