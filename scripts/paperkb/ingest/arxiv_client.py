"""Talking to arXiv: one polite, bounded HTTP client for arXiv's export API, and its Atom feed as results.

The ``arxiv`` 4.x client sets no timeout, retries every failure immediately, ignores ``Retry-After`` and
reads a truncated or malformed feed as fewer results. Its fetch step is not a public API, so paperkb fetches
and parses the feed itself and uses the package for its public types (``arxiv.Result``, the sort enums).
:class:`PoliteClient` keeps arXiv's terms and survives a bad network:

- at least ``delay_seconds`` between the end of one request and the start of the next (retries included),
  one connection at a time (a process-wide lock and a one-connection pool), a descriptive User-Agent;
- every request bounded as a whole: ``timeout_seconds`` for connecting, for each read, and for the complete
  answer, a slowly dripped one included (:class:`paperkb.model.deadline.Deadline`), and at most
  ``max_answer_bytes``; the whole run stays within ``budget_seconds``;
- exponential backoff for 429/5xx, timeouts, dropped connections and broken feeds, honouring ``Retry-After``
  (seconds or an HTTP date) up to ``max_wait_seconds``; after ``max_retries`` retries a clear
  :class:`ArxivUnavailable` that says what the server answered (status, content type, first bytes);
- a 400 (arXiv's answer to a malformed ID) is not retried: :class:`ArxivRejected` carries arXiv's message.

:class:`ArxivSource` is what the commands use: ``fetch_batches`` (``id_list`` requests of up to 100 IDs),
``search`` (paged queries) and ``paper_metadata`` (an ``arxiv.Result`` as page front matter).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import os
import re
import threading
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import arxiv
import httpx2
from lxml import etree

from paperkb import __version__
from paperkb.model import config
from paperkb.model.arxiv_ids import parse_arxiv_id
from paperkb.model.deadline import Deadline, excerpt
from paperkb.model.text import display_text
from paperkb.model.vocab import Vocabulary

_T = TypeVar("_T")
DEFAULT_API = "https://export.arxiv.org/api/query"
API_ENV = "PAPERKB_ARXIV_API"
DEFAULT_SITE = "https://arxiv.org"
SITE_ENV = "PAPERKB_ARXIV_SITE"
#: arXiv's terms of use: no more than one request every three seconds.
ARXIV_MIN_DELAY = 3.0
ARXIV_HOSTS = ("export.arxiv.org", "arxiv.org")
#: The API accepts long id_lists, but 100 keeps URLs short and matches one page of results.
MAX_IDS_PER_REQUEST = 100
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
_NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom", "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}

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


class FeedError(Exception):
    """An answer that is not a complete arXiv Atom feed; the message says what is wrong with it."""


# -- settings -------------------------------------------------------------------------------------------
@dataclass
class ArxivSettings:
    """``[tool.paperkb.arxiv]`` with defaults; see the README's configuration section."""

    api: str = DEFAULT_API
    delay_seconds: float = ARXIV_MIN_DELAY
    timeout_seconds: float = 30.0  # connecting, each read, and the whole answer of one request
    max_retries: int = 4
    backoff_seconds: float = ARXIV_MIN_DELAY  # first retry waits this long, then 2x, 4x, ...
    max_wait_seconds: float = 120.0  # no single wait is longer (a longer Retry-After gives up instead)
    budget_seconds: float = 1800.0  # the whole run: no request or wait starts that would end past it
    max_answer_bytes: int = 64 * 2**20  # one answer; 100 entries are ~0.3 MB, 2,000 with long author lists ~20 MB
    page_size: int = 100
    contact: str | None = None  # a URL or e-mail arXiv can reach the operator at (see from_kb)
    site: str = DEFAULT_SITE  # where /html/<id> and /pdf/<id> live (fill's full text)

    @property
    def document_delay(self) -> float:
        """The spacing before a request to the site: arXiv's three seconds whatever delay_seconds says (a lower
        delay_seconds is for a test API; the site's own host decides here)."""
        host = urlsplit(self.site).hostname
        return max(self.delay_seconds, ARXIV_MIN_DELAY) if host in ARXIV_HOSTS else self.delay_seconds

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
        for name in ("delay_seconds", "timeout_seconds", "backoff_seconds", "max_wait_seconds", "budget_seconds"):
            if name in section:
                values[name] = config.non_negative_number(section, name, where, getattr(defaults, name))
        for name, minimum in (("max_retries", 0), ("page_size", 1), ("max_answer_bytes", 1024)):
            if name in section:  # whole numbers only: inf or 1.5 would overflow or misbehave later
                values[name] = config.whole_number(section, name, where, minimum, getattr(defaults, name))
        for name in ("api", "contact", "site"):
            if name in section:
                if not isinstance(section[name], str) or not section[name].strip():
                    raise config.ConfigError(f"{where}: {name} must be a non-empty string")
                values[name] = section[name].strip()
        settings = cls(**values)
        if settings.timeout_seconds <= 0:
            raise config.ConfigError(f"{where}: timeout_seconds must be more than 0, not {settings.timeout_seconds:g}; write e.g. timeout_seconds = 30")
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
        env_site = os.environ.get(SITE_ENV, "").strip()
        if env_site:
            settings.site = env_site
        settings.site = settings.site.rstrip("/")
        try:
            site = urlsplit(settings.site)
            site.hostname  # noqa: B018 - as above
        except ValueError:
            site = urlsplit("")
        if site.scheme not in ("http", "https") or not site.netloc:
            raise config.ConfigError(f"arXiv site {settings.site!r} is not an http(s) URL; fix {SITE_ENV if env_site else where + ': site'}")
        if parts.hostname in ARXIV_HOSTS and settings.delay_seconds < ARXIV_MIN_DELAY:
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


