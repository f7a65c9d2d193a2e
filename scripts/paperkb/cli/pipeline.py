"""The pull request the scheduled sync opens: its title and body, from what the run's commands reported.

``.github/workflows/sync.yml`` runs ``paperkb sync --json``, ``paperkb fill --max-cost …`` and ``paperkb
check``, then calls::

    python -m paperkb.cli.pipeline --sync-json sync.json --fill-log fill.log --fill-exit 1 --check-exit 0 \
        --changes changes.txt --max-cost 2 --run-url URL --title-out title.txt --body-out body.md

``--changes`` is ``git status --porcelain -- content`` after the run: new page files are what sync added,
modified ones what fill wrote. The fill report (its ``--json`` output when given, else its text report:
``fill: N filled, M failed …``, ``  failed PATH: reason``, ``cost: $X``) gives failures and cost.

Everything quoted from outside (titles from arXiv, reasons from the model's API) is escaped so it can
neither format the body nor @-mention anyone.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperkb.model.pages import PageError, load_page
from paperkb.publish.markup import md_text

PAPERS_PREFIX = "content/papers/"


@dataclass
class RunFacts:
    date: str = ""
    window: str = ""
    queries: list[str] = field(default_factory=list)
    added: list[dict[str, str]] = field(default_factory=list)  # path, arxiv, title
    sync_errors: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    fill_note: str = ""
    fill_exit: int = 0
    fill_log: str = ""
    cost: str = ""
    tokens: str = ""
    check_exit: int = 0
    max_cost: str = ""
    run_url: str = ""


def quote(text: Any) -> str:
    """Outside text, inert in a GitHub comment: no Markdown, no HTML, no @-mention, no #-reference."""
    return md_text(text).replace("@", "&#64;")


# -- reading what the commands reported --------------------------------------------------------------------
def read_sync(facts: RunFacts, payload: dict[str, Any]) -> None:
    record = payload.get("record") or {}
    facts.date = str(record.get("date", ""))
    window = record.get("window") or {}
    if window:
        facts.window = f"{window.get('since')} to {window.get('until')}"
    facts.queries = [f"{q.get('name')} ({q.get('found', 0)} found)" for q in record.get("queries") or [] if isinstance(q, dict)]
    facts.added = [a for a in payload.get("added") or [] if isinstance(a, dict)]
    facts.sync_errors = [str(e) for e in (payload.get("errors") or []) + (payload.get("not_fetched") or [])]


_FILL_SUMMARY = re.compile(r"^fill: (\d+) filled, (\d+) failed")
_FILL_FAILED = re.compile(r"^\s+failed\s+(\S+?): (.*)$")
_FILL_COST = re.compile(r"^cost: (\$[0-9.,]+.*)$")
_FILL_TOKENS = re.compile(r"^tokens: (.*)$")
_FILL_NOTE = re.compile(r"^\s+(--max-cost .*|--limit .*|stopped: .*)$")


def read_fill(facts: RunFacts, log: str) -> None:
    """Failures, note and cost from fill's --json output or, failing that, its text report."""
    facts.fill_log = log
    try:
        payload = json.loads(log)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        facts.filled = [str(p) for p in payload.get("filled") or []]
        facts.failed = [(str(f[0]), str(f[1])) if isinstance(f, (list, tuple)) else (str(f.get("path")), str(f.get("reason")))
                        for f in payload.get("failed") or []]  # fmt: skip
        facts.fill_note = str(payload.get("note") or "")
        cost = payload.get("cost")
        facts.cost = f"${cost:.4f}" if isinstance(cost, (int, float)) else str(cost or "")
        return
    for line in log.splitlines():
        if match := _FILL_FAILED.match(line):
            facts.failed.append((match.group(1), match.group(2)))
        elif match := _FILL_COST.match(line):
            facts.cost = match.group(1)
        elif match := _FILL_TOKENS.match(line):
            facts.tokens = match.group(1)
        elif match := _FILL_NOTE.match(line):
            facts.fill_note = match.group(1)


def read_changes(facts: RunFacts, porcelain: str, root: Path) -> None:
    """Which pages fill wrote, from `git status --porcelain` when fill's report does not list them.

    Sync only creates pages; so a modified page was written by fill, and a new one was filled when it has
    no missing section left.
    """
    if facts.filled:
        return
    failed = {path for path, _ in facts.failed}
    for line in porcelain.splitlines():
        status, path = line[:2], line[3:].strip().strip('"')
        if not path.startswith(PAPERS_PREFIX) or not path.endswith(".md") or path in failed:
            continue
        if status.strip() in ("??", "A", "AM"):
            try:
                complete = not load_page(root / path).missing_sections()
            except PageError:
                complete = False
            if not complete:
                continue
        facts.filled.append(path)
    facts.filled.sort()


