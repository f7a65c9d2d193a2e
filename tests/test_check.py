"""`paperkb check`: every rule, tried with a page that breaks it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import paperkb.check as check
from paperkb.cli.check import format_problem
from paperkb.cli.main import main
from paperkb.model import config, paths
from paperkb.model.pages import load_page, section_hash
from paperkb.model.vocab import Problem

TOPICS = """\
- id: reasoning
  title: Reasoning
  description: Models that think.
- id: alignment
  title: Alignment
  description: Doing what is meant.
"""
LABS = """\
- name: DeepSeek
  aliases: [DeepSeek-AI]
  homepage: https://www.deepseek.com
- name: Anthropic
"""
GOOD = """\
---
title: 'DeepSeek-R1: Incentivizing Reasoning'
arxiv: '2501.12948'
authors: [DeepSeek-AI]
labs: [DeepSeek]
topics: [reasoning]
published: 2025-01-22
priority: urgent
status: draft
---

## Summary

Pure RL teaches reasoning.

## Key Insights

- RL alone suffices.
- Distillation works.

## Why It Matters

Open reasoning models.
"""
TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def kb(tmp_path: Path) -> config.KnowledgeBase:
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "topics.yml").write_text(TOPICS)
    (tmp_path / "content" / "labs.yml").write_text(LABS)
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb]\n")
    return config.load(tmp_path)


def write(kb: config.KnowledgeBase, name: str, text: str) -> Path:
    path = kb.papers_dir / name
    path.write_text(textwrap.dedent(text) if text.startswith("\n") else text)
    return path


def problems_for(kb, text: str, name: str = "paper.md") -> list[str]:
    write(kb, name, text)
    return [f"{p.line}: {p.severity}: {p.message}" for p in check.check_pages(kb, today=TODAY) if p.path.name == name]


REPO = Path(__file__).resolve().parent.parent


class _AnyTagLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose !!python/name tags a safe loader refuses."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def test_a_good_page_has_no_problems(kb):
    assert problems_for(kb, GOOD) == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        # invalid YAML, with its line
        ("labs: [DeepSeek]", "labs: [DeepSeek", "6: error: invalid YAML in front matter"),
        ("title: 'DeepSeek-R1: Incentivizing Reasoning'", "title: DeepSeek-R1: Incentivizing", "2: error: invalid YAML in front matter"),
        # missing, mistyped and unknown keys
        ("title: 'DeepSeek-R1: Incentivizing Reasoning'\n", "", "1: error: missing required key 'title'"),
        ("authors: [DeepSeek-AI]", "authors: DeepSeek-AI", "4: error: 'authors' must be a list"),
        ("labs: [DeepSeek]", "labs: [DeepSeek]\npriorty: high", "6: error: unknown key 'priorty'; did you mean 'priority'?"),
        ("priority: urgent", "priority: critical", "8: error: 'priority' is 'critical'; use one of urgent, high, medium, low"),
        ("status: draft", "status: Draft", "9: error: 'status' is 'Draft'; use one of todo, draft, reviewed; did you mean 'draft'?"),
        ("status: draft", "status: no", "9: error: 'status' is yes/no/on/off read as true/false by YAML"),
        ("labs: [DeepSeek]", "labs: [DeepSeek]\nlabs: [Anthropic]", "6: error: key 'labs' appears twice"),
        # arXiv IDs
        ("arxiv: '2501.12948'", "arxiv: 2310.06770", "3: error: 'arxiv' was read as the number 2310.0677, not an ID; quote it"),
        ("arxiv: '2501.12948'", "arxiv: '2501.1294'", "3: error: '2501.1294' is not an arXiv ID"),
        ("arxiv: '2501.12948'", "arxiv: '2513.12948'", "3: error: '2513.12948' is not an arXiv ID"),
        ("arxiv: '2501.12948'", "arxiv: '2501.12948v2'", "3: error: 'arxiv' must not carry a version; use \"2501.12948\""),
        ("arxiv: '2501.12948'", "arxiv: 'arXiv:2501.12948'", "3: error: 'arxiv' must be the bare ID"),
        ("arxiv: '2501.12948'\n", "", "2: error: a paper needs 'arxiv' (its arXiv ID) or, if it is not on arXiv, 'url'"),
        # vocabularies
        ("topics: [reasoning]", "topics: [reasonng]", "6: error: unknown topic 'reasonng'; did you mean 'reasoning'?"),
        ("labs: [DeepSeek]", "labs: [Deepseek Labs]", "5: error: unknown lab 'Deepseek Labs'; did you mean 'DeepSeek'?"),
        ("labs: [DeepSeek]", "labs: [DeepSeek-AI]", "5: error: lab 'DeepSeek-AI' is an alias; use the canonical name 'DeepSeek'"),
        # dates
        ("published: 2025-01-22", "published: 2025-02-30", "7: error: 'published' 2025-02-30 is not a real date"),
        ("published: 2025-01-22", "published: 2027-01-01", "7: error: 'published' 2027-01-01 is in the future"),
        ("published: 2025-01-22", "published: 1890-01-01", "7: error: 'published' 1890-01-01 is before arXiv existed"),
        ("published: 2025-01-22", "published: last week", "7: error: 'published' must be a date written YYYY-MM-DD"),
        # status against sections
        ("Pure RL teaches reasoning.", "TODO", "9: error: status is 'draft' but Summary is missing; write it or set status: todo"),
        ("status: draft", "status: todo", "9: warning: all required sections are written; set status: draft"),
        ("- RL alone suffices.\n- Distillation works.", "RL alone suffices.", "16: error: Key Insights must be a bullet list"),
        (
            "## Why It Matters\n\nOpen reasoning models.\n",
            "## Why It Matters\n\nOpen.\n\n## Summary\n\nAgain.\n",
            "25: error: section '## Summary' appears twice",
        ),
        ("## Why It Matters\n\nOpen reasoning models.\n", "## Why It Matters\n\nOpen.\n\n# Notes\n", "25: warning: a '# ' heading in the body"),
        # links
        ("Open reasoning models.", "See [V3](deepseek-v3.md).", "23: error: link to 'deepseek-v3.md', which does not exist"),
        ("Open reasoning models.", "See [x](../../outside.md).", "23: error: link '../../outside.md' points outside the site"),
        ("Open reasoning models.", "See [x](/papers/other.md).", "23: error: absolute link '/papers/other.md': MkDocs leaves it as is"),
        ("Open reasoning models.", "See [x](///missing.md).", "23: error: absolute link '///missing.md'"),
        ("Open reasoning models.", "See [x](paper.md?v=1#nope).", "23: error: link 'paper.md?v=1#nope': the page has no heading with the id 'nope'"),
        ("Open reasoning models.", "Use \\` then [x](missing1.md) and `code`.", "23: error: link to 'missing1.md'"),
        ("Open reasoning models.", "  ~~~\n[x](missing4.md)\n  ~~~", "24: error: link to 'missing4.md'"),
        ("- RL alone suffices.\n- Distillation works.", "- a `x\n- b [l](missing.md) `y", "19: error: link to 'missing.md'"),
        ("status: draft", "status: draft\ntemplate: ../mkdocs.yml", "10: error: template '../mkdocs.yml' must be a name inside the theme"),
        (
            "Open reasoning models.",
            "See [x](#why-it-maters).",
            "23: error: link '#why-it-maters': the page has no heading with the id 'why-it-maters'; did you mean 'why-it-matters'?",
        ),
        # template
        ("status: draft", "status: draft\ntemplate: papers.html", "10: error: template 'papers.html' is neither in overrides/ nor one of Material's templates"),
    ],
)
def test_each_rule_reports_the_broken_page(kb, old, new, expected):
    assert old in GOOD, old
    found = problems_for(kb, GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_unterminated_front_matter(kb):
    found = problems_for(kb, GOOD.replace("---\n\n## Summary", "\n## Summary"))
    assert found == ["1: error: unterminated front matter: the '---' on line 1 has no closing '---'; add a line '---' after the last key"]


def test_links_to_existing_and_generated_pages_are_fine(kb):
    write(kb, "other.md", GOOD.replace("2501.12948", "2412.19437"))
    body = f"[o](other.md) [t]({paths.relative_link('papers/x.md', paths.topic_path('reasoning'))}) [home](../index.md#top) [web](https://arxiv.org)"
    assert problems_for(kb, GOOD.replace("Open reasoning models.", body)) == []


def test_anchors_into_another_paper_page_are_its_heading_ids(kb):
    write(kb, "other.md", GOOD.replace("2501.12948", "2412.19437").replace("## Why It Matters", "## Why It Matters { #why }"))
    links = "[a](other.md#key-insights) [b](other.md#why) [c](other.md#cite) [d](#summary) [e](other.md#why-it-matters)"
    found = problems_for(kb, GOOD.replace("Open reasoning models.", links))
    assert found == ["23: error: link 'other.md#why-it-matters': the page has no heading with the id 'why-it-matters' (ids: summary, key-insights, why, cite)"]


LONELY = """\
---
title: 'Zyxwv Qwerty'
arxiv: '2401.00001'
published: 2024-01-02
status: draft
---