@dataclass
class Feed:
    """One page of results: the total the query matches and this page's results, in the feed's order."""

    total: int
    results: list[arxiv.Result]


@dataclass
class Answer:
    """What the server sent: status, content type and the complete body."""

    status: int
    content_type: str
    retry_after: str | None
    body: bytes

    def describe(self) -> str:
        """'503 text/html: <html><body>…' — enough to tell a proxy's error page from arXiv's own answer.

        Of an answer typed as XML, the size rather than the start (the start of a feed says nothing)."""
        kind = self.content_type or "no content type"
        if not self.body.strip():
            return f"{self.status} {kind} with an empty body"
        if kind.endswith("xml"):
            return f"{self.status} {kind} ({len(self.body):,} bytes)"
        return f"{self.status} {kind}: {excerpt(self.body)}"


class PoliteClient:
    """arXiv's export API over HTTP: spacing, one connection, bounded requests, backoff with Retry-After."""

    def __init__(self, settings: ArxivSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.page_size = settings.page_size
        self._sleep = sleep
        self._last_request_end: float | None = None
        self._run_ends = time.monotonic() + settings.budget_seconds
        self.requests_made = 0
        timeout = settings.timeout_seconds
        self._http = httpx2.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx2.Timeout(connect=timeout, read=timeout, write=timeout, pool=timeout),
            # One connection, not kept alive: each request opens its own, whose socket its Deadline watches.
            limits=httpx2.Limits(max_connections=1, max_keepalive_connections=0),
            follow_redirects=True,
            trust_env=True,  # proxies from HTTPS_PROXY/NO_PROXY, as users behind a proxy expect
        )

    def close(self) -> None:
        self._http.close()

    def results(self, params: dict[str, str], max_results: int) -> list[arxiv.Result]:
        """Every result of a query (``search_query``/``id_list``, sort), ``page_size`` at a time, up to ``max_results``."""
        found: list[arxiv.Result] = []
        start = 0
        feed = self.feed(params, start, first_page=True)
        while feed.results:
            found.extend(feed.results)
            start += len(feed.results)
            if len(found) >= max_results or start >= feed.total:
                break
            feed = self.feed(params, start, first_page=False)
        return found[:max_results]

    def feed(self, params: dict[str, str], start: int, first_page: bool) -> Feed:
        """One page of results, retried with backoff; raises :class:`ArxivUnavailable` or :class:`ArxivRejected`."""
        url = self.settings.query_url_format.format(urlencode({**params, "start": str(start), "max_results": str(self.page_size)}))
        return self._retrying(lambda: self._fetch_once(url, first_page))

    def document(self, url: str) -> Answer:
        """A document of arXiv's site (a paper's HTML rendering or PDF), with the same spacing, bounds and retries
        as the API; any answer but a retryable one (429, 5xx, a broken connection) is returned as it is."""
        return self._retrying(lambda: self._document_once(url))

    def _spaced_get(self, url: str, delay: float | None = None) -> Answer:
        """One GET, one connection at a time in the process, ``delay`` (``delay_seconds``) after the end of the last."""
        with _CONNECTION_LOCK:
            self._wait_at_least(self.settings.delay_seconds if delay is None else delay)
            self._check_budget(0, "another request to arXiv")
            try:
                return self._get(url)
            finally:
                self._last_request_end = time.monotonic()
                self.requests_made += 1

    def _document_once(self, url: str) -> Answer:
        answer = self._spaced_get(url, self.settings.document_delay)
        if answer.status in _RETRYABLE_STATUS:
            raise _Retry(f"arXiv answered {answer.describe()}", _retry_after(answer.retry_after))
        return answer

    def _retrying(self, once: Callable[[], _T]) -> _T:
        """``once()``, tried again after each :class:`_Retry` with backoff (or Retry-After) up to max_retries."""
        last_problem = ""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return once()
            except _Retry as retry:
                last_problem = retry.problem
                if attempt == self.settings.max_retries:
                    break
                wait = min(self.settings.backoff_seconds * 2**attempt, self.settings.max_wait_seconds)
                if retry.retry_after is not None:
                    if retry.retry_after > self.settings.max_wait_seconds:
                        raise ArxivUnavailable(
                            f"arXiv asked to wait {retry.retry_after:.0f} s ({last_problem}), longer than "
                            f"max_wait_seconds={self.settings.max_wait_seconds:g}; try again later"
                        ) from None
                    wait = max(wait, retry.retry_after)
                self._wait_at_least(wait, f"a retry after {last_problem}")
        tries = self.settings.max_retries + 1
        raise ArxivUnavailable(f"no usable answer from arXiv after {tries} tr{'y' if tries == 1 else 'ies'} (last: {last_problem}); try again later")

    def _check_budget(self, seconds: float, what: str) -> None:
        if time.monotonic() + seconds > self._run_ends:
            raise ArxivUnavailable(
                f"{what} would run past this run's budget of {self.settings.budget_seconds:g} s ([tool.paperkb.arxiv] budget_seconds); try again later"
            )

    def _wait_at_least(self, seconds: float, why: str = "the next request") -> None:
        """Hold off the next request until ``seconds`` after the end of the last one."""
        if self._last_request_end is None:
            return
        remaining = self._last_request_end + seconds - time.monotonic()
        if remaining > 0:
            self._check_budget(remaining, f"waiting {remaining:.0f} s for {why}")
            self._sleep(remaining)

    def _fetch_once(self, url: str, first_page: bool) -> Feed:
        answer = self._spaced_get(url)
        if answer.status == 400:
            raise _rejection(answer.body)
        if answer.status in _RETRYABLE_STATUS:
            raise _Retry(f"arXiv answered {answer.describe()}", _retry_after(answer.retry_after))
        if answer.status != 200:
            raise ArxivUnavailable(f"arXiv answered {answer.describe()} for {url}; check the endpoint ({API_ENV} or [tool.paperkb.arxiv] api)")
        try:
            feed = parse_feed(answer.body)
        except FeedError as exc:
            raise _Retry(f"arXiv answered {answer.describe()}, which is not a complete Atom feed: {exc}") from None
        if not feed.results and not first_page:
            # arXiv sporadically returns an empty page in the middle of a result set; asking again fixes it.
            raise _Retry("an unexpectedly empty page of results")
        return feed

    def _get(self, url: str) -> Answer:
        """One GET, bounded as a whole by a Deadline; the body read in chunks as they come, up to the size cap."""
        seconds = min(self.settings.timeout_seconds, max(self._run_ends - time.monotonic(), 0.0))
        limit = self.settings.max_answer_bytes
        with Deadline(seconds) as deadline:
            try:
                with self._http.stream("GET", url, extensions={"trace": deadline.trace}) as response:
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise ArxivUnavailable(
                                f"arXiv's answer is larger than max_answer_bytes={limit} ([tool.paperkb.arxiv]); lower page_size or raise max_answer_bytes"
                            )
                        chunks.append(chunk)
                    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
                    return Answer(response.status_code, kind, response.headers.get("Retry-After"), b"".join(chunks))
            except httpx2.RequestError as exc:
                if deadline.expired or isinstance(exc, httpx2.TimeoutException):
                    raise _Retry(f"no complete answer within {seconds:g} s (timeout)") from None
                raise _Retry(f"connection failed ({_transport_problem(exc)})") from None


