"""``paperkb fill``: write the missing Summary, Key Insights and Why It Matters (the logic: ``paperkb.fill``);
with ``--articles``, the articles' missing per-paper sections (``paperkb.fill.articles``)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path

from paperkb.cli.common import named_pages
from paperkb.fill import backends, llm
from paperkb.fill.articles import ArticlePlanner
from paperkb.fill.filler import (
    DEFAULT_POLL_SECONDS,
    MAX_CONCURRENCY,
    BatchFailed,
    BatchState,
    FillReport,
    Job,
    Planner,
    Session,
    apply,
    persons_note,
    run_batch,
    run_concurrently,
)
from paperkb.fill.fit import fit
from paperkb.fill.llm import FillSettings, Ledger
from paperkb.ingest.add import add_papers
from paperkb.ingest.arxiv_client import ArxivSource, canonical_id
from paperkb.ingest.fulltext import FullTextSource
from paperkb.ingest.page_writer import Ingest
from paperkb.model import config
from paperkb.model.articles import PaperLookup
from paperkb.model.arxiv_ids import parse_arxiv_id
from paperkb.model.pages import Page, PageError, is_missing, iter_page_paths, load_page, real_path
from paperkb.model.vocab import Vocabulary, load_vocabulary


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fill",
        help="write missing Summary / Key Insights / Why It Matters with an LLM (Claude, or any OpenAI-compatible server)",
        description="Write the missing Summary, Key Insights and Why It Matters of pages with the model of [tool.paperkb.fill] "
        '(Claude by default; provider = "openai" and base_url for Ollama, vLLM, llama.cpp or a router); change nothing else.',
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="pages or folders (default: every page)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be filled, with token and cost estimates; needs no API key")
    parser.add_argument("--limit", type=int, metavar="N", help="fill at most N pages")
    parser.add_argument("--model", metavar="M", help="model id (default: [tool.paperkb.fill] model)")
    parser.add_argument(
        "--stale", action="store_true", help="rewrite only the machine-written sections a newer arXiv version outdates (marked by add --refresh or sync)"
    )
    parser.add_argument("--language", metavar="NAME", help="write the sections in this language (default: [tool.paperkb.fill] language, English)")
    parser.add_argument("--concurrency", type=int, metavar="K", help=f"requests in flight, 1-{MAX_CONCURRENCY} (default: config, 4)")
    parser.add_argument("--batch", action="store_true", help="use the Message Batches API (half price, slower); resumes a pending batch")
    parser.add_argument("--max-cost", type=float, metavar="USD", help="stop starting requests once the estimated cost would exceed USD")
    parser.add_argument(
        "--abstract-only", action="store_true",
        help="write from the page alone (abstract, notes): fetch no full text or abstract from arXiv (as full_text = false)",
    )  # fmt: skip
    parser.add_argument(
        "--articles", action="store_true",
        help="fill articles instead (content/articles/): each covered paper's missing section, from that paper's page",
    )  # fmt: skip
    parser.add_argument("--poll-seconds", type=float, default=DEFAULT_POLL_SECONDS, metavar="S", help="with --batch: how often to check the batch")
    parser.set_defaults(func=run)


def _usage_error(message: str) -> int:
    print(f"paperkb fill: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, kb: config.KnowledgeBase) -> int:
    settings = FillSettings.from_table(kb.section("fill"), f"{kb.relative(kb.root / 'pyproject.toml')} [tool.paperkb.fill]")
    model = args.model or settings.model
    settings = settings.for_model(model)
    if args.language is not None:
        try:
            settings = replace(settings, language=llm.check_language(args.language, "--language"))
        except config.ConfigError as exc:
            return _usage_error(str(exc))
    if args.batch and args.stale:
        return _usage_error("--stale and --batch cannot be combined; run 'paperkb fill --stale' without --batch")
    if args.articles and (args.batch or args.stale):
        return _usage_error("--articles cannot be combined with --batch or --stale; run 'paperkb fill --articles' alone")
    if args.batch and settings.provider != "anthropic":
        return _usage_error(f"--batch uses Anthropic's Message Batches API; [tool.paperkb.fill] provider is {settings.provider!r}")
    concurrency = settings.concurrency if args.concurrency is None else args.concurrency  # 0 is an error, not "unset"
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        return _usage_error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}, not {concurrency}")
    if args.limit is not None and args.limit < 0 or args.max_cost is not None and args.max_cost < 0:
        return _usage_error("--limit and --max-cost must not be negative")
    api_key = None
    if not args.dry_run:
        try:
            api_key = backends.api_key(settings)  # before any work
        except llm.MissingApiKey as exc:
            return _usage_error(str(exc))
    folder = kb.articles_dir if args.articles else kb.papers_dir
    named = named_pages(args, kb, folder)  # a page named twice (a folder and a file in it) is filled once
    if named is None:
        return 2
    articles = real_path(kb.articles_dir)
    for path in named:  # an article filled as a paper page would get a Summary, Key Insights, ... of its own
        if (real_path(path).parent == articles) != args.articles:
            what = "not an article: fill it without --articles" if args.articles else "an article: fill it with --articles"
            return _usage_error(f"{kb.relative(path)} is {what}")

    vocab = load_vocabulary(kb.topics_file, kb.labs_file)
    if args.articles:
        return run_articles(args, kb, settings, model, vocab, named if args.paths else iter_page_paths(kb.articles_dir), concurrency, api_key)
    planner = Planner(settings, model, vocab, stale=args.stale)
    report = FillReport()
    paths = named if args.paths else iter_page_paths(kb.papers_dir)
    arxiv = Arxiv(kb)
    reads_arxiv = settings.full_text and not args.abstract_only  # else fill uses only what the page holds
    if reads_arxiv and not args.dry_run:
        fetch_missing_abstracts(kb, arxiv, paths)
    jobs = plan_jobs(kb, planner, paths, report, args)
    if reads_arxiv:
        jobs = with_full_texts(kb, arxiv, planner, jobs, report, args.dry_run)
    else:
        jobs = [job for job in jobs if not outdated_input(kb, job, report)]
    planner.estimate(jobs, batch=args.batch)
    if args.dry_run:
        return dry_run(kb, planner, jobs, report, args)

    ledger = Ledger(settings, args.max_cost)
    pending_batch = BatchState(kb).load() if args.batch else None
    if not jobs and pending_batch is None:
        print_fill_report(kb, report, ledger, model)
        return 1 if report.failed else 0
    assert api_key is not None, "only --dry-run runs without a key, and it has returned"
    guard = llm.RequestGuard(settings)
    session = Session(backends.make_backend(settings, api_key, guard), settings, planner, ledger, guard)
    today = dt.date.today()
    if args.batch:
        try:
            run_batch(session, jobs, args.poll_seconds, report, kb, today)
        except BatchFailed as exc:  # results read before the failure were applied (each page complete)
            print(f"paperkb fill: {exc}", file=sys.stderr)
            return 1
    else:
        run_concurrently(session, jobs, concurrency, lambda outcome: apply(outcome, report, kb, today), report, kb)
    print_fill_report(kb, report, ledger, model)
    return 1 if report.failed else 0


def run_articles(
    args: argparse.Namespace,
    kb: config.KnowledgeBase,
    settings: FillSettings,
    model: str,
    vocab: Vocabulary,
    paths: list[Path],
    concurrency: int,
    api_key: str | None,
) -> int:
    """--articles: the articles' missing per-paper sections, written from the covered paper pages as they are
    (no arXiv: the pages are the input), with paper fill's session, ledger and writer."""
    papers = PaperLookup([page for path in iter_page_paths(kb.papers_dir) if (page := _load_or_none(path)) is not None])
    planner = ArticlePlanner(settings, model, vocab, papers)
    report = FillReport()
    jobs = plan_jobs(kb, planner, paths, report, args)
    planner.estimate(jobs, batch=False)
    if args.dry_run:
        return dry_run(kb, planner, jobs, report, args)
    ledger = Ledger(settings, args.max_cost)
    if jobs:
        assert api_key is not None, "only --dry-run runs without a key, and it has returned"
        guard = llm.RequestGuard(settings)
        session = Session(backends.make_backend(settings, api_key, guard), settings, planner, ledger, guard)
        today = dt.date.today()
        run_concurrently(session, jobs, concurrency, lambda outcome: apply(outcome, report, kb, today, planner), report, kb)
    print_fill_report(kb, report, ledger, model)
    return 1 if report.failed else 0


