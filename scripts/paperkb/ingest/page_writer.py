"""Creating and refreshing pages from arXiv results, shared by ``add``, ``resolve``, ``sync`` and
``import-digest``: :class:`Ingest` (pages by arXiv ID, new slugs, atomic writes), :class:`IngestReport`
(what a run did) and the progress bar of long runs.

Which keys a refresh may change: only the keys arXiv gives (``arxiv_client.FETCHED_KEYS``), never the body,
``priority``, ``topics``, ``status`` or ``added``; to ``links`` it only appends the code, model and data links
arXiv names now and did not name for the page's version (``code_links.refresh_links``), after the page's own.
A key is updated when it is absent, or when its current value
is still exactly what arXiv gave for the version the page records (``version``). A value that differs from
arXiv's was set by a person and is kept. A page without ``version`` was written by hand: only its absent keys
are filled."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import arxiv
from tqdm import tqdm

from paperkb.ingest.arxiv_client import FETCHED_KEYS, LabMatcher, canonical_id, paper_metadata, result_id, same_value
from paperkb.ingest.code_links import code_links, refresh_links
from paperkb.model import config, paths as layout
from paperkb.model.arxiv_ids import parse_arxiv_id
from paperkb.model.facts import machine_written, stale_version, written_from
from paperkb.model.links import Link, with_links
from paperkb.model.pages import (
    Page,
    PageError,
    atomic_write,
    iter_page_paths,
    load_page,
    parse_page,
    read_page_text,
    render_new_page,
    set_keys,
    set_map_entries,
    write_page,
)
from paperkb.model.vocab import Vocabulary, load_vocabulary

ID_FORMS = "2501.12948, 2501.12948v2, arXiv:2501.12948, https://arxiv.org/abs/2501.12948 or cs/9901001"


_ARXIV_LINE = re.compile(r"^arxiv:\s*['\"]?([^'\"\s#]+)", re.M)


@dataclass
class IngestReport:
    """What a run did; printed for people, or as JSON with --json."""

    added: list[dict[str, Any]] = field(default_factory=list)
    already_present: list[dict[str, Any]] = field(default_factory=list)
    refreshed: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    invalid: list[dict[str, str]] = field(default_factory=list)
    not_fetched: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)  # pages whose machine-written sections a newer version outdates
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not (self.not_found or self.invalid or self.not_fetched or self.errors)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Ingest:
    """The knowledge base as ``add``/``resolve``/``sync`` see it: pages by arXiv ID, and how to write new ones."""

    def __init__(self, kb: config.KnowledgeBase, vocab: Vocabulary | None = None, today: dt.date | None = None, dry_run: bool = False):
        self.kb = kb
        self.vocab = vocab or load_vocabulary(kb.topics_file, kb.labs_file)
        self.labs = LabMatcher(self.vocab)
        self.today = today or dt.date.today()
        self.dry_run = dry_run
        self.by_id: dict[str, Path] = pages_by_arxiv_id(kb.papers_dir)
        self.slugs: set[str] = {path.stem for path in iter_page_paths(kb.papers_dir)}

    def existing(self, arxiv_id: str) -> Path | None:
        return self.by_id.get(canonical_id(arxiv_id))

    def relative(self, path: Path) -> str:
        return self.kb.relative(path)

    def slug_for(self, title: str, arxiv_id: str) -> str:
        """The title's slug; if a page already has it, the slug with the arXiv ID appended."""
        base = layout.page_slug(title)
        candidates = [base, f"{base}-{layout.slugify(arxiv_id)}"]
        candidates += [f"{candidates[1]}-{n}" for n in range(2, 100)]
        return next(c for c in candidates if c not in self.slugs)

    def create(self, result: arxiv.Result, topics: Sequence[str] = (), priority: str | None = None) -> dict[str, Any]:
        """Write a new page for a result (unless dry run); returns what was added."""
        fetched = paper_metadata(result, self.labs)
        slug = self.slug_for(fetched["title"], fetched["arxiv"])
        path = self.kb.papers_dir / f"{slug}.md"
        fetched["links"] = [link.as_item() for link in result_links(result)] or None
        meta = new_page_meta(fetched, list(topics), priority, self.today)
        if not self.dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, render_new_page(meta))
        self.slugs.add(slug)
        self.by_id[fetched["arxiv"]] = path
        return {"arxiv": fetched["arxiv"], "version": fetched.get("version"), "title": fetched["title"], "path": self.relative(path)}

    def refresh(self, path: Path, latest: arxiv.Result, basis: arxiv.Result | None) -> dict[str, Any]:
        """Update the fetched keys a person has not changed; ``basis`` is arXiv's answer for the page's version."""
        page = load_page(path)
        new = paper_metadata(latest, self.labs)
        old = paper_metadata(basis, self.labs) if basis is not None else None
        updates, removed, kept = refresh_plan(page.meta, new, old)
        page_version = page.meta.get("version")
        outcome = {
            "arxiv": new["arxiv"],
            "path": self.relative(path),
            "updated": sorted([*updates, *removed]),
            "kept": kept,
            "newer_version": None,
        }
        if isinstance(page_version, int) and new.get("version", 0) > page_version:
            outcome["newer_version"] = {"from": page_version, "to": new["version"]}
        stale = stale_records(page, new.get("version"))
        outcome["stale"] = list(stale)  # canonical order
        text = set_keys(page, updates, removed) if updates or removed else page.text
        if stale:
            text = set_map_entries(parse_page(path, text), "generated", stale)
        # Links arXiv names now and did not for the page's version go after the page's own, which stay as they are
        text, added = with_links(parse_page(path, text), refresh_links(result_links(latest), result_links(basis) if basis else None))
        if added:
            outcome["updated"] = sorted([*outcome["updated"], "links"])
            outcome["links_added"] = [link.url for link in added]
        if text != page.text and not self.dry_run:
            write_page(page, text)
        return outcome

    def mark_stale(self, path: Path, latest: arxiv.Result) -> list[str]:
        """Mark the page's machine-written sections stale when ``latest`` is a newer version (sync: nothing else
        of the page changes); the keys marked."""
        try:
            page = load_page(path)
        except PageError:
            return []  # `paperkb check` names it
        stale = stale_records(page, result_id(latest)[1])
        if stale and not self.dry_run:
            write_page(page, set_map_entries(page, "generated", stale))
        return list(stale)


