"""``paperkb sync [--since DATE] [--until DATE] [--dry-run]``: add the new papers of the watch queries.

The watch queries are ``[[tool.paperkb.sync.queries]]`` in pyproject.toml (``name``, ``query`` in arXiv's
syntax, ``max_results``). Each runs restricted to papers first submitted in the window (both ends included,
UTC): by default from the ``until`` of the last sync record (or 7 days back when there is none) to today.
Papers already in the knowledge base are counted, not added again, so a second run over the same window
adds nothing. Every run writes one record, ``content/syncs/<date>.yml`` (``-2``, ``-3`` … when that date
has one), that the digests are built from; ``load_sync_records`` reads them. ``--dry-run`` lists what
would be added and writes nothing.

The searches run first and the pages are written after them, so an arXiv outage changes nothing; an
interrupted run leaves complete pages and no record, and the next run over the window counts them as present.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import arxiv
import yaml

from . import config
from .add import Ingest, Progress, Report
from .arxiv_source import ArxivError, ArxivSource, result_id
from .pages import atomic_write

#: Window used by the first sync of a knowledge base (no record yet).
FIRST_WINDOW_DAYS = 7
_RECORD_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.yml$")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


class SyncRecordError(Exception):
    """A sync record that cannot be used; the message names the file, the line and the fix."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = Path(path), line, message


@dataclass
class WatchQuery:
    name: str
    query: str
    max_results: int


# -- configuration ------------------------------------------------------------------------------------------
def load_queries(kb: config.KnowledgeBase) -> list[WatchQuery]:
    """``[[tool.paperkb.sync.queries]]``, validated; a bad entry is a ConfigError naming it."""
    raw = kb.section("sync").get("queries", [])
    where = "[[tool.paperkb.sync.queries]] in pyproject.toml"
    if not isinstance(raw, list):
        raise config.ConfigError(f"{where} must be an array of tables (name, query, max_results)")
    queries: list[WatchQuery] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise config.ConfigError(f"{where}: entry {number} must be a table with name, query, max_results")
        name, query, cap = item.get("name"), item.get("query"), item.get("max_results", 50)
        if not isinstance(name, str) or not name.strip():
            raise config.ConfigError(f"{where}: entry {number} needs a name, e.g. name = \"deepseek\"")
        if not isinstance(query, str) or not query.strip():
            raise config.ConfigError(f"{where}: '{name}' needs a query in arXiv syntax, e.g. query = \"abs:DeepSeek\"")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 2000:
            raise config.ConfigError(f"{where}: '{name}' max_results must be a whole number from 1 to 2000, not {cap!r}")
        if name in {q.name for q in queries}:
            raise config.ConfigError(f"{where}: two queries are named '{name}'; names must be distinct")
        queries.append(WatchQuery(name.strip(), query.strip(), cap))
    return queries


# -- sync records -------------------------------------------------------------------------------------------
def scan_sync_records(syncs_dir: Path) -> tuple[list[dict[str, Any]], list[SyncRecordError]]:
    """Every sync record (``<date>.yml``, ``<date>-2.yml`` …) oldest first, each with its ``path``; and the
    error of each record that does not read. The one walk over ``content/syncs`` that sync, check, the
    digests and the site share."""
    found: list[tuple[dt.date, int, dict[str, Any]]] = []
    errors: list[SyncRecordError] = []
    directory = Path(syncs_dir)
    for path in sorted(directory.glob("*.yml")) if directory.is_dir() else []:
        match = _RECORD_NAME.match(path.name)
        if not match:
            continue
        try:
            record = read_record(path)
        except SyncRecordError as exc:
            errors.append(exc)
            continue
        record["path"] = path
        found.append((record["date"], int(match.group(2) or 1), record))
    found.sort(key=lambda item: item[:2])
    return [record for _, _, record in found], errors


def load_sync_records(kb: config.KnowledgeBase) -> list[dict[str, Any]]:
    """Every sync record, oldest first (by date, then -2, -3 …), each with its ``path`` added.

    Dates are ``datetime.date``; raises :class:`SyncRecordError` for a record that is not in the format.
    """
    records, errors = scan_sync_records(kb.syncs_dir)
    if errors:
        raise errors[0]
    return records


