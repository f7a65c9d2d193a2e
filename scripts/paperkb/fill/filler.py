"""``paperkb fill``: write the missing Summary, Key Insights and Why It Matters with Claude.

Scripts fill in what is missing; people own what they wrote. For every page with a missing required section
(absent, empty or a placeholder) fill asks Claude (see :mod:`paperkb.llm`) for exactly those sections, plus
priority, topics and labs when the page has none, validates the answer, and writes only:

- the missing sections, in canonical order, replacing their placeholders;
- ``generated.<section>`` records (model, date, input, sha256 of the text as written), merged into the map;
- triage keys the page lacked, and ``status: todo`` -> ``draft`` once nothing required is missing.

A missing section that has a ``generated`` record was edited by a person after the machine wrote it (the hash
no longer matches), so it is theirs and fill leaves it. Each page is written once, atomically, from the main
thread: an interrupted run leaves every page untouched or completely updated.

``--batch`` sends the requests through the Message Batches API (half price) and keeps the batch id in
``.paperkb-state/fill-batch.json`` so that an interrupted run resumes polling instead of paying twice.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from paperkb.fill import llm
from paperkb.fill.backends import Backend
from paperkb.fill.fit import Fitted
from paperkb.fill.llm import FillSettings, Generated, Ledger, PaperInput, Refused
from paperkb.model import config
from paperkb.model.deadline import excerpt
from paperkb.model.facts import stale_sections, stale_version
from paperkb.model.pages import (
    REQUIRED_SECTIONS,
    SECTION_KEYS,
    SECTION_TITLES,
    Page,
    PageError,
    atomic_write,
    is_missing,
    load_page,
    parse_page,
    section_hash,
    set_keys,
    set_map_entries,
    set_scalar,
    set_section,
    write_page,
)
from paperkb.model.vocab import Vocabulary

STATE_FILE = Path(".paperkb-state") / "fill-batch.json"
MAX_CONCURRENCY = 16
DEFAULT_POLL_SECONDS = 30.0


# -- what to do with each page --------------------------------------------------------------------------------
@dataclass
class Job:
    """One page to fill: which sections and triage keys, and the request that asks for them."""

    path: Path
    sections: list[str]  # section keys, canonical order
    triage: list[str]
    paper: PaperInput
    params: dict[str, Any]
    estimate: float = 0.0  # dollars
    est_input: int = 0
    est_output: int = 0
    kept: list[str] = field(default_factory=list)  # missing sections that are a person's (left alone)
    version: int | None = None  # the arXiv version the input is from (the full text's, else the page's)
    unfetched: int = 0  # --dry-run: tokens of full text not fetched, counted in the estimate at the budget
    replace: list[str] = field(default_factory=list)  # --stale: machine-written sections to write again
    wanted_version: int | None = None  # --stale: the newer version to write them from
    note: str | None = None  # said about the page in the report (stale sections a person edited)
    # An article (paperkb.fill.articles): each section's title and its own input, which its numbers are checked
    # against and its generated record names; empty for a paper page, whose sections are the required ones.
    section_titles: dict[str, str] = field(default_factory=dict)
    sources: dict[str, PaperInput] = field(default_factory=dict)

    def title_of(self, key: str) -> str:
        return self.section_titles.get(key) or SECTION_TITLES[key]

    @property
    def titles(self) -> list[str]:
        return [self.title_of(key) for key in self.sections]


@dataclass
class Outcome:
    job: Job
    generated: Generated | None = None
    model: str = ""
    reason: str | None = None
    provider: str = "anthropic"
    language: str = llm.DEFAULT_LANGUAGE


@dataclass
class FillReport:
    filled: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    note: str | None = None
    abstract_only: list[tuple[str, str]] = field(default_factory=list)  # full text wanted but not had, and why


def edited_stale_note(page: Page, keys: list[str]) -> str:
    titles = ", ".join(SECTION_TITLES[key] for key in keys)
    newer = max(version for key in keys if (version := stale_version(page, key)) is not None)
    return (
        f"{titles} was written from an older version (v{newer} is out) but a person has edited it since: theirs, "
        f"left alone (update it by hand, or delete its generated record to let fill write it)"
    )


def written_version(page: Page) -> int | None:
    version = page.meta.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def persons_note(keys: list[str]) -> str:
    names = ", ".join(f"generated.{key}" for key in keys)
    return (
        f"{', '.join(SECTION_TITLES[k] for k in keys)} changed after it was generated, so it is a person's; "
        f"fill leaves it (delete {names} from the front matter to let fill write it)"
    )


def lacks(value: Any) -> bool:
    return value is None or value == "" or value == []


class Planner:
    """Turns pages into jobs (or reasons to leave them alone)."""

    def __init__(self, settings: FillSettings, model: str, vocab: Vocabulary, stale: bool = False):
        self.settings = settings
        self.stale = stale  # --stale: rewrite the stale machine-written sections, nothing else
        self.model = model
        self.vocab = vocab
        self.system = llm.system_blocks(vocab, settings.language)

    def plan(self, page: Page, full: Fitted | None = None) -> Job | str | None:
        """A job, a reason to skip the page, or None when nothing is missing; ``full``: the paper's fitted full text."""
        if self.stale:
            return self.plan_stale(page, full)
        missing = [SECTION_KEYS[title] for title in page.missing_sections()]
        if not missing:
            return None
        persons = [key for key in missing if page.generated_record(key) is not None]
        writable = [key for key in missing if key not in persons]
        if not writable:
            return persons_note(persons)
        paper = llm.paper_input(page, full)
        if paper is None:
            return "no abstract or '## Notes' to write from; add 'abstract: |' to the front matter or a '## Notes' section"
        triage = [key for key in llm.TRIAGE_KEYS if lacks(page.meta.get(key))]
        job = self.job(page.path, writable, triage, paper)
        job.kept = persons
        job.version = full.version if full is not None else written_version(page)
        return job

    def plan_stale(self, page: Page, full: Fitted | None) -> Job | str | None:
        """A job rewriting the page's stale sections (still as the machine wrote them, from an older version)."""
        keys = stale_sections(page)
        edited = [key for key, _ in REQUIRED_SECTIONS if key not in keys and stale_version(page, key) is not None]
        note = edited_stale_note(page, edited) if edited else None
        if not keys:
            return note
        paper = llm.paper_input(page, full, rewrite=keys)
        if paper is None:  # pragma: no cover - a machine-written section always had an input
            return "nothing to write from"
        job = self.job(page.path, keys, [], paper)
        job.replace = keys
        job.note = note
        job.wanted_version = max(version for key in keys if (version := stale_version(page, key)) is not None)
        job.version = full.version if full is not None else written_version(page)
        return job

    def job(self, path: Path, sections: list[str], triage: list[str], paper: PaperInput, model: str | None = None) -> Job:
        schema = llm.output_schema(sections, triage, self.vocab)
        triage = [key for key in triage if key in schema["properties"]]
        params = llm.request_params(self.settings, model or self.model, self.system, paper, schema, self.task(sections, triage))
        return Job(path, sections, triage, paper, params)

    @staticmethod
    def task(sections: list[str], triage: list[str]) -> str:
        return llm.task_text(sections, triage)

    def validate(self, data: dict[str, Any], job: Job) -> tuple[Generated, list[str]]:
        """What of an answer may be written, and its problems (any problem means: write nothing)."""
        return llm.validate(data, job.sections, job.triage, self.vocab, job.paper.text)

    def compose(self, page: Page, outcome: Outcome, today: dt.date) -> tuple[str, list[str]]:
        """The page's new text with the outcome written, and the section keys written (see :func:`compose`)."""
        assert outcome.generated is not None
        return compose(page, outcome.generated, provenance(outcome), today, outcome.job.replace)

    def estimate(self, jobs: list[Job], batch: bool) -> None:
        for number, job in enumerate(jobs):
            tokens_in, tokens_out, dollars = llm.estimate_request(self.settings, self.system, job.params, cached=number > 0)
            tokens_in += job.unfetched
            dollars += job.unfetched * self.settings.price_input_per_mtok / 1_000_000
            job.est_input, job.est_output, job.estimate = tokens_in, tokens_out, dollars / 2 if batch else dollars