def _transport_problem(exc: httpx2.RequestError) -> str:
    detail = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


class _Retry(Exception):
    """A transient failure: wait (exponential backoff, or Retry-After) and try again."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (None when absent or unreadable)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)  # a 400-digit value is inf: still "longer than max_wait_seconds"
        return seconds if not math.isnan(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _rejection(content: bytes) -> ArxivRejected:
    """arXiv's 400 body is an Atom feed with an error entry; its summary is the message."""
    messages: list[str] = []
    try:
        root = etree.fromstring(content, _xml_parser(recover=True))
        if root is not None:
            messages = [(e.findtext("atom:summary", namespaces=_NS) or "").strip() for e in root.iterfind("atom:entry", _NS)]
    except etree.XMLSyntaxError:
        pass
    messages = [m for m in messages if m] or [f"bad request ({excerpt(content)})" if content.strip() else "bad request"]
    bad = [m.group(1) for text in messages if (m := re.search(r"incorrect id format for (\S+)", text))]
    return ArxivRejected(f"arXiv rejected the request: {'; '.join(messages)}", bad)


# -- the Atom feed ----------------------------------------------------------------------------------------
def _xml_parser(recover: bool = False) -> etree.XMLParser:
    # No entities, no DTD, no network, libxml2's default size and depth limits (huge_tree=False).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=recover)


