"""``paperkb add ID_OR_URL…``: create pages from arXiv metadata; ``--refresh`` updates what arXiv owns.

Every argument is validated first (IDs, ``arXiv:`` IDs, abs/pdf URLs, old-style IDs, with or without a
version); the valid ones are fetched in batched ``id_list`` requests through one shared client. A paper that
already has a page (same ID, any version) is not duplicated. Pages are written one at a time, atomically.

Which keys ``--refresh`` may change: only the keys arXiv gives (``arxiv_client.FETCHED_KEYS``), never the body,
``priority``, ``topics``, ``status`` or ``added``. A key is updated when it is absent, or when its current value
is still exactly what arXiv gave for the version the page records (``version``): for a page at v1 while arXiv
has v2, paperkb also fetches v1 and compares. A value that differs from arXiv's was set by a person and is
kept. A page without ``version`` was written by hand: only its absent keys are filled.

:class:`Ingest` (creating and refreshing pages) and :class:`Progress` are shared with ``resolve`` and ``sync``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import arxiv

from paperkb.ingest.arxiv_client import ArxivSource, FetchError, result_id
from paperkb.ingest.page_writer import Ingest, IngestReport, make_progress, parse_arguments
from paperkb.model.pages import PageError, load_page

# -- progress -------------------------------------------------------------------------------------------


# -- the outcome of a run --------------------------------------------------------------------------------


# -- creating and refreshing pages -----------------------------------------------------------------------


# -- the command -----------------------------------------------------------------------------------------


def add_papers(
    ingest: Ingest,
    source: ArxivSource,
    arguments: list[str],
    topics: Sequence[str] = (),
    priority: str | None = None,
    refresh: bool = False,
    stream: TextIO | None = None,
) -> IngestReport:
    report = IngestReport()
    ids = parse_arguments(arguments, report)
    to_fetch: list[str] = []
    for arxiv_id in ids:
        path = ingest.existing(arxiv_id)
        if path is not None and not refresh:
            report.already_present.append({"arxiv": arxiv_id, "path": ingest.relative(path)})
        else:
            to_fetch.append(arxiv_id)
    progress = make_progress(len(to_fetch), "fetching from arXiv", stream)
    to_refresh: list[tuple[Path, arxiv.Result]] = []
    try:
        for batch in source.fetch_batches(to_fetch):
            for arxiv_id in batch.requested:
                if arxiv_id in batch.rejected:
                    report.invalid.append({"argument": arxiv_id, "error": batch.rejected[arxiv_id]})
                elif arxiv_id in batch.missing:
                    report.not_found.append(arxiv_id)
                elif (existing := ingest.existing(arxiv_id)) is not None:
                    to_refresh.append((existing, batch.found[arxiv_id]))
                else:
                    report.added.append(ingest.create(batch.found[arxiv_id], topics, priority))
            progress.update(len(batch.requested))
        refresh_pages(ingest, source, to_refresh, report)
    except FetchError as exc:
        report.errors.append(exc.reason)
        report.not_fetched.extend(exc.not_fetched)
    finally:
        progress.close()
        report.requests = source.requests_made
    return report


def refresh_pages(ingest: Ingest, source: ArxivSource, items: list[tuple[Path, arxiv.Result]], report: IngestReport) -> None:
    """Refresh pages; for pages whose recorded version is older, fetch that version to compare against.

    A page whose front matter does not parse (found by its ``arxiv:`` line) is named in report.errors and
    left alone: what a person set in it cannot be told apart until it parses.
    """
    items = _readable_pages(ingest, items, report)
    older: dict[str, str] = {}
    for path, latest in items:
        version = _page_version(path)
        latest_id, latest_version = result_id(latest)
        if version is not None and latest_version is not None and version < latest_version:
            older[latest_id] = f"{latest_id}v{version}"
    latest_of = {versioned: latest_id for latest_id, versioned in older.items()}
    bases: dict[str, arxiv.Result] = {}
    try:
        for batch in source.fetch_batches(list(latest_of)):
            bases.update({latest_of[k]: r for k, r in batch.found.items()})
    except FetchError as exc:
        # Without the old version, nothing a person may have set can be told apart: refresh none of them.
        report.errors.append(exc.reason)
        report.not_fetched.extend(result_id(latest)[0] for _, latest in items)
        return
    for path, latest in items:
        latest_id, latest_version = result_id(latest)
        basis = bases.get(latest_id) if latest_id in older else (latest if _page_version(path) == latest_version else None)
        report.refreshed.append(ingest.refresh(path, latest, basis))


def _readable_pages(ingest: Ingest, items: list[tuple[Path, arxiv.Result]], report: IngestReport) -> list[tuple[Path, arxiv.Result]]:
    readable = []
    for path, latest in items:
        try:
            load_page(path)
        except PageError as exc:
            report.errors.append(f"{ingest.relative(exc.path)}:{exc.line}: {exc.message} (not refreshed)")
        else:
            readable.append((path, latest))
    return readable


def _page_version(path: Path) -> int | None:
    version = load_page(path).meta.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


# -- output ------------------------------------------------------------------------------------------------
