"""``paperkb add ID_OR_URL…``: create pages from arXiv metadata; ``--refresh`` updates what arXiv owns.

Every argument is validated first (IDs, ``arXiv:`` IDs, abs/pdf URLs, old-style IDs, with or without a
version); the valid ones are fetched in batched ``id_list`` requests through one shared client. A paper that
already has a page (same ID, any version) is not duplicated. Pages are written one at a time, atomically.

Which keys ``--refresh`` may change: only the keys arXiv gives (``arxiv_source.FETCHED_KEYS``), never the body,
``priority``, ``topics``, ``status`` or ``added``. A key is updated when it is absent, or when its current value
is still exactly what arXiv gave for the version the page records (``version``): for a page at v1 while arXiv
has v2, paperkb also fetches v1 and compares. A value that differs from arXiv's was set by a person and is
kept. A page without ``version`` was written by hand: only its absent keys are filled.

:class:`Ingest` (creating and refreshing pages) and :class:`Progress` are shared with ``resolve`` and ``sync``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import arxiv

from . import config, layout
from .arxiv_ids import parse_arxiv_id
from .arxiv_source import (
    FETCHED_KEYS,
    ArxivSource,
    FetchError,
    LabMatcher,
    canonical_id,
    paper_metadata,
    result_id,
    same_value,
)
from .pages import PRIORITIES, PageError, atomic_write, iter_page_paths, load_page, read_text, render_new_page, set_keys, write_page
from .vocab import Vocabulary, load_vocabulary

ID_FORMS = "2501.12948, 2501.12948v2, arXiv:2501.12948, https://arxiv.org/abs/2501.12948 or cs/9901001"
_ARXIV_LINE = re.compile(r"^arxiv:\s*['\"]?([^'\"\s#]+)", re.M)


# -- progress -------------------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.enabled = total > 0 and _is_tty(self.stream)
        self.total, self.label, self.width, self.done = total, label, width, 0

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        if self.enabled:
            filled = self.width * self.done // self.total
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- the outcome of a run --------------------------------------------------------------------------------
@dataclass
class Report:
    """What a run did; printed for people, or as JSON with --json."""

    added: list[dict[str, Any]] = field(default_factory=list)
    already_present: list[dict[str, Any]] = field(default_factory=list)
    refreshed: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    invalid: list[dict[str, str]] = field(default_factory=list)
    not_fetched: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not (self.not_found or self.invalid or self.not_fetched or self.errors)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# -- creating and refreshing pages -----------------------------------------------------------------------
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

    def create(self, result: arxiv.Result, topics: list[str] = (), priority: str | None = None) -> dict[str, Any]:
        """Write a new page for a result (unless dry run); returns what was added."""
        fetched = paper_metadata(result, self.labs)
        slug = self.slug_for(fetched["title"], fetched["arxiv"])
        path = self.kb.papers_dir / f"{slug}.md"
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
        if (updates or removed) and not self.dry_run:
            write_page(page, set_keys(page, updates, removed))
        return outcome


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
            head = read_text(path).split("\n---", 1)[0]
        except (OSError, UnicodeDecodeError):
            return None  # not readable as text: `paperkb check` names it
        match = _ARXIV_LINE.search(head)
        value = match.group(1) if match else None
    parsed = parse_arxiv_id(str(value)) if value else None
    return parsed.id if parsed else None


def new_page_meta(fetched: dict[str, Any], topics: list[str], priority: str | None, today: dt.date) -> dict[str, Any]:
    """Front matter of a new page, in the order people read it."""
    order = (
        "title", "arxiv", "version", "authors", "labs", "topics", "priority", "published", "updated", "added",
        "categories", "primary_category", "doi", "journal_ref", "comment", "status", "abstract",
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


# -- the command -----------------------------------------------------------------------------------------
def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("add", help="add papers from arXiv by ID or URL", description="Create paper pages from arXiv metadata; --refresh updates what arXiv owns, nothing a person set.")
    parser.add_argument("ids", nargs="+", metavar="ID_OR_URL", help=f"arXiv IDs or URLs: {ID_FORMS}")
    parser.add_argument("--priority", choices=PRIORITIES, help="priority of the new pages")
    parser.add_argument("--topic", action="append", default=[], metavar="T", help="topic id for the new pages (repeatable)")
    parser.add_argument("--refresh", action="store_true", help="update the arXiv metadata of papers already present")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result on stdout")
    parser.set_defaults(func=run)


def parse_arguments(arguments: list[str], report: Report) -> list[str]:
    """Valid, distinct, version-free IDs in the order given; malformed arguments go to report.invalid."""
    ids: list[str] = []
    for argument in arguments:
        parsed = parse_arxiv_id(argument)
        if parsed is None:
            report.invalid.append({"argument": argument, "error": f"'{argument}' is not an arXiv ID or URL; use {ID_FORMS}"})
        else:
            ids.append(canonical_id(parsed.id))
    return list(dict.fromkeys(ids))


def unknown_topics(topics: list[str], vocab: Vocabulary) -> list[str]:
    return [t for t in topics if t not in vocab.topics]


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    ingest = Ingest(kb)
    bad = unknown_topics(args.topic, ingest.vocab)
    if bad:
        known = ", ".join(sorted(ingest.vocab.topics))
        print(f"paperkb add: unknown topic(s) {', '.join(bad)}; use ids from {kb.relative(kb.topics_file)}: {known}", file=sys.stderr)
        return 2
    source = ArxivSource.for_kb(kb)
    report = add_papers(ingest, source, args.ids, topics=args.topic, priority=args.priority, refresh=args.refresh)
    print_report(report, args.json, "add")
    return 0 if report.ok else 1


def add_papers(
    ingest: Ingest,
    source: ArxivSource,
    arguments: list[str],
    topics: list[str] = (),
    priority: str | None = None,
    refresh: bool = False,
    stream: TextIO | None = None,
) -> Report:
    report = Report()
    ids = parse_arguments(arguments, report)
    to_fetch: list[str] = []
    for arxiv_id in ids:
        path = ingest.existing(arxiv_id)
        if path is not None and not refresh:
            report.already_present.append({"arxiv": arxiv_id, "path": ingest.relative(path)})
        else:
            to_fetch.append(arxiv_id)
    progress = Progress(len(to_fetch), "fetching from arXiv", stream)
    to_refresh: list[tuple[Path, arxiv.Result]] = []
    try:
        for batch in source.fetch_batches(to_fetch):
            for arxiv_id in batch.requested:
                if arxiv_id in batch.rejected:
                    report.invalid.append({"argument": arxiv_id, "error": batch.rejected[arxiv_id]})
                elif arxiv_id in batch.missing:
                    report.not_found.append(arxiv_id)
                elif ingest.existing(arxiv_id) is not None:
                    to_refresh.append((ingest.existing(arxiv_id), batch.found[arxiv_id]))
                else:
                    report.added.append(ingest.create(batch.found[arxiv_id], topics, priority))
            progress.advance(len(batch.requested))
        refresh_pages(ingest, source, to_refresh, report)
    except FetchError as exc:
        report.errors.append(exc.reason)
        report.not_fetched.extend(exc.not_fetched)
    finally:
        progress.close()
        report.requests = source.requests_made
    return report


def refresh_pages(ingest: Ingest, source: ArxivSource, items: list[tuple[Path, arxiv.Result]], report: Report) -> None:
    """Refresh pages; for pages whose recorded version is older, fetch that version to compare against.

    A page whose front matter does not parse (found by its ``arxiv:`` line) is named in report.errors and
    left alone: what a person set in it cannot be told apart until it parses.
    """
    items = _readable_pages(ingest, items, report)
    older: dict[str, str] = {}
    for path, latest in items:
        version = _page_version(path)
        latest_id, latest_version = result_id(latest)
        if version is not None and latest_version is not None and version < latest_version:
            older[latest_id] = f"{latest_id}v{version}"
    bases: dict[str, arxiv.Result] = {}
    try:
        for batch in source.fetch_batches(list(older.values())):
            bases.update({canonical_id(parse_arxiv_id(k).id): r for k, r in batch.found.items()})
    except FetchError as exc:
        # Without the old version, nothing a person may have set can be told apart: refresh none of them.
        report.errors.append(exc.reason)
        report.not_fetched.extend(result_id(latest)[0] for _, latest in items)
        return
    for path, latest in items:
        latest_id, latest_version = result_id(latest)
        basis = bases.get(latest_id) if latest_id in older else (latest if _page_version(path) == latest_version else None)
        report.refreshed.append(ingest.refresh(path, latest, basis))


def _readable_pages(ingest: Ingest, items: list[tuple[Path, arxiv.Result]], report: Report) -> list[tuple[Path, arxiv.Result]]:
    readable = []
    for path, latest in items:
        try:
            load_page(path)
        except PageError as exc:
            report.errors.append(f"{ingest.relative(exc.path)}:{exc.line}: {exc.message} (not refreshed)")
        else:
            readable.append((path, latest))
    return readable


def _page_version(path: Path) -> int | None:
    version = load_page(path).meta.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


# -- output ------------------------------------------------------------------------------------------------
def print_report(report: Report, as_json: bool, command: str, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        print(json.dumps({**report.as_json(), **(extra or {})}, indent=2, default=str))
    else:
        for line in report_lines(report):
            print(line)
    for line in problem_lines(report, command):
        print(line, file=sys.stderr)
    print(f"paperkb {command}: {summary(report)}", file=sys.stderr)


def report_lines(report: Report) -> list[str]:
    lines = [f"added {a['path']} ({a['arxiv']}v{a['version']}: {a['title']})" for a in report.added]
    lines += [
        f"already in the knowledge base: {p['arxiv']} is {p['path']} (use --refresh to update its arXiv metadata)"
        for p in report.already_present
    ]
    for r in report.refreshed:
        changed = ", ".join(r["updated"]) or "nothing changed"
        kept = f"; kept (set by a person): {', '.join(r['kept'])}" if r["kept"] else ""
        lines.append(f"refreshed {r['path']}: {changed}{kept}")
        if r["newer_version"]:
            lines.append(f"{r['arxiv']}: arXiv has a newer version, v{r['newer_version']['to']} (the page had v{r['newer_version']['from']})")
    return lines


def problem_lines(report: Report, command: str) -> list[str]:
    lines = [f"paperkb {command}: {item['error']}" for item in report.invalid]
    lines += [f"paperkb {command}: not found on arXiv: {arxiv_id}" for arxiv_id in report.not_found]
    if report.not_fetched:
        shown = ", ".join(report.not_fetched[:20]) + (f" and {len(report.not_fetched) - 20} more" if len(report.not_fetched) > 20 else "")
        lines.append(f"paperkb {command}: {'; '.join(report.errors)}; not fetched: {shown}")
    else:
        lines += [f"paperkb {command}: {error}" for error in report.errors]
    return lines


def summary(report: Report) -> str:
    parts = [f"{len(report.added)} added", f"{len(report.already_present)} already present"]
    if report.refreshed:
        parts.append(f"{len(report.refreshed)} refreshed")
    for name, items in (("not found", report.not_found), ("invalid", report.invalid), ("not fetched", report.not_fetched)):
        if items:
            parts.append(f"{len(items)} {name}")
    return ", ".join(parts) + f" ({report.requests} request{'s' if report.requests != 1 else ''} to arXiv)"