## Summary

Plugh xyzzy frobozz.

## Key Insights

- Grue lurks.

## Why It Matters

Quendor zorkmid.
"""


def test_anchors_of_footers_the_rest_of_the_knowledge_base_fills_are_checked_against_it(kb):
    """'Related papers', 'Linked from' and 'In articles' are on a paper page only when other pages give them
    content (as the strict build finds them): other.md shares words with paper.md, which links to it, and no article
    covers it; lonely.md shares no word with any page."""
    write(kb, "other.md", GOOD.replace("2501.12948", "2412.19437"))
    write(kb, "lonely.md", LONELY)
    links = "[a](other.md#related-papers) [b](other.md#linked-from) [c](other.md#in-articles) [d](lonely.md#related-papers)"
    page = GOOD.replace("Open reasoning models.", links)
    lonely_unrelated = (
        "23: error: link 'lonely.md#related-papers': the page has no '#related-papers' section: the site shows one only when another paper shares words with it"
    )
    assert problems_for(kb, page) == [
        "23: error: link 'other.md#in-articles': the page has no '#in-articles' section: the site shows one only when an article covers the paper",
        lonely_unrelated,
    ]
    (kb.articles_dir).mkdir()
    (kb.articles_dir / "review.md").write_text("---\ntitle: A Review\npapers:\n- {paper: other, section: Other}\nstatus: todo\n---\n\n## Other\n\ntodo\n")
    assert problems_for(kb, page) == [lonely_unrelated]


# `paperkb check` in a fresh interpreter, then the heavy libraries it loaded
LOADED_AFTER_CHECK = """\
import sys
from paperkb.cli.main import main
main(["check"])
print(sorted(name for name in ("sklearn", "scipy") if name in sys.modules))
"""


def test_check_loads_scikit_learn_only_to_check_a_link_to_related_papers(kb):
    write(kb, "other.md", GOOD.replace("2501.12948", "2412.19437"))
    for anchor, loaded in (("linked-from", "[]"), ("related-papers", "['scipy', 'sklearn']")):
        write(kb, "paper.md", GOOD.replace("Open reasoning models.", f"[a](other.md#{anchor})"))
        result = subprocess.run([sys.executable, "-c", LOADED_AFTER_CHECK], capture_output=True, text=True, cwd=kb.root)
        assert result.stdout.splitlines()[-1] == loaded, (anchor, result.stdout, result.stderr[-2000:])
        assert "error" not in result.stdout, result.stdout


TRICKY_HEADINGS = """
## The snake_case trick