# -- writing a page -------------------------------------------------------------------------------------------
def provenance(outcome: Outcome) -> dict[str, Any]:
    """What a ``generated`` record says about how its section was written (date and sha256 are added by compose)."""
    record: dict[str, Any] = {"model": outcome.model, "provider": outcome.provider, "input": outcome.job.paper.label}
    if outcome.job.version is not None:
        record["version"] = outcome.job.version
    record["language"] = outcome.language
    return record


def compose(page: Page, generated: Generated, written_by: dict[str, Any], today: dt.date, replace: Collection[str] = ()) -> tuple[str, list[str]]:
    """The page's new text and the section keys written; only sections still missing and not a person's, and
    those in ``replace`` that are still stale and as the machine wrote them (their records are replaced whole)."""
    written: dict[str, str] = {}
    for key, title in REQUIRED_SECTIONS:
        content = generated.sections.get(key)
        if content is None:
            continue
        if key in replace:
            if key not in stale_sections(page):
                continue  # a person edited it during the run, or it was rewritten already
        elif not is_missing(page.section_text(title)) or page.generated_record(key) is not None:
            continue
        page = parse_page(page.path, set_section(page, title, content))
        written[key] = content
    if not written:
        return page.text, []
    first = {key: written_by[key] for key in ("model", "provider") if key in written_by}
    records = {key: {**first, "date": today, **written_by, "sha256": section_hash(content)} for key, content in written.items()}
    page = parse_page(page.path, set_map_entries(page, "generated", records))
    triage = {key: value for key, value in generated.triage.items() if lacks(page.meta.get(key))}
    if triage:
        page = parse_page(page.path, set_keys(page, triage))
    if page.meta.get("status") == "todo" and not page.missing_sections():
        page = parse_page(page.path, set_scalar(page, "status", "draft"))
    if not all(page.is_machine_written(key) for key in written):  # pragma: no cover - a guard on pages.py
        raise RuntimeError("a written section does not match its generated record; please report this")
    return page.text, list(written)


