"""The build worker: paper documents rendered ahead of MkDocs, and the files that are not pages.

``paperkb.site.start_build_worker`` forks a worker that renders every paper page's document (sent back as
it is ready) and then writes the file sets (feeds, BibTeX) while MkDocs renders the pages; the build waits
for it before MkDocs copies files (scripts/mkdocs_hooks.py). These tests run the real fork on the shipped
knowledge base; tests/test_site_build.py builds the site with and without the worker and compares every file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from paperkb import bibtex, config, render, site
from paperkb.site import file_paths, file_sets, finish_build_worker, generate_site, load_site_input, start_build_worker
from tests.support.golden import golden_site

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> site.SiteInput:
    return load_site_input(config.load(REPO), site_url="https://example.org/kb/")


def targets_in(folder: Path, kb: site.SiteInput) -> dict[str, Path]:
    return {path: folder / path.replace("/", "__") for path in file_paths(kb)}


def arrived(worker: site.BuildWorker, path: Path):
    """The worker's document for ``path``, waiting for it as long as the worker is still sending."""
    while True:
        document = site.prefetched_document(path)
        if document is not None or worker.finished:
            return document
        worker.connection.poll(1)


def test_each_file_set_lists_exactly_the_files_it_generates(shipped):
    for kb in (shipped, golden_site()):
        for file_set in file_sets():
            assert sorted(file_set.paths(kb)) == sorted(file_set.generate(kb)), file_set.generate.__module__


def test_the_worker_writes_what_the_generators_return_and_sends_every_document(shipped, tmp_path):
    targets = targets_in(tmp_path, shipped)
    worker = start_build_worker(shipped, targets)
    assert worker is not None  # Linux, two cores, no other thread: it forked
    for page in shipped.pages:  # in the order MkDocs asks for them; each one as the hook would render it
        assert arrived(worker, page.path) == render.paper_document(page, shipped.vocab, f"papers/{page.path.name}"), page.slug
    finish_build_worker()
    expected = generate_site(shipped)
    assert {path: target.read_text("utf-8") for path, target in targets.items()} == {p: expected[p] for p in targets}


def test_the_build_process_still_knows_the_bibtex_keys_the_cite_blocks_show(shipped, tmp_path):
    bibtex._KEYS_BY_FOLDER.clear()
    start_build_worker(shipped, targets_in(tmp_path, shipped))
    finish_build_worker()
    r1 = next(p for p in shipped.pages if p.slug == "deepseek-r1")
    assert bibtex._KEYS_BY_FOLDER and "@misc{deepseekai2025deepseekr1," in bibtex.cite_footer(r1)


def test_a_failing_worker_is_reported_with_what_failed(shipped, tmp_path):
    targets = targets_in(tmp_path, shipped)
    targets["papers.bib"].mkdir()  # the worker cannot write there
    start_build_worker(shipped, targets)
    with pytest.raises(RuntimeError, match=r"the build worker failed: IsADirectoryError: .*papers\.bib"):
        finish_build_worker()


def test_without_a_worker_the_files_are_written_right_away(shipped, tmp_path, monkeypatch):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # as under `mkdocs serve`: forking a threaded process is unsafe
    other.start()
    try:
        targets = targets_in(tmp_path / "threads", shipped)
        (tmp_path / "threads").mkdir()
        assert start_build_worker(shipped, targets) is None
    finally:
        stop.set()
        other.join()
    assert all(target.stat().st_size > 0 for target in targets.values())
    assert site.prefetched_document(shipped.pages[0].path) is None  # the hook renders every page itself
    monkeypatch.setenv("PAPERKB_WORKER", "0")
    (tmp_path / "off").mkdir()
    assert start_build_worker(shipped, targets_in(tmp_path / "off", shipped)) is None
    assert os.listdir(tmp_path / "off")


ORPHAN = """
import sys, time
from pathlib import Path
sys.path.insert(0, {scripts!r})
from paperkb import config, site
kb = site.load_site_input(config.load(Path({repo!r})))
worker = site.start_build_worker(kb, {{p: Path({tmp!r}) / p.replace("/", "__") for p in site.file_paths(kb)}})
print(worker.process.pid, flush=True)
time.sleep(60)  # never reads the pipe: the worker fills it and blocks
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def test_a_worker_ends_when_the_build_process_is_killed(tmp_path):
    """A CI timeout kills the build process while its worker waits on a full pipe: the worker must not live
    on (holding the job's output open)."""
    code = ORPHAN.format(scripts=str(REPO / "scripts"), repo=str(REPO), tmp=str(tmp_path))
    build = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker_pid = int(build.stdout.readline())
    time.sleep(0.5)
    assert _alive(worker_pid)
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker_pid)


def test_the_worker_runs_when_the_build_process_is_pid_1(tmp_path):
    """In a container the build is often PID 1: the worker must not take that for a dead parent."""
    import shutil

    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("no unshare --pid here (needs root and util-linux)")
    code = (
        "import os, sys\nfrom pathlib import Path\n"
        f"sys.path.insert(0, {str(REPO / 'scripts')!r})\n"
        "from paperkb import config, site\n"
        "assert os.getpid() == 1\n"
        f"kb = site.load_site_input(config.load(Path({str(REPO)!r})))\n"
        f"worker = site.start_build_worker(kb, {{p: Path({str(tmp_path)!r}) / p.replace('/', '__') for p in site.file_paths(kb)}})\n"
        "assert worker is not None\n"
        "worker.connection.poll(10)  # the first document is on its way\n"
        "got = sum(site.prefetched_document(p.path) is not None for p in kb.pages)\n"
        "site.finish_build_worker()\n"
        "print('ok', got)\n"
    )
    result = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("ok "), result.stderr[-2000:]
    assert int(result.stdout.split()[1]) > 0