## Why <think> tags help

## ???

## Use `a_b`

## Summary

## Cite
"""


def test_anchor_ids_are_the_ones_markdown_gives(kb):
    """Slugs as the toc extension makes them (underscores kept, tags dropped, '_1' for empty and repeated
    ones), and the Cite block's id made unique after a section a person called 'Cite'."""
    page = GOOD.replace("Open reasoning models.\n", "Open reasoning models.\n" + TRICKY_HEADINGS)
    links = "[a](#the-snake_case-trick) [b](#why-tags-help) [c](#_1) [d](#use-a_b) [e](#summary_1) [f](#cite) [g](#cite_1)"
    assert [p for p in problems_for(kb, page.replace("Pure RL teaches reasoning.", links)) if "link" in p] == []
    assert check.anchor_ids(load_page(write(kb, "x.md", page)))[-3:] == ["summary_1", "cite", "cite_1"]


def test_anchor_ids_are_what_the_site_keeps(kb):
    """The sanitizer drops <section> and <a name>: an id only they carried is not on the site, so the Cite
    block keeps 'cite' and a link to 'cite_1' fails, as in the strict build."""
    page = GOOD.replace("Open reasoning models.", '<section id="cite">x</section> <a name="cite">y</a> [c](#cite_1)')
    assert [p for p in problems_for(kb, page) if "link" in p] == [
        "23: error: link '#cite_1': the page has no heading with the id 'cite_1'; did you mean 'cite'?"
    ]


