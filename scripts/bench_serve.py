"""`make serve` benchmark (``make bench``): how long an edit to one paper page takes to show in the browser.

Generates N synthetic papers with the project's real configuration (``bench_build.knowledge_base``), starts
``mkdocs serve`` on 127.0.0.1 (``--dirty`` as ``make serve`` runs it, or without: MkDocs renders every page), waits for the
first build, opens a paper page in real headless Chromium (Debian's, tests/support/browser.py), then edits that
page's summary on disk and waits until the browser shows the new text: MkDocs' file watcher notices the edit,
rebuilds, and its livereload script reloads the page. Each edit is timed from the write to the text in the
page, and MkDocs' own "Documentation built in X seconds" for that rebuild is printed next to it, so the time
splits into the rebuild and the rest (noticing the change, reloading). Budget (issue 11): within 5 s.

    python scripts/bench_serve.py                 # N=10,000, plain `mkdocs serve` and `--dirty` (make serve)
    python scripts/bench_serve.py --n 1000 --edits 3
    python scripts/bench_serve.py --modes dirty   # one mode
    python scripts/bench_serve.py --modes dirty --pause 10   # each edit saved while the search index of the last is written
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

from bench_build import kb_size, knowledge_base, scratch_dir, verdict

from paperkb.model.pages import atomic_write, load_page, set_section
from tests.support.browser import chromium_context
from tests.support.site_build import builds_logged, mkdocs_serve

BUDGET_SECONDS = 5.0
FIRST_BUILD_TIMEOUT = 1800.0  # seconds: a first build of 10,000 papers on a busy machine takes minutes
EDIT_TIMEOUT = 900.0
EDITED = "synthetic-00042"


def edit(path: Path, marker: str) -> None:
    """Rewrite the page's summary to a sentence holding ``marker``, as an editor saving the file would."""
    page = load_page(path)
    atomic_write(path, set_section(page, "Summary", f"Edited for the serve benchmark: {marker}."))


def measure(root: Path, dirty: bool, edits: int, work: Path, pause: float) -> tuple[float, list[tuple[float, float | None]]]:
    """(seconds to the first page, [(edit-to-browser seconds, MkDocs' rebuild seconds)] for each edit); ``pause``:
    seconds between an edit showing and the next edit."""
    log = work / f"serve-{'dirty' if dirty else 'plain'}.log"
    path = root / "content" / "papers" / f"{EDITED}.md"
    results = []
    with mkdocs_serve(root, log, dirty, timeout=FIRST_BUILD_TIMEOUT) as (base, first), chromium_context() as context:
        page = context.new_page()
        page.goto(f"{base}papers/{EDITED}/")
        for number in range(1, edits + 1):
            marker = f"edit-{'dirty' if dirty else 'plain'}-{number}-{time.time_ns()}"
            builds_before = len(builds_logged(log))
            start = time.perf_counter()
            edit(path, marker)
            page.wait_for_function("m => document.body && document.body.innerText.includes(m)", arg=marker, timeout=EDIT_TIMEOUT * 1000)
            elapsed = time.perf_counter() - start
            builds = builds_logged(log)[builds_before:]
            results.append((elapsed, builds[-1] if builds else None))
            time.sleep(pause)  # let the watcher settle before the next edit
    return first, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="synthetic papers (default 10,000)")
    parser.add_argument("--edits", type=int, default=2, help="edits timed per mode (default 2)")
    parser.add_argument("--modes", default="plain,dirty", help="'plain' (mkdocs serve), 'dirty' (--dirty, as make serve runs it), or both (default)")
    parser.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="seconds between an edit showing and the next one (default 1; over QUIET_SECONDS of publish/search_index.py, "
        "the search index of the last edit is being written when the next one is saved)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    args = parser.parse_args(argv)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not modes or set(modes) - {"plain", "dirty"}:
        parser.error("--modes takes 'plain', 'dirty' or 'plain,dirty'")

    with scratch_dir("paperkb-bench-serve-", args.keep) as work:
        print(
            f"paperkb serve benchmark: N={args.n:,} synthetic papers (seeded), {args.edits} edit(s) per mode {args.pause:g} s apart, "
            f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}"
        )
        root = knowledge_base(work / "kb", args.n)
        blown = False
        for mode in modes:
            try:
                first, results = measure(root, mode == "dirty", args.edits, work, args.pause)
            except RuntimeError as exc:  # the server did not start or answer: its log says why
                sys.exit(f"bench: {exc}")
            label = "mkdocs serve" + (" --dirty" if mode == "dirty" else "")
            print(f"  {label}: first page after {first:.1f} s")
            for number, (elapsed, rebuild) in enumerate(results, 1):
                ok = elapsed <= BUDGET_SECONDS
                blown |= not ok
                built = f"MkDocs rebuild {rebuild:.1f} s" if rebuild is not None else "rebuild not logged"
                print(f"    edit {number}: shown after {elapsed:.1f} s ({built}), ≤ {BUDGET_SECONDS:.0f} s: {verdict(ok)}")
        print(f"  site served from a temporary directory; knowledge base {kb_size(sum(p.stat().st_size for p in (root / 'content').rglob('*.md')))} of pages")
        print("budgets: " + ("BLOWN" if blown else "all within"))
        return 1 if blown else 0


if __name__ == "__main__":
    sys.exit(main())
