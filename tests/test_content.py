"""What content/ may hold (issue 10, items 3 and 6): paperkb.model.content and `paperkb check`.

MkDocs publishes every file under content/: a stray Markdown page with its raw HTML, an .svg or .html as it is, and
the target of any symbolic link. Each test builds the case in a copy of the shipped knowledge base and asks
``content_problems`` (pure, what the build will call) and ``paperkb check`` (what contributors run).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from paperkb.cli.main import main
from paperkb.model.content import ASSET_TYPES, content_problems
from paperkb.model.pages import scan_papers_dir
from paperkb.model.syncs import load_sync_records

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    return root / "content"


def found(content: Path) -> list[tuple[str, str]]:
    return [(p.path.relative_to(content).as_posix(), p.message) for p in content_problems(content)]


def test_the_shipped_content_holds_only_what_it_may():
    assert content_problems(REPO / "content") == []


LINK = (
    "a symbolic link (to {}); content/ holds only regular files, so a link cannot publish a file from elsewhere: "
    "replace the link with the file itself, or remove it"
)
STRAY_PAGE = (
    "a page outside papers/ and articles/: MkDocs would publish it with its raw HTML, unchecked and unsanitized; "
    "make it a paper page in papers/ or an article in articles/, or remove it"
)
NOT_AN_ARTICLE = (
    "articles/ holds only articles (articles/<slug>.md, no subfolders, not starting with '_'), which paperkb checks; "
    "MkDocs would publish anything else unchecked: rename it or remove it"
)
UNDERSCORE = (
    "paperkb reads only papers/<name>.md, not starting with '_' (so it checks none of this one), but MkDocs would publish it: "
    "rename it to papers/<slug>.md or remove it"
)
NOT_A_RECORD = (
    "not a sync record: syncs/ holds only <YYYY-MM-DD>.yml and <YYYY-MM-DD>-<n>.yml (written by paperkb sync), and MkDocs would "
    "publish any other file unchecked; rename or remove it"
)
ELSEWHERE = (
    "content/ holds paper pages (papers/<slug>.md), articles (articles/<slug>.md), topics.yml, labs.yml, sync records (syncs/<date>.yml) and images or "
    "stylesheets (assets/); MkDocs would publish this file unchecked: move it where it belongs, or remove it"
)


@pytest.mark.parametrize(
    "make, expected",
    [
        # item 6: links are never followed, to a file or a folder, inside or outside content/
        (lambda c: (c / "papers" / "environ.md").symlink_to("/proc/self/environ"), [("papers/environ.md", LINK.format("/proc/self/environ"))]),
        (lambda c: (c / "assets" / "env.png").symlink_to("/proc/self/environ"), [("assets/env.png", LINK.format("/proc/self/environ"))]),
        (lambda c: (c / "assets" / "etc").symlink_to("/etc"), [("assets/etc", LINK.format("/etc"))]),
        (lambda c: (c / "papers" / "copy.md").symlink_to("deepseek-r1.md"), [("papers/copy.md", LINK.format("deepseek-r1.md"))]),
        (lambda c: (c / "loop").symlink_to("loop"), [("loop", LINK.format("loop"))]),
        (lambda c: (c / ".hidden").symlink_to(".."), [(".hidden", LINK.format(".."))]),  # MkDocs walks into it
        # item 4: only regular files
        (lambda c: os.mkfifo(c / "papers" / "x.md"), [("papers/x.md", "a named pipe (FIFO), not a regular file; content/ holds only files: remove it")]),
        # item 3: only what paperkb checks
        (lambda c: (c / "topics").mkdir() or (c / "topics" / "notes.md").write_text("<img src=x onerror=alert(1)>"), [("topics/notes.md", STRAY_PAGE)]),
        (lambda c: (c / "index.md").write_text("# Home"), [("index.md", STRAY_PAGE)]),
        (lambda c: (c / "notes.markdown").write_text("x"), [("notes.markdown", STRAY_PAGE)]),
        (lambda c: (c / "papers" / "_draft.md").write_text("x"), [("papers/_draft.md", UNDERSCORE)]),
        (
            lambda c: (c / "papers" / "fig.png").write_bytes(b"\x89PNG"),
            [("papers/fig.png", "papers/ holds only paper pages (papers/<slug>.md, no subfolders); put images in assets/ and remove anything else")],
        ),
        (
            lambda c: (c / "papers" / "old").mkdir() or (c / "papers" / "old" / "a.md").write_text("x"),
            [("papers/old/a.md", "papers/ holds only paper pages (papers/<slug>.md, no subfolders); put images in assets/ and remove anything else")],
        ),
        (lambda c: (c / "syncs").mkdir() or (c / "syncs" / "notes.yml").write_text("x: 1"), [("syncs/notes.yml", NOT_A_RECORD)]),
        (lambda c: (c / "README.txt").write_text("x"), [("README.txt", ELSEWHERE)]),
        (lambda c: (c / "articles").mkdir(exist_ok=True) or (c / "articles" / "_draft.md").write_text("x"), [("articles/_draft.md", NOT_AN_ARTICLE)]),
        (lambda c: (c / "articles").mkdir(exist_ok=True) or (c / "articles" / "fig.svg").write_text("<svg/>"), [("articles/fig.svg", NOT_AN_ARTICLE)]),
        (
            lambda c: (c / "articles" / "old").mkdir(parents=True, exist_ok=True) or (c / "articles" / "old" / "a.md").write_text("x"),
            [("articles/old/a.md", NOT_AN_ARTICLE)],
        ),
    ],
)
def test_each_file_content_may_not_hold_is_one_problem(content, make, expected):
    make(content)
    assert found(content) == expected


@pytest.mark.parametrize("name", ["x.svg", "x.html", "x.js", "x.htm", "x.xhtml", "x.SVG", "x"])
def test_assets_that_can_run_script_are_refused(content, name):
    (content / "assets" / name).write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    kind = f"an {Path(name).suffix.lower()} file" if "." in name else "a file without a type"
    assert found(content) == [
        (
            f"assets/{name}",
            f"assets/ holds only raster images and stylesheets (.png, .jpg, .jpeg, .gif, .webp, .avif, .css): {kind} is published "
            "as it is, and .svg, .html or .js run script on the site; convert images to PNG, remove anything else",
        )
    ]


def test_allowed_files_are_not_problems(content):
    (content / "assets" / "img").mkdir()
    for suffix in ASSET_TYPES:
        (content / "assets" / "img" / f"a{suffix.upper()}").write_bytes(b"x")
    (content / "syncs").mkdir()
    for name in ("2026-01-01.yml", "2026-01-01-2.yml"):
        (content / "syncs" / name).write_text("x")
    (content / "articles" / "an-article.md").write_text("x")
    (content / ".DS_Store").write_text("x")  # MkDocs publishes no dot file; paperkb reads none
    (content / "papers" / ".deepseek-r1.md.123.abcd.tmp").write_text("x")  # an interrupted write's leftover
    assert found(content) == []


def test_content_folder_that_is_a_link_is_refused(tmp_path, content):
    real = tmp_path / "elsewhere"
    content.rename(real)
    content.symlink_to(real)
    assert found_paths(content) == [str(content)]


def found_paths(content: Path) -> list[str]:
    return [str(p.path) for p in content_problems(content)]


def test_a_walk_of_10000_files_takes_milliseconds(content):
    for number in range(10_000):
        (content / "papers" / f"p{number}.md").write_text("x")
    started = time.process_time()
    assert content_problems(content) == []
    assert time.process_time() - started < 1


def test_check_reports_each_once_with_its_line_and_fails(content, capsys, monkeypatch):
    monkeypatch.chdir(content.parent)
    (content / "papers" / "environ.md").symlink_to("/proc/self/environ")
    (content / "assets" / "x.svg").write_text("<svg onload=alert(1)>")
    (content / "topics").mkdir()
    (content / "topics" / "notes.md").write_text("<script>alert(1)</script>")
    (content / "syncs").mkdir()
    (content / "syncs" / "2026-01-02.yml").symlink_to("/proc/self/environ")
    assert main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "content/assets/x.svg:1: error: " + found(content)[0][1],
        "content/papers/environ.md:1: error: " + LINK.format("/proc/self/environ"),
        "content/syncs/2026-01-02.yml:1: error: " + LINK.format("/proc/self/environ"),
        "content/topics/notes.md:1: error: " + STRAY_PAGE,
    ]
    assert "PATH=" not in "\n".join(out)


def test_loaders_refuse_linked_folders_themselves(content, tmp_path):
    """No code path reads through a link, even one that never asks content_problems."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "syncs").mkdir(parents=True)
    (elsewhere / "syncs" / "2026-01-01.yml").write_text(
        "date: 2026-01-01\nwindow: {since: 2025-12-01, until: 2026-01-01}\nqueries: []\nadded: []\ncounts: {found: 0, added: 0, already_present: 0}\n"
    )
    shutil.move(content / "papers", elsewhere / "papers")
    (content / "papers").symlink_to(elsewhere / "papers")
    (content / "syncs").symlink_to(elsewhere / "syncs")
    assert scan_papers_dir(content / "papers") == ([], [])
    assert load_sync_records(content / "syncs") == ([], [])
    assert sorted(found_paths(content)) == [str(content / "papers"), str(content / "syncs")]