def test_the_checked_markdown_extensions_are_the_sites():
    names = [list(e)[0] if isinstance(e, dict) else e for e in yaml.load((REPO / "mkdocs.yml").read_text(), Loader=_AnyTagLoader)["markdown_extensions"]]
    assert sorted(check.SITE_MARKDOWN_EXTENSIONS) == sorted(names + ["fenced_code"])


def test_protocol_relative_links_and_code_spans_within_a_paragraph_are_fine(kb):
    text = "See [slides](//slides.example.org/talk.pdf). Write `[x](nowhere.md)` or ``[y](/abs.md)``."
    assert problems_for(kb, GOOD.replace("Open reasoning models.", text)) == []


def test_a_stray_backtick_does_not_hide_links_in_later_paragraphs(kb):
    text = "Press the ` key.\n\nSee [v9](deepseek-v9.md).\n\nThen `make`."
    found = problems_for(kb, GOOD.replace("Open reasoning models.", text))
    assert len(found) == 1 and found[0].startswith("25: error: link to 'deepseek-v9.md', which does not exist")


def test_an_indented_code_fence_is_a_warning(kb):
    text = "- run it:\n\n    ```sh\n    make\n    ```\n"
    assert problems_for(kb, GOOD.replace("- Distillation works.", "- Distillation works.\n" + text)) == [
        "22: warning: an indented code fence (in a list item or admonition) shows as plain text on this site; "
        "put the code block at the start of a line, outside the list"
    ]
    assert problems_for(kb, GOOD.replace("Open reasoning models.", "```sh\nmake\n```")) == []


def test_links_in_inline_code_and_known_templates_are_fine(kb):
    text = GOOD.replace("Open reasoning models.", "Write `[x](nowhere.md)` or ``[y](/abs.md)``.")
    assert problems_for(kb, text.replace("status: draft", "status: draft\ntemplate: main.html")) == []


def test_title_headings_inside_code_are_ignored(kb):
    assert problems_for(kb, GOOD.replace("Open reasoning models.", "```sh\n# a shell comment\n```")) == []


def test_links_inside_code_are_ignored(kb):
    assert problems_for(kb, GOOD.replace("Open reasoning models.", "```md\n[x](nowhere.md)\n```")) == []


def test_same_arxiv_id_on_two_pages(kb):
    write(kb, "a.md", GOOD)
    found = problems_for(kb, GOOD, name="b.md")
    assert found == ["3: error: arXiv ID 2501.12948 is already the page a.md; keep one page per paper"]


def test_generated_records_must_match_existing_sections(kb):
    record = f"generated:\n  summary: {{model: m, date: 2026-01-01, sha256: {section_hash('Pure RL teaches reasoning.')}}}\n"
    ok = GOOD.replace("status: draft\n", "status: draft\n" + record)
    assert problems_for(kb, ok) == []
    gone = ok.replace("## Summary\n\nPure RL teaches reasoning.\n\n", "")
    assert any("generated record 'summary' but the page has no '## Summary' section" in p for p in problems_for(kb, gone))
    typo = ok.replace("  summary:", "  sumary:")
    assert any("generated record 'sumary' names no section; did you mean 'summary'?" in p for p in problems_for(kb, typo))
    incomplete = ok.replace("date: 2026-01-01, ", "")
    assert any("generated record 'summary' lacks date" in p for p in problems_for(kb, incomplete))