def apply(outcome: Outcome, report: FillReport, kb: config.KnowledgeBase, today: dt.date, planner: Planner | None = None) -> None:
    """Write one result (from the main thread only) and record it in the report; ``planner`` composes the new
    text (an article's planner writes an article; by default a paper page is written)."""
    job = outcome.job
    shown = kb.relative(job.path)
    if outcome.generated is None:
        report.failed.append((shown, outcome.reason or "no answer"))
        print(f"failed  {shown}: {outcome.reason}", flush=True)
        return
    try:
        page = load_page(job.path)  # as it is now: a person may have edited it during the run
    except (PageError, OSError) as exc:
        report.failed.append((shown, f"could not re-read the page: {exc}"))
        return
    try:
        if planner is not None:
            text, written = planner.compose(page, outcome, today)
        else:
            text, written = compose(page, outcome.generated, provenance(outcome), today, job.replace)
    except RuntimeError as exc:  # pragma: no cover - compose's own consistency guard
        report.failed.append((shown, str(exc)))
        return
    if not written:
        report.skipped.append((shown, "its sections were written by someone else during the run"))
        return
    write_page(page, text)
    report.filled.append(shown)
    extra = [key for key in outcome.generated.triage if lacks(page.meta.get(key))]
    what = ", ".join(job.title_of(key) for key in written) + (f"; {', '.join(extra)}" if extra else "")
    print(f"filled  {shown}: {what}", flush=True)


