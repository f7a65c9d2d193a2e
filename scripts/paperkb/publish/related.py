"""Related papers on each paper page: the most similar papers of the knowledge base, and the pages linking to it.

Pure functions over the pages a build has already parsed (``SiteInput.pages``): ``scripts/gen_pages.py``
computes them once per build (``related_papers``) and the paper pages show them in a footer
(``RelatedPapers.footer``, one of ``paper.paper_footers``).

Similar papers: TF-IDF over each paper's title, abstract and written sections (placeholders such as "TODO" left
out), compared by cosine similarity; a paper shows its ``SHOWN`` closest. The numerical part is
``paperkb.publish.similarity`` (numpy, scipy, scikit-learn): a build runs it in a worker process
(``RelatedCache.start``) while its own process generates the indexes, feeds and BibTeX, so the build's process never
loads those libraries (1.7 s) and the TF-IDF (4-5 s at 10,000 papers) runs on the machine's other core.

Deterministic: pages are ordered by slug, scores are rounded to 6 decimals before ranking and equal scores
rank by slug, so the same pages give the same lists whatever order they were read in. Papers that share no
term are not related (a score of 0 never makes the list).

Linked from: the paper pages whose bodies link to the paper (relative Markdown links outside fenced code, read
with ``markup.docs_link_targets``, the rule the digests use to rebase links), newest first.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from paperkb.model import paths
from paperkb.model.facts import abstract_of, title_of
from paperkb.model.pages import Page, as_date, is_missing, normalize_section_text
from paperkb.publish.markup import docs_a, docs_link_targets, section_heading
from paperkb.publish.worker import spawned_worker

SHOWN = 5  # similar papers on a paper page
LINKED_FROM_SHOWN = 20  # pages listed under "Linked from"; the rest are counted (page weight must not grow with N)
TERMS_KEPT = 128  # terms of a paper compared at most (why: paperkb.publish.similarity)


def paper_text(page: Page) -> str:
    """What a paper is compared on: its title, abstract and every section that has been written."""
    parts = [title_of(page), abstract_of(page)]
    for section in page.sections:
        text = normalize_section_text(section.body(page.text))
        if not is_missing(text):
            parts.append(text)
    return "\n\n".join(part for part in parts if part)


def _ordered(pages: Iterable[Page]) -> tuple[list[str], list[str]]:
    """Slugs and texts of the pages, by slug (the order ties are broken in)."""
    ordered = sorted(pages, key=lambda page: page.slug)
    return [page.slug for page in ordered], [paper_text(page) for page in ordered]


def _similar_texts(slugs: list[str], texts: list[str], shown: int, terms_kept: int) -> dict[str, tuple[str, ...]]:
    # Imported here, not at the top: this module is loaded by every build's process (the paper pages' footers), and
    # scikit-learn (1.7 s to import) must load only where the TF-IDF runs: the worker process (RelatedCache.start)
    from paperkb.publish import similarity

    return similarity.similar_texts(slugs, texts, shown, terms_kept)


def similar_papers(pages: Iterable[Page], shown: int = SHOWN, terms_kept: int = TERMS_KEPT) -> dict[str, tuple[str, ...]]:
    """Each page's ``shown`` most similar pages, by slug, most similar first (see the module docstring), in this process."""
    slugs, texts = _ordered(pages)
    if len(slugs) < 2 or shown < 1:
        return dict.fromkeys(slugs, ())
    return _similar_texts(slugs, texts, shown, terms_kept)


def linked_from(pages: Iterable[Page]) -> dict[str, tuple[str, ...]]:
    """For each page that other paper pages link to, those pages (slugs), newest first, then by slug."""
    pages = list(pages)
    slug_at = {paths.paper_path(page.slug): page.slug for page in pages}
    published = {page.slug: as_date(page.meta.get("published")) or dt.date.min for page in pages}
    sources: dict[str, set[str]] = {}
    for page in pages:
        body = page.body
        if "](" not in body and "]:" not in body:
            continue  # no inline link or link definition: nothing for the link pattern to find
        for target, _fragment in docs_link_targets(body, paths.paper_path(page.slug)):
            slug = slug_at.get(target)
            if slug is not None and slug != page.slug:
                sources.setdefault(slug, set()).add(page.slug)
    return {slug: tuple(sorted(found, key=lambda s: (-published[s].toordinal(), s))) for slug, found in sorted(sources.items())}


