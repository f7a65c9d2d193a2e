"""Hostile input cannot hang, crash or exhaust paperkb (issue 10, item 4): files and YAML have limits.

Each case is one the hostile-input audit found (an alias bomb, '[' x 50,000, a FIFO named x.md, a link to
/dev/zero …). Cases that would hang, eat gigabytes or segfault if their limit regressed run ``paperkb check`` in
a child process with a timeout and a memory limit (tests/support/bounded_run.py), so a regression fails one test
instead of taking the suite down; the others call the readers directly.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import markdown
import pytest
import yaml

from paperkb.model import limits, markdown_text, pages
from paperkb.model.limits import MAX_LINE_CHARS, MAX_PAGE_BYTES, ReadError, read_regular_file
from paperkb.model.pages import PageError, load_page, parse_page
from paperkb.model.syncs import SyncRecordError, read_record
from paperkb.model.vocab import load_vocabulary
from tests.support.bounded_run import cpu_run_paperkb, failed_cleanly, run_paperkb

TOPICS = "- id: reasoning\n  title: Reasoning\n  description: Models that think.\n"
LABS = "- name: DeepSeek\n"
HEAD = "---\ntitle: Hostile\narxiv: '2501.12948'\nstatus: todo\n"
BODY = "---\n\n## Summary\n\nTODO\n"
RECORD = "date: 2026-01-01\nwindow: {since: 2025-12-01, until: 2026-01-01}\nqueries: []\nadded: []\ncounts: {found: 0, added: 0, already_present: 0}\n"


def alias_bomb(levels: int = 9, indent: str = "") -> str:
    """The 'billion laughs': nine lines whose last alias names 9^9 (387 million) strings."""
    lines = [f"{indent}a0: &a0 [{', '.join(['lol'] * 9)}]"]
    lines += [f"{indent}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "topics.yml").write_text(TOPICS)
    (tmp_path / "content" / "labs.yml").write_text(LABS)
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb]\n")
    return tmp_path


def paper(root: Path, name: str, text: str) -> Path:
    path = root / "content" / "papers" / name
    path.write_text(text, "utf-8")
    return path


# -- only regular files, of bounded size ---------------------------------------------------------------------
def test_a_fifo_named_like_a_page_is_reported_not_waited_for(root):
    os.mkfifo(root / "content" / "papers" / "x.md")
    os.mkfifo(root / "content" / "topics-fifo.yml")
    result = run_paperkb(root, "check", timeout=30)  # before: check and the build waited forever
    assert failed_cleanly(result), result.stderr
    assert "content/papers/x.md:1: error: a named pipe (FIFO), not a regular file; content/ holds only files: remove it" in result.stdout


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/environ", "loop.md"])
def test_a_symlinked_page_is_never_followed(root, target):
    (root / "content" / "papers" / "link.md").symlink_to(target)
    if target == "loop.md":
        (root / "content" / "papers" / "loop.md").symlink_to("link.md")
    result = run_paperkb(root, "check", timeout=30)  # before: /dev/zero grew to 5 GB, a loop gave a traceback
    assert failed_cleanly(result), result.stderr
    assert f"content/papers/link.md:1: error: a symbolic link (to {target}); content/ holds only regular files" in result.stdout
    assert result.stdout.count("content/papers/link.md:") == 1  # once, not once per reader


def test_read_regular_file_refuses_what_is_not_a_small_regular_file(tmp_path):
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "zero.md").symlink_to("/dev/zero")
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 1001)
    (tmp_path / "latin1.md").write_bytes(b"one\ntwo caf\xe9\n")
    expected = {
        "folder.md": "1: a folder, not a regular file; content/ holds only files: remove it",
        "zero.md": "1: a symbolic link (to /dev/zero); content/ holds only regular files, so a link cannot publish a file from elsewhere: "
        "replace the link with the file itself, or remove it",
        "big.md": "1: 1001 bytes, more than the 1000 bytes a file here may have; split it into smaller files",
        "latin1.md": "2: not UTF-8 text (invalid continuation byte at byte 11); save the file as UTF-8",
    }
    for name, message in expected.items():
        with pytest.raises(ReadError) as caught:
            read_regular_file(tmp_path / name, 1000)
        assert str(caught.value) == f"{tmp_path / name}:{message}"
    big.write_bytes(b"x" * 1000)
    assert read_regular_file(big, 1000) == "x" * 1000


def test_a_file_that_says_it_is_empty_is_still_read_only_up_to_the_limit():
    """Files in /proc report size 0 and have content: the limit counts what is read, not what stat says."""
    with pytest.raises(ReadError, match="more than the 10 bytes a file here may have"):
        read_regular_file("/proc/self/status", 10)


def test_line_endings_and_a_byte_order_mark_are_kept(tmp_path):
    path = tmp_path / "p.md"
    path.write_bytes("\ufeff---\r\ntitle: x\r\n---\r\n".encode())
    assert read_regular_file(path, 100) == "\ufeff---\r\ntitle: x\r\n---\r\n"


def test_a_page_over_the_size_limit_is_an_error_before_it_is_parsed(root):
    path = paper(root, "huge.md", HEAD + BODY + ("word " * 1000 + "\n") * (MAX_PAGE_BYTES // 5000 + 1))
    with pytest.raises(PageError, match=r"huge\.md:1: 2\.0 MB, more than the 2\.0 MB a file here may have; split it"):
        load_page(path)
    with pytest.raises(PageError, match=r"^x\.md:1: the page has 3\.0 MB, more than 2\.0 MB; split it"):
        parse_page("x.md", "x" * (3 << 20))  # text MkDocs read itself is held to the same limit


def test_a_line_over_the_line_limit_is_an_error_on_its_line():
    text = HEAD + BODY + "short\n" + "x" * (MAX_LINE_CHARS + 1) + "\n"
    with pytest.raises(PageError) as caught:
        parse_page("p.md", text)
    assert caught.value.line == 11
    assert caught.value.message == f"a line of {MAX_LINE_CHARS + 1:,} characters, more than {MAX_LINE_CHARS:,}; break it into shorter lines"
    assert parse_page("p.md", HEAD + BODY + "x" * MAX_LINE_CHARS + "\n").meta["title"] == "Hostile"


def test_front_matter_over_its_limit_is_an_error():
    text = HEAD + "".join(f"k{i}: {'v' * 1000}\n" for i in range(300)) + BODY
    with pytest.raises(PageError, match=r"^p\.md:2: front matter of 29\d\.\d KB, more than 256\.0 KB; shorten it"):
        parse_page("p.md", text)


# -- YAML: no aliases, bounded depth, bounded numbers --------------------------------------------------------
def test_alias_bombs_are_refused_at_their_line_in_pages_vocabularies_and_sync_records(root):
    paper(root, "bomb.md", HEAD + alias_bomb() + "published: *a8\n" + BODY)
    with (root / "content" / "topics.yml").open("a") as topics:
        topics.write("- x:\n" + alias_bomb(indent="    ") + "  id: *a8\n  title: Bomb\n")
    (root / "content" / "syncs").mkdir()
    (root / "content" / "syncs" / "2026-01-01.yml").write_text(alias_bomb() + RECORD.replace("found: 0,", "found: *a8,"))
    result, cpu = cpu_run_paperkb(root, "check", timeout=60)  # before: past 60 s at 0.8-5 GB
    assert cpu < 10
    assert failed_cleanly(result), result.stderr
    for line in (
        "content/papers/bomb.md:5: error: invalid YAML in front matter: YAML anchors and aliases ('&name', '*name') are not allowed here",
        "content/topics.yml:5: error: invalid YAML: YAML anchors and aliases ('&name', '*name') are not allowed here",
        "content/syncs/2026-01-01.yml:1: error: invalid YAML in sync record: YAML anchors and aliases ('&name', '*name') are not allowed",
    ):
        assert line in result.stdout


@pytest.mark.parametrize("where", ["page", "topics", "sync"])
def test_50000_open_brackets_are_a_depth_error_not_a_segfault(root, where):
    if where == "page":
        paper(root, "brackets.md", HEAD + "authors: " + "[" * 50_000 + "\n" + BODY)
        expected = "content/papers/brackets.md:5: error: invalid YAML in front matter: lists and mappings nested more than 20 levels deep"
    elif where == "topics":
        with (root / "content" / "topics.yml").open("a") as topics:
            topics.write("- id: deep\n  title: " + "[" * 50_000 + "\n")
        expected = "content/topics.yml:5: error: invalid YAML: lists and mappings nested more than 20 levels deep"
    else:
        (root / "content" / "syncs").mkdir()
        (root / "content" / "syncs" / "2026-01-01.yml").write_text(RECORD.replace("queries: []", "queries: " + "[" * 50_000))
        expected = "content/syncs/2026-01-01.yml:3: error: invalid YAML in sync record: lists and mappings nested more than 20 levels deep"
    result = run_paperkb(root, "check", timeout=60)  # before: killed by SIGSEGV in libyaml's C composer
    assert failed_cleanly(result), (result.returncode, result.stderr[-500:])
    assert expected in result.stdout


@pytest.mark.parametrize(
    "value, line",
    [
        ("[" * 21 + "]" * 21, 5),  # flow: few openers, caught while building
        ("\n" + "".join("  " * i + "-\n" for i in range(1, 22)), 25),  # block: indentation alone (level 21 on line 25)
        ("[" * 3000 + "]" * 3000, 5),  # many openers: caught on the event stream (before: RecursionError)
        ("!!set {" + "[" * 30 + "]" * 30 + ": 1}", 5),  # a tag PyYAML builds itself: the whole tree is checked first
    ],
)
def test_nesting_deeper_than_20_levels_is_an_error(value, line):
    with pytest.raises(PageError) as caught:
        parse_page("p.md", HEAD + "authors: " + value + "\n" + BODY)
    assert caught.value.message.startswith("invalid YAML in front matter: lists and mappings nested more than 20 levels deep; flatten")
    assert caught.value.line == line


def test_twenty_levels_are_fine():
    page = parse_page("p.md", HEAD + "search: " + "{a: " * 19 + "1" + "}" * 19 + "\n" + BODY)
    value = page.meta["search"]
    for _ in range(18):
        value = value["a"]
    assert value == {"a": 1}


def test_an_anchor_without_alias_and_merge_keys_are_refused_too():
    for front in ("abstract: &a text\n", "base: &b {x: 1}\nmerged:\n  <<: *b\n"):
        with pytest.raises(PageError, match="YAML anchors and aliases"):
            parse_page("p.md", HEAD + front + BODY)
    # '&' and '*' in ordinary text are text
    page = parse_page("p.md", HEAD + "abstract: R&D *matters* & more\n" + BODY)
    assert page.meta["abstract"] == "R&D *matters* & more"


@pytest.mark.parametrize("digits, message", [(5000, "a number of 5,000 characters, more than 64"), (100_000, "a line of 100,009 characters")])
def test_a_huge_number_is_an_error_not_a_value_error(root, digits, message):
    paper(root, "version.md", HEAD + "version: " + "9" * digits + "\n" + BODY)
    result = run_paperkb(root, "check", timeout=30)  # before: ValueError traceback (ints over 4,300 digits)
    assert failed_cleanly(result), result.stderr
    assert "content/papers/version.md:5: error: " in result.stdout and message in result.stdout


def test_numbers_up_to_64_characters_still_read():
    page = parse_page("p.md", HEAD + "version: 3\nbig: " + "9" * 64 + "\n" + BODY)
    assert page.meta["version"] == 3 and page.meta["big"] == int("9" * 64)


def test_vocabulary_and_sync_record_limits_are_problems_with_lines(tmp_path):
    topics, labs = tmp_path / "topics.yml", tmp_path / "labs.yml"
    topics.write_text(TOPICS + "- id: n\n  title: " + "[" * 30 + "\n")
    labs.write_text("- name: A\n  homepage: &h https://a.example\n")
    vocab = load_vocabulary(topics, labs)
    assert [(p.path.name, p.line, p.message.split(";")[0]) for p in vocab.problems] == [
        ("topics.yml", 5, "invalid YAML: lists and mappings nested more than 20 levels deep"),
        ("labs.yml", 2, "invalid YAML: YAML anchors and aliases ('&name', '*name') are not allowed here: a few lines of them can expand to gigabytes"),
    ]
    record = tmp_path / "2026-01-01.yml"
    record.write_text(RECORD.replace("found: 0,", "found: " + "1" * 100 + ","))
    with pytest.raises(SyncRecordError) as caught:
        read_record(record)
    assert (caught.value.line, caught.value.message) == (
        5,
        "invalid YAML in sync record: a number of 100 characters, more than 64; write a real number, or quote the value if it is text",
    )


def test_the_event_scan_is_linear_and_runs_only_when_needed():
    deep = "a: " + "[" * 200_000 + "\n"  # 200 KB of openers: the exact scan stops at level 21
    started = time.process_time()
    with pytest.raises(limits.YamlLimitError):
        limits.refuse_unbounded_yaml(deep, pages._Loader)
    assert time.process_time() - started < 1
    plain = "title: x\nauthors: [" + ", ".join(f"Author {i}" for i in range(100)) + "]\n"
    limits.refuse_unbounded_yaml(plain, yaml.SafeLoader)  # nothing to refuse, and nothing scanned: see _SAFE_OPENERS


# -- a whole knowledge base stays fast ---------------------------------------------------------------------------
def test_a_page_of_100000_sections_is_refused_in_seconds(root):
    # Before: check past 60 s (each title counted against all), the build past 90 s (Python-Markdown renders each)
    paper(root, "sections.md", HEAD + "---\n" + "".join(f"## S{i % 500}\n\n" for i in range(100_000)))
    result, cpu = cpu_run_paperkb(root, "check", timeout=120)
    assert cpu < 15  # ~1 s
    assert failed_cleanly(result), result.stderr
    first_too_many = HEAD.count("\n") + 2 + 2 * 1000  # the 1,001st heading
    assert f"sections.md:{first_too_many}: error: more than 1,000 headings in one page" in result.stdout, result.stdout[-2000:]


def test_a_thousand_sections_are_counted_once_each(root):
    paper(root, "sections.md", HEAD + "---\n" + "".join(f"## S{i % 500}\n\n" for i in range(1000)))
    result, cpu = cpu_run_paperkb(root, "check", timeout=120)
    assert failed_cleanly(result), result.stderr
    assert result.stdout.count("appears twice; merge them") == 500


# -- what Python-Markdown (the site's renderer) would take quadratic time on ------------------------------------
@pytest.mark.parametrize(
    "body, line",
    [
        pytest.param("intro\n\n" + "[" * 1000 + "\n", 13, id="1,000 unclosed '['"),
        pytest.param("[" * 5 + (" word" * 10 + "\n") * 6000, 11, id="five '[' before a 300 KB paragraph"),
        pytest.param("![" * 800 + "\n", 11, id="800 unclosed images"),
        pytest.param("[a](" * 600 + "\n", 11, id="600 unclosed link targets"),
        pytest.param("<a " * 800 + "\n", 11, id="800 '<a'"),
        pytest.param("[x\n" * 1000, 11, id="one '[' per line of one paragraph"),
        pytest.param("".join(f"## S{i}\n" for i in range(20_000)), 11, id="20,000 headings without blank lines"),
        pytest.param("".join(f"T{i}\n---\n" for i in range(10_000)), 11, id="10,000 rules or underlines in a paragraph"),
        pytest.param("".join(f"x {'`' * i}\n" for i in range(1, 600)), 11, id="600 unmatched backtick runs"),
        # each line opens a fence that never closes (the next line has text after its run): 14 s to build before
        # the 15th: fifteen reads of the ~720 KB after them pass the allowance of 10.7 million characters
        pytest.param(("`" * 300 + " x\n") * 2400, 25, id="2,400 unclosed fences"),
    ],
)
def test_text_that_would_keep_the_renderer_busy_is_refused(body, line):
    with pytest.raises(PageError) as caught:
        parse_page("p.md", HEAD + BODY + "\n" + body)
    assert caught.value.line == line
    assert caught.value.message.startswith("this paragraph would keep the site's Markdown renderer busy")
    assert caught.value.message.endswith(
        (
            "close the brackets, write '\\[' and '&lt;' for literal ones, or split the paragraph with blank lines",
            "close the code spans, or put blank lines before and after headings and rules",
            "close the fences, or start such lines with a space",
        )
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("".join(f"- [Paper {i}](https://example.org/{i}) by [Lab](https://lab.example)\n" for i in range(2000)), id="4,000 closed links"),
        pytest.param("```\n" + "[" * 50_000 + "\n```\n", id="brackets in fenced code"),
        pytest.param("\\[" * 20_000 + "\n", id="escaped brackets"),
        pytest.param(("[unclosed " + "word " * 2000 + "\n\n") * 20, id="an unclosed '[' per paragraph"),
        pytest.param("[" + (" word" * 10 + "\n") * 6000, id="one unclosed '[' before a 300 KB paragraph: read once"),
        pytest.param("[a](b.md)\n" * 60_000, id="60,000 links in one paragraph: each read once"),
        pytest.param("x < y and y > z.\n" * 5000, id="comparisons in a long paragraph"),
        pytest.param("".join(f"## Section {i}\n\nText with `code` and **bold**.\n\n---\n\n" for i in range(990)), id="990 sections"),
        pytest.param("## Summary\nText\n## Key Insights\n- a\n- b\n## Why It Matters\nText\n", id="headings without blank lines"),
        pytest.param("".join(f"`code {i}` and ``more {i}``\n" for i in range(20_000)), id="40,000 closed code spans"),
        pytest.param("`" * 300 + (" word" * 10 + "\n") * 2000, id="300 backticks before a 100 KB paragraph: read once"),
    ],
)
def test_ordinary_brackets_are_fine(body):
    assert parse_page("p.md", HEAD + BODY + "\n" + body).meta["title"] == "Hostile"


def _accepted(text: str) -> bool:
    return len(text) <= MAX_PAGE_BYTES and markdown_text.render_cost_problem(text) is None


def _largest_accepted(make) -> str:
    """The longest text of this shape the limits let through (a binary search on the repeat count)."""
    low, high = 0, 1
    while _accepted(make(high)):
        low, high = high, high * 2
    while low < high - 1:
        middle = (low + high) // 2
        if _accepted(make(middle)):
            low = middle
        else:
            high = middle
    return make(low)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: "[" * n, id="'['"),
        pytest.param(lambda n: "![" * n, id="'!['"),
        pytest.param(lambda n: "[a][" * n, id="'[a]['"),
        pytest.param(lambda n: "[x\n" * n, id="'[' per line"),
        pytest.param(lambda n: "<a " * n, id="'<a '"),
        pytest.param(lambda n: "[" * n + " word" * 100_000, id="'[' before 500 KB"),
        pytest.param(lambda n: "<http://x " * n + " word" * 100_000, id="'<http' before 500 KB"),
        pytest.param(lambda n: "".join(f"## S{i}\n" for i in range(n)), id="headings without blank lines"),
        pytest.param(lambda n: "".join(f"T{i}\n***\n" for i in range(n)), id="rules in a paragraph"),
        pytest.param(lambda n: " ".join("`" * i for i in range(1, n)), id="growing backtick runs"),
        pytest.param(lambda n: "`" * n + (" word" * 10 + "\n") * 20_000, id="backticks before 1 MB"),
        pytest.param(lambda n: ("`" * 300 + " x\n") * n, id="unclosed fences"),
    ],
)
def test_what_the_limit_lets_through_renders_in_about_a_second(make):
    """The limit models Python-Markdown's cost; this checks the model against the real renderer (in a forked child
    with a deadline: where the model is wrong, rendering may take hours)."""
    text = _largest_accepted(make)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        try:
            cpu = pool.apply_async(_render_time, (text,)).get(timeout=60)
        except multiprocessing.TimeoutError:
            pytest.fail(f"rendering {len(text):,} characters the limit accepted took more than 60 s")
    assert cpu < 3  # CPU seconds; 1,000 '[' took 0.25 s, 10,000 took 25 s


def _render_time(text: str) -> float:
    started = time.process_time()
    markdown.Markdown(extensions=["admonition", "attr_list", "tables", "toc", "fenced_code"]).convert(text)
    return time.process_time() - started
