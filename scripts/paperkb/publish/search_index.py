"""The site's search index (Pagefind), built from the pages the build has already parsed: pages in, records out.

- ``site_records(pages, vocab)``: one :class:`Record` per paper (what a reader searches: title, authors, labs,
  the arXiv ID in its forms, abstract and the written sections, as plain text; never the page furniture), and
  one small record per topic and lab (their title and description, with a ``kind`` filter so the search can
  put papers first). Digests are not indexed: they quote papers, and every paper would come up twice.
- ``record_html(record)``: a record as the small HTML document Pagefind indexes, its meta, filters and sort
  keys in ``data-pagefind-*`` attributes (Pagefind's documented markup).
- ``write_bundle(records, output_dir)``: the Pagefind binary indexes those documents and writes the bundle
  (``site/pagefind/``): the browser fetches only the index chunks and result fragments a query needs.
- ``SiteIndexer``: a build's bundle, written by a worker process (``stage_pages``) while the build renders.

Why documents in a temporary folder, indexed by Pagefind's command line, and not its Python API: pagefind 1.5.2's
Python service reads one answer per 0.1 s (its response loop sleeps between reads), so ``add_custom_record`` for
10,000 records took ~1,000 s. And leaving ``PagefindIndex``'s context terminates the binary as soon as it has
answered "files written", while its writes may still be under way (tokio's file writes finish on background
threads): on a busy machine 11 bundles of 60 had an empty ``pagefind-entry.json`` (the search then says "Failed to
load Pagefind metadata"). The command line exits only once its writes are done. The documents are written from the
records here, never from the built pages, so no page is read or parsed a second time.

Names the browser side relies on (overrides/assets/javascripts/paperkb-search.js): the meta keys ``title``,
``authors``, ``date``, ``priority``, ``status``, ``arxiv``; the filters ``topic``, ``lab``, ``year``, ``priority``,
``status`` and ``kind``; the sort keys ``date``, ``priority``, ``title``; and :data:`BROWSE_TERM`.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pagefind.service import get_executable as pagefind_executable

from paperkb.model import paths
from paperkb.model.facts import abstract_of, arxiv_id_of, authors_of, labs_of, priority_of, status_of, title_of, topics_of
from paperkb.model.links import links_of
from paperkb.model.pages import FENCE_LINE, REQUIRED_SECTIONS, Page, as_date, is_missing, parse_page
from paperkb.model.vocab import Vocabulary
from paperkb.publish.worker import spawned_worker

#: Authors a result shows before "et al.".
AUTHORS_SHOWN = 3
#: A word every paper record holds once, and nothing else does. The browse view lists papers by searching
#: for it: pagefind 1.5.2 answers a filter-only search (``search(null, …)``) by loading every index chunk
#: (6.8 MB at 10,000 papers), a word loads one. Fixed upstream after 1.5.2 (Pagefind pull request 1317,
#: "Don't request index chunks for an empty search term"): then the browse view can search for null instead.
BROWSE_TERM = "pkbpaper"
#: Priorities in the order "sort by priority" gives (urgent first, unrated last), the same order as the site's
#: priority pages.
PRIORITY_ORDER = paths.PRIORITY_PAGES
#: How much a match counts, by part of a record (Pagefind's data-pagefind-weight; its h1 default is 7).
WEIGHT_TITLE = 7
WEIGHT_ID = 10
WEIGHT_TEXT = 1
#: Kinds of record other than papers (papers carry no ``kind`` filter, so excluding these finds papers only).
OTHER_KINDS = ("topic", "lab")
#: Filters of a paper record, in the order the browse view shows them.
PAPER_FILTERS = ("topic", "lab", "year", "priority", "status")


@dataclass(frozen=True)
class Record:
    """One search result as Pagefind stores it."""

    url: str  # relative to the site root: 'papers/<slug>/'
    content: tuple[tuple[str, int], ...]  # (plain text, weight) blocks, in reading order
    meta: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Every searchable word of the record, as one string (what Pagefind indexes)."""
        return "\n".join(text for text, _ in self.content)