def _load_or_none(path: Path) -> Page | None:
    """A paper page to look covered papers up in; one that does not read is check's to report, not fill's."""
    try:
        return load_page(path)
    except PageError:
        return None


class Arxiv:
    """The run's one arXiv client, made when first needed (a run with nothing to fetch never makes one)."""

    def __init__(self, kb: config.KnowledgeBase):
        self.kb = kb
        self._source: ArxivSource | None = None

    @property
    def source(self) -> ArxivSource:
        if self._source is None:
            self._source = ArxivSource.for_kb(self.kb)
        return self._source


def _arxiv_id(page: Page) -> tuple[str, int | None] | None:
    """(version-free ID, version) of a page: the version in ``arxiv`` if it has one, else ``version``."""
    parsed = parse_arxiv_id(str(page.meta.get("arxiv") or ""))
    if parsed is None:
        return None
    version = parsed.version or page.meta.get("version")
    return canonical_id(parsed.id), version if isinstance(version, int) and not isinstance(version, bool) and version > 0 else None


def fetch_missing_abstracts(kb: config.KnowledgeBase, arxiv: Arxiv, paths: list[Path]) -> None:
    """Pages that lack sections and their abstract, with an arXiv ID, get it from arXiv first (as ``add --refresh``
    would: the keys arXiv owns that are absent or still arXiv's), so no such paper is skipped for lack of input."""
    wanted: list[str] = []
    for path in paths:
        try:
            page = load_page(path)
        except PageError:
            continue  # reported by plan_jobs
        abstract = page.meta.get("abstract")
        paper = _arxiv_id(page)
        if paper is not None and page.missing_sections() and (not isinstance(abstract, str) or is_missing(abstract)):
            wanted.append(paper[0])
    if not wanted:
        return
    report = add_papers(Ingest(kb), arxiv.source, wanted, refresh=True)
    for item in report.refreshed:
        if "abstract" in item["updated"]:
            print(f"abstract {item['path']}: fetched from arXiv", flush=True)
    for problem in [*report.errors, *(f"{i} is not on arXiv" for i in report.not_found)]:
        print(f"paperkb fill: no abstract from arXiv: {problem}", file=sys.stderr)


