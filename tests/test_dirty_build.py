"""`make serve` rebuilds with MkDocs' dirty build: after an edit, only the edited paper page is rendered again
(the rest of the site stays as built), from a parse of that page alone (the page cache), and it shows the edit."""

from __future__ import annotations

import os
import re
from pathlib import Path

from paperkb.model.pages import atomic_write, load_page, set_section
from tests.support.site_build import copy_knowledge_base, mkdocs_build

EDITED, UNTOUCHED = "deepseek-r1", "deepseek-v3-technical-report"


def _rendered(stderr: str) -> int:
    found = re.search(r"paperkb: (\d+) paper page\(s\) rendered", stderr)
    assert found, stderr[-2000:]
    return int(found.group(1))


def test_a_dirty_rebuild_renders_only_the_edited_paper_page(tmp_path: Path):
    root = copy_knowledge_base(tmp_path / "kb")
    papers = len(list((root / "content" / "papers").glob("*.md")))
    first = mkdocs_build(root, strict=False, dirty=True)  # MkDocs warns that a dirty build is one
    assert first.returncode == 0, first.stderr[-2000:]
    assert _rendered(first.stderr) == papers  # nothing built yet: every page is new
    untouched = root / "site" / "papers" / UNTOUCHED / "index.html"
    built_at = untouched.stat().st_mtime_ns

    path = root / "content" / "papers" / f"{EDITED}.md"
    atomic_write(path, set_section(load_page(path), "summary", "An edit made while the site was being served."))
    later = max(path.stat().st_mtime_ns, built_at) + 1_000_000_000
    os.utime(path, ns=(later, later))  # newer than what was built, on any clock

    second = mkdocs_build(root, strict=False, dirty=True)  # MkDocs warns that a dirty build is one
    assert second.returncode == 0, second.stderr[-2000:]
    assert _rendered(second.stderr) == 1
    assert "An edit made while the site was being served." in (root / "site" / "papers" / EDITED / "index.html").read_text("utf-8")
    assert untouched.stat().st_mtime_ns == built_at  # not written again
