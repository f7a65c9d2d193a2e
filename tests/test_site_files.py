"""Generated files that are not pages (feeds, BibTeX): listed up front, written by a forked worker.

``paperkb.site.write_files_in_background`` forks a worker that writes the file sets while MkDocs renders
the pages; the build waits for it before MkDocs copies files (scripts/mkdocs_hooks.py). These tests run the
real fork on the shipped knowledge base.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from paperkb import bibtex, config, site
from paperkb.site import file_paths, file_sets, finish_background_files, generate_site, load_site_input
from tests.support.golden import golden_site

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> site.SiteInput:
    return load_site_input(config.load(REPO), site_url="https://example.org/kb/")


def test_each_file_set_lists_exactly_the_files_it_generates(shipped):
    for kb in (shipped, golden_site()):
        for file_set in file_sets():
            assert sorted(file_set.paths(kb)) == sorted(file_set.generate(kb)), file_set.generate.__module__


def test_the_worker_writes_what_the_generators_return(shipped, tmp_path):
    targets = {path: tmp_path / path.replace("/", "__") for path in file_paths(shipped)}
    worker = site.write_files_in_background(shipped, targets)
    assert worker is not None  # Linux, two cores, no other thread: it forked
    finish_background_files()
    expected = generate_site(shipped)
    assert {path: target.read_text("utf-8") for path, target in targets.items()} == {p: expected[p] for p in targets}


def test_the_build_process_still_knows_the_bibtex_keys_the_cite_blocks_show(shipped, tmp_path):
    bibtex._KEYS_BY_FOLDER.clear()
    site.write_files_in_background(shipped, {path: tmp_path / path.replace("/", "__") for path in file_paths(shipped)})
    finish_background_files()
    r1 = next(p for p in shipped.pages if p.slug == "deepseek-r1")
    assert bibtex._KEYS_BY_FOLDER and "@misc{deepseekai2025deepseekr1," in bibtex.cite_footer(r1)


def test_a_failing_worker_is_reported_with_what_failed(shipped, tmp_path):
    targets = {path: tmp_path / path.replace("/", "__") for path in file_paths(shipped)}
    targets["papers.bib"].mkdir()  # the worker cannot write there
    site.write_files_in_background(shipped, targets)
    with pytest.raises(RuntimeError, match=r"writing feeds and BibTeX failed: IsADirectoryError: .*papers\.bib"):
        finish_background_files()


def test_with_another_thread_running_the_files_are_written_right_away(shipped, tmp_path):
    targets = {path: tmp_path / path.replace("/", "__") for path in file_paths(shipped)}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # as under `mkdocs serve`: forking a threaded process is unsafe
    other.start()
    try:
        assert site.write_files_in_background(shipped, targets) is None
    finally:
        stop.set()
        other.join()
    assert all(target.stat().st_size > 0 for target in targets.values())
