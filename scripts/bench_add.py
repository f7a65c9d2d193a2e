"""Benchmark: ``paperkb add`` of 1,000 IDs against the fake arXiv server, batched vs one request per paper.

Both runs use the real settings (3 s between requests) with the waits simulated: the client's sleep is
replaced by one that adds the requested seconds to a virtual clock, so the projected wall time is the
measured local time plus the waits arXiv's terms would impose. The baseline, measured in the same run,
is the naive approach: one id_list request per paper. Exits 1 if the batched run needs more than 10
requests (the issue's budget).

    .venv/bin/python scripts/bench_add.py [--papers 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.fake_arxiv

from paperkb.ingest.add import add_papers
from paperkb.ingest.arxiv_client import ArxivSettings, ArxivSource
from paperkb.ingest.page_writer import Ingest
from paperkb.model import config
from tests.support.fake_arxiv import FakeArxiv, synthetic_papers  # noqa: E402

MAX_BATCHED_REQUESTS = 10


@dataclass
class Run:
    requests: int
    local_seconds: float
    waited_seconds: float  # simulated
    pages: int

    @property
    def projected_seconds(self) -> float:
        return self.local_seconds + self.waited_seconds


class VirtualClock:
    """Stands in for time.sleep: records the wait instead of waiting."""

    def __init__(self) -> None:
        self.waited = 0.0

    def sleep(self, seconds: float) -> None:
        self.waited += max(0.0, seconds)


def knowledge_base(workdir: Path, name: str) -> config.KnowledgeBase:
    root = workdir / name
    root.mkdir()
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "content", root / "content")
    return config.load(root)


def run(kb: config.KnowledgeBase, ids: list[str], batched: bool) -> Run:
    clock = VirtualClock()
    settings = ArxivSettings.from_kb(kb)  # the repository's settings: delay_seconds = 3.0
    source = ArxivSource(settings, sleep=clock.sleep)
    ingest = Ingest(kb)
    started = time.perf_counter()
    if batched:
        reports = [add_papers(ingest, source, ids)]
    else:
        reports = [add_papers(ingest, source, [arxiv_id]) for arxiv_id in ids]
    elapsed = time.perf_counter() - started
    added = sum(len(r.added) for r in reports)
    return Run(source.requests_made, elapsed, clock.waited, added)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    args = parser.parse_args()
    ids = [f"2509.{n:05d}" for n in range(1, args.papers + 1)]
    with FakeArxiv(synthetic_papers(args.papers)) as server, tempfile.TemporaryDirectory(prefix="bench-add-") as tmp:
        os.environ["PAPERKB_ARXIV_API"] = server.url
        batched = run(knowledge_base(Path(tmp), "batched"), ids, batched=True)
        naive = run(knowledge_base(Path(tmp), "naive"), ids, batched=False)
        server_requests = len(server.requests)
    delay = ArxivSettings.from_kb(config.load(REPO)).delay_seconds
    print(f"bench_add: paperkb add of {args.papers:,} IDs against the fake arXiv; {delay:g} s spacing simulated")
    for label, result in (("batched (paperkb add)", batched), ("naive (one per paper)", naive)):
        print(
            f"  {label:<22} {result.requests:>5} requests  {result.pages:>5} pages  local {result.local_seconds:6.2f} s"
            f"  + waits {result.waited_seconds:8.1f} s  = projected {result.projected_seconds:8.1f} s"
            f" ({result.projected_seconds / 60:.1f} min)"
        )
    print(f"  requests seen by the server: {server_requests} (= {batched.requests} + {naive.requests})")
    print(
        f"  ratio naive/batched: {naive.requests / max(batched.requests, 1):.0f}x requests, "
        f"{naive.projected_seconds / batched.projected_seconds:.0f}x projected wall time"
    )
    if batched.requests > MAX_BATCHED_REQUESTS * max(1, args.papers // 1000):
        print(f"bench_add: FAIL: {batched.requests} requests for {args.papers} IDs (budget {MAX_BATCHED_REQUESTS} per 1,000)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
