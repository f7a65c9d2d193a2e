"""``paperkb link PAGE URL --kind K [--title T] [--author A] [--date YYYY-MM-DD] [--where W]``: add one link to a
paper page's ``links:`` (paperkb.model.links), changing no other byte of the page.

Refused with one line and exit 2, the page untouched: a page that does not read, a kind that is not one of
``LINK_KINDS``, a URL that is not one http(s) URL, a date that is not YYYY-MM-DD, a ``links:`` that is not a list.
A link the page already has (the same URL) is reported and not added again (exit 1)."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import sys
from pathlib import Path

from paperkb.model import config
from paperkb.model.facts import is_web_url
from paperkb.model.links import LINK_KINDS, Link, item_problems, link_key, title_for_url, with_links
from paperkb.model.pages import PageError, item_lines, load_page, write_page


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "link",
        help="add a code, model, talk or other link to a paper page",
        description="Add one link to a paper page's 'links:' (shown under \"Code and discussion\"); nothing else of the page changes.",
    )
    parser.add_argument("page", metavar="PAGE", type=Path, help="the paper page, e.g. content/papers/deepseek-r1.md")
    parser.add_argument("url", metavar="URL", help="the link's http(s) URL")
    # Checked in run, not with choices=: a wrong kind is one line with a did-you-mean, not argparse's usage text
    parser.add_argument("--kind", required=True, metavar="KIND", help=f"one of {', '.join(LINK_KINDS)}")
    parser.add_argument("--title", help="what the link is (default: owner/name of a repository or model, else host and path)")
    parser.add_argument("--author", help="who made, said or wrote it")
    parser.add_argument("--date", help="when, as YYYY-MM-DD")
    parser.add_argument("--where", help="where it was said or published (a conference, a podcast)")
    parser.set_defaults(func=run)


def _refuse(message: str) -> int:
    print(f"paperkb link: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    if args.kind not in LINK_KINDS:
        close = difflib.get_close_matches(args.kind, LINK_KINDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return _refuse(f"--kind {args.kind!r} is not a kind of link; use one of {', '.join(LINK_KINDS)}{hint}")
    if not is_web_url(args.url):
        return _refuse(f"{args.url!r} is not one http(s) URL; give https://… (a space written as %20)")
    date = None
    if args.date is not None:
        try:
            date = dt.date.fromisoformat(args.date)
        except ValueError:
            return _refuse(f"--date {args.date!r} is not a date; write YYYY-MM-DD, e.g. 2025-01-23")
    link = Link(args.kind, " ".join((args.title or title_for_url(args.url)).split()), args.url, args.author, date, args.where)
    problems = item_problems(link.as_item())
    if problems:  # an empty --title or --author
        return _refuse(problems[0])
    try:
        page = load_page(args.page)
    except PageError as exc:
        return _refuse(f"{kb.relative(exc.path)}:{exc.line}: {exc.message}")
    shown = kb.relative(page.path)
    current = page.meta.get("links")
    if current is not None and not isinstance(current, list):
        return _refuse(f"{shown}:{page.line_of('links')}: 'links' is not a list; make it one ('- kind: …' items) first")
    text, added = with_links(page, [link])
    if not added:
        index = next(i for i, item in enumerate(current or []) if link_key(item) == link_key(link.as_item()))
        lines = item_lines(page, "links")
        print(f"paperkb link: {shown}:{lines[index]}: the page already links {args.url} (link {index + 1}); nothing changed", file=sys.stderr)
        return 1
    written = write_page(page, text)
    line = item_lines(written, "links")[-1]
    print(f"paperkb link: added {link.kind} '{link.title}' to {shown}:{line}")
    return 0