# -- talking to the API ---------------------------------------------------------------------------------------
class Session:
    """The backend (the model's API), settings and ledger shared by the requests of a run."""

    def __init__(self, backend: Backend, settings: FillSettings, planner: Planner, ledger: Ledger, guard: llm.RequestGuard):
        self.backend = backend
        self.client: Any = backend.client  # --batch: the Anthropic client's Message Batches
        self.settings = settings
        self.planner = planner
        self.ledger = ledger
        self.guard = guard  # bounds every request; cancel_all() on Ctrl-C
        # Set on an error every other request would meet too (a refused key, an API that does not answer or asks
        # to wait too long): no point starting more requests.
        self.abort: str | None = None

    def create(self, params: dict[str, Any], estimate: float) -> Any:
        """One request (the SDK retries 408/429/5xx/529, honouring retry-after); settles the ledger."""
        message = None
        try:
            message = self.backend.send(params)
            return message
        finally:
            usage = self.backend.usage(message) if message is not None else None
            self.ledger.settle(estimate, usage)

    def finish(self, job: Job, message: Any) -> Outcome:
        """Validate an answer; on problems, ask once more with the reasons; never raises."""
        try:
            generated, problems, reply = self.check(job, message)
            if not problems:
                return self.outcome(job, generated, reply)
            if reply.truncated:
                return Outcome(job, reason="; ".join(problems))
            params = llm.request_params(
                self.settings, job.params["model"], self.planner.system, job.paper,
                job.params["output_config"]["format"]["schema"], self.planner.task(job.sections, job.triage),
                retry=(reply.text, problems),
            )  # fmt: skip
            _, _, estimate = llm.estimate_request(self.settings, self.planner.system, params, cached=True)
            if not self.ledger.reserve(estimate):
                return Outcome(job, reason=f"invalid answer ({'; '.join(problems)}); retry not started: --max-cost reached")
            retried = self.create(params, estimate)
            generated, again, reply = self.check(job, retried)
            if again:
                return Outcome(job, reason="invalid answer after one retry: " + "; ".join(again))
            return self.outcome(job, generated, reply)
        except Refused as exc:
            return Outcome(job, reason=str(exc))
        except Exception as exc:  # noqa: BLE001 - one paper failing never stops the others
            return Outcome(job, reason=self.describe_error(exc))

    def outcome(self, job: Job, generated: Generated, reply: llm.Reply) -> Outcome:
        model = llm.model_name(reply.model, job.params["model"])
        return Outcome(job, generated, model, provider=self.backend.provider, language=self.settings.language)

    def check(self, job: Job, message: Any) -> tuple[Generated, list[str], llm.Reply]:
        reply = self.backend.read(message)
        if reply.data is None:
            return Generated(), reply.problems, reply
        generated, problems = self.planner.validate(reply.data, job)
        return generated, problems, reply

    def run_job(self, job: Job) -> Outcome:
        """Worker: the first request (already reserved by the caller), then validation and the retry."""
        try:
            message = self.create(job.params, job.estimate)
        except Exception as exc:  # noqa: BLE001
            return Outcome(job, reason=self.describe_error(exc))
        return self.finish(job, message)

    def describe_error(self, exc: Exception) -> str:
        """One line saying what went wrong (what the server answered, when it answered); sets ``abort`` when no
        other request of the run can be expected to do better."""
        message, stops = self.backend.describe_error(exc)
        if stops:
            self.abort = self.abort or message
        return message


def run_concurrently(
    session: Session, jobs: list[Job], concurrency: int, on_outcome: Callable[[Outcome], None], report: FillReport, kb: config.KnowledgeBase
) -> None:
    """At most ``concurrency`` requests in flight; results are applied here, in the main thread."""
    queue = deque(jobs)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fill")
    pending: set[Future[Outcome]] = set()

    def refill() -> None:
        while queue and len(pending) < concurrency and session.abort is None:
            if not session.ledger.reserve(queue[0].estimate):
                report.note = f"--max-cost {session.ledger.max_cost:g} reached: stopped starting new requests"
                return
            pending.add(pool.submit(session.run_job, queue.popleft()))

    try:
        refill()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            refill()  # keep every slot busy while this thread writes pages
            for future in done:
                on_outcome(future.result())
            refill()  # an abort or a settled cost may have changed what can start
        report.not_started += [kb.relative(job.path) for job in queue]
        if session.abort and queue:
            report.note = f"stopped: {session.abort}"
    except BaseException:
        # Ctrl-C: drop what has not started and end the requests in flight now (their answers are not written),
        # so the worker threads, which the interpreter joins at exit, finish at once.
        session.guard.cancel_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