@dataclass(frozen=True)
class RelatedPapers:
    """What the paper pages' "Related papers" and "Linked from" footers show, for every page of one build."""

    similar: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    linked_from: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    titles: Mapping[str, str] = field(default_factory=dict)  # slug -> title, for the links

    def footer(self, page: Page) -> str:
        """HTML appended to the paper page (``paper.paper_footers``): escaped, headings with ids and permalinks,
        out of the search index like the rest of the page furniture."""
        here = paths.paper_path(page.slug)
        parts = []
        similar = self.similar.get(page.slug, ())
        if similar:
            parts += [section_heading("Related papers", "related-papers"), self._list(here, similar)]
        linking = self.linked_from.get(page.slug, ())
        if linking:
            parts += [section_heading("Linked from", "linked-from"), self._list(here, linking[:LINKED_FROM_SHOWN])]
            if len(linking) > LINKED_FROM_SHOWN:
                parts.append(f'<p class="pkb-related-more">and {len(linking) - LINKED_FROM_SHOWN:,} more pages</p>')
        return "\n".join(parts)

    def _list(self, here: str, slugs: Sequence[str]) -> str:
        items = (f"<li>{docs_a(self.titles.get(slug, slug), here, paths.paper_path(slug))}</li>" for slug in slugs)
        return '<ul class="pkb-related">' + "".join(items) + "</ul>"


def related_papers(pages: Iterable[Page], shown: int = SHOWN) -> RelatedPapers:
    """Similar papers and incoming links of every page: computed once per build from the parsed pages."""
    pages = list(pages)
    return RelatedPapers(similar_papers(pages, shown), linked_from(pages), {page.slug: title_of(page) for page in pages})


class RelatedCache:
    """The related papers last computed in this process, reused by a dirty rebuild (``make serve``) while the
    knowledge base holds the same papers: computing them takes seconds at 10,000 papers (5.3 s), and a dirty
    rebuild renders only the edited page anyway. Titles are taken anew (a title edit shows at once); what an
    edit changes in the similarities and links shows at the next full build, or when a page is added or removed."""

    def __init__(self) -> None:
        self._slugs: tuple[str, ...] | None = None
        self._related = RelatedPapers()
        self._worker: ProcessPoolExecutor | None = None

    def related_papers(self, pages: Sequence[Page], reuse: bool) -> RelatedPapers:
        return self.start(pages, reuse)()

    def prepare(self) -> None:
        """Start the worker process now, before the pages are read (the hook's ``on_pre_build``): its start-up, an
        interpreter and scikit-learn's import (~2 s), then overlaps the reading instead of delaying the result."""
        if self._worker is None:
            self._worker = spawned_worker()
            self._worker.submit(_similar_texts, [], [], SHOWN, TERMS_KEPT)  # no texts: only the import

    def start(self, pages: Sequence[Page], reuse: bool) -> Callable[[], RelatedPapers]:
        """Start computing the related papers of a build; the function returned waits for them.

        The TF-IDF runs in a worker process (one, spawned: a fresh interpreter, nothing of this one's state or
        threads; started by ``prepare`` if it was called), so the caller (scripts/gen_pages.py) generates the
        indexes, feeds and BibTeX on this core meanwhile; only the slugs and texts go to it, only slugs come back.
        The incoming links are read here (a fraction of a second). A dirty rebuild that can reuse the last ones
        starts nothing."""
        worker, self._worker = self._worker, None
        slugs = tuple(page.slug for page in pages)
        titles = {page.slug: title_of(page) for page in pages}
        if reuse and slugs == self._slugs:
            if worker is not None:
                worker.shutdown(wait=False, cancel_futures=True)
            reused = RelatedPapers(self._related.similar, self._related.linked_from, titles)
            return lambda: reused
        ordered, texts = _ordered(pages)
        similar: Callable[[], dict[str, tuple[str, ...]]]
        if len(ordered) < 2:
            similar = functools.partial(similar_papers, pages)  # no TF-IDF to compute
        else:
            worker = worker or spawned_worker()
            similar = worker.submit(_similar_texts, ordered, texts, SHOWN, TERMS_KEPT).result
        if worker is not None:
            worker.shutdown(wait=False)  # a task submitted still runs; the worker exits when it is done
        links = linked_from(pages)

        def result() -> RelatedPapers:
            self._slugs, self._related = slugs, RelatedPapers(similar(), links, titles)
            return self._related

        return result


# The build's related papers, handed from scripts/gen_pages.py (which computes them from the parse it shares with
# the hook) to the MkDocs hook, which renders each paper page through ``paper.paper_document``: the same channel
# as the shared parse (``publish.site.share_pages``), for the same reason (gen-files and the hook are two plugins).
_shared = RelatedPapers()


def share(related: RelatedPapers) -> None:
    global _shared
    _shared = related


def shared() -> RelatedPapers:
    """This build's related papers (none outside a build, or before gen_pages has run)."""
    return _shared
