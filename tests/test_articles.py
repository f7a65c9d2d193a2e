"""Articles across papers (content/articles/<slug>.md): check's rules, each with a page that breaks it, the shipped
first article (seed 001), and the site: article pages, the articles index, "In articles" on paper pages."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import paperkb.check as check
from paperkb.cli.main import main
from paperkb.model import config
from paperkb.model.articles import PaperLookup
from paperkb.publish import articles, in_articles
from paperkb.publish.articles import article_markdown
from paperkb.publish.paper import paper_document
from tests.support.golden import INPUT, check_golden, golden_site
from tests.test_check import GOOD, LABS, TOPICS

TODAY = dt.date(2026, 11, 22)
PAPER_V3 = GOOD.replace("DeepSeek-R1: Incentivizing Reasoning", "DeepSeek-V3 Technical Report").replace("2501.12948", "2412.19437")
ARTICLE = """\
---
title: Reasoning from RL
byline: A. Writer
papers:
- deepseek-r1
- {paper: '2412.19437', section: DeepSeek-V3}
topics: [reasoning]
status: todo
updated: 2025-01-28
---

## Summary

Two papers.

## DeepSeek-R1: Incentivizing Reasoning

todo

## DeepSeek-V3

todo

## Quotes

> “RL alone.”
>
> — DeepSeek-R1 paper, <https://example.org/r1.pdf>

> “Another.”

— the same paper

## Timeline

- 2025-01-20: R1 released.
- **2024-12**: V3 released.
- undated: something happened.

## Commentary

