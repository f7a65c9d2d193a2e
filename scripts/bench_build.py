"""Build benchmark (``make bench``): the site with paperkb against bare Material, same pages, same run.

Generates N deterministic synthetic papers (seeded RNG; ~1.5 KB abstract, all sections written, 2-3
topics, 1-2 labs, some sections still machine-written) in a temporary knowledge base, then times:

1. ``mkdocs build --strict`` with the project's real configuration (mkdocs.yml, overrides, hooks,
   gen-files indexes, and whatever other stages generate);
2. the same pages with a bare Material configuration: search only, no paperkb hooks or gen-files.
   Its nav also leaves the paper pages out (``not_in_nav``), like the real one: with the default
   flat nav every page embeds every other and the baseline would be slow for reasons of its own
   (the issue measured 61 s at N=1,000), which would hide paperkb's own cost.

in back-to-back pairs (5 by default, alternating which goes first), and prints both builds' fastest wall
and CPU times (a build's CPU counts its worker processes and Pagefind's), the ratio (the median of the pairs'
ratios: this machine's speed drifts between builds by more than the difference measured), median and max HTML bytes of a paper page, the largest generated HTML
page of the whole site (no page may grow with N), site size, search index size, the time to compute the
related papers of the N pages (in this process, as gen_pages does), and the wall time of ``paperkb check``
(the CLI) on 10,000 pages. Each figure is printed next to its budget; the exit status is 1 when a budget is
blown. The ratio's budget is the issues' (9 and 11): at most 1.5 times bare Material's build at N=10,000, search
indexing included; below 10,000 papers the ratio is printed without a budget (fixed costs weigh more there).

    python scripts/bench_build.py            # N=1,000 (no ratio budget)
    python scripts/bench_build.py --n 10000 --repeat 2   # the ratio's budget
    python scripts/bench_build.py --n 5000
    python scripts/bench_build.py --quick    # N=200 and 2,000 pages checked, for a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from paperkb.model.pages import PRIORITIES, REQUIRED_SECTIONS, load_pages, render_new_page, section_hash
from paperkb.model.vocab import load_vocabulary
from paperkb.publish.related import related_papers

BUDGET_RATIO = 1.5  # at N = 10,000 (issues 9 and 11): paperkb's build, Pagefind included, against bare Material's
BUDGET_RATIO_N = 10_000
BUDGET_MEDIAN_HTML = 40 * 1024  # bytes, at any N: it must not grow with N
BUDGET_LARGEST_HTML = 100 * 1024  # bytes: no generated page over 100 KB, at any N (issue 11)
BUDGET_CHECK_SECONDS = 4.0  # for 10,000 pages
CHECK_PAGES = 10_000
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}

BARE_CONFIG = """\
site_name: bare
docs_dir: content
theme:
  name: material
  font: false
plugins:
  - search
nav:
  - Home: index.md