# -- batches --------------------------------------------------------------------------------------------------
class BatchState:
    """The pending batch, in a small JSON file, so a second run never submits the same pages again."""

    def __init__(self, kb: config.KnowledgeBase):
        self.path = kb.root / STATE_FILE
        self.kb = kb

    def load(self) -> dict[str, Any] | None:
        if not self.path.is_file():
            return None
        try:
            state = json.loads(self.path.read_text("utf-8"))
        except ValueError as exc:
            raise config.ConfigError(f"{self.path}: unreadable batch state ({exc}); if no batch is pending, delete the file and run again") from None
        problem = state_problem(state)
        if problem:
            raise config.ConfigError(f"{self.path}: not a fill batch state ({problem}); delete it if no batch is pending")
        return state

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(state, indent=2, ensure_ascii=False) + "\n")

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def pending_paths(self) -> set[Path]:
        state = self.load()
        if not state:
            return set()
        return {(self.kb.root / entry["path"]).resolve() for entry in state["requests"].values()}


#: What each request of a saved batch must hold (written by submit_batch, read when results arrive).
STATE_FIELDS: dict[str, type] = {"id": str, "model": str, "requests": dict}
STATE_ENTRY_FIELDS: dict[str, type] = {"path": str, "sections": list, "triage": list, "input": str, "label": str}


def state_problem(state: Any) -> str | None:
    """Why ``state`` is not what submit_batch saves, or None; checked before anything trusts its fields."""
    if not isinstance(state, dict):
        return f"a JSON {type(state).__name__}, not an object"
    for name, kind in STATE_FIELDS.items():
        if not isinstance(state.get(name), kind):
            return f"'{name}' is missing or not a {kind.__name__}"
    for cid, entry in state["requests"].items():
        if not isinstance(entry, dict):
            return f"request {cid!r} is not an object"
        for name, kind in STATE_ENTRY_FIELDS.items():
            if not isinstance(entry.get(name), kind):
                return f"request {cid!r}: '{name}' is missing or not a {kind.__name__}"
    return None


def custom_id(number: int, path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"p{number:05d}-{path.stem}")[:64]


def submit_batch(session: Session, jobs: list[Job], state: BatchState, report: FillReport, kb: config.KnowledgeBase) -> dict[str, Any] | None:
    affordable: list[Job] = []
    for job in jobs:
        if not session.ledger.reserve(job.estimate):
            report.note = f"--max-cost {session.ledger.max_cost:g} reached: {len(jobs) - len(affordable)} page(s) not submitted"
            report.not_started += [kb.relative(j.path) for j in jobs[len(affordable) :]]
            break
        affordable.append(job)
    if not affordable:
        return None
    ids = {custom_id(number, job.path): job for number, job in enumerate(affordable)}
    batch = session.client.messages.batches.create(requests=[{"custom_id": cid, "params": job.params} for cid, job in ids.items()])
    record = {
        "id": batch.id,
        "model": session.planner.model,
        "submitted": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "requests": {
            cid: {
                "path": job.path.resolve().relative_to(kb.root.resolve()).as_posix(),
                "sections": job.sections,
                "triage": job.triage,
                "input": job.paper.text,
                "label": job.paper.label,
                "version": job.version,
                "estimate": job.estimate,
            }
            for cid, job in ids.items()
        },
    }
    state.save(record)
    print(f"submitted batch {batch.id} with {len(ids)} request(s); state in {kb.relative(state.path)}", flush=True)
    return record


def collect_batch(session: Session, record: dict[str, Any], poll_seconds: float, report: FillReport, kb: config.KnowledgeBase, today: dt.date) -> None:
    """Poll until the batch has ended, then apply each result as it is read."""
    batch_id = record["id"]
    batches = session.client.messages.batches
    batch = batches.retrieve(batch_id)
    while batch.processing_status != "ended":
        counts = batch.request_counts
        print(
            f"batch {batch_id}: {batch.processing_status} ({counts.processing} processing, {counts.succeeded} done); checking again in {poll_seconds:g}s",
            flush=True,
        )
        time.sleep(poll_seconds)
        batch = batches.retrieve(batch_id)
    seen = set()
    for item in batches.results(batch_id):
        entry = record["requests"].get(item.custom_id)
        if entry is None or item.custom_id in seen:
            continue
        seen.add(item.custom_id)
        handle_batch_result(session, record["model"], entry, item.result, report, kb, today)


