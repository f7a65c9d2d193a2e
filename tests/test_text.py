"""arXiv's TeX as readers see it (model.text): escapes and dashes converted once at ingest, outside math; math
found as the site's renderer finds it; `paperkb check` reports a '$' that opens no math; the shipped pages hold
no TeX escape; `paperkb add` through the fake arXiv server writes the converted title and abstract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import paperkb.check as check
from paperkb.model import config
from paperkb.model.pages import load_page, load_pages
from paperkb.model.text import READABLE_MATH_SPANS, display_text, escape_stray_dollars, math_segments, readable_math, readable_text, stray_dollars
from tests.support.arxiv_env import run_cli
from tests.support.fake_arxiv import FakeArxiv, paper_from_dict

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "tex, shown",
    [
        ("DQ3\\_K\\_M at 100\\% \\& more \\#1 \\{x\\}", "DQ3_K_M at 100% & more #1 {x}"),
        ("Mixture of Tunable Experts -- Behavior Modification", "Mixture of Tunable Experts \u2013 Behavior Modification"),
        ("pages 1--2, a pause---then", "pages 1\u20132, a pause\u2014then"),
        # math keeps its TeX; a literal dollar stays escaped (it is how the renderer tells it from math)
        ("a $\\mathcal{O}(n\\_1)$ -- b and $$x--y$$ cost \\$5", "a $\\mathcal{O}(n\\_1)$ \u2013 b and $$x--y$$ cost \\$5"),
        # a URL keeps its hyphens, an HTML comment its markers, a run of four hyphens stays a rule
        ("see https://a--b.org/x\\_y -- <!-- note --> ----", "see https://a--b.org/x_y \u2013 <!-- note --> ----"),
    ],
)
def test_display_text_converts_tex_escapes_and_dashes_outside_math(tex, shown):
    assert display_text(tex) == shown


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab $\\_%&-{}\n") + ["--", "$$", "\\$"]), max_size=30).map("".join))
def test_display_text_is_idempotent_and_keeps_math_as_is(text):
    once = display_text(text)
    assert display_text(once) == once
    assert [part for kind, part in math_segments(once) if kind != "text"] == [part for kind, part in math_segments(text) if kind != "text"]


def test_math_is_found_as_arithmatex_finds_it():
    text = "Cost $5 and $6; $x$ and $\\max_\\theta$ and $$E=mc^2$$ and \\$7.\n\nThen $y\n\nz$."
    assert math_segments(text) == [
        ("text", "Cost $5 and $6; "),
        ("inline", "x"),
        ("text", " and "),
        ("inline", "\\max_\\theta"),
        ("text", " and "),
        ("display", "E=mc^2"),
        ("text", " and \\$7.\n\nThen $y\n\nz$."),
    ]
    # '$5 and $' has a space just inside its closing dollar: not math, both dollars stray; math never spans paragraphs
    assert [text[i : i + 2] for i in stray_dollars(text)] == ["$5", "$6", "$y", "$."]
    assert stray_dollars("a $x$ b \\$3 $$y$$") == []


def test_math_reads_as_text_in_feeds_and_email():
    assert readable_text("We maximise $\\max_\\theta \\alpha$ for \\$5.") == "We maximise max_θα for $5."
    assert readable_math("\\frac{a}{b}") == "a/b"
    # malformed TeX (pylatexenc raises on it) and oversized math stay source, quietly
    assert readable_math("\\href{x") == "\\href{x"
    assert readable_math("{" * 5000) == "{" * 5000


def test_the_shipped_pages_hold_no_tex_escape_or_double_hyphen():
    pages, errors = load_pages(REPO / "content" / "papers")
    assert not errors and pages
    for page in pages:
        for key in ("title", "abstract"):
            value = page.meta.get(key)
            if isinstance(value, str):
                assert display_text(value) == value, (page.slug, key)


# -- check ---------------------------------------------------------------------------------------------------
PAGE = """\
---
title: A Paper
arxiv: '2501.12948'
abstract: |
  {abstract}
