"""Similar papers by TF-IDF: the numerical part of the related papers (``paperkb.publish.related``), texts in, slugs out.

Kept apart from ``related`` because it loads numpy, scipy and scikit-learn (1.7 s): a site build computes it in a
worker process (``related.RelatedCache.start``) while its own process generates the indexes, so the build's
process never loads them.

TF-IDF (scikit-learn's ``TfidfVectorizer``) over each paper's text (``related.paper_text``), compared by cosine
similarity; a paper shows its ``shown`` closest. Two things keep this to a few seconds at 10,000 papers and its
memory flat, never an N x N matrix:

- a paper is compared on at most its ``terms_kept`` (``related.TERMS_KEPT``) highest-weighted terms (renormalized), the idea of Lucene's
  MoreLikeThis, which compares a document by its 25 most characteristic terms: the cost of a page is bounded
  however long its sections grow. Pages have about 100 distinct terms today (median 97 on the shipped pages),
  so the cap rarely cuts; at 128 the lists are those of the full vectors (179 of 180 on the shipped pages,
  against 124 at 64 and 98 at 32, which put unrelated papers first);
- similarities are computed a block of ``BLOCK`` papers at a time: the sparse matrix of every paper times the
  block's (dense, narrow) transposed vectors gives the block's similarities to all papers; each row's top
  ``shown`` are kept and the block is dropped.

Deterministic: scores are rounded to 6 decimals before ranking and equal scores rank by position (the caller
orders the papers by slug). Papers that share no term are not related (a score of 0 never makes the list).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

BLOCK = 256  # papers whose similarities are computed at once: BLOCK x N floats in memory
DECIMALS = 6  # scores are rounded to this before ranking, so ties (and near-ties from float sums) rank by slug


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


def similar_texts(slugs: Sequence[str], texts: Sequence[str], shown: int, terms_kept: int) -> dict[str, tuple[str, ...]]:
    """For each slug, the slugs of the ``shown`` most similar texts, most similar first; equal scores by position."""
    found: dict[str, tuple[str, ...]] = dict.fromkeys(slugs, ())
    if len(slugs) < 2 or shown < 1:
        return found
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)
    try:
        vectors = vectorizer.fit_transform(texts)
    except ValueError:  # scikit-learn's "empty vocabulary": no page has a word that is not a stop word
        return found
    matrix = sp.csr_matrix(vectors)
    if matrix.getnnz(axis=1).max() > terms_kept:
        matrix = _keep_top_terms(matrix, terms_kept)
    for start in range(0, len(slugs), BLOCK):
        stop = min(start + BLOCK, len(slugs))
        block = np.ascontiguousarray((matrix @ matrix[start:stop].T.toarray()).T)  # (block, N) cosine similarities, rows contiguous
        block[np.arange(stop - start), np.arange(start, stop)] = -1.0  # a paper is not related to itself
        np.round(block, DECIMALS, out=block)
        for offset, columns in enumerate(_top(block, shown)):
            found[slugs[start + offset]] = tuple(slugs[column] for column in columns)
    return found
