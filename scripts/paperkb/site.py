"""What the site generates at build time, as pure functions: knowledge base in, files out.

``scripts/gen_pages.py`` (mkdocs-gen-files) only loads the knowledge base and writes what the generators
return. Each generator is a function ``(SiteInput) -> dict[docs_path, text]``; stages that publish something
add theirs: pages (indexes, digests) to ``page_generators``, other files (feeds, BibTeX) to ``file_sets``.
``generate_site`` runs them all.

Files that are not pages are only copied by MkDocs, after it has rendered every page's Markdown, so the
build lists their paths first and a forked worker writes them meanwhile (``start_build_worker``); before
that, the worker renders the paper pages' documents ahead of MkDocs. On two cores both cost the build
little wall time. Where forking is not safe (not Linux, one core, or threads running, as under
``mkdocs serve``), or with ``PAPERKB_WORKER=0``, there is no worker: the files are written right away and
the hook renders every document itself.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import config
from .pages import Page, load_pages
from .vocab import Vocabulary, load_vocabulary


@dataclass
class SiteInput:
    pages: list[Page]  # every page that parsed, sorted by file name
    vocab: Vocabulary
    site_url: str = ""  # from mkdocs.yml, for absolute links in feeds
    syncs: list[dict[str, Any]] = field(default_factory=list)  # sync records (content/syncs/*.yml)
    today: dt.date = field(default_factory=dt.date.today)
    problems: list[str] = field(default_factory=list)  # 'path:line: error: …' lines the build should warn about


def load_site_input(kb: config.KnowledgeBase, site_url: str = "") -> SiteInput:
    pages, _errors = load_pages(kb.papers_dir)  # broken pages are `paperkb check`'s to report
    from .digest import load_sync_records

    syncs, sync_errors = load_sync_records(kb.syncs_dir)
    # Broken paper pages are reported by the hook as MkDocs renders each one; a broken sync record has no
    # page of its own, so it is reported here (a strict build fails instead of losing that digest quietly).
    return SiteInput(
        pages=pages,
        vocab=load_vocabulary(kb.topics_file, kb.labs_file),
        site_url=site_url,
        syncs=syncs,
        problems=sync_errors,
    )


# Pages parsed for this build, by file path: scripts/gen_pages.py shares them so that the MkDocs hook renders
# each paper page from the same parse instead of reading its YAML a second time (build-time budget).
_shared_pages: dict[str, Page] = {}


def share_pages(pages: list[Page]) -> None:
    _shared_pages.clear()
    _shared_pages.update((os.path.abspath(page.path), page) for page in pages)


def shared_page_at(path: str | Path) -> Page | None:
    """The page parsed earlier in this build from the file at ``path``, if any (the hook's source for it)."""
    return _shared_pages.get(os.path.abspath(path))


Generator = Callable[[SiteInput], dict[str, str]]


@dataclass(frozen=True)
class FileSet:
    """Generated files that are not pages. ``paths`` names them from the vocabularies alone, so a build can
    list them before ``generate`` has written a byte; ``prepare`` (optional) is what the pages themselves
    need from the stage, done in the build process (the BibTeX keys the Cite blocks show)."""

    paths: Callable[[SiteInput], list[str]]
    generate: Generator
    prepare: Callable[[SiteInput], Any] | None = None


def page_generators() -> list[Generator]:
    """The generators of pages, in order. A stage adds its own here (import inside, to keep startup light)."""
    from . import digest, indexes

    return [indexes.index_files, digest.generate]


def file_sets() -> list[FileSet]:
    from . import bibtex, feeds

    return [FileSet(feeds.paths, feeds.generate), FileSet(bibtex.paths, bibtex.generate, bibtex.keys_for_site)]


def generate_pages(site: SiteInput) -> dict[str, str]:
    files: dict[str, str] = {}
    for generator in page_generators():
        files.update(generator(site))
    return files


def generate_site(site: SiteInput) -> dict[str, str]:
    """Every file of the site, pages first (what a build writes, in one process)."""
    files = generate_pages(site)
    for file_set in file_sets():
        files.update(file_set.generate(site))
    return files


def file_paths(site: SiteInput) -> list[str]:
    return [path for file_set in file_sets() for path in file_set.paths(site)]


def write_files(site: SiteInput, targets: dict[str, Path]) -> None:
    """Generate every file set and write each file to its target (``file_paths`` -> where to write it)."""
    for file_set in file_sets():
        for path, text in file_set.generate(site).items():
            if path not in targets:
                raise RuntimeError(f"{path} was generated but not listed by its stage's paths()")
            Path(targets[path]).write_text(text, "utf-8")


class BuildWorker:
    """A forked worker that works ahead of MkDocs: it renders every paper page's document (the Markdown and
    HTML of ``render.paper_document``), sending each back as soon as it is ready, then writes the file sets.
    The build process takes the documents that have arrived (and renders any other itself), and ``wait``
    returns once the files are written."""

    def __init__(self, process, connection) -> None:
        self.process, self.connection = process, connection
        self.documents: dict[str, Any] = {}
        self.failure: str | None = None
        self.finished = False

    def _receive(self) -> None:
        try:
            kind, *payload = self.connection.recv()
        except EOFError:  # the worker died without a word (killed, out of memory)
            self.process.join()
            kind, payload = "failed", [f"the worker process ended with exit code {self.process.exitcode}"]
        if kind == "document":
            self.documents[payload[0]] = payload[1]
        else:
            self.finished, self.failure = True, payload[0] if kind == "failed" else None

    def document(self, path: str | Path) -> Any:
        """The worker's document for the page at ``path``, if it has arrived (None: render it yourself)."""
        while not self.finished and self.connection.poll():
            self._receive()
        return self.documents.pop(os.path.abspath(path), None)

    def wait(self) -> None:
        while not self.finished:
            self._receive()
        self.documents.clear()
        self.process.join()
        if self.failure:
            raise RuntimeError(f"the build worker failed: {self.failure}")

    def cancel(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _die_with_parent(parent: int) -> None:
    """Have the kernel end this worker when the build process dies (killed by a CI timeout, say): otherwise a
    worker blocked on a full pipe would wait forever, holding the build's output open."""
    import ctypes
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build process's to handle; it ends the worker
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the build process died before prctl took effect
        os._exit(1)


def _work(site: SiteInput, targets: dict[str, Path], sending, receiving, parent: int) -> None:
    from . import render

    receiving.close()  # the build process's end: with it closed here, a dead build process means EPIPE, not a hang
    _die_with_parent(parent)
    try:
        for page in site.pages:
            sending.send(("document", os.path.abspath(page.path), render.paper_document(page, site.vocab)))
        write_files(site, targets)
        sending.send(("done",))
    except Exception as exc:  # reported by BuildWorker.wait in the build process
        try:
            sending.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:  # the build process is gone: nobody to tell
            pass
    finally:
        sending.close()


def _can_fork() -> bool:
    if os.environ.get("PAPERKB_WORKER", "1") == "0":
        return False
    return sys.platform == "linux" and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def start_build_worker(site: SiteInput, targets: dict[str, Path]) -> BuildWorker | None:
    """Run each file set's ``prepare`` here, then fork the worker (None: no worker; the files are written
    already, and the hook renders every document itself)."""
    for file_set in file_sets():
        if file_set.prepare is not None:
            file_set.prepare(site)
    if not _can_fork():
        write_files(site, targets)
        return None
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_work, args=(site, targets, sending, receiving, os.getpid()), daemon=True)
    process.start()
    sending.close()
    _workers.append(BuildWorker(process, receiving))
    return _workers[-1]


_workers: list[BuildWorker] = []  # started by scripts/gen_pages.py, used and awaited by the MkDocs hook


def prefetched_document(path: str | Path) -> Any:
    """The paper page's document from this build's worker, if it has arrived."""
    for worker in _workers:
        document = worker.document(path)
        if document is not None:
            return document
    return None


def finish_build_worker() -> None:
    """Wait for every worker this build started; raise RuntimeError (saying what failed) if one failed."""
    while _workers:
        _workers.pop(0).wait()


def cancel_build_worker() -> None:
    while _workers:
        _workers.pop(0).cancel()