def with_full_texts(kb: config.KnowledgeBase, arxiv: Arxiv, planner: Planner, jobs: list[Job], report: FillReport, dry_run: bool) -> list[Job]:
    """Each job of a page with an arXiv ID, planned again with the paper's full text (fitted to the budget); a
    job whose full text cannot be had keeps the abstract and is listed. A dry run fetches nothing: it uses what is
    cached and estimates the rest at the budget."""
    wanted: dict[Path, tuple[str, int | None]] = {}
    for job in jobs:
        paper = _arxiv_id(load_page(job.path))
        if paper is not None:
            wanted[job.path] = (paper[0], job.wanted_version or paper[1])  # --stale: the newer version
    if not wanted:
        return jobs
    texts = FullTextSource(kb, None if dry_run else arxiv.source)
    outcome = texts.cached(wanted.values()) if dry_run else texts.get(wanted.values())
    settings = planner.settings
    planned: list[Job] = []
    for job in jobs:
        paper = wanted.get(job.path)
        full = outcome.texts.get(paper[0]) if paper is not None else None
        shown = kb.relative(job.path)
        if full is None:
            if paper is not None and dry_run:
                job.unfetched = settings.input_budget_tokens
            elif paper is not None and job.wanted_version is not None and (job.version or 0) < job.wanted_version:
                # --stale without v<n>'s text: the page's abstract is an older version's; writing from it changes nothing
                reason = outcome.missing.get(paper[0], "not fetched")
                report.skipped.append((shown, f"no full text of v{job.wanted_version} ({reason}); "
                                              "run 'paperkb add --refresh' for its abstract, then fill --stale --abstract-only"))  # fmt: skip
                continue
            elif paper is not None:
                reason = outcome.missing.get(paper[0], "not fetched")
                report.abstract_only.append((shown, reason))
                print(f"abstract only {shown}: no full text ({reason})", flush=True)
            planned.append(job)
            continue
        again = planner.plan(load_page(job.path), fit(full, settings.input_budget_tokens, llm.CHARS_PER_TOKEN))
        planned.append(again if isinstance(again, Job) else job)
    if not dry_run:
        print(f"full text: {len(outcome.texts)} of {len(wanted)} paper(s) ({outcome.cached} from the cache, "
              f"{outcome.fetched} document(s) fetched from arXiv)", flush=True)  # fmt: skip
    return planned