not_in_nav: |
  /papers/*.md
"""

WORDS = (
    "model models language reasoning reinforcement learning policy reward training inference attention expert "
    "experts routing sparse dense token tokens context benchmark evaluation accuracy scaling compute data "
    "dataset pretraining finetuning alignment safety preference human feedback chain thought verifier math "
    "code proof theorem vision multimodal encoder decoder transformer layer layers parameter parameters "
    "latent cache memory throughput latency quantization precision distillation student teacher open weights "
    "release report analysis results show that we our this method approach propose novel efficient robust "
    "large small baseline improves outperforms achieves state art across tasks suite generalization emergent "
    "behavior capability capabilities failure modes error errors study studies systematic empirical"
).split()
FIRST = "Wei Li Ming Zhang Anna Maria John Sara Yuki Omar Elena Ravi Chen Jun Lucas Emma Noah Aisha".split()
LAST = "Wang Liu Smith Garcia Kim Nguyen Müller Rossi Tanaka Ivanov Patel Cohen Silva Dubois Novak".split()


# -- synthetic pages -------------------------------------------------------------------------------------------
def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    while sum(len(s) + 1 for s in out) < chars:
        out.append(sentence(rng, rng.randint(8, 20)))
    return " ".join(out)


def synthetic_page(index: int, rng: random.Random, topics: list[str], labs: list[str]) -> str:
    published = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))
    sections = {
        "summary": paragraph(rng, 700),
        "key_insights": "\n".join(f"- {sentence(rng, rng.randint(10, 18))}" for _ in range(rng.randint(3, 5))),
        "why_it_matters": paragraph(rng, 400),
    }
    machine = [key for key, _ in REQUIRED_SECTIONS if rng.random() < 0.5]
    meta = {
        "title": f"Synthetic {index}: " + sentence(rng, rng.randint(6, 12)).rstrip("."),
        "arxiv": f"{published:%y%m}.{index:05d}",
        "authors": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(2, 30))],
        "labs": rng.sample(labs, rng.randint(1, 2)),
        "topics": rng.sample(topics, rng.randint(2, 3)),
        "published": published,
        "added": published + dt.timedelta(days=rng.randint(0, 30)),
        "priority": rng.choice([*PRIORITIES, None]),
        "status": "draft" if machine else rng.choice(["draft", "reviewed"]),
        "abstract": paragraph(rng, 1500),
        "generated": {key: {"model": "claude-sonnet-4-5", "date": published, "sha256": section_hash(sections[key])} for key in machine} or None,
    }
    return render_new_page(meta, sections)


def write_pages(papers_dir: Path, count: int, seed: int = 20250101) -> None:
    vocab = load_vocabulary(REPO / "content" / "topics.yml", REPO / "content" / "labs.yml")
    topics, labs = sorted(vocab.topics), sorted(vocab.labs)
    rng = random.Random(seed)
    papers_dir.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        (papers_dir / f"synthetic-{index:05d}.md").write_text(synthetic_page(index, rng, topics, labs), "utf-8")


def knowledge_base(root: Path, count: int) -> Path:
    """A copy of the project's configuration and vocabularies with ``count`` synthetic papers."""
    root.mkdir(parents=True)
    for name in ("mkdocs.yml", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    for name in ("overrides", "scripts"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (root / "content").mkdir()
    for name in ("topics.yml", "labs.yml"):
        shutil.copy2(REPO / "content" / name, root / "content" / name)
    if (REPO / "content" / "assets").is_dir():
        shutil.copytree(REPO / "content" / "assets", root / "content" / "assets")
    write_pages(root / "content" / "papers", count)
    # A checkout that has been built before has its scripts' bytecode cached; compile it here, so every timed
    # build is such a build (this machine sets PYTHONDONTWRITEBYTECODE, and the bare build's code is all
    # precompiled in site-packages).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "scripts")], check=True)
    return root


def bare_site(root: Path, papers: Path) -> Path:
    """The same pages under a bare Material configuration."""
    root.mkdir(parents=True)
    (root / "mkdocs.yml").write_text(BARE_CONFIG, "utf-8")
    shutil.copytree(papers, root / "content" / "papers")
    (root / "content" / "index.md").write_text("# Papers\n", "utf-8")
    return root


# -- measuring ------------------------------------------------------------------------------------------------------
def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one command; exits with its output when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed in {cwd}:\n{result.stdout}{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build(root: Path) -> tuple[float, float]:
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    return timed([mkdocs, "build", "--strict", "--quiet", "--site-dir", str(root / "site")], root)


def paired_builds(bare: Path, real: Path, repeat: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """``repeat`` pairs of builds back to back, (wall, CPU) of each: bare first in even pairs, paperkb first in
    odd ones, so a machine that speeds up or slows down during the run favours neither."""
    pairs = []
    for index in range(repeat):
        if index % 2:
            real_run = build(real)
            pairs.append((build(bare), real_run))
        else:
            bare_run = build(bare)
            pairs.append((bare_run, build(real)))
    return pairs


def summarize(pairs: list[tuple[tuple[float, float], tuple[float, float]]]) -> dict[str, float]:
    """Each build's fastest run, and the ratios. On a shared machine the speed drifts from one build to the
    next by more than the difference measured here, so the ratio is the median of the ratios within each
    back-to-back pair (both builds saw about the same machine), not the ratio of two unrelated minimums."""
    bare_wall, bare_cpu = min(bare for bare, _ in pairs)
    real_wall, real_cpu = min(real for _, real in pairs)
    return {
        "bare_wall": bare_wall,
        "bare_cpu": bare_cpu,
        "real_wall": real_wall,
        "real_cpu": real_cpu,
        "ratio_wall": statistics.median(real[0] / bare[0] for bare, real in pairs),
        "ratio_cpu": statistics.median(real[1] / bare[1] for bare, real in pairs),
        "ratio_of_minimums": real_wall / bare_wall,
    }


def paper_html_sizes(site: Path) -> list[int]:
    return [p.stat().st_size for p in (site / "papers").glob("*/index.html")]


def largest_html(site: Path) -> tuple[int, str]:
    """(bytes, path relative to the site) of the largest HTML page the build wrote."""
    size, path = max((p.stat().st_size, p.relative_to(site).as_posix()) for p in site.rglob("*.html"))
    return size, path


