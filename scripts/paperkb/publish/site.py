"""What the site generates at build time, as pure functions: the knowledge base in, files out.

``scripts/gen_pages.py`` (mkdocs-gen-files) only loads the knowledge base and writes what these return:
pages (the indexes and the digests) that MkDocs renders, and files (feeds, BibTeX) that it copies.
``scripts/mkdocs_hooks.py`` renders each paper page from the parse made here (``share_pages``), so no page is
read or parsed twice in one build.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from paperkb.model.pages import Page, PageCache
from paperkb.model.site_input import SiteInput
from paperkb.publish import bibtex, digest, feeds, indexes
from paperkb.publish.related import RelatedCache


def generate_pages(site: SiteInput) -> dict[str, str]:
    """The generated Markdown pages by docs path: index pages, then digests."""
    return {**indexes.index_files(site), **digest.generate(site)}


def generate_files(site: SiteInput) -> dict[str, str]:
    """The generated files that are not pages (Atom feeds, BibTeX) by docs path.

    Also remembers each paper's BibTeX key and entry for its page's Cite block (``bibtex.cite_footer``)."""
    return {**feeds.generate(site), **bibtex.generate(site)}


def generate_site(site: SiteInput) -> dict[str, str]:
    """Every file of the site that is generated, pages first."""
    return {**generate_pages(site), **generate_files(site)}


@dataclass
class Session:
    """What outlives one build in this process: MkDocs executes the hooks and the gen-files script anew for every
    rebuild under ``mkdocs serve``, this module once."""

    dirty: bool = False  # `--dirty` (make serve): MkDocs renders only the pages whose file changed
    pages: PageCache = field(default_factory=PageCache)  # each rebuild parses only the pages edited since the last
    related: RelatedCache = field(default_factory=RelatedCache)  # a dirty rebuild reuses the related papers


SESSION = Session()


# Pages parsed for this build, by file path: scripts/gen_pages.py shares them so that the MkDocs hook renders
# each paper page from the same parse instead of reading its YAML a second time (build-time budget).
_shared_pages: dict[str, Page] = {}


def share_pages(pages: list[Page]) -> None:
    _shared_pages.clear()
    _shared_pages.update((os.path.abspath(page.path), page) for page in pages)


def shared_page_at(path: str | Path) -> Page | None:
    """The page parsed earlier in this build from the file at ``path``, if any (the hook's source for it)."""
    return _shared_pages.get(os.path.abspath(path))


def shared_pages() -> list[Page]:
    """Every page parsed for this build, in the order they were shared (by file name)."""
    return list(_shared_pages.values())
