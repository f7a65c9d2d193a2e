"""What the commands share: the pages a command's PATH arguments name, and the report of an arXiv run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from paperkb.ingest.page_writer import IngestReport
from paperkb.model import config
from paperkb.model.pages import SECTION_TITLES, page_arguments


def print_report(report: IngestReport, as_json: bool, command: str, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        print(json.dumps({**report.as_json(), **(extra or {})}, indent=2, default=str))
    else:
        for line in report_lines(report):
            print(line)
    for line in problem_lines(report, command):
        print(line, file=sys.stderr)
    print(f"paperkb {command}: {summary(report)}", file=sys.stderr)


def report_lines(report: IngestReport) -> list[str]:
    lines = [f"added {a['path']} ({a['arxiv']}v{a['version']}: {a['title']})" for a in report.added]
    lines += [f"already in the knowledge base: {p['arxiv']} is {p['path']} (use --refresh to update its arXiv metadata)" for p in report.already_present]
    for r in report.refreshed:
        changed = ", ".join(r["updated"]) or "nothing changed"
        kept = f"; kept (set by a person): {', '.join(r['kept'])}" if r["kept"] else ""
        lines.append(f"refreshed {r['path']}: {changed}{kept}")
        if r["newer_version"]:
            lines.append(f"{r['arxiv']}: arXiv has a newer version, v{r['newer_version']['to']} (the page had v{r['newer_version']['from']})")
    return lines + stale_lines(report)


def stale_lines(report: IngestReport) -> list[str]:
    """A line per page whose machine-written sections a newer arXiv version has outdated (refresh or sync)."""
    stale = [(r["path"], r["stale"]) for r in report.refreshed if r.get("stale")] + [(s["path"], s["sections"]) for s in report.stale]
    return [
        f"stale {path}: {', '.join(SECTION_TITLES[key] for key in keys)} written from an older version; 'paperkb fill --stale' rewrites them"
        for path, keys in stale
    ]


def problem_lines(report: IngestReport, command: str) -> list[str]:
    lines = [f"paperkb {command}: {item['error']}" for item in report.invalid]
    lines += [f"paperkb {command}: not found on arXiv: {arxiv_id}" for arxiv_id in report.not_found]
    if report.not_fetched:
        shown = ", ".join(report.not_fetched[:20]) + (f" and {len(report.not_fetched) - 20} more" if len(report.not_fetched) > 20 else "")
        lines.append(f"paperkb {command}: {'; '.join(report.errors)}; not fetched: {shown}")
    else:
        lines += [f"paperkb {command}: {error}" for error in report.errors]
    return lines


def summary(report: IngestReport) -> str:
    parts = [f"{len(report.added)} added", f"{len(report.already_present)} already present"]
    if report.refreshed:
        parts.append(f"{len(report.refreshed)} refreshed")
    for name, items in (("not found", report.not_found), ("invalid", report.invalid), ("not fetched", report.not_fetched)):
        if items:
            parts.append(f"{len(items)} {name}")
    return ", ".join(parts) + f" ({report.requests} request{'s' if report.requests != 1 else ''} to arXiv)"


def named_pages(args: argparse.Namespace, kb: config.KnowledgeBase, folder: Path | None = None) -> list[Path] | None:
    """The pages a command's PATH arguments name (``pages.page_arguments``) in ``folder`` (the papers folder
    unless said); None, after one line per bad argument on stderr, when one does not exist or is a folder
    holding no page (the command exits 2)."""
    folder = kb.papers_dir if folder is None else folder
    named = page_arguments(args.paths, folder)
    for message in named.problems(kb.relative(folder)):
        print(f"paperkb {args.command}: {message}", file=sys.stderr)
    return None if named.missing or named.empty else named.pages
