"""The ``paperkb`` command: one sub-command per pipeline stage, each in its own module of ``paperkb.cli``.

A command module exposes ``add_parser(subparsers)``, which registers its sub-command and sets
``func=run``; ``run(args, kb)`` returns the exit code. Errors the user can fix are printed as one
clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from paperkb import __version__
from paperkb.cli import add, check, digest, fill, import_digest, resolve, sync
from paperkb.model import config

#: Sub-command modules, in the order `paperkb --help` lists them.
COMMANDS = (check, add, resolve, sync, import_digest, digest, fill)




def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperkb", description="Keep a knowledge base of AI research papers.")
    parser.add_argument("--version", action="version", version=f"paperkb {__version__}")
    parser.add_argument("--root", type=Path, help="the knowledge base (default: found from the current folder)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
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
