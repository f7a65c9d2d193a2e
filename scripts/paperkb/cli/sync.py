"""``paperkb sync [--since D] [--until D] [--dry-run] [--json]`` (the logic: ``paperkb.ingest.sync``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from paperkb.cli.common import stale_lines
from paperkb.ingest.arxiv_client import ArxivError, ArxivSource
from paperkb.ingest.page_writer import Ingest, IngestReport
from paperkb.ingest.sync import default_window, load_queries, sync
from paperkb.model import config
from paperkb.model.syncs import load_sync_records, write_record


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD") from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="add new papers found by the watch queries",
        description="Run the watch queries over a date window, add the new papers and record the run in content/syncs/.",
    )
    parser.add_argument("--since", type=_date, metavar="DATE", help="first day of the window (default: the last sync's until)")
    parser.add_argument("--until", type=_date, metavar="DATE", help="last day of the window (default: today, UTC)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be added; write nothing")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    today = dt.datetime.now(dt.UTC).date()
    queries = load_queries(kb)
    if not queries:
        print("paperkb sync: no watch queries; add [[tool.paperkb.sync.queries]] (name, query, max_results) to pyproject.toml", file=sys.stderr)
        return 2
    records, errors = load_sync_records(kb.syncs_dir) if not args.since else ([], [])
    if errors:
        print(f"paperkb sync: {errors[0]} (or pass --since)", file=sys.stderr)
        return 2
    default_since, default_until = default_window(records, today)
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


def print_sync(record: dict[str, Any], report: IngestReport, path: Path | None, kb: config.KnowledgeBase, args: argparse.Namespace) -> None:
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
        for line in stale_lines(report):
            print(line)
    counts = record["counts"]
    where = f"; recorded in {kb.relative(path)}" if path else " (dry run: nothing written)"
    print(
        f"paperkb sync {window['since']} to {window['until']}: {counts['found']} found, {counts['added']} "
        f"{'to add' if args.dry_run else 'added'}, {counts['already_present']} already present "
        f"({report.requests} request{'s' if report.requests != 1 else ''} to arXiv){where}",
        file=sys.stderr,
    )
