"""``paperkb import-digest FILE [--dry-run]`` (the logic: ``paperkb.ingest.import_digest``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from paperkb.ingest.import_digest import DigestError, import_digest, parse_digest
from paperkb.model import config
from paperkb.model.pages import read_text


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-digest",
        help="create or complete pages from an 'AI Research Sync' digest",
        description="Create or complete pages from an 'AI Research Sync — Summaries' digest; only missing sections are written, never a person's text.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the digest (Markdown)")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    try:
        text = read_text(args.file)
    except FileNotFoundError:
        print(f"paperkb import-digest: {args.file}: no such file", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"paperkb import-digest: {args.file}:1: not UTF-8 text; save it as UTF-8", file=sys.stderr)
        return 2
    try:
        digest = parse_digest(args.file, text)
    except DigestError as exc:
        print(f"paperkb import-digest: {exc}", file=sys.stderr)
        return 2
    lines, errors = import_digest(kb, digest, dry_run=args.dry_run)
    for line in lines:
        print(line)
    for error in errors:
        print(f"paperkb import-digest: {error}", file=sys.stderr)
    return 1 if errors else 0
