"""Talking to arXiv: one shared, polite ``arxiv.Client`` and the conversion of its results to page metadata.

The ``arxiv`` 4.x client waits ``delay_seconds`` between requests but sets no request timeout, retries
every failure immediately and ignores ``Retry-After``. :class:`PoliteClient` replaces its fetch step
(``_parse_feed``) with one that keeps arXiv's terms and survives a bad network:

- at least ``delay_seconds`` between the end of one request and the start of the next (retries included),
  one connection at a time (a process-wide lock and a one-connection pool), a descriptive User-Agent;
- a timeout for the whole response (connect, every read, and the total body);
- exponential backoff for 429/5xx, timeouts and dropped connections, honouring ``Retry-After`` up to
  ``max_wait_seconds``; after ``max_retries`` retries a clear :class:`ArxivUnavailable`;
- a 400 (arXiv's answer to a malformed ID) is not retried: :class:`ArxivRejected` carries arXiv's message.

:class:`ArxivSource` is what the commands use: ``fetch_batches`` (``id_list`` requests of up to 100 IDs),
``search`` (paged queries) and ``paper_metadata`` (an ``arxiv.Result`` as page front matter).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
import threading
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import arxiv
import requests
from arxiv import _feed
from lxml import etree

from paperkb import __version__
from paperkb.model import config
from paperkb.model.arxiv_ids import parse_arxiv_id
from paperkb.model.text import display_text
from paperkb.model.vocab import Vocabulary

DEFAULT_API = "https://export.arxiv.org/api/query"
API_ENV = "PAPERKB_ARXIV_API"
#: arXiv's terms of use: no more than one request every three seconds.
ARXIV_MIN_DELAY = 3.0
#: The API accepts long id_lists, but 100 keeps URLs short and matches one page of results.
MAX_IDS_PER_REQUEST = 100
_ATOM_NS = b"http://www.w3.org/2005/Atom"
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}

# Keys of a page's front matter that come from arXiv (everything `--refresh` may update), in page order.
FETCHED_KEYS = (
    "title",
    "arxiv",
    "version",
    "authors",
    "labs",
    "published",
    "updated",
    "categories",
    "primary_category",
    "doi",
    "journal_ref",
    "comment",
    "abstract",
)


class ArxivError(Exception):
    """arXiv could not give what was asked; the message says what happened and what to do."""


class ArxivUnavailable(ArxivError):
    """arXiv (or the network) kept failing after every retry."""


class ArxivRejected(ArxivError):
    """arXiv answered 400: the request itself is wrong (e.g. an ID arXiv considers malformed)."""

    def __init__(self, message: str, bad_ids: list[str] | None = None):
        super().__init__(message)
        self.bad_ids = bad_ids or []


class FetchError(ArxivError):
    """A batched fetch stopped; ``not_fetched`` names every ID that was not fetched."""

    def __init__(self, reason: str, not_fetched: list[str]):
        shown = ", ".join(not_fetched[:20]) + (f" and {len(not_fetched) - 20} more" if len(not_fetched) > 20 else "")
        super().__init__(f"{reason}; not fetched: {shown}")
        self.reason = reason
        self.not_fetched = not_fetched


# -- settings -------------------------------------------------------------------------------------------
@dataclass
class ArxivSettings:
    """``[tool.paperkb.arxiv]`` with defaults; see the README's configuration section."""

    api: str = DEFAULT_API
    delay_seconds: float = ARXIV_MIN_DELAY
    timeout_seconds: float = 30.0
    max_retries: int = 4
    backoff_seconds: float = ARXIV_MIN_DELAY  # first retry waits this long, then 2x, 4x, ...
    max_wait_seconds: float = 120.0  # no single wait is longer (a longer Retry-After gives up instead)
    page_size: int = 100
    contact: str | None = None  # a URL or e-mail arXiv can reach the operator at (see from_kb)

    @property
    def query_url_format(self) -> str:
        return self.api + ("&" if "?" in self.api else "?") + "{}"

    @property
    def user_agent(self) -> str:
        contact = f"+{self.contact}; " if self.contact else ""
        return f"paperkb/{__version__} ({contact}knowledge base of research papers) arxiv.py/{arxiv.__version__}"

    @classmethod
    def from_kb(cls, kb: config.KnowledgeBase) -> ArxivSettings:
        section = kb.section("arxiv")
        where = "[tool.paperkb.arxiv] in pyproject.toml"
        defaults = cls()
        config.check_known_keys(section, cls.__dataclass_fields__, where)
        values: dict[str, Any] = {}
        for name in ("delay_seconds", "timeout_seconds", "backoff_seconds", "max_wait_seconds"):
            if name in section:
                values[name] = config.non_negative_number(section, name, where, getattr(defaults, name))
        for name, minimum in (("max_retries", 0), ("page_size", 1)):
            if name in section:  # whole numbers only: inf or 1.5 would overflow or misbehave later
                values[name] = config.whole_number(section, name, where, minimum, getattr(defaults, name))
        for name in ("api", "contact"):
            if name in section:
                if not isinstance(section[name], str) or not section[name].strip():
                    raise config.ConfigError(f"{where}: {name} must be a non-empty string")
                values[name] = section[name].strip()
        settings = cls(**values)
        if settings.contact is None:
            settings.contact = _project_url(kb)
        if "backoff_seconds" not in section:
            settings.backoff_seconds = settings.delay_seconds
        env_api = os.environ.get(API_ENV, "").strip()
        if env_api:
            settings.api = env_api
        source = API_ENV if env_api else f"{where}: api"
        try:
            parts = urlsplit(settings.api)
            parts.hostname  # noqa: B018 - parses the host part, raising ValueError on e.g. 'http://[::1'
        except ValueError as exc:
            raise config.ConfigError(f"arXiv API endpoint {settings.api!r} is not a valid URL ({exc}); fix {source}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise config.ConfigError(f"arXiv API endpoint {settings.api!r} is not an http(s) URL; fix {source}")
        if not 1 <= settings.page_size <= 2000:
            raise config.ConfigError(f"{where}: page_size must be between 1 and 2000 (arXiv's limit)")
        if parts.hostname in ("export.arxiv.org", "arxiv.org") and settings.delay_seconds < ARXIV_MIN_DELAY:
            # The official endpoint allows one request every three seconds; a lower setting is for tests.
            settings.delay_seconds = ARXIV_MIN_DELAY
        return settings


def _project_url(kb: config.KnowledgeBase) -> str | None:
    """The repository's URL from [project.urls] (Repository, Source or Homepage), for the User-Agent."""
    try:
        urls = tomllib.loads((kb.root / "pyproject.toml").read_text("utf-8")).get("project", {}).get("urls", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    for name in ("Repository", "Source", "Homepage", "repository", "source", "homepage"):
        if isinstance(urls.get(name), str):
            return urls[name]
    return None


# -- the client -----------------------------------------------------------------------------------------
#: One connection at a time, for every client in the process.
_CONNECTION_LOCK = threading.Lock()


def _session(settings: ArxivSettings) -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1, pool_block=True, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = settings.user_agent
    session.trust_env = True  # proxies from HTTPS_PROXY/NO_PROXY, as users behind a proxy expect
    return session


class PoliteClient(arxiv.Client):
    """``arxiv.Client`` with a timeout, spacing, backoff with Retry-After and one connection at a time."""

    def __init__(self, settings: ArxivSettings, sleep: Callable[[float], None] = time.sleep):
        super().__init__(page_size=settings.page_size, delay_seconds=settings.delay_seconds, num_retries=settings.max_retries)
        self.settings = settings
        self.query_url_format = settings.query_url_format
        self._session = _session(settings)
        self._sleep = sleep
        self._last_request_end: float | None = None
        self.requests_made = 0

    # The parent's _parse_feed retries at once and without a timeout; this replaces it entirely.
    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> _feed.ParsedFeed:
        last_problem = ""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return self._fetch_once(url, first_page)
            except _Retry as retry:
                last_problem = retry.problem
                if attempt == self.settings.max_retries:
                    break
                wait = min(self.settings.backoff_seconds * 2**attempt, self.settings.max_wait_seconds)
                if retry.retry_after is not None:
                    if retry.retry_after > self.settings.max_wait_seconds:
                        raise ArxivUnavailable(
                            f"arXiv asked to wait {retry.retry_after:.0f} s ({last_problem}), longer than "
                            f"max_wait_seconds={self.settings.max_wait_seconds:.0f}; try again later"
                        ) from None
                    wait = max(wait, retry.retry_after)
                self._wait_at_least(wait)
        tries = self.settings.max_retries + 1
        raise ArxivUnavailable(f"arXiv did not answer after {tries} tr{'y' if tries == 1 else 'ies'} (last: {last_problem}); try again later")

    def _wait_at_least(self, seconds: float) -> None:
        """Hold off the next request until ``seconds`` after the end of the last one."""
        if self._last_request_end is None:
            return
        remaining = self._last_request_end + seconds - time.monotonic()
        if remaining > 0:
            self._sleep(remaining)

    def _fetch_once(self, url: str, first_page: bool) -> _feed.ParsedFeed:
        with _CONNECTION_LOCK:
            self._wait_at_least(self.settings.delay_seconds)
            try:
                status, headers, content = self._get(url)
            finally:
                self._last_request_end = time.monotonic()
                self.requests_made += 1
        if status == 400:
            raise _rejection(content)
        if status in _RETRYABLE_STATUS:
            raise _Retry(f"HTTP {status}", _retry_after(headers.get("Retry-After")))
        if status != 200:
            raise ArxivUnavailable(f"arXiv answered HTTP {status} for {url}; check the endpoint ({API_ENV} or [tool.paperkb.arxiv] api)")
        if _ATOM_NS not in content:
            raise _Retry("the answer was not an Atom feed")
        feed = _feed.parse(content)
        if feed.malformed:
            raise _Retry(f"malformed feed ({feed.error})")
        if not feed.results and not first_page:
            # arXiv sporadically returns an empty page in the middle of a result set; asking again fixes it.
            raise _Retry("an unexpectedly empty page of results")
        return feed

    def _get(self, url: str) -> tuple[int, requests.structures.CaseInsensitiveDict, bytes]:
        timeout = self.settings.timeout_seconds
        deadline = time.monotonic() + timeout
        try:
            with self._session.get(url, timeout=(timeout, timeout), stream=True) as response:
                chunks = []
                for chunk in response.iter_content(64 * 1024):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise _Retry(f"no complete answer within {timeout:g} s (timeout)")
                return response.status_code, response.headers, b"".join(chunks)
        except requests.Timeout:
            raise _Retry(f"no answer within {timeout:g} s (timeout)") from None
        except requests.RequestException as exc:
            raise _Retry(f"connection failed ({type(exc).__name__})") from None


class _Retry(Exception):
    """A transient failure: wait (exponential backoff, or Retry-After) and try again."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _rejection(content: bytes) -> ArxivRejected:
    """arXiv's 400 body is an Atom feed with an error entry; its summary is the message."""
    messages: list[str] = []
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
        ns = {"atom": "http://www.w3.org/2005/Atom"}
        if root is not None:
            messages = [(e.findtext("atom:summary", namespaces=ns) or "").strip() for e in root.iterfind("atom:entry", ns)]
    except etree.XMLSyntaxError:
        pass
    messages = [m for m in messages if m] or ["bad request"]
    bad = [m.group(1) for text in messages if (m := re.search(r"incorrect id format for (\S+)", text))]
    return ArxivRejected(f"arXiv rejected the request: {'; '.join(messages)}", bad)


# -- what the commands use ------------------------------------------------------------------------------
def canonical_id(arxiv_id: str) -> str:
    """The ID arXiv answers with: old-style IDs lose the subject class ('math.GT/0309136' -> 'math/0309136')."""
    return re.sub(r"^([a-z-]+)\.[A-Z]{2}/", r"\1/", arxiv_id)


def result_id(result: arxiv.Result) -> tuple[str, int | None]:
    """(version-free ID, version) of a result."""
    parsed = parse_arxiv_id(result.get_short_id())
    if parsed is None:
        return result.get_short_id(), None
    return canonical_id(parsed.id), parsed.version


@dataclass
class Batch:
    """One id_list request: the IDs asked for, what arXiv returned (by requested ID), and what it did not know."""

    requested: list[str]
    found: dict[str, arxiv.Result] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # ID -> arXiv's message (HTTP 400)


class ArxivSource:
    """The one arXiv client of a run, configured from the knowledge base."""

    def __init__(self, settings: ArxivSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.client = PoliteClient(settings, sleep=sleep)

    @classmethod
    def for_kb(cls, kb: config.KnowledgeBase) -> ArxivSource:
        return cls(ArxivSettings.from_kb(kb))

    @property
    def requests_made(self) -> int:
        return self.client.requests_made

    def fetch_batches(self, ids: list[str]) -> Iterator[Batch]:
        """Fetch IDs (version-free or versioned) in id_list requests of up to 100; yield each batch's outcome.

        Raises :class:`FetchError` naming every ID not fetched (this batch and the rest) when arXiv stays
        unavailable. IDs arXiv rejects as malformed are dropped from the batch, which is asked again.
        """
        pending = list(dict.fromkeys(ids))
        while pending:
            batch = Batch(pending[:MAX_IDS_PER_REQUEST])
            try:
                self._fetch_batch(batch)
            except ArxivError as exc:
                raise FetchError(str(exc), pending) from None
            pending = pending[len(batch.requested) :]
            yield batch

    def _fetch_batch(self, batch: Batch) -> None:
        asking = list(batch.requested)
        while asking:
            try:
                results = self._run(arxiv.Search(id_list=asking, max_results=len(asking)), page_size=len(asking))
            except ArxivRejected as exc:
                named = [i for i in exc.bad_ids if i in asking]
                if not named:
                    raise
                for bad in named:
                    batch.rejected[bad] = str(exc)
                    asking.remove(bad)
                continue
            by_id: dict[str, arxiv.Result] = {}
            for result in results:
                base, version = result_id(result)
                by_id[f"{base}v{version}"] = result
                # An unversioned request means the latest version, whatever order the results came in.
                if base not in by_id or (version or 0) > (result_id(by_id[base])[1] or 0):
                    by_id[base] = result
            for wanted in asking:
                result = by_id.get(_request_key(wanted))
                if result is None:
                    batch.missing.append(wanted)
                else:
                    batch.found[wanted] = result
            return

    def search(
        self,
        query: str,
        max_results: int,
        sort_by: arxiv.SortCriterion = arxiv.SortCriterion.Relevance,
        sort_order: arxiv.SortOrder = arxiv.SortOrder.Descending,
    ) -> list[arxiv.Result]:
        """Run an arXiv query, paging ``page_size`` results at a time, up to ``max_results``."""
        search = arxiv.Search(query=query, max_results=max_results, sort_by=sort_by, sort_order=sort_order)
        return self._run(search, page_size=min(self.settings.page_size, max(max_results, 1)))

    def _run(self, search: arxiv.Search, page_size: int) -> list[arxiv.Result]:
        self.client.page_size = page_size
        return list(self.client.results(search))


def _request_key(requested: str) -> str:
    """How a requested ID is matched to a result: canonical ID, with the version only if one was asked for."""
    parsed = parse_arxiv_id(requested)
    if parsed is None:
        return requested
    return canonical_id(parsed.id) + (f"v{parsed.version}" if parsed.version else "")


# -- results as page metadata ---------------------------------------------------------------------------
def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (arXiv wraps titles and abstracts) to single spaces; LaTeX is kept."""
    return " ".join(str(text).split())


def normalize_title(title: str) -> str:
    """A title reduced for comparison: accents, case, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKD", str(title)).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.findall(r"[a-z0-9]+", text))


class LabMatcher:
    """Finds canonical labs in author names (exact alias) and affiliations (a name or alias as whole words)."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for lab in vocab.labs.values():
            for alias in (lab.name, *lab.aliases):
                words = r"[\s\-_.]+".join(re.escape(w) for w in re.split(r"[\s\-_.]+", alias.strip()) if w)
                # Acronyms (NYU, FAIR, KTH) match only in capitals: 'fair' in an affiliation is not FAIR.
                flags = 0 if alias.isupper() else re.IGNORECASE
                self.patterns.append((re.compile(rf"(?<![\w]){words}(?![\w])", flags), lab.name))

    def labs(self, authors: list[arxiv.Result.Author]) -> list[str]:
        found: list[str] = []
        for author in authors:
            lab = self.vocab.lab_for(author.name)  # group authors such as 'DeepSeek-AI'
            if lab is not None:
                found.append(lab.name)
            for affiliation in author.affiliation:
                found.extend(self.in_affiliation(affiliation))
        return list(dict.fromkeys(found))

    def in_affiliation(self, affiliation: str) -> list[str]:
        exact = self.vocab.lab_for(affiliation)
        if exact is not None:
            return [exact.name]
        return [name for pattern, name in self.patterns if pattern.search(affiliation)]


def paper_metadata(result: arxiv.Result, labs: LabMatcher) -> dict[str, Any]:
    """The front matter arXiv gives for a paper, in page order (keys of FETCHED_KEYS; absent ones omitted)."""
    arxiv_id, version = result_id(result)
    meta: dict[str, Any] = {
        "title": display_text(normalize_space(result.title)),  # TeX escapes and dashes as readers see them
        "arxiv": arxiv_id,
        "version": version,
        "authors": [normalize_space(a.name) for a in result.authors if a.name.strip()],
        "labs": labs.labs(result.authors) or None,
        "published": result.published.date(),
        "updated": result.updated.date(),
        "categories": list(dict.fromkeys(result.categories)) or None,
        "primary_category": result.primary_category or None,
        "doi": normalize_space(result.doi) if result.doi else None,
        "journal_ref": normalize_space(result.journal_ref) if result.journal_ref else None,
        "comment": normalize_space(result.comment) if result.comment else None,
        # A trailing newline makes the page show it as a `|` block, like hand-written abstracts.
        "abstract": display_text(normalize_space(result.summary)) + "\n" if result.summary.strip() else None,
    }
    return {key: value for key, value in meta.items() if value is not None}


def same_value(key: str, current: Any, fetched: Any) -> bool:
    """Whether a page's value is what arXiv gave (ignoring whitespace in text and date/datetime forms)."""
    if current is None or fetched is None:
        return current is None and fetched is None
    if key in ("published", "updated"):
        return _as_date(current) == _as_date(fetched)
    if isinstance(current, str) and isinstance(fetched, str):
        return normalize_space(current) == normalize_space(fetched)
    if isinstance(current, list) and isinstance(fetched, list):
        return [normalize_space(str(v)) for v in current] == [normalize_space(str(v)) for v in fetched]
    return current == fetched


def _as_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return value
