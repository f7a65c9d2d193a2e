"""``paperkb check``: validate every page and both vocabularies, report every problem with its line.

The rules: ``paperkb.check``."""

from __future__ import annotations

import argparse
import sys

from paperkb.check import check_pages, check_sync_records
from paperkb.cli.common import named_pages
from paperkb.model import config
from paperkb.model.pages import iter_page_paths
from paperkb.model.vocab import Problem


def _github_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's rules: %, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """Escape a workflow command's property value: also ':' and ',', which would end it."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def format_problem(problem: Problem, kb: config.KnowledgeBase, style: str) -> str:
    path = kb.relative(problem.path)
    if style == "github":
        return f"::{problem.severity} file={_github_property(path)},line={problem.line}::{_github_data(problem.message)}"
    return f"{path}:{problem.line}: {problem.severity}: {problem.message}"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="validate pages and vocabularies", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", metavar="PATH", help="pages or folders to check (default: every page)")
    parser.add_argument("--format", choices=("text", "github"), default="text", help="github: workflow annotations")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    selected = named_pages(args, kb)
    if selected is None:
        return 2
    problems = check_pages(kb, selected if args.paths else None)
    if not args.paths:
        problems += check_sync_records(kb)
    problems.sort(key=lambda p: (str(p.path), p.line))
    for problem in problems:
        print(format_problem(problem, kb, args.format))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    pages = len(selected) if args.paths else len(iter_page_paths(kb.papers_dir))
    sys.stdout.flush()  # the problems first, then the summary, also when both go to one log
    print(f"checked {pages} page(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0