def parse_feed(content: bytes) -> Feed:
    """An arXiv API answer as results, strictly: anything but a complete Atom feed raises :class:`FeedError`.

    (The ``arxiv`` package parses with libxml2's recover mode, which reads a feed cut off mid-entry as fewer
    results, so a broken answer would be reported as papers "not found".)
    """
    if not content.strip():
        raise FeedError("the body is empty")
    try:
        root = etree.fromstring(content, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not well-formed XML: {' '.join(str(exc).split())}") from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise FeedError(f"the document is <{etree.QName(root).localname}>, not an Atom <feed>")
    if root.getroottree().docinfo.internalDTD is not None:  # any <!DOCTYPE ...>, with or without a subset
        raise FeedError("it declares a DOCTYPE, which arXiv's feeds never do")
    total_text = (root.findtext("opensearch:totalResults", namespaces=_NS) or "").strip()
    if not total_text.isdigit() or len(total_text) > 12:
        raise FeedError(f"opensearch:totalResults is {total_text!r}, not a count")
    results = [_result(number, entry) for number, entry in enumerate(root.iterfind("atom:entry", _NS), start=1)]
    return Feed(int(total_text), results)


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, _NS)
    return None if found is None else found.text


def _result(number: int, entry: Any) -> arxiv.Result:
    entry_id = (_text(entry, "atom:id") or "").strip()
    if not entry_id:
        raise FeedError(f"entry {number} has no <id>")
    dates: dict[str, dt.datetime] = {}
    for name in ("updated", "published"):
        raw = (_text(entry, f"atom:{name}") or "").strip()
        try:
            when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise FeedError(f"entry {entry_id}: <{name}> is {raw[:40]!r}, not a timestamp") from None
        dates[name] = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    authors = [
        arxiv.Result.Author(
            name=_text(author, "atom:name") or "",
            affiliation=[a.text for a in author.iterfind("arxiv:affiliation", _NS) if a.text is not None],
        )
        for author in entry.iterfind("atom:author", _NS)
    ]
    links = [
        arxiv.Result.Link(href=link.get("href"), title=link.get("title"), rel=link.get("rel") or "", content_type=link.get("type"))
        for link in entry.iterfind("atom:link", _NS)
        if link.get("href") is not None
    ]
    primary = entry.find("arxiv:primary_category", _NS)
    return arxiv.Result(
        entry_id=entry_id,
        updated=dates["updated"],
        published=dates["published"],
        title=re.sub(r"\s+", " ", _text(entry, "atom:title") or ""),
        authors=authors,
        summary=_text(entry, "atom:summary") or "",
        comment=_text(entry, "arxiv:comment"),
        journal_ref=_text(entry, "arxiv:journal_ref"),
        doi=_text(entry, "arxiv:doi"),
        primary_category=(primary.get("term") if primary is not None else None) or "",
        categories=[term for c in entry.iterfind("atom:category", _NS) if (term := c.get("term")) is not None],
        links=links,
    )


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
                results = self._run(_query(id_list=asking), max_results=len(asking), page_size=len(asking))
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
        params = _query(query=query, sort_by=sort_by, sort_order=sort_order)
        return self._run(params, max_results=max_results, page_size=min(self.settings.page_size, max(max_results, 1)))

    def _run(self, params: dict[str, str], max_results: int, page_size: int) -> list[arxiv.Result]:
        if max_results <= 0:
            return []
        self.client.page_size = page_size
        return self.client.results(params, max_results)


def _query(
    query: str = "",
    id_list: list[str] | None = None,
    sort_by: arxiv.SortCriterion = arxiv.SortCriterion.Relevance,
    sort_order: arxiv.SortOrder = arxiv.SortOrder.Descending,
) -> dict[str, str]:
    """The API's query parameters, in the order the ``arxiv`` package sends them (start and max_results follow)."""
    return {"search_query": query, "id_list": ",".join(id_list or []), "sortBy": sort_by.value, "sortOrder": sort_order.value}


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
