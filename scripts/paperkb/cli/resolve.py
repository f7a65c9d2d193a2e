"""``paperkb resolve [PATH…] [--json]`` (the logic: ``paperkb.ingest.resolve``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from paperkb.cli.common import named_pages
from paperkb.ingest.arxiv_client import ArxivSource
from paperkb.ingest.page_writer import Ingest
from paperkb.ingest.resolve import pages_to_resolve, resolve_pages
from paperkb.model import config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "resolve",
        help="find arXiv IDs of pages without one, by title",
        description="Find the arXiv ID of pages that have none by searching arXiv for the exact title.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="pages or folders (default: every page without 'arxiv')")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    named = named_pages(args, kb)
    if named is None:
        return 2
    ingest = Ingest(kb)
    source = ArxivSource.for_kb(kb)
    paths = pages_to_resolve(kb, named if args.paths else None)
    outcomes, error = resolve_pages(ingest, source, paths)
    if args.json:
        print(json.dumps({"pages": outcomes, "error": error, "requests": source.requests_made}, indent=2))
    else:
        for line in outcome_lines(outcomes):
            print(line)
    if error:
        print(f"paperkb resolve: {error}", file=sys.stderr)
    counts = {status: sum(o["status"] == status for o in outcomes) for status in ("resolved", "ambiguous", "no_match", "duplicate", "error")}
    print("paperkb resolve: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n or s == "resolved"), file=sys.stderr)
    unresolved = any(o["status"] in ("ambiguous", "no_match", "duplicate", "error") for o in outcomes)
    return 1 if error or unresolved else 0


def outcome_lines(outcomes: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for o in outcomes:
        if o["status"] == "resolved":
            lines.append(f"resolved {o['path']}: arxiv {o['arxiv']} (added {', '.join(o['filled'])})")
        elif o["status"] in ("ambiguous", "no_match"):
            what = "several arXiv papers have this title" if o["status"] == "ambiguous" else "no arXiv paper has exactly this title"
            lines.append(f"unchanged {o['path']}: {what}" + ("; candidates:" if o["candidates"] else ""))
            lines += [f"  {c['arxiv']}  {c['title']}" for c in o["candidates"]]
        else:
            lines.append(f"{'skipped' if o['status'] == 'skipped' else 'unchanged'} {o['path']}: {o.get('message', o['status'])}")
    return lines
