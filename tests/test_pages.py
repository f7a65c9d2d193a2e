"""The page reader/writer: parsing with lines, minimal-diff edits, atomic writes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import frontmatter
import pytest

from paperkb.model import pages
from paperkb.model.pages import PageError, parse_page, section_hash, set_keys, set_section

PAGE = """\
---
# A person's comment stays where it is.
title: "Attention: Is It All?"   # quoted on purpose
arxiv: '1706.03762'
authors: [Ashish Vaswani, Noam Shazeer]
topics:
  - reasoning
published: 2017-06-12
status: todo
abstract: |
  We propose the Transformer.
  Two lines.
---

## Summary

TODO

## Notes

My own notes, with a [link](deepseek-r1.md).
"""


def test_parse_reads_values_lines_and_sections():
    page = parse_page(Path("p.md"), PAGE)
    assert page.meta["title"] == "Attention: Is It All?"
    assert page.meta["published"] == dt.date(2017, 6, 12)
    assert page.key_lines == {"title": 3, "arxiv": 4, "authors": 5, "topics": 6, "published": 8, "status": 9, "abstract": 10}
    assert [(s.title, s.line) for s in page.sections] == [("Summary", 15), ("Notes", 19)]
    assert page.missing_sections() == ["Summary", "Key Insights", "Why It Matters"]
    assert page.section_text("Notes") == "My own notes, with a [link](deepseek-r1.md)."


def test_parse_agrees_with_python_frontmatter():
    """An independent reader (python-frontmatter) sees the same metadata and body."""
    page = parse_page(Path("p.md"), PAGE)
    post = frontmatter.loads(PAGE)
    assert post.metadata == page.meta
    assert post.content.strip() == page.body.strip()


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("title: x\n", 1, "no front matter"),
        ("---\ntitle: x\nstatus: todo\n", 1, "unterminated front matter"),
        ("---\ntitle: a: b\n---\n", 2, "invalid YAML"),
        ("---\ntitle: x\nauthors: [a, b\nstatus: todo\n---\n", 4, "invalid YAML"),
        ("---\n- a list\n---\n", 2, "not a list"),
    ],
)
def test_broken_front_matter_is_a_page_error_with_its_line(text, line, fragment):
    with pytest.raises(PageError) as info:
        parse_page(Path("bad.md"), text)
    assert info.value.line == line
    assert fragment in info.value.message


def test_impossible_date_is_kept_as_invalid_date_not_a_crash():
    page = parse_page(Path("p.md"), "---\ntitle: x\npublished: 2025-02-30\n---\n")
    assert isinstance(page.meta["published"], pages.InvalidDate)


def test_headings_inside_code_fences_are_not_sections():
    page = parse_page(Path("p.md"), "---\ntitle: x\n---\n## Summary\n\n```md\n## Key Insights\n```\n")
    assert [s.title for s in page.sections] == ["Summary"]


@pytest.mark.parametrize("body", ["", "   \n", "TODO", "todo", "*TBD*", "_todo_", "...", "- TODO"])
def test_placeholders_count_as_missing(body):
    assert pages.is_missing(body)


def test_real_text_is_not_missing():
    assert not pages.is_missing("TODO list management is the topic of this paper.")


def test_set_keys_changes_only_the_named_keys():
    page = parse_page(Path("p.md"), PAGE)
    text = set_keys(page, {"status": "draft", "priority": "high"})
    before, after = PAGE.splitlines(), text.splitlines()
    assert after[8] == "status: draft"
    assert after[:8] == before[:8]  # comments, quoting, flow lists untouched
    assert after[9:12] == before[9:12]
    assert after[12] == "priority: high"  # appended at the end of the front matter
    assert text.endswith(PAGE.split("---\n", 2)[2])


def test_set_keys_replaces_block_values_whole_and_can_remove():
    page = parse_page(Path("p.md"), PAGE)
    text = set_keys(page, {"topics": ["reasoning", "alignment"]}, remove=["abstract"])
    reparsed = parse_page(Path("p.md"), text)
    assert reparsed.meta["topics"] == ["reasoning", "alignment"]
    assert "abstract" not in reparsed.meta
    assert reparsed.meta["authors"] == ["Ashish Vaswani", "Noam Shazeer"]


def test_set_keys_quotes_values_yaml_would_misread():
    page = parse_page(Path("p.md"), PAGE)
    reparsed = parse_page(Path("p.md"), set_keys(page, {"arxiv": "2310.06770", "doi": "no"}))
    assert reparsed.meta["arxiv"] == "2310.06770"
    assert reparsed.meta["doi"] == "no"


def test_set_keys_never_writes_yaml_aliases():
    day = dt.date(2026, 2, 6)
    page = parse_page(Path("p.md"), PAGE)
    text = set_keys(page, {"generated": {"summary": {"date": day}, "key_insights": {"date": day}}})
    assert "&id" not in text and "*id" not in text


def test_crlf_pages_stay_crlf():
    crlf = PAGE.replace("\n", "\r\n")
    page = parse_page(Path("p.md"), crlf)
    text = set_section(parse_page(Path("p.md"), set_keys(page, {"status": "draft"})), "Summary", "Line one.\nLine two.")
    assert "\n" not in text.replace("\r\n", "")
    assert "Line one.\r\nLine two." in text


def test_set_section_replaces_a_placeholder_and_keeps_other_sections():
    page = parse_page(Path("p.md"), PAGE)
    text = set_section(page, "Summary", "A real summary.")
    assert "## Summary\n\nA real summary.\n\n## Notes\n\nMy own notes" in text
    assert text.startswith(PAGE.split("## Summary")[0])


def test_set_section_inserts_missing_sections_in_canonical_order_before_human_ones():
    page = parse_page(Path("p.md"), PAGE)
    for title in ("Why It Matters", "Key Insights"):
        page = parse_page(Path("p.md"), set_section(page, title, f"{title} text"))
    assert [s.title for s in page.sections] == ["Summary", "Key Insights", "Why It Matters", "Notes"]
    assert page.section_text("Notes") == "My own notes, with a [link](deepseek-r1.md)."


def test_set_section_keeps_a_missing_final_newline_missing():
    text = "---\ntitle: x\n---\n\n## Summary\n\nTODO"
    page = parse_page(Path("p.md"), text)
    assert set_section(page, "Summary", "Done.").endswith("## Summary\n\nDone.")
    appended = set_section(page, "Key Insights", "- one")
    assert appended.endswith("- one") and "TODO\n\n## Key Insights" in appended


def test_machine_written_until_a_person_edits():
    page = parse_page(Path("p.md"), PAGE)
    page = parse_page(Path("p.md"), set_section(page, "Summary", "Machine words."))
    record = {"summary": {"model": "m", "date": dt.date(2026, 1, 1), "sha256": section_hash("Machine words.")}}
    page = parse_page(Path("p.md"), set_keys(page, {"generated": record}))
    assert page.is_machine_written("summary")
    edited = parse_page(Path("p.md"), set_section(page, "Summary", "Machine words, edited by a person."))
    assert not edited.is_machine_written("summary")


def test_section_hash_ignores_line_endings_and_surrounding_space():
    assert section_hash("a\r\nb\n") == section_hash("\na\nb")
    assert section_hash("a") != section_hash("b")


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "page.md"
    target.write_text("old")
    os.chmod(target, 0o640)
    pages.atomic_write(target, "new\r\ntext")
    assert target.read_bytes() == b"new\r\ntext"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert [p.name for p in tmp_path.iterdir()] == ["page.md"]


def test_atomic_write_failure_leaves_original(tmp_path, monkeypatch):
    target = tmp_path / "page.md"
    target.write_text("original")

    def fail(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        pages.atomic_write(target, "half")
    assert target.read_text() == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["page.md"]


def test_render_new_page_round_trips(tmp_path):
    meta = {"title": "T: x", "arxiv": "2501.00001", "published": dt.date(2025, 1, 2), "status": "todo", "abstract": "a\nb"}
    page = parse_page(tmp_path / "t.md", pages.render_new_page(meta))
    assert page.meta == {**meta, "abstract": "a\nb\n"}
    assert page.missing_sections() == ["Summary", "Key Insights", "Why It Matters"]


def test_set_keys_appends_several_new_keys_in_the_order_given():
    page = parse_page(Path("p.md"), PAGE)
    text = set_keys(page, {"priority": "high", "labs": ["DeepSeek"], "doi": "10.1/x"})
    front = text.split("---\n")[1].splitlines()
    assert front[-4:] == ["priority: high", "labs:", "- DeepSeek", "doi: 10.1/x"]


COMMENTED = """\
---
title: T
authors:
  - Ada Lovelace
  - Zoë Ríos