My own words need no source.
"""


@pytest.fixture
def kb(tmp_path: Path) -> config.KnowledgeBase:
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "articles").mkdir()
    (tmp_path / "content" / "topics.yml").write_text(TOPICS)
    (tmp_path / "content" / "labs.yml").write_text(LABS)
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb]\n")
    (tmp_path / "content" / "papers" / "deepseek-r1.md").write_text(GOOD)
    (tmp_path / "content" / "papers" / "deepseek-v3.md").write_text(PAPER_V3)
    return config.load(tmp_path)


def problems_for(kb: config.KnowledgeBase, text: str) -> list[str]:
    (kb.articles_dir / "an-article.md").write_text(text)
    return [f"{p.line}: {p.severity}: {p.message}" for p in check.check_pages(kb, today=TODAY) if p.path.name == "an-article.md"]


def test_a_good_article_has_no_problem(kb):
    assert problems_for(kb, ARTICLE) == []  # 'undated' says outright that the date is not known


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "- deepseek-r1\n",
            "- deepseek-r2\n",
            ["5: error: no paper page is 'deepseek-r2'; did you mean 'deepseek-r1'? (a slug of content/papers/ or an arXiv ID)"],
        ),
        ("- deepseek-r1\n", "- '2501.12948'\n", []),  # an arXiv ID names the page as well as its slug
        ("- deepseek-r1\n", "- deepseek-r1\n- '2501.12948'\n", ["6: error: '2501.12948' is the paper 'deepseek-r1' again; cover each paper once"]),
        (
            "- deepseek-r1\n",
            "- [deepseek-r1]\n",
            ["5: error: paper 1: must be a paper page's slug or an arXiv ID, or {paper: <slug or ID>, section: <its section's title>}"],
        ),
        (
            "papers:\n- deepseek-r1\n- {paper: '2412.19437', section: DeepSeek-V3}\n",
            "",
            ["1: error: missing required key 'papers'; add 'papers: ...' to the front matter"],
        ),
        ("## DeepSeek-V3\n\ntodo\n\n", "", ["6: error: no '## DeepSeek-V3' section for '2412.19437'; add it (write 'todo' under it until it is written)"]),
        (
            "status: todo",
            "status: draft",
            ["8: error: status is 'draft' but DeepSeek-R1: Incentivizing Reasoning, DeepSeek-V3 are still todo; write them or set status: todo"],
        ),
        ("status: todo", "status: done", ["8: error: 'status' is 'done'; use one of todo, draft, reviewed"]),
        ("byline: A. Writer", "bylin: A. Writer", ["3: error: unknown key 'bylin'; did you mean 'byline'?"]),
        (
            "topics: [reasoning]",
            "topics: [reasonin]",
            ["7: error: unknown topic 'reasonin'; did you mean 'reasoning'? (topics are the ids in content/topics.yml)"],
        ),
        (
            "> — DeepSeek-R1 paper, <https://example.org/r1.pdf>\n",
            "> (from the paper)\n",
            ["26: error: a quote in 'Quotes' without its source; end it with a line '> — who, where' (a URL when there is one)"],
        ),
        (
            "My own words need no source.\n",
            "> “A post.”\n",
            ["42: error: a quote in 'Commentary' without its source; end it with a line '> — who, where' (a URL when there is one)"],
        ),
        (
            "- 2025-01-20: R1 released.",
            "- R1 released.",
            ["36: error: a timeline entry without a date; start it with one: '- 2025-01-20: …' (or '- undated: …' until it is known)"],
        ),
        (
            "- 2025-01-20: R1 released.",
            "- 2025-02-30: R1 released.",
            ["36: error: timeline date 2025-02-30 is not a real date; use YYYY, YYYY-MM or YYYY-MM-DD"],
        ),
        (
            "Two papers.",
            "See [R1](../papers/deepseek-r11.md).",
            ["14: error: link to '../papers/deepseek-r11.md', which does not exist; did you mean '../papers/deepseek-r1.md'?"],
        ),
        (
            "Two papers.",
            "See [R1](../papers/deepseek-r1.md#why-it-matter).",
            ["14: error: link '../papers/deepseek-r1.md#why-it-matter': the page has no heading with the id 'why-it-matter'; did you mean 'why-it-matters'?"],
        ),
    ],
)
def test_each_article_rule_with_an_article_that_breaks_it(kb, old, new, expected):
    assert old in ARTICLE
    assert problems_for(kb, ARTICLE.replace(old, new, 1)) == expected


def test_a_written_article_still_marked_todo_is_a_warning(kb):
    written = ARTICLE.replace("## DeepSeek-R1: Incentivizing Reasoning\n\ntodo", "## DeepSeek-R1: Incentivizing Reasoning\n\nWritten.")
    written = written.replace("## DeepSeek-V3\n\ntodo", "## DeepSeek-V3\n\nWritten too.")
    assert "8: warning: every paper's section is written; set status: draft (or reviewed once a person checked it)" in problems_for(kb, written)


def test_an_article_that_does_not_read_is_one_problem_with_its_line(kb):
    assert problems_for(kb, "---\ntitle: [oops\n---\n")[0].startswith("2: error: invalid YAML in front matter")


def test_check_names_an_article_on_the_command_line(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    (kb.articles_dir / "an-article.md").write_text(ARTICLE.replace("- deepseek-r1\n", "- deepseek-r2\n"))
    assert main(["check", "content/articles/an-article.md"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("content/articles/an-article.md:5: error: no paper page is 'deepseek-r2'")
    assert all(line.startswith("content/articles/an-article.md:") for line in out)  # the papers were not asked about


def test_the_shipped_first_article_is_seed_001_and_checks(repo_root):
    kb = config.load(repo_root)
    path = kb.articles_dir / "deepseek-r1-aggregated-report.md"
    problems = [p for p in check.check_pages(kb, [path]) if p.path == path]
    assert [p.message for p in problems if p.severity == "error"] == []
    text = path.read_text("utf-8")
    for section in ("## DeepSeek-R1\n\ntodo\n", "## DeepSeek-V3\n\ntodo\n", "## DeepSeekMath\n\ntodo\n", "## References\n\ntodo\n"):
        assert section in text  # as the seed left them
    assert text.count("> — DeepSeek-R1 paper, <https://github.com/deepseek-ai/DeepSeek-R1/blob/main/DeepSeek_R1.pdf> (edited)") == 4
    assert "- undated: U.S. sanctions advanced chips to China." in text  # the seed gives no date
    assert "updated: 2025-01-28T19:20:59+00:00" in text


# -- the site ---------------------------------------------------------------------------------------------------------
def test_article_pages_and_the_articles_index_match_their_golden_files():
    site = golden_site()
    lookup = PaperLookup(site.pages)
    produced = {f"{article.slug}.md": article_markdown(article, lookup) for article in site.articles}
    produced.update(articles.generate(site))  # articles/index.md
    check_golden({path.removeprefix("articles/"): text for path, text in produced.items()}, "articles")


def test_the_golden_article_checks_clean_against_the_golden_papers(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(INPUT, root / "content")
    (root / "pyproject.toml").write_text("[tool.paperkb]\n")
    kb = config.load(root)
    problems = check.check_pages(kb, [kb.articles_dir / "reasoning-and-safety.md"], today=TODAY)
    assert [p for p in problems if p.path.parent.name == "articles"] == []


def test_a_paper_page_lists_the_articles_that_cover_it_and_only_those():
    site = golden_site()
    by_paper = articles.articles_by_paper(site.articles, PaperLookup(site.pages))
    assert by_paper == {
        slug: [("Reasoning and <b>safety</b> & more", "articles/reasoning-and-safety.md")] for slug in ("reasoning-rl", "reviewed-paper", "hostile-title")
    }
    pages = {page.slug: page for page in site.pages}
    in_articles.share(by_paper)
    try:
        footer = in_articles.footer(pages["reasoning-rl"])
        assert '<h2 id="in-articles">In articles' in footer
        assert '<li><a href="../../articles/reasoning-and-safety/">Reasoning and &lt;b&gt;safety&lt;/b&gt; &amp; more</a></li>' in footer
        assert in_articles.footer(pages["undated"]) == ""
        html = paper_document(pages["reasoning-rl"], site.vocab).html("")
        assert html.index('id="code-and-discussion"') < html.index('id="in-articles"') < html.index('id="cite"')
    finally:
        in_articles.share({})
    assert in_articles.footer(pages["reasoning-rl"]) == ""