def handle_batch_result(session: Session, model: str, entry: dict[str, Any], result: Any, report: FillReport, kb: config.KnowledgeBase, today: dt.date) -> None:
    path = kb.root / entry["path"]
    try:
        page = load_page(path)
    except (PageError, OSError) as exc:
        report.failed.append((kb.relative(path), f"could not re-read the page: {exc}"))
        return
    if not any(key in entry["sections"] for key in (SECTION_KEYS[t] for t in page.missing_sections())):
        return  # applied by an earlier, interrupted run (or written by a person since): nothing to do, nothing billed now
    job = session.planner.job(path, entry["sections"], entry["triage"], PaperInput(entry["input"], entry["label"]), model)
    version = entry.get("version")
    job.version = version if isinstance(version, int) and not isinstance(version, bool) else None
    if result.type == "succeeded":
        session.ledger.settle(entry.get("estimate", 0.0), llm.Usage.from_api(result.message.usage, batch=True))
        outcome = session.finish(job, result.message)
    elif result.type == "errored":
        session.ledger.settle(entry.get("estimate", 0.0), None)
        error = result.error.error
        outcome = Outcome(job, reason=f"batch request errored: {error.type}: {error.message}; run fill again")
    else:
        session.ledger.settle(entry.get("estimate", 0.0), None)
        outcome = Outcome(job, reason=f"batch request {result.type}; run fill again")
    apply(outcome, report, kb, today)


class BatchFailed(Exception):
    """A batch call failed as a whole (after the SDK's retries); the message is the one line to print."""


def batch_errors() -> tuple[type[BaseException], ...]:
    """What a batch call can fail with: the SDK's errors, the request guard's, and httpx's while the results
    stream in (the SDK hands that stream over unwrapped)."""
    import anthropic

    return (anthropic.APIError, anthropic.RetryableError, *llm.RUN_STOPPERS, httpx2.HTTPError)


def batch_failure(session: Session, exc: BaseException, state: BatchState) -> str:
    """One line for a batch call that failed (results already read were applied, each page complete)."""
    import anthropic

    if isinstance(exc, anthropic.APIConnectionError):
        message = f"could not reach the API at {session.client.base_url}; check the network or ANTHROPIC_BASE_URL"
    elif isinstance(exc, httpx2.HTTPError):
        message = f"the batch results broke off ({type(exc).__name__}: {excerpt(str(exc).encode(), 200)})"
    else:
        message = session.describe_error(exc) if isinstance(exc, Exception) else str(exc)
    if state.path.is_file():
        message += "; the batch is still pending: run 'paperkb fill --batch' again to collect it"
    return message


def run_batch(session: Session, jobs: list[Job], poll_seconds: float, report: FillReport, kb: config.KnowledgeBase, today: dt.date) -> None:
    """Submit (or resume) the batch and apply its results; raises :class:`BatchFailed` with the line to print."""
    state = BatchState(kb)
    record = state.load()
    try:
        if record is not None:
            print(f"resuming batch {record['id']} (submitted {record.get('submitted', '?')}, {len(record['requests'])} request(s)); "
                  "new pages wait for the next run", flush=True)  # fmt: skip
        else:
            record = submit_batch(session, jobs, state, report, kb)
            if record is None:
                return
        collect_batch(session, record, poll_seconds, report, kb, today)
    except KeyboardInterrupt:
        if record is None:
            raise
        # Its text is the one line the command prints: what the interruption left, and what to do.
        raise KeyboardInterrupt(
            f"batch {record['id']} is still pending; run 'paperkb fill --batch' again to collect it (it will not be submitted twice)"
        ) from None
    except batch_errors() as exc:
        raise BatchFailed(batch_failure(session, exc, state)) from None
    state.clear()


# -- the command ----------------------------------------------------------------------------------------------
