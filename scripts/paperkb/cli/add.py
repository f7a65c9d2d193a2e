"""``paperkb add ID_OR_URL… [--priority P] [--topic T]… [--refresh] [--json]`` (the logic: ``paperkb.ingest.add``)."""

from __future__ import annotations

import argparse
import sys

from paperkb.cli.common import print_report
from paperkb.ingest.add import add_papers
from paperkb.ingest.arxiv_client import ArxivSource
from paperkb.ingest.page_writer import ID_FORMS, Ingest
from paperkb.model import config
from paperkb.model.pages import PRIORITIES
from paperkb.model.vocab import Vocabulary


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "add",
        help="add papers from arXiv by ID or URL",
        description="Create paper pages from arXiv metadata; --refresh updates what arXiv owns, nothing a person set.",
    )
    parser.add_argument("ids", nargs="+", metavar="ID_OR_URL", help=f"arXiv IDs or URLs: {ID_FORMS}")
    parser.add_argument("--priority", choices=PRIORITIES, help="priority of the new pages")
    parser.add_argument("--topic", action="append", default=[], metavar="T", help="topic id for the new pages (repeatable)")
    parser.add_argument("--refresh", action="store_true", help="update the arXiv metadata of papers already present")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result on stdout")
    parser.set_defaults(func=run)


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
