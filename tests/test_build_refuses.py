"""The build reads only what ``paperkb check`` would pass: content/ that does not check stops it before MkDocs
reads or publishes anything, naming each file and line, strict or not (so under ``mkdocs serve`` too).

Before this, MkDocs itself read content/: a FIFO named ``x.md`` hung the build, a link to ``/dev/zero`` grew it
to 5 GB, a symbolic-link loop or a page that is not UTF-8 ended in a traceback, and ``.html``, ``.svg``, stray
Markdown and a link to ``/proc/self/environ`` were published as they were.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.site_build import copy_knowledge_base, mkdocs_build

#: A refused build stops before any page is rendered: seconds. A hang (the FIFO) or a 5 GB read would pass this.
NO_HANG = 120


def _refused(root: Path, strict: bool = True) -> str:
    result = mkdocs_build(root, strict=strict, timeout=NO_HANG)
    assert result.returncode != 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_knowledge_base(tmp_path_factory.mktemp("refused") / "kb")
    content = root / "content"
    os.mkfifo(content / "papers" / "fifo.md")
    os.symlink("/dev/zero", content / "papers" / "zero.md")
    os.symlink("loop.md", content / "papers" / "loop.md")
    os.symlink("/proc/self/environ", content / "assets" / "environ.css")
    os.symlink("/etc", content / "papers" / "etc")
    (content / "evil.html").write_text("<script>window.__pwned=1</script>", "utf-8")
    (content / "assets" / "logo.svg").write_text("<svg onload=alert(1)></svg>", "utf-8")
    (content / "topics").mkdir()
    (content / "topics" / "notes.md").write_text("<script>window.__pwned=1</script>\n", "utf-8")
    return root


REFUSED = {
    "content/papers/fifo.md": "named pipe",
    "content/papers/zero.md": "symbolic link (to /dev/zero)",
    "content/papers/loop.md": "symbolic link (to loop.md)",
    "content/assets/environ.css": "symbolic link (to /proc/self/environ)",
    "content/papers/etc": "symbolic link (to /etc)",
    "content/evil.html": "MkDocs would publish this file unchecked",
    "content/assets/logo.svg": "an .svg file is published as it is",
    "content/topics/notes.md": "a page outside papers/",
}


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient (as under serve)"])
def test_content_that_does_not_check_stops_the_build_naming_every_file(hostile_tree: Path, strict: bool):
    stderr = _refused(hostile_tree, strict)
    for path, why in REFUSED.items():
        assert re.search(rf"{re.escape(path)}:1: [^\n]*{re.escape(why)}", stderr), (path, stderr[-3000:])
    site = hostile_tree / "site"
    assert not (site / "evil.html").exists() and not (site / "assets" / "logo.svg").exists()
    assert not (site / "assets" / "environ.css").exists() and not (site / "topics" / "notes").exists()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"---\ntitle: Bytes\nstatus: todo\n---\n\n## Summary\n\n\xff\xfe\n", r"content/papers/bad\.md:\d+: not UTF-8", id="not UTF-8"),
        pytest.param(
            ("---\ntitle: Many\nstatus: todo\n---\n\n" + "".join(f"## S{i}\n\nx\n\n" for i in range(1001))).encode(),
            r"papers/bad\.md:\d+: more than 1,000 headings",
            id="1,001 headings",
        ),
        pytest.param(
            b"---\ntitle: Deep\nstatus: todo\nx: " + b"[" * 50_000 + b"\n---\n",
            r"papers/bad\.md:\d+: invalid YAML in front matter: lists and mappings nested",
            id="50,000 brackets",
        ),
    ],
)
def test_a_page_that_cannot_be_read_stops_the_build_before_mkdocs_reads_it(tmp_path: Path, data: bytes, expected: str):
    root = copy_knowledge_base(tmp_path / "kb")
    (root / "content" / "papers" / "bad.md").write_bytes(data)
    stderr = _refused(root, strict=False)
    assert re.search(expected, stderr), stderr[-2000:]


def test_a_vocabulary_that_does_not_read_stops_the_build(tmp_path: Path):
    root = copy_knowledge_base(tmp_path / "kb")
    (root / "content" / "topics.yml").write_text("[" * 50_000, "utf-8")  # segfaulted libyaml's composer
    stderr = _refused(root, strict=False)
    assert re.search(r"content/topics\.yml:1: invalid YAML: lists and mappings nested more than 20 levels", stderr), stderr[-2000:]
