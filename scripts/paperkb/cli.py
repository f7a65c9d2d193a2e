"""The ``paperkb`` command: one sub-command per pipeline stage, each in its own module.

A stage module exposes ``add_parser(subparsers)``, which registers its sub-command and sets
``func=run``; ``run(args, kb)`` returns the exit code. Errors the user can fix are printed as one
clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from . import __version__, config

#: Sub-command modules, in the order `paperkb --help` lists them.
STAGES = (
    "check",
    "add",
    "resolve",
    "sync",
    "import_digest",
    "digest",
    "fill",
)


def named_pages(args: argparse.Namespace, kb: config.KnowledgeBase) -> list[Path] | None:
    """The pages a command's PATH arguments name (``pages.page_arguments``); None, after one line per bad
    argument on stderr, when one does not exist or is a folder holding no page (the command exits 2)."""
    from .pages import page_arguments

    named = page_arguments(args.paths, kb.papers_dir)
    for message in named.problems(kb.relative(kb.papers_dir)):
        print(f"paperkb {args.command}: {message}", file=sys.stderr)
    return None if named.missing or named.empty else named.pages


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperkb", description="Keep a knowledge base of AI research papers.")
    parser.add_argument("--version", action="version", version=f"paperkb {__version__}")
    parser.add_argument("--root", type=Path, help="the knowledge base (default: found from the current folder)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in STAGES:
        importlib.import_module(f"paperkb.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        kb = config.load(args.root)
        kb.require_content_dir()  # here, once, so no command writes into a folder that a typo named
        return args.func(args, kb)
    except config.ConfigError as exc:
        print(f"paperkb: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paperkb: interrupted; pages already written are complete, the rest are untouched", file=sys.stderr)
        return 130