# -- plain text from a section's Markdown ------------------------------------------------------------------------
# Hand-written on purpose: the index needs the words of a section, not its structure, and rendering each page's
# Markdown a second time (Python-Markdown plus an HTML-to-text pass) would double the dominant cost of a build.
# These rules drop the syntax readers do not type: link targets, emphasis and code markers, HTML tags, block
# markers at the start of a line, table pipes.
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:<[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REF_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+.*$", re.M)
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>\s]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->", re.S)
_BLOCK_MARKER = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)+", re.M)
_ATTR_LIST = re.compile(r"[ \t]*\{[ \t]*[:#.][^}\n]*\}")
# Underscores emphasise only outside a word (snake_case stays), as in Python-Markdown
_EMPHASIS = re.compile(r"(\*{1,3}|~~|`+)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\3(?!\w)")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M)


def plain_text(markdown: str) -> str:
    """The words of a Markdown fragment, without its syntax ('[GRPO](x.md) is **fast**' -> 'GRPO is fast')."""
    text = markdown
    if "`" in text or "~" in text:
        text = "\n".join(line for line in text.splitlines() if not FENCE_LINE.match(line))  # fence lines; code stays
    if "[" in text:
        text = _REF_DEFINITION.sub("", text)
        text = _IMAGE.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
        text = _REF_LINK.sub(r"\1", text)
    if "<" in text:
        text = _AUTOLINK.sub("", text)
        text = _TAG.sub(" ", text)
    if "{" in text:
        text = _ATTR_LIST.sub("", text)
    if "|" in text:
        text = _TABLE_RULE.sub("", text).replace("|", " ")
    text = _BLOCK_MARKER.sub("", text)
    if "*" in text or "_" in text or "~" in text or "`" in text:
        for _ in range(3):  # nested emphasis: ***a*** or **a _b_**
            text = _EMPHASIS.sub(lambda match: match.group(2) or match.group(4), text)
    return " ".join(text.split())


# -- records ----------------------------------------------------------------------------------------------------------
_REQUIRED_TITLES = {title.casefold() for _, title in REQUIRED_SECTIONS}


def written_text(page: Page) -> list[str]:
    """The body as a reader reads it: text before the first section, then each section that is written (a
    missing or placeholder section adds nothing). Titles of the required sections are left out (every paper
    has them); other section titles are kept."""
    blocks = []
    first = page.sections[0].start if page.sections else len(page.text)
    preamble = plain_text(page.text[page.fm_end : first])
    if preamble:
        blocks.append(preamble)
    for section in page.sections:
        body = page.section_text(section.title)
        if is_missing(body):
            continue
        text = plain_text(body or "")
        if section.title.casefold() not in _REQUIRED_TITLES:
            text = f"{plain_text(section.title)}. {text}"
        blocks.append(text)
    return blocks


def arxiv_forms(arxiv_id: str) -> str:
    """The forms of an arXiv ID a reader types or pastes ('2412.14093 arXiv:2412.14093'). The search box turns
    any other form (a version, an abs or pdf URL) into the bare ID first."""
    return f"{arxiv_id} arXiv:{arxiv_id}"


def shown_authors(authors: list[str]) -> str:
    if len(authors) <= AUTHORS_SHOWN:
        return ", ".join(authors)
    return ", ".join(authors[:AUTHORS_SHOWN]) + " et al."


def priority_sort_key(priority: str, published: str) -> str:
    """Urgent first, unrated last; newest first within a priority: the rank, then the date counted down."""
    countdown = 99999999 - int(published.replace("-", "")) if published else 99999999
    return f"{PRIORITY_ORDER.index(priority)}{countdown:08d}"


