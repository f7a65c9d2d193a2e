"""The worker process a build hands a long computation to (the related papers, the search index), so that it runs on
another core while the build's own process renders pages.

Spawned, not forked: a fresh interpreter that starts from nothing of the build's state, threads or imports (the
related papers' worker is the only process that loads scikit-learn). ``niceness`` lowers its priority (``os.nice``,
inherited by what it starts, such as Pagefind) for work nothing waits for.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def spawned_worker(niceness: int = 0) -> ProcessPoolExecutor:
    """One spawned worker process, at ``niceness`` below this process's priority."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=os.nice, initargs=(niceness,))
