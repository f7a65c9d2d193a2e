"""``paperkb resolve [PATH…]``: find the arXiv ID of pages that have none, by searching arXiv for the title.

A page is resolved only when exactly one result's normalised title (accents, case, punctuation and spacing
ignored) equals the page's: then ``arxiv`` and the fetched metadata the page lacks are added, and nothing
the page already has is changed. With no match, or several, the candidates are listed and the page is left
as it is. A match that another page already holds is reported, not duplicated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import arxiv

from paperkb.ingest.arxiv_client import FETCHED_KEYS, ArxivError, ArxivSource, normalize_title, paper_metadata, result_id
from paperkb.ingest.page_writer import Ingest, make_progress
from paperkb.model import config
from paperkb.model.pages import PageError, iter_page_paths, load_page, set_keys, write_page

#: How many search results to look at per title.
MAX_CANDIDATES = 10


def title_query(title: str) -> str:
    """An arXiv title search for the title's words as a phrase (punctuation would break the query syntax)."""
    return f'ti:"{normalize_title(title)}"'


def resolve_page(ingest: Ingest, source: ArxivSource, path: Path) -> dict[str, Any]:
    """Resolve one page; returns what happened (status resolved, ambiguous, no_match, duplicate or skipped)."""
    outcome: dict[str, Any] = {"path": ingest.relative(path), "status": "skipped", "arxiv": None, "candidates": [], "filled": []}
    page = load_page(path)
    title = page.meta.get("title")
    if page.meta.get("arxiv"):
        outcome.update(arxiv=str(page.meta["arxiv"]), message="already has an arXiv ID")
        return outcome
    if not isinstance(title, str) or not normalize_title(title):
        outcome.update(message="has no title to search for")
        return outcome
    results = source.search(title_query(title), MAX_CANDIDATES)
    wanted = normalize_title(title)
    matches = [r for r in results if normalize_title(r.title) == wanted]
    shown = matches if len(matches) > 1 else results
    outcome["candidates"] = [{"arxiv": result_id(r)[0], "title": " ".join(r.title.split())} for r in shown]
    if len(matches) != 1:
        outcome.update(status="ambiguous" if matches else "no_match")
        return outcome
    arxiv_id = result_id(matches[0])[0]
    outcome["arxiv"] = arxiv_id
    holder = ingest.existing(arxiv_id)
    if holder is not None:
        outcome.update(status="duplicate", message=f"{arxiv_id} is already {ingest.relative(holder)}")
        return outcome
    outcome.update(status="resolved", filled=fill_missing(ingest, path, matches[0]))
    return outcome


def fill_missing(ingest: Ingest, path: Path, result: arxiv.Result) -> list[str]:
    """Add ``arxiv`` and every fetched key the page lacks; keys it has stay as they are."""
    page = load_page(path)
    fetched = paper_metadata(result, ingest.labs)
    updates = {key: fetched[key] for key in FETCHED_KEYS if key in fetched and page.meta.get(key) is None}
    write_page(page, set_keys(page, updates))
    ingest.by_id[fetched["arxiv"]] = path
    return list(updates)


def pages_to_resolve(kb: config.KnowledgeBase, named: list[Path] | None) -> list[Path]:
    """The pages named, or (none named) every page without an arXiv ID."""
    if named is None:
        return [p for p in iter_page_paths(kb.papers_dir) if not _has_arxiv(p)]
    return named


def _has_arxiv(path: Path) -> bool:
    try:
        return bool(load_page(path).meta.get("arxiv"))
    except PageError:
        return True  # `paperkb check` reports unreadable pages; resolve leaves them alone


def resolve_pages(ingest: Ingest, source: ArxivSource, paths: list[Path]) -> tuple[list[dict[str, Any]], str | None]:
    outcomes: list[dict[str, Any]] = []
    progress = make_progress(len(paths), "searching arXiv")
    try:
        for index, path in enumerate(paths):
            try:
                outcomes.append(resolve_page(ingest, source, path))
            except PageError as exc:
                message = f"line {exc.line}: {exc.message}"
                outcomes.append({"path": ingest.relative(path), "status": "error", "message": message, "arxiv": None, "candidates": [], "filled": []})
            except ArxivError as exc:
                left = ", ".join(ingest.relative(p) for p in paths[index:])
                return outcomes, f"{exc}; not searched: {left}"
            progress.update()
    finally:
        progress.close()
    return outcomes, None