def paper_record(page: Page, vocab: Vocabulary) -> Record:
    title = title_of(page)
    authors = authors_of(page)
    published_date = as_date(page.meta.get("published"))
    published = published_date.isoformat() if published_date else ""
    priority = priority_of(page) or paths.UNRATED
    status = status_of(page)
    arxiv_id = arxiv_id_of(page) or ""
    lab_names = list(dict.fromkeys(lab.name if (lab := vocab.lab_for(name)) else name for name in labs_of(page)))
    topics = list(dict.fromkeys(topics_of(page)))
    blocks: list[tuple[str, int]] = [(title, WEIGHT_TITLE)]
    if arxiv_id:
        blocks.append((arxiv_forms(arxiv_id), WEIGHT_ID))
    blocks += [(", ".join(part), WEIGHT_TEXT) for part in (authors, labs_of(page)) if part]
    abstract = abstract_of(page)
    blocks += [(text, WEIGHT_TEXT) for text in (abstract, *written_text(page)) if text]
    listed = links_of(page)  # code and discussion: found by a repository's name, a talk's title, who gave it
    if listed:
        blocks.append(("; ".join(" ".join(part for part in (link.title, link.author) if part) for link in listed), WEIGHT_TEXT))
    blocks.append((BROWSE_TERM, WEIGHT_TEXT))
    meta = {
        "title": title,
        "authors": shown_authors(authors),
        "date": published,
        "priority": priority,
        "status": status,
        "arxiv": arxiv_id,
    }
    filters = {
        "topic": tuple(topics),
        "lab": tuple(lab_names),
        "year": (published[:4],) if published else (),
        "priority": (priority,),
        "status": (status,),
    }
    # Every paper has every sort key: Pagefind leaves out of a sorted result the records without the key.
    sort = {
        "date": published or "0000-00-00",
        "priority": priority_sort_key(priority, published),
        "title": title.casefold(),
    }
    return Record(
        url=paths.page_url(paths.paper_path(page.slug)),
        content=tuple(blocks),
        meta={key: value for key, value in meta.items() if value},
        filters={key: values for key, values in filters.items() if values},
        sort=sort,
    )


def topic_records(vocab: Vocabulary) -> list[Record]:
    return [
        Record(
            url=paths.page_url(paths.topic_path(topic.id)),
            content=((topic.title, WEIGHT_TITLE), (" ".join(topic.description.split()), WEIGHT_TEXT)),
            meta={"title": topic.title, "kind": "Topic"},
            filters={"kind": ("topic",)},
        )
        for topic in vocab.topics.values()
    ]


def lab_records(vocab: Vocabulary) -> list[Record]:
    return [
        Record(
            url=paths.page_url(paths.lab_path(lab.name)),
            content=((lab.name, WEIGHT_TITLE), *(((", ".join(lab.aliases), WEIGHT_TEXT),) if lab.aliases else ())),
            meta={"title": lab.name, "kind": "Lab"},
            filters={"kind": ("lab",)},
        )
        for lab in vocab.labs.values()
    ]


def site_records(pages: Iterable[Page], vocab: Vocabulary) -> list[Record]:
    """Every record of the site's index, sorted by URL (the bundle is the same for the same pages)."""
    records = [paper_record(page, vocab) for page in pages] + topic_records(vocab) + lab_records(vocab)
    return sorted(records, key=lambda record: record.url)


def labels(vocab: Vocabulary) -> dict[str, dict[str, str]]:
    """What the browse view shows for a filter value that is an id: topic titles (labs are their names)."""
    return {"topic": {topic.id: topic.title for topic in vocab.topics.values()}}


#: Pagefind's query rule for a word (pagefind.js): lower case, without the characters of these Unicode categories.
_PUNCTUATION_CATEGORIES = ("Pd", "Pe", "Pf", "Pi", "Po", "Ps")
_ASCII_PUNCTUATION = bytes(code for code in range(128) if unicodedata.category(chr(code)) in _PUNCTUATION_CATEGORIES)


@functools.cache
def _punctuation() -> dict[int, None]:
    """A str.translate table deleting them all (built once, when first needed: it takes half a second)."""
    return {code: None for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in _PUNCTUATION_CATEGORIES}


def query_words(text: str) -> list[str]:
    """The words of ``text`` as Pagefind's query reads them ("DeepSeek-R1's" -> "deepseekr1s")."""
    if text.isascii():  # most text: bytes.translate is a C table, str.translate a dict lookup per character
        text = text.encode("ascii").translate(None, _ASCII_PUNCTUATION).decode("ascii")
    else:
        text = text.translate(_punctuation())
    return text.lower().split()


