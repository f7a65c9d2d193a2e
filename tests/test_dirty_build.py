"""`make serve` rebuilds with MkDocs' dirty build: after an edit, only the edited paper page is rendered again
(the rest of the site stays as built), from a parse of that page alone (the page cache), and it shows the edit."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from pathlib import Path

from paperkb.model import config, paths
from paperkb.model.pages import atomic_write, load_page, parse_page, set_keys, set_section
from paperkb.model.site_input import load_site_input
from paperkb.publish.site import Session, generate_site
from tests.support.site_build import MACHINE_SLUG, add_machine_written_page, copy_knowledge_base, mkdocs_build, mkdocs_serve

EDITED, UNTOUCHED = "deepseek-r1", "deepseek-v3-technical-report"
SITE_URL = "https://paperkb.example/kb/"


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


# -- the generated pages and files after edits, kept rows and entries against a build from scratch ------------------
def _generated(root: Path, session: Session | None = None, site_url: str = SITE_URL) -> dict[str, str]:
    """What gen_pages writes for the knowledge base at ``root``: as under `make serve` with ``session`` (pages parsed
    again only when changed, rows and entries kept), else as a build from scratch."""
    kb = config.load(root)
    site = load_site_input(kb, site_url=site_url, cache=session.pages if session else None)
    return generate_site(site, session)


def _edit(path: Path, updates: dict, summary: str | None = None) -> None:
    page = load_page(path)
    if updates:
        page = parse_page(path, set_keys(page, updates))
    atomic_write(path, set_section(page, "Summary", summary) if summary else page.text)


def test_after_each_edit_a_session_generates_what_a_build_from_scratch_does_building_only_the_edited_rows(tmp_path: Path):
    root = copy_knowledge_base(tmp_path / "kb")
    add_machine_written_page(root)
    papers = root / "content" / "papers"
    session = Session(dirty=True)
    assert _generated(root, session) == _generated(root)
    rows, entries = session.index_rows.built, session.feed_entries.built
    assert rows == len(list(papers.glob("*.md"))) and entries > 0

    # a person rewrites a machine-written summary: the row no longer says machine-written, the feed entry changes
    _edit(papers / f"{MACHINE_SLUG}.md", {}, "A person rewrote this summary.")
    assert _generated(root, session) == _generated(root)
    assert session.index_rows.built - rows == 1 and session.feed_entries.built - entries == 1
    # another page retitled, moved to other topics, a new priority and date: it leaves some lists and joins others
    moved = {"title": "Renamed: A Paper Moved Elsewhere", "topics": ["ai-safety", "surveys"], "priority": "low", "published": dt.date(2019, 5, 1)}
    _edit(papers / f"{EDITED}.md", moved)
    assert _generated(root, session) == _generated(root)
    # a page added, another removed
    (papers / "a-new-paper.md").write_text((papers / f"{UNTOUCHED}.md").read_text("utf-8").replace("DeepSeek-V3", "Newcomer-V1"), "utf-8")
    (papers / "deepseek-vl.md").unlink()
    assert _generated(root, session) == _generated(root)
    # a topic renamed in the vocabulary: every row and entry naming it changes
    topics = root / "content" / "topics.yml"
    topics.write_text(topics.read_text("utf-8").replace("title: Reasoning\n", "title: Reasoning Models\n"), "utf-8")
    rows = session.index_rows.built
    assert _generated(root, session) == _generated(root)
    assert session.index_rows.built - rows == len(list(papers.glob("*.md")))
    # and the site's address, in every feed entry
    assert _generated(root, session, "https://elsewhere.example/kb/") == _generated(root, site_url="https://elsewhere.example/kb/")


def test_a_served_rebuild_writes_the_generated_pages_and_files_a_full_build_writes(tmp_path: Path):
    """`make serve` after edits (the real `mkdocs serve --dirty`: one process, its session kept) against
    `mkdocs build` of the same content: every index page, feed and BibTeX file the same, byte for byte."""
    root = copy_knowledge_base(tmp_path / "kb")
    papers = root / "content" / "papers"
    served = tmp_path / "served"  # mkdocs serve builds into a temporary folder: this one's
    served.mkdir()
    log = tmp_path / "serve.log"
    with mkdocs_serve(root, log, env={"TMPDIR": str(served)}) as (base, _first):
        before = log.read_text("utf-8", errors="replace").count(RELOADED)
        _edit(papers / f"{EDITED}.md", {"title": "Renamed While Served", "topics": ["ai-safety"], "priority": "low"}, "Edited while served.")
        (papers / "a-new-paper.md").write_text((papers / f"{UNTOUCHED}.md").read_text("utf-8").replace("DeepSeek-V3", "Newcomer-V1"), "utf-8")
        _wait_for_rebuild(log, before)
        [site] = served.glob("mkdocs_*")
        served_files = _built_outputs(root, site, base)
    full = copy_knowledge_base(tmp_path / "full")
    shutil.rmtree(full / "content")
    shutil.copytree(root / "content", full / "content")
    mkdocs_yml = full / "mkdocs.yml"  # the same address as the served site's: feeds hold absolute links
    mkdocs_yml.write_text(re.sub(r"(?m)^site_url: .*$", f"site_url: {base}", mkdocs_yml.read_text("utf-8")), "utf-8")
    result = mkdocs_build(full, strict=False)
    assert result.returncode == 0, result.stderr[-2000:]
    built_files = _built_outputs(full, full / "site", base)
    assert "Renamed While Served" in built_files["topics/ai-safety.md"] and "Newcomer" in built_files[paths.ALL_PAPERS_BIB]
    assert served_files.keys() == built_files.keys()
    for docs_path, text in built_files.items():
        assert served_files[docs_path] == text, docs_path


RELOADED = "Reloading browsers"  # what livereload logs after each rebuild that succeeded


def _wait_for_rebuild(log: Path, before: int, timeout: float = 300.0) -> None:
    """Until the server has reloaded the browsers after more than the ``before`` first rebuilds (livereload says so
    once a rebuild has succeeded), no other rebuild has started, and the log has stayed the same for 3 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text("utf-8", errors="replace")
        started, reloaded = text.count("Building documentation..."), text.count(RELOADED)  # the first build reloads nothing
        if reloaded > before and started == reloaded + 1:
            time.sleep(3.0)
            if log.read_text("utf-8", errors="replace") == text:
                return
        time.sleep(0.5)
    raise AssertionError(f"no rebuild within {timeout:.0f} s:\n{log.read_text('utf-8')[-3000:]}")


def _built_outputs(root: Path, site: Path, site_url: str) -> dict[str, str]:
    """Every generated page (as MkDocs rendered it) and file of the site built from ``root`` into ``site``."""
    outputs = {}
    for docs_path in _generated(root, site_url=site_url):
        built = site / paths.page_url(docs_path) / "index.html" if docs_path.endswith(".md") else site / docs_path
        outputs[docs_path] = built.read_text("utf-8")
    return outputs