def test_file_name_must_be_a_slug(kb):
    found = problems_for(kb, GOOD, name="DeepSeek R1.md")
    assert found == ["1: error: file name 'DeepSeek R1.md' is not a slug; rename it to 'deepseek-r1.md'"]


def test_vocabulary_problems_are_reported(kb):
    kb.topics_file.write_text(TOPICS + "- id: Bad Id\n  title: x\n- id: reasoning\n  title: Again\n  description: d\n")
    kb.labs_file.write_text(LABS + "- name: DeepSeek Research\n  aliases: [DeepSeek-AI]\n")
    found = [(p.path.name, p.line, p.message) for p in check.check_pages(kb, today=TODAY)]
    assert ("topics.yml", 7, "topic id 'Bad Id' must be lowercase words joined by '-', e.g. 'reinforcement-learning'") in found
    assert ("topics.yml", 9, "topic id 'reasoning' is defined twice (first on line 1)") in found
    assert any(name == "labs.yml" and line == 5 and "'DeepSeek-AI' already names lab 'DeepSeek'" in msg for name, line, msg in found)


def test_cli_reports_all_problems_and_exits_1(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    write(kb, "a.md", GOOD.replace("priority: urgent", "priority: critical"))
    write(kb, "b.md", "---\ntitle: [unclosed\n---\n")
    assert main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("content/papers/a.md:8: error: 'priority' is 'critical'")
    assert out[1].startswith("content/papers/b.md:2: error: invalid YAML in front matter")


def test_cli_github_format_annotates(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    write(kb, "a.md", GOOD.replace("topics: [reasoning]", "topics: [reasonng]"))
    assert main(["check", "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith("::error file=content/papers/a.md,line=6::unknown topic 'reasonng'")


def test_cli_exit_0_with_only_warnings_and_paths_limit_the_check(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    write(kb, "warn.md", GOOD.replace("status: draft", "status: todo"))
    write(kb, "bad.md", GOOD.replace("2501.12948", "2412.19437").replace("status: draft", "status: nope"))
    assert main(["check", "content/papers/warn.md"]) == 0
    assert "bad.md" not in capsys.readouterr().out
    assert main(["check", "content/papers/missing.md"]) == 2


def test_no_traceback_on_binary_garbage(kb, monkeypatch):
    monkeypatch.chdir(kb.root)
    (kb.papers_dir / "garbage.md").write_bytes(b"---\ntitle: \xff\xfe\x00\n---\n")
    result = subprocess.run([sys.executable, "-m", "paperkb", "check"], capture_output=True, text=True, cwd=kb.root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "content/papers/garbage.md:2: error: not UTF-8 text" in result.stdout  # the line the bad byte is on


def test_shipped_knowledge_base_is_clean(repo_root, monkeypatch):
    problems = check.check_pages(config.load(repo_root))
    assert [p for p in problems if p.severity == "error"] == []


def test_broken_sync_records_are_reported(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    kb.syncs_dir.mkdir()
    (kb.syncs_dir / "2026-11-20.yml").write_text(
        "date: 2026-11-20\nwindow: {since: 2026-11-13, until: 2026-11-20}\nqueries: []\nadded: []\ncounts: {found: 0, added: 0, already_present: 0}\n"
    )
    (kb.syncs_dir / "2026-11-21.yml").write_text("date: 2026-11-21\nwindow: [oops\n")
    (kb.syncs_dir / "2026-11-22.yml").write_text("date: yesterday\n")
    assert main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("content/syncs/2026-11-21.yml:3: error: invalid YAML in sync record")
    assert out[1] == "content/syncs/2026-11-22.yml:1: error: 'date' must be a date (YYYY-MM-DD); see the sync record format in the README"
    assert len(out) == 2


def test_parallel_check_finds_exactly_what_one_process_finds(kb, monkeypatch):
    for number in range(12):
        text = GOOD.replace("2501.12948", f"2501.{10000 + number}")
        if number % 3 == 0:
            text = text.replace("topics: [reasoning]", "topics: [reasonng]")
        write(kb, f"p{number:02d}.md", text)
    write(kb, "dup.md", GOOD.replace("2501.12948", "2501.10004"))
    write(kb, "broken.md", "---\ntitle: [x\n---\n")

    def found(jobs: str) -> list[tuple[str, int, str]]:
        monkeypatch.setenv("PAPERKB_JOBS", jobs)
        return sorted((p.path.name, p.line, p.message) for p in check.check_pages(kb, today=TODAY))

    sequential = found("1")
    assert len(sequential) == 6  # 4 unknown topics, 1 duplicate, 1 broken page
    assert found("2") == sequential


def test_folder_named_like_a_page_and_dangling_symlink_are_errors_not_tracebacks(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    write(kb, "good.md", GOOD)
    (kb.papers_dir / "x.md").mkdir()
    (kb.papers_dir / "d.md").symlink_to("../nowhere.md")
    assert main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("content/papers/d.md:1: error: a symbolic link (to ../nowhere.md); ")
    assert out[1].startswith("content/papers/x.md:1: error: a folder named like a page")
    assert len(out) == 2


@pytest.mark.parametrize(
    "topics",
    ["topics:\n  reasoning:\n  alignment:", "topics: [{reasoning: 1}, alignment]", "topics: {reasoning: 1, alignment: 2}"],
)
def test_topics_written_as_a_mapping_suggest_the_list_of_its_keys(kb, topics):
    found = problems_for(kb, GOOD.replace("topics: [reasoning]", topics))
    assert found == ["6: error: 'topics' must be a list of names, not key: value pairs; write 'topics: [reasoning, alignment]'"]


def test_a_quoted_date_says_remove_the_quotes(kb):
    found = problems_for(kb, GOOD.replace("published: 2025-01-22", "published: '2025-01-22'"))
    assert found == ["7: error: 'published' is the text '2025-01-22', not a date; remove the quotes: 'published: 2025-01-22'"]


def test_a_page_outside_content_linking_to_a_missing_page_inside_has_no_traceback(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    write(kb, "deepseek-r1.md", GOOD)
    (kb.root / "drafts").mkdir()
    (kb.root / "drafts" / "new.md").write_text(
        GOOD.replace("2501.12948", "2501.00001").replace("Open reasoning models.", "See [r2](../content/papers/deepseek-r2.md).")
    )
    assert main(["check", "drafts/new.md"]) == 1
    assert capsys.readouterr().out.splitlines() == ["drafts/new.md:23: error: link to '../content/papers/deepseek-r2.md', which does not exist"]


def test_github_format_escapes_the_file_property_and_the_message(kb, monkeypatch):
    monkeypatch.chdir(kb.root)
    problem = Problem(kb.papers_dir / "a,line=99:b%.md", 3, "100% wrong\nsecond line: here")
    assert format_problem(problem, kb, "github") == ("::error file=content/papers/a%2Cline=99%3Ab%25.md,line=3::100%25 wrong%0Asecond line: here")


def test_a_folder_argument_means_the_pages_of_the_papers_folder_in_it(kb, capsys, monkeypatch):
    monkeypatch.chdir(kb.root)
    write(kb, "a.md", GOOD)
    write(kb, "b.md", GOOD.replace("2501.12948", "2501.00002").replace("priority: urgent", "priority: critical"))
    (kb.root / "README.md").write_text("# Not a page\n")
    for folder in ("content", "content/papers", "."):
        assert main(["check", folder]) == 1
        captured = capsys.readouterr()
        assert captured.out.splitlines() == ["content/papers/b.md:8: error: 'priority' is 'critical'; use one of urgent, high, medium, low"]
        assert "checked 2 page(s): 1 error(s)" in captured.err
    (kb.root / "docs").mkdir()
    (kb.root / "docs" / "notes.md").write_text("# Notes\n")
    assert main(["check", "docs"]) == 2
    assert "paperkb check: docs: no pages in this folder (pages are the .md files in content/papers)" in capsys.readouterr().err
