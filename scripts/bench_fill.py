"""Benchmark: ``paperkb fill`` of N synthetic papers against the fake Messages API with a fixed latency.

The real command and the real anthropic SDK talk over HTTP to tests/support/fake_anthropic.py, which answers
every Messages request after ``--latency`` seconds. The baseline, computed for the same run, is the ideal
wall time ``N x latency / concurrency`` (perfect overlap, zero overhead). A second run over the same pages
must make no request at all. Exits 1 if it does, or if any page failed.

    .venv/bin/python scripts/bench_fill.py [--papers 200] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.fake_anthropic

from paperkb.cli import main as cli
from paperkb.fill.llm import FillSettings
from paperkb.model import config
from paperkb.model.pages import iter_page_paths, load_page
from tests.support.fake_anthropic import TEST_KEY, FakeAnthropic  # noqa: E402

ABSTRACT = (
    "We study {topic} in a model with {size}B parameters trained on {tokens}T tokens. "
    "Our method improves accuracy on the main benchmark to {score}% while using {ratio} times less compute. "
    "Ablations show that each component matters, and the gains hold across {runs} random seeds. "
    "Analysis of failure cases reveals systematic errors on long inputs that future work should address. "
    "We release code and weights to support reproduction and further research on {topic}."
)
TOPICS = ["reasoning", "mixture-of-experts", "efficiency", "alignment", "scaling"]


def synthetic_page(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    abstract = ABSTRACT.format(
        topic=topic.replace("-", " "), size=7 + number % 60, tokens=1 + number % 15,
        score=f"{50 + number % 45}.{number % 10}", ratio=2 + number % 5, runs=3 + number % 4,
    )  # fmt: skip
    return (
        "---\n"
        f"title: 'Synthetic Paper {number:04d}: On {topic.replace('-', ' ').title()}'\n"
        f"arxiv: '2501.{number:05d}'\n"
        "authors:\n- Ada Lovelace\n- Alan Turing\n"
        f"published: 2025-01-{1 + number % 28:02d}\n"
        "status: todo\n"
        f"abstract: |\n  {abstract}\n"
        "---\n\n## Summary\n\nTODO\n\n## Key Insights\n\nTODO\n\n## Why It Matters\n\nTODO\n"
    )


def knowledge_base(workdir: Path, papers: int) -> Path:
    root = workdir / "kb"
    (root / "content" / "papers").mkdir(parents=True)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    for name in ("topics.yml", "labs.yml"):
        shutil.copy2(REPO / "content" / name, root / "content" / name)
    for number in range(papers):
        (root / "content" / "papers" / f"synthetic-{number:04d}.md").write_text(synthetic_page(number), "utf-8")
    return root


def timed_fill(root: Path) -> tuple[float, int, str]:
    output = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(output):
        code = cli.main(["--root", str(root), "fill"])
    return time.perf_counter() - start, code, output.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake API takes per request")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fill-") as tmp, FakeAnthropic(latency=args.latency) as server:
        root = knowledge_base(Path(tmp), args.papers)
        concurrency = FillSettings.from_table(config.load(root).section("fill")).concurrency
        os.environ["ANTHROPIC_API_KEY"] = TEST_KEY
        os.environ["ANTHROPIC_BASE_URL"] = server.base_url
        cli.build_parser()  # import every stage once, outside the timing
        start = time.perf_counter()
        import anthropic  # noqa: F401 - fill imports the SDK lazily; its one-off import is timed on its own

        sdk_import = time.perf_counter() - start

        wall, code, output = timed_fill(root)
        first_requests = len(server.message_requests())
        filled = sum(not load_page(p).missing_sections() for p in iter_page_paths(root / "content" / "papers"))
        ideal = args.papers * args.latency / concurrency

        second_wall, second_code, _ = timed_fill(root)
        second_requests = len(server.message_requests()) - first_requests

    print(f"fill benchmark: {args.papers} papers, fake API latency {args.latency:g}s, concurrency {concurrency}")
    print(f"  first run:  {wall:.2f}s wall, {first_requests} requests, {filled}/{args.papers} pages filled, "
          f"max {server.max_in_flight} in flight (exit {code})")  # fmt: skip
    print(f"  ideal:      {ideal:.2f}s  (= {args.papers} x {args.latency:g}s / {concurrency})")
    print(f"  ratio:      {wall / ideal:.3f} x ideal  ({(wall + sdk_import) / ideal:.3f} counting the SDK's one-off import, {sdk_import:.2f}s)")
    print(f"  second run: {second_wall:.2f}s wall, {second_requests} requests (must be 0; exit {second_code})")
    print("  " + "\n  ".join(line for line in output.splitlines() if line.startswith(("tokens:", "cost:"))))
    if second_requests or code or filled != args.papers:
        print("FAIL: a second run made requests, or pages were left unfilled", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
