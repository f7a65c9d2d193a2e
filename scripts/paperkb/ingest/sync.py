"""``paperkb sync [--since DATE] [--until DATE] [--dry-run]``: add the new papers of the watch queries.

The watch queries are ``[[tool.paperkb.sync.queries]]`` in pyproject.toml (``name``, ``query`` in arXiv's
syntax, ``max_results``). Each runs restricted to papers first submitted in the window (both ends included,
UTC): by default from the ``until`` of the last sync record (or 7 days back when there is none) to today.
Papers already in the knowledge base are counted, not added again, so a second run over the same window
adds nothing. Every run writes one record, ``content/syncs/<date>.yml`` (``-2``, ``-3`` … when that date
has one), that the digests are built from; ``load_sync_records`` reads them. ``--dry-run`` lists what
would be added and writes nothing.

The searches run first and the pages are written after them, so an arXiv outage changes nothing; an
interrupted run leaves complete pages and no record, and the next run over the window counts them as present.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import arxiv

from paperkb.ingest.arxiv_client import ArxivSource, result_id
from paperkb.ingest.page_writer import Ingest, IngestReport, make_progress
from paperkb.model import config

#: Window used by the first sync of a knowledge base (no record yet).
FIRST_WINDOW_DAYS = 7


@dataclass
class WatchQuery:
    name: str
    query: str
    max_results: int


# -- configuration ------------------------------------------------------------------------------------------
def load_queries(kb: config.KnowledgeBase) -> list[WatchQuery]:
    """``[[tool.paperkb.sync.queries]]``, validated; a bad entry is a ConfigError naming it."""
    raw = kb.section("sync").get("queries", [])
    where = "[[tool.paperkb.sync.queries]] in pyproject.toml"
    if not isinstance(raw, list):
        raise config.ConfigError(f"{where} must be an array of tables (name, query, max_results)")
    queries: list[WatchQuery] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise config.ConfigError(f"{where}: entry {number} must be a table with name, query, max_results")
        name, query, cap = item.get("name"), item.get("query"), item.get("max_results", 50)
        if not isinstance(name, str) or not name.strip():
            raise config.ConfigError(f'{where}: entry {number} needs a name, e.g. name = "deepseek"')
        if not isinstance(query, str) or not query.strip():
            raise config.ConfigError(f"{where}: '{name}' needs a query in arXiv syntax, e.g. query = \"abs:DeepSeek\"")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 2000:
            raise config.ConfigError(f"{where}: '{name}' max_results must be a whole number from 1 to 2000, not {cap!r}")
        if name in {q.name for q in queries}:
            raise config.ConfigError(f"{where}: two queries are named '{name}'; names must be distinct")
        queries.append(WatchQuery(name.strip(), query.strip(), cap))
    return queries


# -- sync records -------------------------------------------------------------------------------------------


# -- the run --------------------------------------------------------------------------------------------------
def windowed(query: str, since: dt.date, until: dt.date) -> str:
    """The watch query restricted to papers first submitted in [since, until] (whole days, UTC)."""
    return f"({query}) AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"


def default_window(records: list[dict[str, Any]], today: dt.date) -> tuple[dt.date, dt.date]:
    if records:
        return records[-1]["window"]["until"], today
    return today - dt.timedelta(days=FIRST_WINDOW_DAYS), today


def search_all(source: ArxivSource, queries: list[WatchQuery], since: dt.date, until: dt.date) -> tuple[list[dict[str, Any]], dict[str, arxiv.Result]]:
    """Run every query over the window: (per-query summary, distinct results in the order found)."""
    summaries: list[dict[str, Any]] = []
    found: dict[str, arxiv.Result] = {}
    progress = make_progress(len(queries), "searching arXiv")
    try:
        for query in queries:
            results = source.search(
                windowed(query.query, since, until),
                query.max_results,
                sort_by=arxiv.SortCriterion.SubmittedDate,
                sort_order=arxiv.SortOrder.Descending,
            )
            summaries.append({"name": query.name, "query": query.query, "max_results": query.max_results, "found": len(results)})
            for result in results:
                found.setdefault(result_id(result)[0], result)
            progress.update()
    finally:
        progress.close()
    return summaries, found


def sync(
    ingest: Ingest, source: ArxivSource, queries: list[WatchQuery], since: dt.date, until: dt.date, today_utc: dt.date
) -> tuple[dict[str, Any], IngestReport]:
    """Search, then add what is new (pages written unless ingest.dry_run); returns (record, report)."""
    report = IngestReport()
    summaries, found = search_all(source, queries, since, until)
    for arxiv_id, result in found.items():
        path = ingest.existing(arxiv_id)
        if path is not None:
            report.already_present.append({"arxiv": arxiv_id, "path": ingest.relative(path)})
            marked = ingest.mark_stale(path, result)
            if marked:
                report.stale.append({"arxiv": arxiv_id, "path": ingest.relative(path), "sections": marked, "version": result_id(result)[1]})
        else:
            report.added.append(ingest.create(result))
    report.requests = source.requests_made
    record = {
        "date": today_utc,
        "window": {"since": since, "until": until},
        "queries": summaries,
        "added": [a["arxiv"] for a in report.added],
        "counts": {"found": len(found), "added": len(report.added), "already_present": len(report.already_present)},
    }
    return record, report


# -- the command ------------------------------------------------------------------------------------------------
