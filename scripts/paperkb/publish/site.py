"""What the site generates at build time, as pure functions: the knowledge base in, files out.

``scripts/gen_pages.py`` (mkdocs-gen-files) only loads the knowledge base and writes what these return:
pages (the indexes and the digests) that MkDocs renders, and files (feeds, BibTeX) that it copies.
``scripts/mkdocs_hooks.py`` renders each paper page from the parse made here (``share_pages``), so no page is
read or parsed twice in one build.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paperkb.model.pages import Page, PageCache
from paperkb.model.site_input import SiteInput
from paperkb.publish import articles, bibtex, digest, feeds, indexes
from paperkb.publish.related import RelatedCache


@dataclass
class Session:
    """What outlives one build in this process: MkDocs executes the hooks and the gen-files script anew for every
    rebuild under ``mkdocs serve``, this module once."""

    dirty: bool = False  # `--dirty` (make serve): MkDocs renders only the pages whose file changed
    pages: PageCache = field(default_factory=PageCache)  # each rebuild parses only the pages edited since the last
    related: RelatedCache = field(default_factory=RelatedCache)  # a dirty rebuild reuses the related papers
    # Each rebuild builds again only the index rows and feed entries of the pages edited since the last; the
    # pages and files are put together anew from them (BibTeX keeps its entries and keys itself: publish.bibtex)
    index_rows: indexes.IndexMemo = field(default_factory=indexes.IndexMemo)
    feed_entries: feeds.FeedMemo = field(default_factory=feeds.FeedMemo)


def generate_pages(site: SiteInput, session: Session | None = None) -> dict[str, str]:
    """The generated Markdown pages by docs path: index pages, the articles index, then digests. ``session``: what
    the last build in this process kept (``mkdocs serve``); the same pages either way."""
    rows = session.index_rows if session else None
    return {**indexes.index_files(site, memo=rows), **articles.generate(site), **digest.generate(site)}


def generate_files(site: SiteInput, session: Session | None = None) -> dict[str, str]:
    """The generated files that are not pages (Atom feeds, BibTeX) by docs path.

    Also remembers each paper's BibTeX key and entry for its page's Cite block (``bibtex.cite_footer``)."""
    entries = session.feed_entries if session else None
    return {**feeds.generate(site, memo=entries), **bibtex.generate(site)}


def generate_site(site: SiteInput, session: Session | None = None) -> dict[str, str]:
    """Every file of the site that is generated, pages first."""
    return {**generate_pages(site, session), **generate_files(site, session)}


SESSION = Session()


# Pages parsed for this build, by file path: scripts/gen_pages.py shares them so that the MkDocs hook renders
# each paper page from the same parse instead of reading its YAML a second time (build-time budget).
_shared_pages: dict[str, Page] = {}
_shared_articles: dict[str, Page] = {}  # the articles' parses, shared the same way (the hook renders them too)


def share_pages(pages: list[Page], articles: Sequence[Page] = ()) -> None:
    """Share the parses of this build's paper pages and articles with the hook."""
    _shared_pages.clear()
    _shared_pages.update((os.path.abspath(page.path), page) for page in pages)
    _shared_articles.clear()
    _shared_articles.update((os.path.abspath(article.path), article) for article in articles)


def shared_page_at(path: str | Path) -> Page | None:
    """The page or article parsed earlier in this build from the file at ``path``, if any (the hook's source for it)."""
    key = os.path.abspath(path)
    return _shared_pages.get(key) or _shared_articles.get(key)


def shared_pages() -> list[Page]:
    """Every paper page parsed for this build, in the order they were shared (by file name)."""
    return list(_shared_pages.values())
