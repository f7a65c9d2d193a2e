"""``paperkb digest``: a Research Sync digest on stdout, Markdown or a self-contained e-mail (``--format html``);
``--send`` mails it instead (SMTP settings in ``[tool.paperkb.mail]``, login from the environment), once.

The logic: ``paperkb.publish.digest`` and ``paperkb.publish.mail``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import urllib.parse

from paperkb.model import config
from paperkb.model.config import read_site_url
from paperkb.model.pages import Page, load_pages
from paperkb.model.syncs import load_sync_records, record_date
from paperkb.publish.digest import DEFAULT_TOP, WEEKLY_DAYS, Digest, ExternalLinks, digest_for_sync, digest_for_window, render_html, render_markdown
from paperkb.publish.mail import SENT_LOG, MailError, MailSettings, SentLog, digest_key, digest_message, send


def _date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; write it as YYYY-MM-DD") from None


def _site_url_arg(value: str) -> str:
    """Only http(s) URLs with a host: the value lands in every paper link's href (a javascript: URL would run)."""
    parts = urllib.parse.urlsplit(value.strip())
    if value.strip() and (parts.scheme.lower() not in ("http", "https") or not parts.netloc):
        raise argparse.ArgumentTypeError(f"'{value}' is not an http(s) site URL; write it like https://example.org/kb/")
    return value.strip()


def _top_arg(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of papers (0 or more)")
    return number


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("digest", help="print a Research Sync digest (Markdown or e-mail HTML)", description=__doc__.splitlines()[0])
    parser.add_argument("--since", type=_date_arg, metavar="DATE", help=f"first day papers were added (default: {WEEKLY_DAYS - 1} days before --until)")
    parser.add_argument("--until", type=_date_arg, metavar="DATE", help="last day papers were added (default: today)")
    parser.add_argument("--sync", metavar="DATE", help="the digest of one sync run instead: its date, or 'latest'")
    parser.add_argument("--top", type=_top_arg, default=DEFAULT_TOP, metavar="N", help=f"papers shown in full (default {DEFAULT_TOP})")
    parser.add_argument("--format", choices=("md", "html"), default="md", help="md (default) or html: a self-contained e-mail")
    parser.add_argument("--site-url", type=_site_url_arg, metavar="URL", help="where paper links point (default: site_url from mkdocs.yml, else arXiv)")
    parser.add_argument(
        "--send", action="store_true", help="e-mail the digest (HTML and plain text) over SMTP per [tool.paperkb.mail]; a digest already sent is not sent again"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    pages, _errors = load_pages(kb.papers_dir)  # broken pages are `paperkb check`'s to report
    if args.sync:
        digest = _sync_digest(kb, pages, args)
        if digest is None:
            return 2
    else:
        until = args.until or dt.date.today()
        try:
            since = args.since or until - dt.timedelta(days=WEEKLY_DAYS - 1)
        except OverflowError:  # before 0001-01-07 the default window would start before year 1
            print(f"paperkb digest: --until {until} leaves no room for a {WEEKLY_DAYS}-day window; pass --since", file=sys.stderr)
            return 2
        if since > until:
            print(f"paperkb digest: --since {since} is after --until {until}; swap them", file=sys.stderr)
            return 2
        digest = digest_for_window(pages, since, until, top=args.top)
    site_url = args.site_url if args.site_url is not None else read_site_url(kb.root)
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    links = ExternalLinks(site_url)
    if args.send:
        return _send(kb, digest, links)
    sys.stdout.write(render_html(digest, links) if args.format == "html" else render_markdown(digest, links))
    return 0


def _send(kb: config.KnowledgeBase, digest: Digest, links: ExternalLinks) -> int:
    settings = MailSettings.for_kb(kb)  # a ConfigError is printed by paperkb.cli.main (exit 2)
    log, key = SentLog(kb.root / SENT_LOG), digest_key(digest)
    try:
        sent = log.sent_at(key)
        if sent:
            print(f"paperkb digest: {digest.title} was already sent ({key}, {sent}); nothing sent", file=sys.stderr)
            return 0
        if not digest.papers:
            print(f"paperkb digest: {digest.title} has no papers; nothing sent", file=sys.stderr)
            return 0
        now = dt.datetime.now(dt.UTC)
        send(digest_message(digest, links, settings, now), settings)
        log.record(key, now)
    except MailError as exc:
        print(f"paperkb digest: {exc}", file=sys.stderr)
        return 1
    print(f"paperkb digest: sent {digest.title} to {len(settings.recipients)} recipient(s)", file=sys.stderr)
    return 0


def _sync_digest(kb: config.KnowledgeBase, pages: list[Page], args: argparse.Namespace) -> Digest | None:
    records, errors = load_sync_records(kb.syncs_dir)
    for error in errors:
        print(error.report_line(), file=sys.stderr)
    if args.sync == "latest":
        chosen = records[-1:]
    else:
        try:
            wanted = dt.date.fromisoformat(args.sync)
        except ValueError:
            print(f"paperkb digest: --sync '{args.sync}' is not a date; write YYYY-MM-DD or 'latest'", file=sys.stderr)
            return None
        chosen = [r for r in records if record_date(r) == wanted]
    if not chosen:
        where = kb.relative(kb.syncs_dir)
        print(f"paperkb digest: no sync record for '{args.sync}' in {where}; run `paperkb sync` or pick a date listed there", file=sys.stderr)
        return None
    return digest_for_sync(pages, chosen[-1], top=args.top)
