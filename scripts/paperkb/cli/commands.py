"""The sub-commands and the argument parser of ``paperkb`` (run by :func:`paperkb.cli.main.main`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from paperkb import __version__
from paperkb.cli import add, check, digest, fill, import_digest, link, resolve, sync

#: Sub-command modules, in the order `paperkb --help` lists them.
COMMANDS = (check, add, resolve, sync, import_digest, digest, fill, link)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperkb", description="Keep a knowledge base of AI research papers.")
    parser.add_argument("--version", action="version", version=f"paperkb {__version__}")
    parser.add_argument("--root", type=Path, help="the knowledge base (default: found from the current folder)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser
