"""Digests, feeds and BibTeX benchmark (run by ``make bench``): what they add to a build, against reading
the pages (the baseline every build pays anyway), measured in the same run.

Generates N deterministic synthetic papers (~1.5 KB abstract, filled sections for two thirds, 2-3 topics,
added over the last 60 days) and one sync record per week, then times, best of 3:

- baseline: loading every page (``paperkb.pages.load_pages``);
- ``digest.generate`` (one page per sync record, weekly, monthly, index), ``feeds.generate`` (the whole
  knowledge base and one feed per topic), ``bibtex.generate`` (papers.bib and one per topic);
- the "Cite" footer of every paper page (``bibtex.cite_footer``).

and prints each as seconds and as a ratio to the baseline, at N = 1,000 and 5,000. The feeds are capped at
50 entries each, so their cost stays flat as N grows; the rest is linear. Budget: all of it together at most
2.5x the baseline (reading the pages is ~3% of a `mkdocs build` here, so this is under ~8% of a build).

    python scripts/bench_publish.py            # N = 1,000 and 5,000
    python scripts/bench_publish.py --n 300    # one quick size
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from paperkb.model.pages import load_pages, render_new_page
from paperkb.model.vocab import load_vocabulary
from paperkb.publish import bibtex, digest, feeds
from paperkb.publish.site import SiteInput

BUDGET_RATIO = 2.5
TODAY = dt.date(2026, 11, 22)
WORDS = "model reasoning expert sparse token scaling reward policy safety alignment data training inference".split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_kb(root: Path, n: int) -> None:
    rng = random.Random(5)
    topics = list(load_vocabulary(REPO / "content" / "topics.yml", REPO / "content" / "labs.yml").topics)
    papers = root / "papers"
    papers.mkdir(parents=True)
    for i in range(n):
        added = TODAY - dt.timedelta(days=rng.randrange(60))
        meta = {
            "title": f"{sentence(rng, 6)[:-1]} {i}",
            "arxiv": f"25{1 + i % 12:02d}.{i:05d}",
            "authors": [f"Author {rng.randrange(500)} Person{rng.randrange(500)}" for _ in range(rng.randint(1, 12))],
            "topics": rng.sample(topics, rng.randint(2, 3)),
            "published": added - dt.timedelta(days=rng.randrange(30)),
            "added": added,
            "priority": rng.choice(["urgent", "high", "medium", "low", None]),
            "status": "todo",
            "abstract": " ".join(sentence(rng, 14) for _ in range(14)),
        }
        filled = i % 3 != 0
        sections = (
            {"summary": sentence(rng, 60), "key_insights": "\n".join(f"- {sentence(rng, 12)}" for _ in range(3)), "why_it_matters": sentence(rng, 30)}
            if filled
            else None
        )
        if filled:
            meta["status"] = "draft"
        (papers / f"paper-{i:05d}.md").write_text(render_new_page(meta, sections), "utf-8")


def sync_records(pages) -> list[dict]:
    records = []
    for week in range(8):
        until = TODAY - dt.timedelta(days=7 * week)
        since = until - dt.timedelta(days=7)
        added = [p.meta["arxiv"] for p in pages if since < p.meta["added"] <= until]
        records.append(
            {
                "date": until,
                "window": {"since": since, "until": until},
                "added": added,
                "counts": {"found": len(added), "added": len(added), "already_present": 0},
            }
        )
    return records


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(n: int) -> float:
    with tempfile.TemporaryDirectory(prefix="paperkb-bench-publish-") as tmp:
        make_kb(Path(tmp), n)
        baseline = best_of(3, lambda: load_pages(Path(tmp) / "papers"))
        pages, _ = load_pages(Path(tmp) / "papers")
        vocab = load_vocabulary(REPO / "content" / "topics.yml", REPO / "content" / "labs.yml")
        site = SiteInput(pages=pages, vocab=vocab, site_url="https://example.org/kb/", syncs=sync_records(pages), today=TODAY)
        parts = {
            "digests": best_of(3, lambda: digest.generate(site)),
            "feeds": best_of(3, lambda: feeds.generate(site)),
            "bibtex files": best_of(3, lambda: bibtex.generate(site)),
            "cite footers": best_of(3, lambda: [bibtex.cite_footer(p) for p in pages]),
        }
    total = sum(parts.values())
    print(f"N = {n:,}: reading the pages (baseline) {baseline:.3f} s")
    for name, seconds in parts.items():
        print(f"  {name:<13} {seconds:7.3f} s  {seconds / baseline:5.2f}x baseline")
    ratio = total / baseline
    print(f"  {'all':<13} {total:7.3f} s  {ratio:5.2f}x baseline (budget {BUDGET_RATIO:.1f}x) {'ok' if ratio <= BUDGET_RATIO else 'OVER'}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="number of papers (repeatable; default 1,000 and 5,000)")
    args = parser.parse_args()
    ratios = [measure(n) for n in args.n or [1000, 5000]]
    return 0 if all(r <= BUDGET_RATIO for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