def outdated_input(kb: config.KnowledgeBase, job: Job, report: FillReport) -> bool:
    """--stale from the page alone: whether the page itself is still an older version than the one to write from."""
    if job.wanted_version is None or (job.version or 0) >= job.wanted_version:
        return False
    report.skipped.append((kb.relative(job.path), f"the page is still at v{job.version or '?'} (v{job.wanted_version} is out); "
                                                  "run 'paperkb add --refresh' first, or fill --stale with the full text"))  # fmt: skip
    return True


def plan_jobs(kb: config.KnowledgeBase, planner: Planner, paths: list[Path], report: FillReport, args: argparse.Namespace) -> list[Job]:
    in_batch = set() if args.batch else BatchState(kb).pending_paths()
    jobs: list[Job] = []
    for path in paths:
        try:
            page = load_page(path)
        except PageError as exc:
            report.failed.append((kb.relative(exc.path), f"line {exc.line}: {exc.message}"))
            continue
        if path.resolve() in in_batch:
            report.skipped.append((kb.relative(path), "waiting in a pending batch; collect it with 'paperkb fill --batch'"))
            continue
        planned = planner.plan(page)
        if isinstance(planned, str):
            report.skipped.append((kb.relative(path), planned))
        elif planned is not None:
            jobs.append(planned)
            if planned.kept:
                report.skipped.append((kb.relative(path), persons_note(planned.kept)))
            if planned.note:
                report.skipped.append((kb.relative(path), planned.note))
    if args.limit is not None and len(jobs) > args.limit:
        report.not_started += [kb.relative(job.path) for job in jobs[args.limit :]]
        report.note = f"--limit {args.limit}: {len(jobs) - args.limit} page(s) left for a later run"
        jobs = jobs[: args.limit]
    return jobs


def dry_run(kb: config.KnowledgeBase, planner: Planner, jobs: list[Job], report: FillReport, args: argparse.Namespace) -> int:
    for job in jobs:
        triage = f" + {', '.join(job.triage)}" if job.triage else ""
        label = f"{job.paper.label}; full text not fetched by --dry-run, counted at the {job.unfetched:,}-token budget" if job.unfetched else job.paper.label
        print(f"would fill {kb.relative(job.path)}: {', '.join(job.titles)}{triage} "
              f"(input: {label}; ~{job.est_input:,} tokens in, ~{job.est_output:,} out)")  # fmt: skip
    for shown, reason in report.skipped:
        print(f"skip {shown}: {reason}")
    for shown, reason in report.failed:
        print(f"error {shown}: {reason}")
    prefix = llm.estimate_tokens("".join(block["text"] for block in planner.system))
    total = sum(job.estimate for job in jobs)
    mode = "batch (half price)" if args.batch else "standard"
    print(
        f"{len(jobs)} page(s) to fill with {planner.model}: ~{sum(j.est_input for j in jobs):,} input tokens "
        f"(a ~{prefix:,}-token prefix, cached after the first request), ~{sum(j.est_output for j in jobs):,} output tokens; "
        f"estimated cost ${total:.4f} ({mode})"
    )
    if report.note:
        print(report.note)
    return 0


def print_fill_report(kb: config.KnowledgeBase, report: FillReport, ledger: Ledger, model: str) -> None:
    t = ledger.totals
    print(f"fill: {len(report.filled)} filled, {len(report.failed)} failed, {len(report.skipped)} skipped, {len(report.not_started)} not started")
    for shown, reason in report.failed:
        print(f"  failed  {shown}: {reason}")
    for shown, reason in report.skipped:
        print(f"  skipped {shown}: {reason}")
    for shown, reason in report.abstract_only:
        print(f"  abstract only {shown}: no full text ({reason})")
    if report.note:
        print(f"  {report.note}")
    print(f"tokens: {t.input:,} input, {t.output:,} output, {t.cache_read:,} cache read, {t.cache_write:,} cache write ({t.requests} request(s))")
    unpriced = f"; no prices for {model} in [tool.paperkb.fill.prices], counted as free" if ledger.settings.unpriced else ""
    print(f"cost: ${ledger.spent:.4f} at the configured prices ({ledger.settings.provider}: {model}{unpriced})")