# priority: set by reviewer below
abstract: |
  Two
  lines.
topics:
  - reasoning
# the last comment, after the last key
---

## Summary

TODO
"""


@pytest.mark.parametrize("edit", ["replace", "remove"])
def test_set_keys_keeps_a_comment_after_a_block_value(edit):
    page = parse_page(Path("p.md"), COMMENTED)
    text = set_keys(page, {"authors": ["Grace Hopper"]}) if edit == "replace" else set_keys(page, {}, remove=["authors"])
    expected = COMMENTED.replace("  - Ada Lovelace\n  - Zoë Ríos\n", "- Grace Hopper\n")
    if edit == "remove":
        expected = COMMENTED.replace("authors:\n  - Ada Lovelace\n  - Zoë Ríos\n", "")
    assert text == expected


@pytest.mark.parametrize("edit", ["replace", "remove"])
def test_set_keys_keeps_a_comment_after_the_last_key(edit):
    page = parse_page(Path("p.md"), COMMENTED)
    text = set_keys(page, {"topics": ["alignment"]}) if edit == "replace" else set_keys(page, {}, remove=["topics"])
    new = "topics:\n- alignment\n" if edit == "replace" else ""
    assert text == COMMENTED.replace("topics:\n  - reasoning\n", new)


MIXED = "---\r\ntitle: T\nauthors:\r\n  - A\n# note\nstatus: todo  # flip\r\ngenerated:\n  summary: {sha256: x}\r\n---\r\n\r\n## Summary\r\n\r\nTODO\r\n"


@pytest.mark.parametrize(
    "edit, old, new",
    [
        # Each edit's own lines get the page's ending (CRLF: it has some); no other line changes ending.
        (lambda p: set_keys(p, {"authors": ["B"]}), "authors:\r\n  - A\n", "authors:\r\n- B\r\n"),
        (lambda p: set_keys(p, {"doi": "d"}), "---\r\n\r\n## Summary", "doi: d\r\n---\r\n\r\n## Summary"),
        (lambda p: pages.set_scalar(p, "status", "draft"), "status: todo", "status: draft"),
        (
            lambda p: pages.set_map_entries(p, "generated", {"key_insights": {"sha256": "y"}}),
            "{sha256: x}\r\n",
            "{sha256: x}\r\n  key_insights:\r\n    sha256: y\r\n",
        ),
    ],
    ids=["replace", "append", "scalar", "map-entry"],
)
def test_mixed_line_endings_only_new_lines_get_the_page_ending(edit, old, new):
    text = edit(parse_page(Path("p.md"), MIXED))
    assert text == MIXED.replace(old, new, 1)


def test_new_sections_find_their_place_among_headings_in_any_case():
    text = "---\ntitle: T\n---\n\n## summary\n\nS.\n\n## why it matters\n\nW.\n"
    page = parse_page(Path("p.md"), set_section(parse_page(Path("p.md"), text), "Key Insights", "- K"))
    assert [s.title for s in page.sections] == ["summary", "Key Insights", "why it matters"]


@pytest.mark.parametrize("line", ["priority:", "priority:   # later", "priority: ''", "priority: low  # later"])
def test_set_scalar_fills_an_empty_value_keeping_its_comment(line):
    text = f"---\n{line}\nstatus: todo\n---\n"
    after = pages.set_scalar(parse_page(Path("p.md"), text), "priority", "high")
    page = parse_page(Path("p.md"), after)
    assert page.meta == {"priority": "high", "status": "todo"}
    assert after.splitlines()[1].endswith("# later") == line.endswith("# later")


def test_unreadable_paths_are_page_errors(tmp_path):
    (tmp_path / "x.md").mkdir()
    (tmp_path / "d.md").symlink_to(tmp_path / "nowhere.md")
    with pytest.raises(PageError, match=r"x\.md:1: a folder, not a regular file; content/ holds only files: remove it$"):
        pages.load_page(tmp_path / "x.md")
    with pytest.raises(PageError, match=r"d\.md:1: a symbolic link \(to .+nowhere\.md\); .*replace the link with the file itself, or remove it$"):
        pages.load_page(tmp_path / "d.md")
    # folders are not pages; a dangling symlink is listed, so loading it reports the error
    assert pages.iter_page_paths(tmp_path) == [tmp_path / "d.md"]
    assert pages.scan_papers_dir(tmp_path) == ([tmp_path / "d.md"], [tmp_path / "x.md"])
    loaded, errors = pages.load_pages(tmp_path)
    assert loaded == [] and [e.path.name for e in errors] == ["d.md"]


def test_a_byte_order_mark_is_accepted_and_kept_on_write(tmp_path):
    path = tmp_path / "bom.md"
    path.write_bytes("\ufeff---\r\ntitle: 'BOM page'\r\nstatus: todo # keep\r\n---\r\n\r\n## Summary\r\n\r\nTODO\r\n".encode())
    page = pages.load_page(path)
    assert page.meta == {"title": "BOM page", "status": "todo"}
    assert page.line_of("status") == 3 and page.sections[0].line == 6
    page = pages.write_page(page, set_keys(page, {"priority": "high"}))
    page = pages.write_page(page, pages.set_scalar(page, "status", "draft"))
    page = pages.write_page(page, set_section(page, "Summary", "Written."))
    assert (
        path.read_bytes() == ("\ufeff---\r\ntitle: 'BOM page'\r\nstatus: draft # keep\r\npriority: high\r\n---\r\n\r\n## Summary\r\n\r\nWritten.\r\n").encode()
    )


@pytest.mark.parametrize(
    "front, line",
    [("title: Q\nauthors:\n\t- A\n", 4), ("title: Q\nauthors:\n  - A\n\t- B\n", 5), ("title: Q\ntopics:\n\treasoning: 1\n", 4)],
)
def test_tab_indentation_says_use_spaces(front, line):
    with pytest.raises(PageError, match=r"\(use spaces, not tabs, for indentation\)$") as caught:
        parse_page("t.md", f"---\n{front}---\n")
    assert caught.value.line == line


def test_non_utf8_byte_is_reported_on_its_line(tmp_path):
    path = tmp_path / "q.md"
    path.write_bytes(b"---\ntitle: Q\n---\n\n## Summary\n\nsmart \x93q\x94\n")
    with pytest.raises(PageError, match="not UTF-8 text") as caught:
        pages.load_page(path)
    assert caught.value.line == 7


def test_one_fence_rule_for_sections_links_and_rendering():
    """Python-Markdown's rule everywhere: a fence starts a line and is closed by the same fence."""
    import markdown as python_markdown

    from paperkb.model.markdown_text import fenced_spans
    from paperkb.model.pages import headings

    text = "````\n## not a heading\n```\n## still code\n````\n\n  ```\n## a heading: an indented fence is none\n  ```\n"
    assert [title for _, title, *_ in headings(text)] == ["a heading: an indented fence is none"]
    assert [text[start:end].count("\n") for start, end in fenced_spans(text)] == [4]
    rendered = python_markdown.markdown(text, extensions=["fenced_code"])
    assert "<h2>a heading: an indented fence is none</h2>" in rendered and "<h2>not a heading" not in rendered