def related_seconds(papers: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of the related papers of every page (parsed first, untimed: gen_pages reuses the
    build's parse)."""
    pages, _errors = load_pages(papers)
    start, cpu = time.perf_counter(), time.process_time()
    related_papers(pages)
    return time.perf_counter() - start, time.process_time() - cpu


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def kb_size(n: int) -> str:
    return f"{n / 1024:,.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def verdict(ok: bool | None) -> str:
    return {True: "ok", False: "OVER BUDGET", None: "(no budget at this size)"}[ok]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="synthetic papers to build (default 1,000)")
    parser.add_argument("--check-pages", type=int, default=CHECK_PAGES, help="pages for `paperkb check` (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="N=200 and 2,000 pages checked (smoke run)")
    parser.add_argument("--repeat", type=int, default=5, help="pairs of builds (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.check_pages, args.repeat = 200, 2000, 1

    with scratch_dir("paperkb-bench-", args.keep) as work:
        return run(args, work)


@contextlib.contextmanager
def scratch_dir(prefix: str, keep: bool) -> Iterator[Path]:
    """A temporary directory for one benchmark run: removed afterwards, or kept and named (``--keep``)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    print(
        f"paperkb build benchmark: N={args.n:,} synthetic papers (seeded), {args.repeat} pair(s) of builds, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}"
    )
    real = knowledge_base(work / "real", args.n)
    bare = bare_site(work / "bare", real / "content" / "papers")

    pairs = paired_builds(bare, real, max(args.repeat, 1))
    figures = summarize(pairs)
    bare_seconds, bare_cpu, real_seconds, real_cpu = (figures[k] for k in ("bare_wall", "bare_cpu", "real_wall", "real_cpu"))
    ratio = figures["ratio_wall"]
    sizes = paper_html_sizes(real / "site")
    bare_sizes = paper_html_sizes(bare / "site")
    median_html = statistics.median(sizes)
    # Pagefind's chunked bundle (a reader loads only the chunks a query needs; bench_search measures that)
    search_bundle = sum(f.stat().st_size for f in (real / "site" / "pagefind").rglob("*") if f.is_file())
    largest, largest_path = largest_html(real / "site")
    related_wall, related_cpu = related_seconds(real / "content" / "papers")

    check_kb = knowledge_base(work / "check", 0)
    write_pages(check_kb / "content" / "papers", args.check_pages)
    paperkb = str(Path(sys.executable).with_name("paperkb"))
    check_seconds, _ = timed([paperkb, "--root", str(check_kb), "check"], check_kb)
    check_budget = BUDGET_CHECK_SECONDS * args.check_pages / CHECK_PAGES

    ratio_ok = ratio <= BUDGET_RATIO if args.n >= BUDGET_RATIO_N else None
    html_ok = median_html <= BUDGET_MEDIAN_HTML
    largest_ok = largest <= BUDGET_LARGEST_HTML
    check_ok = check_seconds <= check_budget
    rows = [
        ("build, bare Material (wall)", f"{bare_seconds:.2f} s", f"CPU {bare_cpu:.2f} s"),
        ("build, paperkb (wall)", f"{real_seconds:.2f} s", f"CPU {real_cpu:.2f} s"),
        ("ratio paperkb / bare (wall)", f"{ratio:.2f}", f"≤ {BUDGET_RATIO} at N ≥ {BUDGET_RATIO_N:,}: {verdict(ratio_ok)} (median of pairs)"),
        ("ratio paperkb / bare (CPU)", f"{figures['ratio_cpu']:.2f}", "(median of pairs; with paperkb's worker processes and Pagefind, on the other core)"),
        ("ratio of the fastest builds (wall)", f"{figures['ratio_of_minimums']:.2f}", ""),
        ("paper page HTML, median", kb_size(int(median_html)), f"≤ {kb_size(BUDGET_MEDIAN_HTML)}: {verdict(html_ok)}"),
        ("paper page HTML, max", kb_size(max(sizes)), ""),
        ("paper page HTML, bare median", kb_size(int(statistics.median(bare_sizes))), ""),
        ("largest HTML page", kb_size(largest), f"≤ {kb_size(BUDGET_LARGEST_HTML)}: {verdict(largest_ok)} ({largest_path})"),
        (f"related papers, {args.n:,} pages (wall)", f"{related_wall:.2f} s", f"CPU {related_cpu:.2f} s (TF-IDF and top 5, in this process)"),
        ("site size, paperkb", kb_size(tree_size(real / "site")), ""),
        ("site size, bare", kb_size(tree_size(bare / "site")), ""),
        ("search bundle (Pagefind, all chunks), paperkb", kb_size(search_bundle), ""),
        (f"paperkb check, {args.check_pages:,} pages", f"{check_seconds:.2f} s", f"≤ {check_budget:.1f} s: {verdict(check_ok)}"),
    ]
    print("  pairs (bare, paperkb, ratio): " + "; ".join(f"{b[0]:.2f} s, {r[0]:.2f} s, {r[0] / b[0]:.2f}" for b, r in pairs))
    width = max(len(name) for name, _, _ in rows)
    for name, value, budget in rows:
        print(f"  {name:<{width}}  {value:>10}  {budget}")
    blown = [ok for ok in (ratio_ok, html_ok, largest_ok, check_ok) if ok is False]
    print("budgets: " + ("BLOWN" if blown else "all within"))
    return 1 if blown else 0


if __name__ == "__main__":
    sys.exit(main())