# -- writing the pull request ------------------------------------------------------------------------------------
def title(facts: RunFacts) -> str:
    return f"Research sync {facts.date or 'run'}: {len(facts.added)} added, {len(facts.filled)} filled, {len(facts.failed)} failed"


def _fill_outcome(facts: RunFacts) -> str:
    if facts.fill_exit >= 2:
        return "did not run (see the fill report below)"
    return "all written" if facts.fill_exit == 0 else "some pages failed"


def body(facts: RunFacts) -> str:
    out = [f"## Research sync {quote(facts.date)}", ""]
    if facts.window:
        out.append(f"Window **{quote(facts.window)}** · queries: {quote(', '.join(facts.queries)) or 'none'}")
        out.append("")
    cap = f" (cap ${quote(facts.max_cost)})" if facts.max_cost else ""
    out += [
        "| | |",
        "| --- | --- |",
        f"| Added by `paperkb sync` | {len(facts.added)} |",
        f"| Filled by `paperkb fill` | {len(facts.filled)} — {_fill_outcome(facts)} |",
        f"| Failed | {len(facts.failed)} |",
        f"| Cost | {quote(facts.cost) or 'n/a'}{cap} |",
        f"| `paperkb check` | {'passed' if facts.check_exit == 0 else '**failed**: see the run log'} |",
        "",
    ]
    if facts.added:
        out += ["### Added", ""]
        out += [f"- `{a.get('path', '?')}` — {quote(a.get('title', ''))} (arXiv {quote(a.get('arxiv', ''))})" for a in facts.added]
        out.append("")
    if facts.filled:
        out += ["### Filled (machine-written: please review)", ""] + [f"- `{p}`" for p in facts.filled] + [""]
    if facts.failed:
        out += ["### Failed", ""] + [f"- `{p}`: {quote(reason)}" for p, reason in facts.failed] + [""]
    if facts.fill_note:
        out += [f"*{quote(facts.fill_note)}*", ""]
    if facts.sync_errors:
        out += ["### Sync problems", ""] + [f"- {quote(e)}" for e in facts.sync_errors] + [""]
    if facts.tokens:
        out += [f"Tokens: {quote(facts.tokens)}", ""]
    if facts.fill_exit >= 2 and facts.fill_log.strip():
        out += ["<details><summary>fill report</summary>", "", *[f"    {line}" for line in facts.fill_log.strip().splitlines()[-20:]], "", "</details>", ""]
    footer = "Opened by the scheduled sync workflow"
    if facts.run_url:
        footer += f" ([run]({facts.run_url}))"
    out.append(footer + ". Review the machine-written sections, edit what needs it, then merge; CI checks this branch like any other.")
    return "\n".join(out) + "\n"


# -- command line -------------------------------------------------------------------------------------------
def _read(path: str | None) -> str:
    return Path(path).read_text("utf-8") if path and Path(path).exists() else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paperkb.cli.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--sync-json", metavar="FILE", help="output of `paperkb sync --json`")
    parser.add_argument("--fill-log", metavar="FILE", help="output of `paperkb fill` (text report or --json)")
    parser.add_argument("--fill-exit", type=int, default=0)
    parser.add_argument("--check-exit", type=int, default=0)
    parser.add_argument("--changes", metavar="FILE", help="`git status --porcelain -- content` after the run")
    parser.add_argument("--max-cost", default="")
    parser.add_argument("--run-url", default="")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository the --changes paths are relative to")
    parser.add_argument("--title-out", metavar="FILE", required=True)
    parser.add_argument("--body-out", metavar="FILE", required=True)
    args = parser.parse_args(argv)
    facts = RunFacts(fill_exit=args.fill_exit, check_exit=args.check_exit, max_cost=args.max_cost, run_url=args.run_url)
    sync_text = _read(args.sync_json)
    if sync_text.strip():
        try:
            read_sync(facts, json.loads(sync_text))
        except ValueError as exc:
            print(f"paperkb.pipeline: {args.sync_json}: not the JSON of `paperkb sync --json` ({exc})", file=sys.stderr)
            return 2
    read_fill(facts, _read(args.fill_log))
    read_changes(facts, _read(args.changes), args.root)
    Path(args.title_out).write_text(title(facts) + "\n", "utf-8")
    Path(args.body_out).write_text(body(facts), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