def test_the_page_cache_parses_a_page_again_only_when_its_file_changed(tmp_path):
    """Under `mkdocs serve` each rebuild loads every page through one PageCache: an unchanged file is not read."""
    folder = tmp_path / "papers"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.md").write_text(pages.render_new_page({"title": name.upper(), "status": "todo"}), "utf-8")
    cache = pages.PageCache()
    first, errors = pages.load_pages(folder, cache)
    again, _ = pages.load_pages(folder, cache)
    assert errors == [] and [p.meta["title"] for p in first] == ["A", "B"]
    assert again[0] is first[0] and again[1] is first[1]  # the same objects: nothing was parsed again
    edited = folder / "b.md"
    edited.write_text(pages.render_new_page({"title": "B, edited", "status": "todo"}), "utf-8")
    os.utime(edited, ns=(edited.stat().st_atime_ns, first[1].path.stat().st_mtime_ns + 1_000_000))  # later, even on a coarse clock
    after_edit, _ = pages.load_pages(folder, cache)
    assert after_edit[0] is first[0] and after_edit[1].meta["title"] == "B, edited"
    (folder / "a.md").unlink()
    edited.write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    remaining, errors = pages.load_pages(folder, cache)
    assert remaining == [] and [e.path.name for e in errors] == ["b.md"]  # a page that stops parsing is reported, not served stale
