"""``paperkb fill --articles``: an article's missing per-paper sections, written from the covered paper pages by
the real anthropic SDK over HTTP against the local fake Messages API."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from paperkb.cli import main as cli
from paperkb.fill.articles import SECTION_OUTPUT_TOKENS
from paperkb.model.pages import load_page, section_hash
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fill_kb import REPO, add_page, kb_talking_to, run_fill, variant

#: A hand-edited article: a comment, odd spacing, a section a person wrote, one still todo, one absent text.
ARTICLE = """\
---
# A person's comment stays where it is.
title: "Two   routing papers"   # quoted on purpose
papers:
- sparsemix
- {paper: '2402.00001', section: The Second One}
status:   todo   # flip when done
---

Intro a person wrote.

## Summary

Both papers route tokens to experts.

## SparseMix: Routing Experts

todo

## The Second One

TBD

## Quotes

> "We route."
>
> — the SparseMix paper
"""

SECOND = variant("Second Mixture", "2402.00001").replace("trained on 2T tokens", "trained on 3T tokens")


@pytest.fixture
def server():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def kb(tmp_path: Path, server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = kb_talking_to(server, tmp_path / "kb", monkeypatch)
    add_page(root, "sparsemix")
    add_page(root, "second", SECOND)
    return root


def add_article(root: Path, text: str = ARTICLE, slug: str = "routing") -> Path:
    folder = root / "content" / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_fill_writes_the_missing_paper_sections_byte_exact_elsewhere_with_provenance(kb, server, capsys):
    path = add_article(kb)
    papers_before = {p: p.read_bytes() for p in (kb / "content" / "papers").glob("*.md")}
    assert run_fill(kb, "--articles") == 0
    article = load_page(path)
    first, second = article.section_text("SparseMix: Routing Experts"), article.section_text("The Second One")
    # Each section is written from its own paper: the fake answers from that paper's abstract.
    assert "16B parameters" in first and "16B parameters" in second
    assert "2T tokens" in first and "3T tokens" in second and "2T" not in second
    text = path.read_text("utf-8")
    expected = (
        ARTICLE.replace("status:   todo   # flip", "status:   draft   # flip")
        .replace("## SparseMix: Routing Experts\n\ntodo\n", f"## SparseMix: Routing Experts\n\n{first}\n")
        .replace("## The Second One\n\nTBD\n", f"## The Second One\n\n{second}\n")
    )
    # Byte-exact outside what fill owns: the two sections, the generated records, the status.
    body_start = text.index("\n---\n") + 5
    assert text[body_start:] == expected[expected.index("\n---\n") + 5 :]
    front = text[:body_start]
    assert front.startswith(ARTICLE[: ARTICLE.index("---\n\nIntro")].replace("todo   # flip", "draft   # flip"))
    records = article.meta["generated"]
    assert set(records) == {"sparsemix", "second"}
    for slug, section in (("sparsemix", first), ("second", second)):
        record = records[slug]
        assert record["sha256"] == section_hash(section)
        assert record["model"] == "claude-sonnet-5-5" and record["provider"] == "anthropic"
        assert record["input"] == f"papers/{slug}.md: abstract"
        assert {"date", "language"} <= set(record)
    assert {p: p.read_bytes() for p in papers_before} == papers_before  # paper pages untouched
    (request,) = server.message_requests()
    assert set(request.body["output_config"]["format"]["schema"]["properties"]) == {"sparsemix", "second"}
    assert "filled  content/articles/routing.md: SparseMix: Routing Experts, The Second One" in capsys.readouterr().out
    # A second run has nothing to do and asks nothing.
    assert run_fill(kb, "--articles") == 0
    assert len(server.message_requests()) == 1
    assert path.read_text("utf-8") == text


def test_a_number_not_in_that_papers_input_is_refused(kb, server, capsys):
    path = add_article(kb)
    before = path.read_bytes()
    server.script("invented_number", "invented_number", match="Two routing papers")
    assert run_fill(kb, "--articles") == 1
    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert "numbers not in that paper's input: 42.7%" in out
    assert len(server.message_requests()) == 2  # the answer, and the one retry with the reasons


def test_a_number_from_the_other_papers_input_is_refused_too(kb, server, capsys):
    # The first paper's numbers are in the request, but not in the second paper's input: the guard is per section.
    path = add_article(kb)
    server.script("from_other_paper", "from_other_paper", match="Two routing papers")
    assert run_fill(kb, "--articles") == 1
    assert path.read_text("utf-8") == ARTICLE
    assert "second: numbers not in that paper's input: 2T" in capsys.readouterr().out


def test_a_section_a_person_wrote_or_emptied_is_left_alone(kb, server, capsys):
    machine = "What the machine once wrote about the second paper."
    text = ARTICLE.replace(
        "status:   todo",
        f"generated:\n  second: {{model: m, date: 2026-01-02, input: x, sha256: '{section_hash(machine)}'}}\nstatus:   todo",
    ).replace("## SparseMix: Routing Experts\n\ntodo\n", "## SparseMix: Routing Experts\n\nA person's own words.\n")
    path = add_article(kb, text)
    assert run_fill(kb, "--articles") == 0
    assert path.read_text("utf-8") == text  # the one section the person wrote, the other one they emptied
    assert server.message_requests() == []
    assert "The Second One changed after it was generated, so it is a person's" in capsys.readouterr().out


def test_dry_run_lists_the_article_and_asks_nothing(kb, server, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    path = add_article(kb)
    assert run_fill(kb, "--articles", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would fill content/articles/routing.md: SparseMix: Routing Experts, The Second One" in out
    assert "papers/sparsemix.md: abstract; papers/second.md: abstract" in out
    # Each section is counted at an article section's length, not at a triage key's few tokens.
    assert int(re.search(r"~([\d,]+) out\)", out).group(1).replace(",", "")) >= 2 * SECTION_OUTPUT_TOKENS
    assert server.message_requests() == []
    assert path.read_text("utf-8") == ARTICLE


def test_the_shipped_seed_article_fills_and_then_passes_check(tmp_path, server, monkeypatch, capsys):
    root = kb_talking_to(server, tmp_path / "kb", monkeypatch)
    shutil.rmtree(root / "content")
    shutil.copytree(REPO / "content", root / "content")
    seed = root / "content" / "articles" / "deepseek-r1-aggregated-report.md"
    before = load_page(seed)
    assert run_fill(root, "--articles", str(seed)) == 0
    after = load_page(seed)
    for slug, title in (("deepseek-r1", "DeepSeek-R1"), ("deepseek-v3-technical-report", "DeepSeek-V3"), ("deepseekmath", "DeepSeekMath")):
        assert before.section_text(title) == "todo"
        assert after.generated_record(slug)["sha256"] == section_hash(after.section_text(title))
    assert after.meta["status"] == "draft"
    for title in ("Summary", "Quotes", "Timeline", "What Didn't Work", "Commentary", "References"):
        assert after.section_text(title) == before.section_text(title)
    capsys.readouterr()
    assert cli.main(["--root", str(root), "check", str(seed)]) == 0, capsys.readouterr().out


def test_articles_cannot_be_combined_with_batch(kb, capsys):
    add_article(kb)
    assert run_fill(kb, "--articles", "--batch") == 2
    assert "--articles cannot be combined with --batch or --stale" in capsys.readouterr().err


def test_an_article_is_filled_only_as_an_article(kb, server, capsys):
    path = add_article(kb)
    assert run_fill(kb, str(path)) == 2
    assert "content/articles/routing.md is an article: fill it with --articles" in capsys.readouterr().err
    assert run_fill(kb, "--articles", str(kb / "content" / "papers" / "second.md")) == 2
    assert "content/papers/second.md is not an article: fill it without --articles" in capsys.readouterr().err
    assert path.read_text("utf-8") == ARTICLE
    assert server.message_requests() == []
