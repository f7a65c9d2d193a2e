"""The two page edits fill added to pages.py: entries inside the ``generated`` map, and a one-line scalar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from paperkb.model.pages import parse_page, set_keys, set_map_entries, set_scalar

RECORD = {"model": "claude-sonnet-5-5", "date": dt.date(2026, 11, 22), "input": "abstract", "sha256": "ab" * 32}

PAGE = """\
---
title: X
generated:
  # a person's comment inside the map
  summary:
    model: Claude Opus 4.6   # as imported
    date: 2026-02-06
    sha256: '1234'
  key_insights: {model: m, date: 2026-02-06, sha256: '99'}
status: todo   # flip when done
---

## Summary

Text.
"""


def page(text: str = PAGE, newline: str = "\n"):
    return parse_page(Path("p.md"), text.replace("\n", newline))


def test_new_entries_are_appended_in_order_and_the_others_keep_their_bytes():
    text = set_map_entries(page(), "generated", {"why_it_matters": RECORD, "extra": {"model": "n"}})
    head, tail = PAGE.split("status:")
    assert text.startswith(head)  # every byte of the existing map, comments and flow entry included
    added = text[len(head) : text.index("status:")]
    assert added == (
        f"  why_it_matters:\n    model: claude-sonnet-5-5\n    date: 2026-11-22\n    input: abstract\n    sha256: {'ab' * 32}\n  extra:\n    model: n\n"
    )
    assert text.endswith("status:" + tail)
    meta = parse_page(Path("p.md"), text).meta
    assert list(meta["generated"]) == ["summary", "key_insights", "why_it_matters", "extra"]
    assert meta["generated"]["why_it_matters"] == RECORD


def test_an_existing_entry_is_replaced_in_place():
    text = set_map_entries(page(), "generated", {"summary": RECORD})
    assert "  # a person's comment inside the map\n  summary:\n    model: claude-sonnet-5-5\n" in text
    assert "  key_insights: {model: m, date: 2026-02-06, sha256: '99'}\n" in text
    assert "Claude Opus 4.6" not in text
    assert parse_page(Path("p.md"), text).meta["generated"]["summary"] == RECORD


def test_an_absent_or_flow_style_map_is_written_whole_with_its_entries_merged():
    absent = page(PAGE.replace(PAGE[PAGE.index("generated:") : PAGE.index("status:")], ""))
    meta = parse_page(Path("p.md"), set_map_entries(absent, "generated", {"summary": RECORD})).meta
    assert meta["generated"] == {"summary": RECORD}
    flow = page("---\ntitle: X\ngenerated: {summary: {model: m}}\nstatus: todo\n---\n")
    meta = parse_page(Path("p.md"), set_map_entries(flow, "generated", {"key_insights": RECORD})).meta
    assert meta["generated"] == {"summary": {"model": "m"}, "key_insights": RECORD}
    assert list(meta) == ["title", "generated", "status"]


def test_map_entries_keep_crlf_line_endings():
    text = set_map_entries(page(newline="\r\n"), "generated", {"why_it_matters": RECORD})
    assert "\n" not in text.replace("\r\n", "")
    assert parse_page(Path("p.md"), text).meta["generated"]["why_it_matters"] == RECORD


def test_a_scalar_is_replaced_keeping_spacing_and_comment():
    text = set_scalar(page(), "status", "draft")
    assert text == PAGE.replace("status: todo   # flip when done", "status: draft   # flip when done")


@pytest.mark.parametrize("line", ["status: 'todo'", 'status: "todo"  # quoted', "status:     todo"])
def test_a_quoted_or_spaced_scalar_is_replaced(line):
    before = "---\ntitle: X\n" + line + "\nabstract: x\n---\n"
    text = set_scalar(page(before), "status", "draft")
    assert parse_page(Path("p.md"), text).meta == {"title": "X", "status": "draft", "abstract": "x"}
    assert text.replace("draft", "").replace("'", "").replace('"', "") == before.replace("todo", "").replace("'", "").replace('"', "")


def test_a_missing_scalar_is_appended():
    text = set_scalar(page("---\ntitle: X\n---\n"), "status", "draft")
    assert text == "---\ntitle: X\nstatus: draft\n---\n"


def test_set_keys_appends_new_keys_in_the_order_given():
    text = set_keys(page("---\ntitle: X\n---\n"), {"priority": "high", "topics": ["a"], "labs": ["b"]})
    assert text == "---\ntitle: X\npriority: high\ntopics:\n- a\nlabs:\n- b\n---\n"
