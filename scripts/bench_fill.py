"""Benchmark: ``paperkb fill`` of N synthetic papers against local fake servers with a fixed model latency.

The real command and the real SDKs talk over HTTP to tests/support/fake_anthropic.py (the Messages API) and
tests/support/fake_openai.py (an OpenAI-compatible /v1/chat/completions), which answer every request after
``--latency`` seconds, and to tests/support/fake_arxiv.py, which serves each paper's metadata and an HTML full
text (about 8,000 tokens: what a short paper sends). In one run:

- abstract against full text (Anthropic backend): input and output tokens per paper and the projected cost per
  1,000 papers at the configured prices;
- wall time of each backend against the ideal ``N x latency / concurrency`` (perfect overlap, zero overhead);
  the full-text run's wall time includes fetching N documents from the fake arXiv, one at a time;
- a second run over the same pages makes 0 model requests and fetches 0 full texts (the cache), and the
  OpenAI-compatible run, given the first run's cache, fetches none either.

Exits 1 if a second run makes a request or a fetch, or if any page is left unfilled.

    .venv/bin/python scripts/bench_fill.py [--papers 200] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.fake_anthropic

from paperkb.cli import main as cli
from paperkb.fill.llm import FillSettings
from paperkb.model import config
from paperkb.model.fulltext import CACHE_DIR
from paperkb.model.pages import iter_page_paths, load_page
from tests.support.arxiv_env import configure  # noqa: E402
from tests.support.fake_anthropic import TEST_KEY, FakeAnthropic  # noqa: E402
from tests.support.fake_arxiv import FakeArxiv, FakePaper, Version  # noqa: E402
from tests.support.fake_openai import FakeOpenAI  # noqa: E402
from tests.support.fill_kb import configure_fill  # noqa: E402

ABSTRACT = (
    "We study {topic} in a model with {size}B parameters trained on {tokens}T tokens. "
    "Our method improves accuracy on the main benchmark to {score}% while using {ratio} times less compute. "
    "Ablations show that each component matters, and the gains hold across {runs} random seeds. "
    "Analysis of failure cases reveals systematic errors on long inputs that future work should address. "
    "We release code and weights to support reproduction and further research on {topic}."
)
TOPICS = ["reasoning", "mixture-of-experts", "efficiency", "alignment", "scaling"]
SECTIONS = [("1 Introduction", 6), ("2 Related Work", 10), ("3 Method", 10), ("4 Experiments", 14), ("5 Analysis", 8), ("6 Conclusion", 3)]
PARAGRAPH = (
    "In setting {n} we examine how {topic} behaves when the data mixture changes and the schedule is held fixed. "
    "The model reaches {score}.{n}% on the held-out split after {steps} thousand steps, a gain of {gain}.{n} points. "
    "Errors concentrate on long inputs, where attention spreads thinly over distant tokens and retrieval degrades. "
    "We attribute part of the gain to the auxiliary objective, which stabilises the early phase of training. "
    "A closer look at the learning curves shows no sign of saturation at the largest scale we could afford."
)


def synthetic_page(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return (
        "---\n"
        f"title: 'Synthetic Paper {number:04d}: On {topic.replace('-', ' ').title()}'\n"
        f"arxiv: '2501.{number:05d}'\n"
        "version: 1\n"
        "authors:\n- Ada Lovelace\n- Alan Turing\n"
        f"published: 2025-01-{1 + number % 28:02d}\n"
        "status: todo\n"
        f"abstract: |\n  {abstract(number)}\n"
        "---\n\n## Summary\n\nTODO\n\n## Key Insights\n\nTODO\n\n## Why It Matters\n\nTODO\n"
    )


def abstract(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return ABSTRACT.format(
        topic=topic.replace("-", " "), size=7 + number % 60, tokens=1 + number % 15,
        score=f"{50 + number % 45}.{number % 10}", ratio=2 + number % 5, runs=3 + number % 4,
    )  # fmt: skip


def synthetic_html(number: int) -> str:
    """A paper's HTML rendering shaped like arXiv's (LaTeXML classes), about 8,000 tokens of text."""
    topic = TOPICS[number % len(TOPICS)].replace("-", " ")
    parts = [
        "<!DOCTYPE html><html><body><article class='ltx_document'>",
        f"<h1 class='ltx_title'>Synthetic Paper {number:04d}</h1>",
        f"<div class='ltx_abstract'><h6>Abstract</h6><p class='ltx_p'>{abstract(number)}</p></div>",
    ]
    n = 0
    for title, paragraphs in SECTIONS:
        parts.append(f"<section class='ltx_section'><h2 class='ltx_title'>{title}</h2>")
        for _ in range(paragraphs):
            n += 1
            text = PARAGRAPH.format(n=n, topic=topic, score=40 + (number + n) % 50, steps=10 + n, gain=1 + n % 7)
            parts.append(f"<div class='ltx_para'><p class='ltx_p'>{text}</p></div>")
        parts.append("</section>")
    parts.append("</article></body></html>")
    return "\n".join(parts)


def knowledge_base(root: Path, papers: int, arxiv: FakeArxiv) -> Path:
    (root / "content" / "papers").mkdir(parents=True)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    for name in ("topics.yml", "labs.yml"):
        shutil.copy2(REPO / "content" / name, root / "content" / name)
    configure(root, delay_seconds=0.0, backoff_seconds=0.01, timeout_seconds=10.0, max_retries=2)
    for number in range(papers):
        (root / "content" / "papers" / f"synthetic-{number:04d}.md").write_text(synthetic_page(number), "utf-8")
    return root


def fake_arxiv(papers: int) -> FakeArxiv:
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    table = [FakePaper(f"2501.{n:05d}", when, [Version(f"Synthetic Paper {n:04d}", abstract(n), when)], [], ["cs.LG"], "cs.LG") for n in range(papers)]
    server = FakeArxiv(table)
    for number in range(papers):
        server.serve_html(f"2501.{number:05d}v1", synthetic_html(number))
    return server


@dataclass
class Run:
    name: str
    wall: float
    code: int
    output: str
    requests: int
    fetched: int
    filled: int

    def tokens(self, kind: str) -> int:
        line = next(line for line in self.output.splitlines() if line.startswith("tokens:"))
        words = line.removeprefix("tokens: ").split(", ")
        found = {" ".join(w.split()[1:-2] if "(" in w else w.split()[1:]): int(w.split()[0].replace(",", "")) for w in words}
        return found[kind]

    def cost(self) -> float:
        line = next(line for line in self.output.splitlines() if line.startswith("cost:"))
        return float(line.split("$", 1)[1].split()[0])


def timed_fill(name: str, root: Path, requests: Callable[[], int], arxiv: FakeArxiv, *args: str) -> Run:
    output = io.StringIO()
    before, fetched = requests(), len(arxiv.document_requests())
    start = time.perf_counter()
    with contextlib.redirect_stdout(output):
        code = cli.main(["--root", str(root), "fill", *args])
    wall = time.perf_counter() - start
    filled = sum(not load_page(p).missing_sections() for p in iter_page_paths(root / "content" / "papers"))
    return Run(name, wall, code, output.getvalue(), requests() - before, len(arxiv.document_requests()) - fetched, filled)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake model APIs take per request")
    args = parser.parse_args()
    n = args.papers

    with (
        tempfile.TemporaryDirectory(prefix="bench-fill-") as tmp,
        FakeAnthropic(latency=args.latency) as anthropic_server,
        FakeOpenAI(latency=args.latency) as openai_server,
        fake_arxiv(n) as arxiv,
    ):
        os.environ.update(ANTHROPIC_API_KEY=TEST_KEY, ANTHROPIC_BASE_URL=anthropic_server.base_url)
        os.environ.update(PAPERKB_ARXIV_API=arxiv.url, PAPERKB_ARXIV_SITE=arxiv.site)
        os.environ.pop("OPENAI_API_KEY", None)
        roots = {name: knowledge_base(Path(tmp) / name, n, arxiv) for name in ("abstract", "fulltext", "openai")}
        configure_fill(roots["abstract"], full_text=False)
        configure_fill(roots["openai"], provider="openai", base_url=openai_server.base_url, model="qwen2.5:7b")
        settings = FillSettings.from_table(config.load(roots["fulltext"]).section("fill"))
        concurrency = settings.concurrency
        cli.build_parser()  # import every stage once, outside the timing
        start = time.perf_counter()
        import anthropic  # noqa: F401 - fill imports the SDKs lazily; their one-off imports are timed on their own
        import openai  # noqa: F401

        sdk_import = time.perf_counter() - start
        claude = lambda: len(anthropic_server.message_requests())  # noqa: E731
        local = lambda: len(openai_server.completion_requests())  # noqa: E731

        abstract_run = timed_fill("anthropic, abstract", roots["abstract"], claude, arxiv)
        full_run = timed_fill("anthropic, full text", roots["fulltext"], claude, arxiv)
        shutil.copytree(roots["fulltext"] / CACHE_DIR, roots["openai"] / CACHE_DIR)  # the cache, as a second checkout would have it
        openai_run = timed_fill("openai-compatible, full text (cached)", roots["openai"], local, arxiv)
        again = timed_fill("anthropic, full text, second run", roots["fulltext"], claude, arxiv)

    ideal = n * args.latency / concurrency
    print(f"fill benchmark: {n} papers, fake model latency {args.latency:g}s, concurrency {concurrency}, "
          f"input budget {settings.input_budget_tokens:,} tokens; SDK imports {sdk_import:.2f}s (one-off, not counted)")  # fmt: skip
    print(f"  ideal wall time: {ideal:.2f}s (= {n} x {args.latency:g}s / {concurrency})")
    for run in (abstract_run, full_run, openai_run):
        fetch = f", {run.fetched} full texts fetched" if run.fetched else ""
        print(f"  {run.name:<40} {run.wall:7.2f}s = {run.wall / ideal:.3f} x ideal; {run.requests} requests{fetch}; "
              f"{run.filled}/{n} filled (exit {run.code})")  # fmt: skip
    print(f"  {'':<40} tokens per paper (input+cache / output)   projected cost per 1,000 papers ({settings.model} prices)")
    for run in (abstract_run, full_run):
        sent = run.tokens("input") + run.tokens("cache read") + run.tokens("cache write")
        print(f"  {run.name:<40} {sent / n:9,.0f} / {run.tokens('output') / n:,.0f}   ${run.cost() / n * 1000:,.2f}")
    print(f"  {openai_run.name:<40} cost ${openai_run.cost():.4f} (no prices for a local model: free)")
    print(f"  second run: {again.requests} requests, {again.fetched} full texts fetched (both must be 0; exit {again.code})")
    failed = again.requests or again.fetched or openai_run.fetched or any(r.code or r.filled != n for r in (abstract_run, full_run, openai_run))
    if failed:
        print("FAIL: a second run made requests or fetched, or pages were left unfilled", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