def read_record(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SyncRecordError(path, mark.line + 1 if mark else 1, "invalid YAML in sync record; fix it or delete the file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncRecordError(path, 1, f"cannot read sync record ({exc})") from None
    except ValueError:  # PyYAML builds dates with datetime.date, which rejects 2025-02-30 with ValueError
        line, key, value = _impossible_date(text) or (1, "date", "a date")
        raise SyncRecordError(path, line, f"'{key}' {value} is not a real date; fix the day or month (YYYY-MM-DD)") from None
    problem = _record_problem(data)
    if problem:
        raise SyncRecordError(path, 1, f"{problem}; see the sync record format in the README")
    return data


def _impossible_date(text: str) -> tuple[int, str, str] | None:
    """(line, key, value) of the first date-looking scalar that is not a real date, found on the node tree."""
    constructor = yaml.constructor.SafeConstructor()
    pending: list[tuple[str, yaml.nodes.Node]] = [("date", yaml.compose(text, Loader=yaml.SafeLoader))]
    while pending:
        key, node = pending.pop(0)
        if isinstance(node, yaml.MappingNode):
            pending += [(str(k.value), v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            pending += [(key, item) for item in node.value]
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                constructor.construct_yaml_timestamp(node)
            except ValueError:
                return node.start_mark.line + 1, key, node.value
    return None


def _record_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "a sync record is a mapping with date, window, queries, added, counts"
    if not isinstance(data.get("date"), dt.date):
        return "'date' must be a date (YYYY-MM-DD)"
    window = data.get("window")
    if not isinstance(window, dict) or not all(isinstance(window.get(k), dt.date) for k in ("since", "until")):
        return "'window' must be {since: YYYY-MM-DD, until: YYYY-MM-DD}"
    if not isinstance(data.get("queries", []), list):
        return "'queries' must be a list"
    added = data.get("added", [])
    if not isinstance(added, list) or not all(isinstance(i, str) for i in added):
        return "'added' must be a list of quoted arXiv IDs"
    if not isinstance(data.get("counts", {}), dict):
        return "'counts' must be a mapping {found, added, already_present}"
    return None


def _scalar(value: str) -> str:
    """A YAML scalar: plain when unambiguous, else double-quoted (JSON strings are valid YAML)."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def render_record(record: dict[str, Any]) -> str:
    """The record file, in the documented layout (flow mappings, one query per line)."""
    window, counts = record["window"], record["counts"]
    lines = [
        f"date: {record['date'].isoformat()}",
        f"window: {{since: {window['since'].isoformat()}, until: {window['until'].isoformat()}}}",
        "queries:" if record["queries"] else "queries: []",
    ]
    lines += [
        f"  - {{name: {_scalar(q['name'])}, query: {json.dumps(q['query'], ensure_ascii=False)}, "
        f"max_results: {q['max_results']}, found: {q['found']}}}"
        for q in record["queries"]
    ]
    lines.append(f"added: [{', '.join(json.dumps(i) for i in record['added'])}]")
    lines.append(f"counts: {{found: {counts['found']}, added: {counts['added']}, already_present: {counts['already_present']}}}")
    return "\n".join(lines) + "\n"


def record_path(kb: config.KnowledgeBase, date: dt.date) -> Path:
    """content/syncs/<date>.yml, or <date>-2.yml, -3 … when taken."""
    candidate = kb.syncs_dir / f"{date.isoformat()}.yml"
    number = 1
    while candidate.exists():
        number += 1
        candidate = kb.syncs_dir / f"{date.isoformat()}-{number}.yml"
    return candidate


def write_record(kb: config.KnowledgeBase, record: dict[str, Any]) -> Path:
    kb.syncs_dir.mkdir(parents=True, exist_ok=True)
    path = record_path(kb, record["date"])
    atomic_write(path, render_record(record))
    return path


# -- the run --------------------------------------------------------------------------------------------------
def windowed(query: str, since: dt.date, until: dt.date) -> str:
    """The watch query restricted to papers first submitted in [since, until] (whole days, UTC)."""
    return f"({query}) AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"


def default_window(records: list[dict[str, Any]], today: dt.date) -> tuple[dt.date, dt.date]:
    if records:
        return records[-1]["window"]["until"], today
    return today - dt.timedelta(days=FIRST_WINDOW_DAYS), today


def search_all(source: ArxivSource, queries: list[WatchQuery], since: dt.date, until: dt.date) -> tuple[list[dict[str, Any]], dict[str, arxiv.Result]]:
    """Run every query over the window: (per-query summary, distinct results in the order found)."""
    summaries: list[dict[str, Any]] = []
    found: dict[str, arxiv.Result] = {}
    progress = Progress(len(queries), "searching arXiv")
    try:
        for query in queries:
            results = source.search(
                windowed(query.query, since, until),
                query.max_results,
                sort_by=arxiv.SortCriterion.SubmittedDate,
                sort_order=arxiv.SortOrder.Descending,
            )
            summaries.append({"name": query.name, "query": query.query, "max_results": query.max_results, "found": len(results)})
            for result in results:
                found.setdefault(result_id(result)[0], result)
            progress.advance()
    finally:
        progress.close()
    return summaries, found


def sync(ingest: Ingest, source: ArxivSource, queries: list[WatchQuery], since: dt.date, until: dt.date, today_utc: dt.date) -> tuple[dict[str, Any], Report]:
    """Search, then add what is new (pages written unless ingest.dry_run); returns (record, report)."""
    report = Report()
    summaries, found = search_all(source, queries, since, until)
    for arxiv_id, result in found.items():
        path = ingest.existing(arxiv_id)
        if path is not None:
            report.already_present.append({"arxiv": arxiv_id, "path": ingest.relative(path)})
        else:
            report.added.append(ingest.create(result))
    report.requests = source.requests_made
    record = {
        "date": today_utc,
        "window": {"since": since, "until": until},
        "queries": summaries,
        "added": [a["arxiv"] for a in report.added],
        "counts": {"found": len(found), "added": len(report.added), "already_present": len(report.already_present)},
    }
    return record, report


# -- the command ------------------------------------------------------------------------------------------------
def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD") from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sync", help="add new papers found by the watch queries", description="Run the watch queries over a date window, add the new papers and record the run in content/syncs/.")
    parser.add_argument("--since", type=_date, metavar="DATE", help="first day of the window (default: the last sync's until)")
    parser.add_argument("--until", type=_date, metavar="DATE", help="last day of the window (default: today, UTC)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be added; write nothing")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    today = dt.datetime.now(dt.timezone.utc).date()
    queries = load_queries(kb)
    if not queries:
        print("paperkb sync: no watch queries; add [[tool.paperkb.sync.queries]] (name, query, max_results) to pyproject.toml", file=sys.stderr)
        return 2
    try:
        default_since, default_until = default_window(load_sync_records(kb) if not args.since else [], today)
    except SyncRecordError as exc:
        print(f"paperkb sync: {exc} (or pass --since)", file=sys.stderr)
        return 2
    until = args.until or default_until
    since = args.since or default_since
    if since > until:
        print(f"paperkb sync: the window starts ({since}) after it ends ({until}); pass --since and --until in order", file=sys.stderr)
        return 2
    ingest = Ingest(kb, dry_run=args.dry_run)
    source = ArxivSource.for_kb(kb)
    try:
        record, report = sync(ingest, source, queries, since, until, today)
    except ArxivError as exc:
        print(f"paperkb sync: {exc}; nothing was added and no record written (window {since} to {until})", file=sys.stderr)
        return 1
    path = None if args.dry_run else write_record(kb, record)
    print_sync(record, report, path, kb, args)
    return 0


def print_sync(record: dict[str, Any], report: Report, path: Path | None, kb: config.KnowledgeBase, args: argparse.Namespace) -> None:
    window = record["window"]
    if args.json:
        payload = {"record": record, "record_path": kb.relative(path) if path else None, "dry_run": args.dry_run, **report.as_json()}
        print(json.dumps(payload, indent=2, default=str))
    else:
        verb = "would add" if args.dry_run else "added"
        for added in report.added:
            print(f"{verb} {added['path']} ({added['arxiv']}v{added['version']}: {added['title']})")
        for query in record["queries"]:
            print(f"query {query['name']}: {query['found']} found (cap {query['max_results']})")
    counts = record["counts"]
    where = f"; recorded in {kb.relative(path)}" if path else " (dry run: nothing written)"
    print(
        f"paperkb sync {window['since']} to {window['until']}: {counts['found']} found, {counts['added']} "
        f"{'to add' if args.dry_run else 'added'}, {counts['already_present']} already present "
        f"({report.requests} request{'s' if report.requests != 1 else ''} to arXiv){where}",
        file=sys.stderr,
    )