def stale_records(page: Page, latest: int | None) -> dict[str, dict[str, Any]]:
    """The ``generated`` records to rewrite when arXiv's latest version is ``latest``: each section still as the
    machine wrote it, from an older version, gets ``stale: <latest>`` and keeps (or gains) ``version``, the one it
    was written from. A section a person has edited is theirs: never marked."""
    if latest is None:
        return {}
    marked: dict[str, dict[str, Any]] = {}
    for key in machine_written(page):
        written = written_from(page, key)
        already = stale_version(page, key)
        if written is None or written >= latest or (already is not None and already >= latest):
            continue
        marked[key] = {**(page.generated_record(key) or {}), "version": written, "stale": latest}
    return marked


def result_links(result: arxiv.Result) -> list[Link]:
    """The code, model and data links an arXiv entry names in its abstract and comment (ingest.code_links)."""
    return code_links(result.summary, result.comment)


def pages_by_arxiv_id(papers_dir: Path) -> dict[str, Path]:
    """Every page by its canonical arXiv ID (the first page wins); shared by add, resolve, sync, import-digest.

    A page whose front matter does not parse is still found, by its ``arxiv:`` line, so that no command
    creates a second page for a paper while a person is half-way through editing the first.
    """
    found: dict[str, Path] = {}
    for path in iter_page_paths(papers_dir):
        arxiv_id = _page_arxiv_id(path)
        if arxiv_id:
            found.setdefault(canonical_id(arxiv_id), path)
    return found


def _page_arxiv_id(path: Path) -> str | None:
    """The page's arXiv ID; for a page that does not parse, read from its `arxiv:` line (no duplicates then)."""
    try:
        value = load_page(path).meta.get("arxiv")
    except PageError:
        try:
            head = read_page_text(path).split("\n---", 1)[0]
        except PageError:
            return None  # not a readable page (a FIFO, a link, not UTF-8): `paperkb check` names it
        match = _ARXIV_LINE.search(head)
        value = match.group(1) if match else None
    parsed = parse_arxiv_id(str(value)) if value else None
    return parsed.id if parsed else None


def new_page_meta(fetched: dict[str, Any], topics: list[str], priority: str | None, today: dt.date) -> dict[str, Any]:
    """Front matter of a new page, in the order people read it."""
    order = (
        "title", "arxiv", "version", "authors", "labs", "topics", "priority", "published", "updated", "added",
        "categories", "primary_category", "doi", "journal_ref", "comment", "links", "status", "abstract",
    )  # fmt: skip
    extra = {"topics": topics or None, "priority": priority, "added": today, "status": "todo"}
    merged = {**fetched, **extra}
    return {key: merged.get(key) for key in order if merged.get(key) is not None}


def refresh_plan(current: dict[str, Any], new: dict[str, Any], old: dict[str, Any] | None) -> tuple[dict[str, Any], list[str], list[str]]:
    """(keys to set, keys to remove, keys kept because a person set them) for a refresh."""
    updates: dict[str, Any] = {}
    removed: list[str] = []
    kept: list[str] = []
    for key in FETCHED_KEYS:
        if key == "arxiv":
            continue  # the page's identity; never rewritten
        value = new.get(key)
        if key not in current or current[key] is None:
            if value is not None:
                updates[key] = value
        elif same_value(key, current[key], value):
            continue
        elif old is not None and same_value(key, current[key], old.get(key)):
            if value is None:
                removed.append(key)
            else:
                updates[key] = value
        else:
            kept.append(key)
    return updates, removed, kept


def parse_arguments(arguments: list[str], report: IngestReport) -> list[str]:
    """Valid, distinct, version-free IDs in the order given; malformed arguments go to report.invalid."""
    ids: list[str] = []
    for argument in arguments:
        parsed = parse_arxiv_id(argument)
        if parsed is None:
            report.invalid.append({"argument": argument, "error": f"'{argument}' is not an arXiv ID or URL; use {ID_FORMS}"})
        else:
            ids.append(canonical_id(parsed.id))
    return list(dict.fromkeys(ids))


def make_progress(total: int, label: str, stream: TextIO | None = None) -> tqdm:
    """A progress bar on stderr, drawn only when that stream is a terminal (tqdm's ``disable=None``)."""
    # A terminal that reports no size (a bare pty) gets shutil's 80x24: tqdm hides a bar on a 0-row screen
    size = shutil.get_terminal_size()
    stream = stream or sys.stderr
    return tqdm(total=total, desc=label, file=stream, disable=None if total else True, unit="paper", ncols=size.columns, nrows=size.lines)
