"""What the site generates at build time, as pure functions: knowledge base in, files out.

``scripts/gen_pages.py`` (mkdocs-gen-files) only loads the knowledge base and writes what
``generate_site`` returns. Each generator is a function ``(SiteInput) -> dict[docs_path, text]``;
stages that publish something (indexes, digests, feeds, BibTeX) add theirs to ``GENERATORS``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import config
from .pages import Page, load_pages
from .vocab import Vocabulary, load_vocabulary


@dataclass
class SiteInput:
    pages: list[Page]  # every page that parsed, sorted by file name
    vocab: Vocabulary
    site_url: str = ""  # from mkdocs.yml, for absolute links in feeds
    syncs: list[dict[str, Any]] = field(default_factory=list)  # sync records (content/syncs/*.yml)
    today: dt.date = field(default_factory=dt.date.today)
    problems: list[str] = field(default_factory=list)  # 'path:line: error: …' lines the build should warn about


def load_site_input(kb: config.KnowledgeBase, site_url: str = "") -> SiteInput:
    pages, _errors = load_pages(kb.papers_dir)  # broken pages are `paperkb check`'s to report
    from .digest import load_sync_records

    syncs, sync_errors = load_sync_records(kb.syncs_dir)
    # Broken paper pages are reported by the hook as MkDocs renders each one; a broken sync record has no
    # page of its own, so it is reported here (a strict build fails instead of losing that digest quietly).
    return SiteInput(
        pages=pages,
        vocab=load_vocabulary(kb.topics_file, kb.labs_file),
        site_url=site_url,
        syncs=syncs,
        problems=sync_errors,
    )


# Pages parsed for this build, by file path: scripts/gen_pages.py shares them so that the MkDocs hook renders
# each paper page from the same parse instead of reading its YAML a second time (build-time budget).
_shared_pages: dict[str, Page] = {}


def share_pages(pages: list[Page]) -> None:
    _shared_pages.clear()
    _shared_pages.update((os.path.normpath(page.path), page) for page in pages)


def shared_page(path: str | Path, text: str) -> Page | None:
    """The page parsed earlier in this build from exactly ``text``, if any."""
    page = _shared_pages.get(os.path.normpath(path))
    return page if page is not None and page.text == text else None


def shared_page_at(path: str | Path) -> Page | None:
    """The page parsed earlier in this build from the file at ``path``, if any (the hook's source for it)."""
    return _shared_pages.get(os.path.normpath(path))


Generator = Callable[[SiteInput], dict[str, str]]


def generators() -> list[Generator]:
    """The site's generators, in order. A stage adds its own here (import inside, to keep startup light)."""
    found: list[Generator] = []
    from . import indexes

    found.append(indexes.index_files)
    from . import bibtex, digest, feeds

    found += [digest.generate, feeds.generate, bibtex.generate]
    return found


def generate_site(site: SiteInput) -> dict[str, str]:
    files: dict[str, str] = {}
    for generator in generators():
        files.update(generator(site))
    return files
