"""The knowledge base as a build sees it: parsed pages, vocabularies, sync records, and what is broken."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from paperkb.model import config
from paperkb.model.pages import Page, PageCache, load_pages
from paperkb.model.syncs import load_sync_records
from paperkb.model.vocab import Vocabulary, load_vocabulary


@dataclass
class SiteInput:
    pages: list[Page]  # every page that parsed, sorted by file name
    vocab: Vocabulary
    site_url: str = ""  # from mkdocs.yml, for absolute links in feeds
    syncs: list[dict[str, Any]] = field(default_factory=list)  # sync records (content/syncs/*.yml)
    today: dt.date = field(default_factory=dt.date.today)
    problems: list[str] = field(default_factory=list)  # 'path:line: error: …' lines the build should warn about


def load_site_input(kb: config.KnowledgeBase, site_url: str = "", cache: PageCache | None = None) -> SiteInput:
    """With a ``cache`` (``mkdocs serve``), only pages changed since the cache last read them are parsed."""
    pages, _errors = load_pages(kb.papers_dir, cache)  # broken pages are `paperkb check`'s to report
    syncs, sync_errors = load_sync_records(kb.syncs_dir)
    # Broken paper pages are reported by the hook as MkDocs renders each one; a broken sync record has no
    # page of its own, so it is reported here (a strict build fails instead of losing that digest quietly).
    return SiteInput(
        pages=pages,
        vocab=load_vocabulary(kb.topics_file, kb.labs_file),
        site_url=site_url,
        syncs=syncs,
        problems=[error.report_line() for error in sync_errors],
    )
