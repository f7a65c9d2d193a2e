"""Related papers on each paper page: the most similar papers of the knowledge base, and the pages linking to it.

Pure functions over the pages a build has already parsed (``SiteInput.pages``): ``scripts/gen_pages.py``
computes them once per build (``related_papers``) and the paper pages show them in a footer
(``RelatedPapers.footer``, one of ``paper.paper_footers``).

Similar papers: TF-IDF (scikit-learn's ``TfidfVectorizer``) over each paper's title, abstract and written
sections (placeholders such as "TODO" left out), compared by cosine similarity; a paper shows its ``SHOWN``
closest. Two things keep this to a few seconds at 10,000 papers and its memory flat, never an N x N matrix:

- a paper is compared on at most its ``TERMS_KEPT`` highest-weighted terms (renormalized), the idea of Lucene's
  MoreLikeThis, which compares a document by its 25 most characteristic terms: the cost of a page is bounded
  however long its sections grow. Pages have about 100 distinct terms today (median 97 on the shipped pages),
  so the cap rarely cuts; at 128 the lists are those of the full vectors (179 of 180 on the shipped pages,
  against 124 at 64 and 98 at 32, which put unrelated papers first);
- similarities are computed a block of ``BLOCK`` papers at a time: the sparse matrix of every paper times the
  block's (dense, narrow) transposed vectors gives the block's similarities to all papers; each row's top
  ``SHOWN`` are kept and the block is dropped.

Deterministic: pages are ordered by slug, scores are rounded to 6 decimals before ranking and equal scores
rank by slug, so the same pages give the same lists whatever order they were read in. Papers that share no
term are not related (a score of 0 never makes the list).

Linked from: the paper pages whose bodies link to the paper (relative Markdown links outside fenced code, read
with ``markup.docs_link_targets``, the rule the digests use to rebase links), newest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from paperkb.model import paths
from paperkb.model.facts import abstract_of, title_of
from paperkb.model.pages import Page, as_date, is_missing, normalize_section_text
from paperkb.publish.markup import docs_a, docs_link_targets, section_heading

SHOWN = 5  # similar papers on a paper page
LINKED_FROM_SHOWN = 20  # pages listed under "Linked from"; the rest are counted (page weight must not grow with N)
TERMS_KEPT = 128  # terms of a paper compared at most (see the module docstring)
BLOCK = 256  # papers whose similarities are computed at once: BLOCK x N floats in memory
DECIMALS = 6  # scores are rounded to this before ranking, so ties (and near-ties from float sums) rank by slug


def paper_text(page: Page) -> str:
    """What a paper is compared on: its title, abstract and every section that has been written."""
    parts = [title_of(page), abstract_of(page)]
    for section in page.sections:
        text = normalize_section_text(section.body(page.text))
        if not is_missing(text):
            parts.append(text)
    return "\n\n".join(part for part in parts if part)


def _keep_top_terms(matrix: sp.csr_matrix, kept: int) -> sp.csr_matrix:
    """Each row's ``kept`` largest entries (ties: the lower column, i.e. the alphabetically first term), L2-normalized."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((matrix.indices, -matrix.data, rows))  # by row, then weight descending, then term
    rank = np.arange(matrix.nnz) - matrix.indptr[rows[order]]
    keep = order[rank < kept]
    pruned = sp.csr_matrix((matrix.data[keep], (rows[keep], matrix.indices[keep])), shape=matrix.shape, dtype=matrix.dtype)
    used = np.flatnonzero(pruned.getnnz(axis=0))  # terms no paper kept cost nothing but columns: drop them
    return sp.csr_matrix(normalize(pruned[:, used]))


def _top(scores: np.ndarray, shown: int) -> list[list[int]]:
    """Per row of ``scores`` (a block), the columns of its ``shown`` highest positive scores, ties by column."""
    width = scores.shape[1]
    if width > shown:  # the k-th highest score of each row: every column scoring at least that is a candidate
        kth = np.partition(scores, width - shown, axis=1)[:, width - shown]
    else:
        kth = scores.min(axis=1)
    floor = np.maximum(kth, np.finfo(scores.dtype).tiny)  # a score of 0 (no term shared) never counts
    rows, columns = np.nonzero(scores >= floor[:, None])  # usually ``shown`` a row; more only on ties
    order = np.lexsort((columns, -scores[rows, columns], rows))  # by row, score descending, then column
    best: list[list[int]] = [[] for _ in range(scores.shape[0])]
    for row, column in zip(rows[order].tolist(), columns[order].tolist(), strict=True):
        if len(best[row]) < shown:
            best[row].append(column)
    return best


def similar_papers(pages: Iterable[Page], shown: int = SHOWN, terms_kept: int = TERMS_KEPT) -> dict[str, tuple[str, ...]]:
    """Each page's ``shown`` most similar pages, by slug, most similar first (see the module docstring)."""
    ordered = sorted(pages, key=lambda page: page.slug)
    slugs = [page.slug for page in ordered]
    found: dict[str, tuple[str, ...]] = dict.fromkeys(slugs, ())
    if len(ordered) < 2 or shown < 1:
        return found
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)
    try:
        vectors = vectorizer.fit_transform([paper_text(page) for page in ordered])
    except ValueError:  # scikit-learn's "empty vocabulary": no page has a word that is not a stop word
        return found
    matrix = sp.csr_matrix(vectors)
    if matrix.getnnz(axis=1).max() > terms_kept:
        matrix = _keep_top_terms(matrix, terms_kept)
    for start in range(0, len(ordered), BLOCK):
        stop = min(start + BLOCK, len(ordered))
        block = np.ascontiguousarray((matrix @ matrix[start:stop].T.toarray()).T)  # (block, N) cosine similarities, rows contiguous
        block[np.arange(stop - start), np.arange(start, stop)] = -1.0  # a paper is not related to itself
        np.round(block, DECIMALS, out=block)
        for offset, columns in enumerate(_top(block, shown)):
            found[slugs[start + offset]] = tuple(slugs[column] for column in columns)
    return found


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
            parts += [section_heading("Related papers", "related-papers", search=False), self._list(here, similar)]
        linking = self.linked_from.get(page.slug, ())
        if linking:
            parts += [section_heading("Linked from", "linked-from", search=False), self._list(here, linking[:LINKED_FROM_SHOWN])]
            if len(linking) > LINKED_FROM_SHOWN:
                parts.append(f'<p class="pkb-related-more" data-search-exclude>and {len(linking) - LINKED_FROM_SHOWN:,} more pages</p>')
        return "\n".join(parts)

    def _list(self, here: str, slugs: Sequence[str]) -> str:
        items = (f"<li>{docs_a(self.titles.get(slug, slug), here, paths.paper_path(slug))}</li>" for slug in slugs)
        return '<ul class="pkb-related" data-search-exclude>' + "".join(items) + "</ul>"


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

    def related_papers(self, pages: Sequence[Page], reuse: bool) -> RelatedPapers:
        slugs = tuple(page.slug for page in pages)
        if reuse and slugs == self._slugs:
            titles = {page.slug: title_of(page) for page in pages}
            return RelatedPapers(self._related.similar, self._related.linked_from, titles)
        self._slugs, self._related = slugs, related_papers(pages)
        return self._related


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