#: A word in more than this share of the papers is left out of a search for several words (``common_words``).
COMMON_SHARE = 0.5
#: ... once the knowledge base has this many papers: below it every index chunk is small, so the query stays exact.
COMMON_MIN_PAPERS = 1000
#: Papers read to find them (evenly spread): the share of a word over 2,000 papers is within ~2% of the whole's.
COMMON_SAMPLE = 2000


def common_words(records: Iterable[Record]) -> list[str]:
    """Words (as Pagefind's query normalizes them) that occur in more than half of the paper records.

    Such a word narrows a search by almost nothing and counts for almost nothing in its ranking (its BM25
    weight is about zero), but fetching it costs the browser a whole index chunk (~65 KB at 10,000 papers):
    the search box leaves these out of a query while another word is left (the stop words of this corpus,
    found from the corpus). Empty below COMMON_MIN_PAPERS papers."""
    papers = [record for record in records if "kind" not in record.filters]
    if len(papers) < COMMON_MIN_PAPERS:
        return []
    sample = papers[:: max(1, len(papers) // COMMON_SAMPLE)]
    counts: Counter[str] = Counter()
    for record in sample:
        counts.update(set(query_words(record.text)))
    limit = COMMON_SHARE * len(sample)
    return sorted(word for word, count in counts.items() if count > limit and word != BROWSE_TERM)


# -- the documents Pagefind indexes ---------------------------------------------------------------------------------
def _text(value: str) -> str:
    return html.escape(value, quote=True)


def record_html(record: Record) -> str:
    """The record as the HTML document Pagefind reads: the searchable blocks, then meta, filters and sort keys
    in an element Pagefind does not index as text (``data-pagefind-ignore`` keeps its meta and filters)."""
    blocks = "".join(f'<p data-pagefind-weight="{weight}">{_text(text)}</p>' for text, weight in record.content)
    tags = [f'<span data-pagefind-meta="{_text(key)}">{_text(value)}</span>' for key, value in record.meta.items()]
    tags += [f'<span data-pagefind-filter="{_text(key)}">{_text(value)}</span>' for key, values in record.filters.items() for value in values]
    tags += [f'<span data-pagefind-sort="{_text(key)}">{_text(value)}</span>' for key, value in record.sort.items()]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title></title></head>'
        f"<body><main data-pagefind-body>{blocks}<div data-pagefind-ignore>{''.join(tags)}</div></main></body></html>\n"
    )


def _document_path(root: Path, url: str) -> Path:
    parts = [part for part in url.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        raise ValueError(f"search record URL {url!r} is not a page below the site root")
    return root.joinpath(*parts, "index.html")


def _index(source: Path, output_dir: Path) -> int:
    """Run Pagefind over the documents in ``source``, writing the bundle into ``output_dir``: the pages indexed."""
    binary = pagefind_executable()  # the pagefind package's lookup: PAGEFIND_BINARY_PATH, pagefind[bin]'s wheel, PATH
    if binary is None:
        raise FileNotFoundError("no Pagefind binary found")
    command = [str(binary), "--site", str(source), "--output-path", str(output_dir), "--force-language", "en", "--silent"]
    # In the documents' folder, without PAGEFIND_* variables: Pagefind reads its options from both too, and a
    # pagefind.yml in the project or a PAGEFIND_GLOB in the environment would change what is indexed.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    done = subprocess.run(command, cwd=source, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no message").splitlines()[-1]
        raise RuntimeError(f"Pagefind exited with status {done.returncode}: {said}")
    entry_file = output_dir / "pagefind-entry.json"  # the bundle's table of contents: check it is whole
    try:
        entry = json.loads(entry_file.read_text("utf-8"))
        return sum(int(language["page_count"]) for language in entry["languages"].values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RuntimeError(f"Pagefind exited without writing a whole {entry_file.name} ({type(exc).__name__}: {exc})") from None


def write_bundle(records: list[Record], output_dir: Path, vocab: Vocabulary) -> int:
    """Index ``records`` and write Pagefind's bundle into ``output_dir``, with ``paperkb.json`` (the browse
    view's labels and the common words); the number of records indexed. Pagefind's errors propagate.

    The bundle is written next to ``output_dir`` and then put in its place, so a reader (``mkdocs serve``
    indexes while the site is served) finds the whole previous bundle or the whole new one."""
    staging = _staging_dir(output_dir)
    count = _stage(records, staging)
    return _publish(staging, output_dir, vocab, count, common_words(records), moot=lambda: False)


def _staging_dir(output_dir: Path) -> Path:
    staging = output_dir.with_name(f".{output_dir.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    return staging


def _stage(records: list[Record], staging: Path) -> int:
    """Pagefind's bundle of ``records`` in the folder ``staging``: the number of records indexed. Nothing is left in
    ``staging`` when that fails."""
    try:
        with tempfile.TemporaryDirectory(prefix="paperkb-search-") as source:
            for record in records:
                document = _document_path(Path(source), record.url)
                document.parent.mkdir(parents=True, exist_ok=True)
                document.write_text(record_html(record), "utf-8")
            return _index(Path(source), staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _publish(staging: Path, output_dir: Path, vocab: Vocabulary, count: int, common: list[str], moot: Callable[[], bool]) -> int:
    """Put the staged bundle, with ``paperkb.json``, in the place of ``output_dir``; nothing once moot (0)."""
    if moot() or not staging.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        return 0
    extra = {"labels": labels(vocab), "common": common}
    (staging / "paperkb.json").write_text(json.dumps(extra, ensure_ascii=False, sort_keys=True), "utf-8")
    _replace(output_dir, staging)
    return count


def stage_pages(texts: list[tuple[str, str]], vocab: Vocabulary, staging: str) -> tuple[int, list[str]]:
    """The bundle of the pages (file path, text) in the folder ``staging``: (records indexed, common words).

    What the worker process of a build runs (``SiteIndexer``): it parses the pages' texts again (the same text
    gives the same page; sending the parses instead would cost the build's process 0.7 s of pickling at 10,000
    pages, sending the texts next to nothing), builds the records and their documents, and runs Pagefind."""
    records = site_records([parse_page(path, text) for path, text in texts], vocab)
    return _stage(records, Path(staging)), common_words(records)


def _replace(target: Path, new: Path) -> None:
    """Put the folder ``new`` where ``target`` is (two renames; the old one is removed afterwards)."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


class SiteIndexer:
    """Writes each build's index as soon as the pages are parsed (``start``, from the hook's ``on_files``), while
    MkDocs renders the pages; ``finish`` (``on_post_build``) waits for it. A thread waits for a worker process
    (``stage_pages``) that builds the records, writes their documents and runs Pagefind (a process of its own):
    all of it on the machine's other core, at a lower priority, none of it holding this process's Python lock. Under
    ``mkdocs serve`` (``background``) the thread starts at the build's end and nothing waits for it: an edit shows at
    once and the search catches up. It starts after a quiet moment (``quiet`` seconds without a new
    build), so that indexing does not compete for the CPU with the rebuild of the next edit. One bundle is written
    at a time, and the index of a build that a newer one has overtaken is dropped. Reports to the hook's logger: an
    error fails a strict build, naming the bundle and the cause in one line."""

    def __init__(self) -> None:
        self.background = False
        self.quiet = QUIET_SECONDS
        self._lock = threading.Lock()
        self._latest = 0
        self._thread: threading.Thread | None = None
        self._overtaken = threading.Event()  # set when a newer build begins (or serve stops): wakes a waiting thread

    def begin(self) -> None:
        """A build starts (it may clean the site folder): an index still being written for an older one is moot."""
        self._latest += 1
        self._overtaken.set()
        self._overtaken = threading.Event()
        self._thread = None

    def start(self, pages: list[Page], vocab: Vocabulary, bundle: Path, log: logging.Logger) -> None:
        """Index the pages of the build begun last: at once, or under ``mkdocs serve`` once the build is done
        (``finish``), so that writing the records does not hold Python's lock while the edited page renders."""
        args = (self._latest, self._overtaken, pages, vocab, bundle, log)
        self._thread = threading.Thread(target=self._write, args=args, name="paperkb-search-index", daemon=True)
        if not self.background:
            self._thread.start()

    def cancel(self, timeout: float | None = None) -> None:
        """The build failed, or `mkdocs serve` stops: the index being written is moot. Waits for the thread to
        notice (between two steps; Pagefind itself is not interrupted), at most ``timeout`` seconds."""
        self._latest += 1
        self._overtaken.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            thread.join(timeout)

    def finish(self, log: logging.Logger) -> None:
        """The build's end: wait for its index (a build's output is whole), or under ``mkdocs serve`` start it."""
        if self._thread is None:
            return
        if self.background:
            self._thread.start()
            return
        started = time.perf_counter()
        self._thread.join()
        log.info("paperkb: the build waited %.1f s for the search index at its end", time.perf_counter() - started)

    def _write(self, generation: int, overtaken: threading.Event, pages: list[Page], vocab: Vocabulary, bundle: Path, log: logging.Logger) -> None:
        if self.background and overtaken.wait(self.quiet):
            return  # an edit (a newer build) within the quiet moment, or serve stops: this index is moot
        with self._lock:
            if generation != self._latest:
                return
            started = time.perf_counter()
            staging = _staging_dir(bundle)
            try:
                # A build renders its pages meanwhile, on this process's one core: a thread writing the records
                # would take Python's lock from it (every file the build writes waited for it), a worker process
                # does not. Spawned, so it starts from nothing of this process's state or threads. It runs at a
                # lower priority (``INDEX_NICENESS``, inherited by Pagefind), so it takes only the CPU the build leaves.
                niceness = INDEX_NICENESS
                with spawned_worker(niceness) as worker:
                    texts = [(str(page.path), page.text) for page in pages]
                    count, common = worker.submit(stage_pages, texts, vocab, str(staging)).result()
                where = "by a worker process" + (f" at niceness {niceness}" if niceness else "")
                count = _publish(staging, bundle, vocab, count, common, moot=lambda: generation != self._latest)
            except Exception as exc:  # whatever the worker or Pagefind raised: say what and why, in one line
                shutil.rmtree(staging, ignore_errors=True)
                if generation == self._latest:  # else a newer build's clean removed this one's folder: moot
                    log.error("paperkb: the search index was not written to %s: %s (is pagefind[bin] installed? pip install -e .)", bundle, exc)
                return
            if generation != self._latest:
                return
            log.info("paperkb: search index of %d record(s) written in %.1f s %s, alongside the build", count, time.perf_counter() - started, where)


#: Under ``mkdocs serve``: seconds without a new build before the search index is written. The index of 10,000
#: papers took ~55 s on a busy 2-core machine (records and documents 6 s in this process, Pagefind 47 s): an edit saved
#: meanwhile competes with it, and Pagefind, once started, cannot be stopped (scripts/bench_serve.py --pause measures it).
QUIET_SECONDS = 5.0
#: How much lower the search index's worker (and the Pagefind it starts, with its threads) runs than the build
#: (``os.nice``). Under ``mkdocs serve`` nothing waits for it, and the rebuild of the next edit must not wait for the
#: CPU (bench_serve --pause 8: an edit showed after 4.6-5.6 s at the same priority, 4.0-4.2 s at 10). In a full build
#: the rendering is what takes longest, and at the same priority Pagefind's threads took CPU from it: at 10,000 papers
#: the build was 1.53-1.56x bare Material's (median of 3 pairs), at 10 it is 1.36x, and the build still waits 0.0 s
#: for its index at the end (written in 19 s, against 15.5 s).
INDEX_NICENESS = 10

#: One per process: MkDocs executes the hooks file anew for each rebuild under ``mkdocs serve``, this module once.
INDEXER = SiteIndexer()