topics: [reasoning]
status: draft
---

## Summary

{summary}

## Key Insights

- One.

## Why It Matters

`$5` in code is code, and so is

```
echo $HOME
```
"""
TODAY = dt.date(2026, 11, 22)


def _problems(tmp_path: Path, abstract: str, summary: str) -> list[str]:
    (tmp_path / "content" / "papers").mkdir(parents=True, exist_ok=True)
    (tmp_path / "content" / "topics.yml").write_text("- id: reasoning\n  title: Reasoning\n  description: Thinking.\n")
    (tmp_path / "content" / "labs.yml").write_text("- name: DeepSeek\n")
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb]\n")
    (tmp_path / "content" / "papers" / "a-paper.md").write_text(PAGE.format(abstract=abstract, summary=summary))
    problems = check.check_pages(config.load(tmp_path), today=TODAY)
    return [f"{p.line}: {p.severity}: {p.message}" for p in problems if "$" in p.message]


def test_check_reports_an_unbalanced_dollar_with_its_line_and_the_fix(tmp_path):
    fix = "close the math with a matching '$' (no space just inside it) or write '\\$' for a dollar sign"
    assert _problems(tmp_path, "It costs $5.", "Trained for $5.5M, a fraction.") == [
        f"4: error: unbalanced '$' in the abstract: {fix}",
        f"12: error: unbalanced '$': {fix}",
    ]


def test_check_accepts_math_and_escaped_dollars(tmp_path):
    assert _problems(tmp_path, "We bound $\\max_\\theta L$ by \\$5.", "Costs \\$5.5M; $$x^2$$ and $y$.") == []


# -- ingest --------------------------------------------------------------------------------------------------
def test_add_writes_the_title_and_abstract_as_readers_see_them(kb: Path, arxiv_server: FakeArxiv):
    arxiv_server.add(
        paper_from_dict(
            {
                "id": "2612.00042",
                "published": "2026-12-01T10:00:00Z",
                "primary_category": "cs.LG",
                "authors": ["Ada Lovelace"],
                "versions": [
                    {
                        "title": "Quantised Experts -- DQ3\\_K\\_M at Scale",
                        "summary": "We keep 100\\% of $\\max_\\theta$ accuracy --- at \\$5 a run.",
                    }
                ],
            }
        )
    )
    assert run_cli(kb, "add", "2612.00042") == 0
    [path] = [p for p in (kb / "content" / "papers").glob("*.md") if "quantised" in p.name]
    meta = load_page(path).meta
    assert meta["title"] == "Quantised Experts \u2013 DQ3_K_M at Scale"
    assert meta["abstract"] == "We keep 100% of $\\max_\\theta$ accuracy \u2014 at \\$5 a run.\n"


def test_readable_math_is_bounded_on_hostile_text():
    """pylatexenc costs about 0.4 ms a span: past READABLE_MATH_SPANS the TeX stays as written (a 1 MB section of
    250,000 spans took 49 s in a feed before the bound, under 2 s after)."""
    text = " ".join(f"$\\alpha_{{{i}}}$" for i in range(READABLE_MATH_SPANS + 5))
    shown = readable_text(text).split(" ")
    assert shown[0] == "α_0" and shown[READABLE_MATH_SPANS - 1] == f"α_{READABLE_MATH_SPANS - 1}"
    assert shown[READABLE_MATH_SPANS] == f"\\alpha_{{{READABLE_MATH_SPANS}}}"


def test_a_stray_dollar_from_outside_text_is_escaped_and_math_is_kept():
    assert escape_stray_dollars("cost $5.5M, $x$ and \\$3") == "cost \\$5.5M, $x$ and \\$3"
    assert stray_dollars(escape_stray_dollars("$5 and $6 then $$")) == []
