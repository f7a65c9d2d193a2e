"""A fake arXiv export API: a real HTTP server on 127.0.0.1 that the real ``arxiv`` client talks to.

It answers ``/api/query`` from a small in-memory table of papers with Atom documents in the exact format of
arXiv's recorded responses (see tests/fixtures/arxiv/README.md):

- ``id_list`` queries: unknown IDs are silently dropped, results come back in an arbitrary order, a versioned
  ID (``2501.12948v1``) returns that version; a malformed ID is an HTTP 400 whose body is an error entry;
- ``search_query`` queries in arXiv's syntax (``ti:``, ``abs:``, ``au:``, ``cat:``, ``all:``, quoted phrases,
  ``AND``/``OR``/``ANDNOT``, parentheses, ``submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]``), sorted as asked
  and paged with ``start``/``max_results``;
- scripted faults, one per request in order: an HTTP status (503, 429 with ``Retry-After``, a 5xx with an
  HTML body), a stalled connection, an unexpectedly empty page, and the ways a network misbehaves: an answer
  cut off mid-body (with or without a Content-Length), dripped one byte at a time (body only, or status line
  and headers too), an empty body, or a feed that is not XML. A port that never answers at all (half-open)
  is :class:`tests.support.black_hole.BlackHole`.

It also serves papers' full texts as arxiv.org does, for fill: ``/html/<id>v<n>`` and ``/pdf/<id>v<n>`` from
:attr:`FakeArxiv.documents` (``serve_html``, ``serve_pdf``), 404 for any other; a scripted status fault applies
to them too.

Every request is recorded (arrival time on the monotonic clock, query string, status) and so is the largest
number of connections served at once, so tests can measure the client's spacing and concurrency.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import random
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"
_NEW_ID = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")
_OLD_ID = re.compile(r"^[a-z]+(-[a-z]+)*(\.[A-Z]{2})?/\d{7}(v\d+)?$")
_FEED_OPEN = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
    'xmlns="http://www.w3.org/2005/Atom">\n'
)


# -- the paper table --------------------------------------------------------------------------------------
@dataclass
class Version:
    title: str
    summary: str
    updated: dt.datetime
    comment: str | None = None  # this version's comment, when it differs from the paper's (arXiv keeps one per version)


@dataclass
class Author:
    name: str
    affiliations: list[str] = field(default_factory=list)


@dataclass
class FakePaper:
    id: str  # version-free, as arXiv names it ('2501.12948', 'cs/9901001')
    published: dt.datetime  # v1
    versions: list[Version]
    authors: list[Author]
    categories: list[str]
    primary_category: str
    comment: str | None = None
    doi: str | None = None
    journal_ref: str | None = None

    @property
    def latest(self) -> int:
        return len(self.versions)


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, 12, 0, 0, tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def paper_from_dict(data: dict[str, Any]) -> FakePaper:
    published = _utc(data["published"])
    versions = [Version(v["title"], v["summary"], _utc(v.get("updated", published)), v.get("comment")) for v in data["versions"]]
    authors = [Author(a) if isinstance(a, str) else Author(a["name"], list(a.get("affiliations", []))) for a in data["authors"]]
    categories = list(data.get("categories") or [data["primary_category"]])
    return FakePaper(
        id=str(data["id"]),
        published=published,
        versions=versions,
        authors=authors,
        categories=categories,
        primary_category=data.get("primary_category", categories[0]),
        comment=data.get("comment"),
        doi=data.get("doi"),
        journal_ref=data.get("journal_ref"),
    )


def load_table(path: Path = FIXTURES / "papers.yml") -> list[FakePaper]:
    return [paper_from_dict(item) for item in yaml.safe_load(path.read_text("utf-8"))]


def synthetic_papers(count: int, prefix: str = "2509", published: dt.date = dt.date(2025, 9, 1)) -> list[FakePaper]:
    """``count`` deterministic papers with IDs prefix.00001, prefix.00002, ... (for batching and benchmarks)."""
    papers = []
    for n in range(1, count + 1):
        when = _utc(published) + dt.timedelta(minutes=n)
        papers.append(
            FakePaper(
                id=f"{prefix}.{n:05d}",
                published=when,
                versions=[
                    Version(f"Synthetic Paper {n}: Scaling Tests for Batched Ingestion", f"Abstract of synthetic paper {n}. We study $O(n)$ batching.", when)
                ],
                authors=[Author(f"Author {n}"), Author("Second Author", ["Tsinghua University"])],
                categories=["cs.LG", "cs.AI"],
                primary_category="cs.LG",
            )
        )
    return papers


# -- the query language --------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return re.findall(r"[a-z0-9]+", text)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    if not needle:
        return False
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


_TOKEN = re.compile(r'\s*(\(|\)|[A-Za-z]+:"[^"]*"|[A-Za-z]+:\[[^\]]*\]|"[^"]*"|[^\s()]+)')


def _tokenize(query: str) -> list[str]:
    tokens, pos = [], 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if not match:
            break
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


Predicate = Callable[[FakePaper, Version], bool]


class _Parser:
    """arXiv's boolean syntax, evaluated left to right as arXiv does; parentheses group."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.pos = 0

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda paper, version: False
        return self._expression()

    def _expression(self) -> Predicate:
        left = self._operand()
        while self.pos < len(self.tokens) and self.tokens[self.pos] != ")":
            op = self.tokens[self.pos]
            if op in ("AND", "OR", "ANDNOT"):
                self.pos += 1
            else:
                op = "AND"  # adjacent terms
            right = self._operand()
            left = _combine(op, left, right)
        return left

    def _operand(self) -> Predicate:
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            inner = self._expression()
            if self.pos < len(self.tokens) and self.tokens[self.pos] == ")":
                self.pos += 1
            return inner
        return _term(token)


def _combine(op: str, left: Predicate, right: Predicate) -> Predicate:
    if op == "OR":
        return lambda p, v: left(p, v) or right(p, v)
    if op == "ANDNOT":
        return lambda p, v: left(p, v) and not right(p, v)
    return lambda p, v: left(p, v) and right(p, v)


def _field_text(name: str, paper: FakePaper, version: Version) -> str:
    authors = " ".join(a.name for a in paper.authors)
    return {
        "ti": version.title,
        "abs": version.summary,
        "au": authors,
        "co": paper.comment or "",
        "jr": paper.journal_ref or "",
        "id": paper.id,
        "all": " ".join([version.title, version.summary, authors, paper.comment or "", " ".join(paper.categories)]),
    }.get(name, "")


def _term(token: str) -> Predicate:
    name, _, value = token.partition(":") if ":" in token else ("all", "", token)
    value = value.strip('"')
    if name in ("submittedDate", "lastUpdatedDate"):
        low, _, high = value.strip("[]").partition(" TO ")

        def in_range(paper: FakePaper, version: Version) -> bool:
            stamp = (paper.published if name == "submittedDate" else version.updated).strftime("%Y%m%d%H%M")
            return low.strip().ljust(12, "0") <= stamp <= high.strip().ljust(12, "9")

        return in_range
    if name == "cat":
        return lambda paper, version: value.casefold() in (c.casefold() for c in paper.categories)
    needle = _words(value)
    return lambda paper, version: _contains(_words(_field_text(name, paper, version)), needle)


# -- Atom documents ----------------------------------------------------------------------------------------
def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_entry(paper: FakePaper, version_number: int) -> str:
    version = paper.versions[version_number - 1]
    vid = f"{paper.id}v{version_number}"
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <title>{escape(version.title)}</title>",
        f"    <updated>{_stamp(version.updated)}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(version.summary)}</summary>",
    ]
    lines += [f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>' for c in paper.categories]
    lines.append(f"    <published>{_stamp(paper.published)}</published>")
    comment = version.comment if version.comment is not None else paper.comment
    if comment:
        lines.append(f"    <arxiv:comment>{escape(comment)}</arxiv:comment>")
    lines.append(f"    <arxiv:primary_category term={quoteattr(paper.primary_category)}/>")
    for author in paper.authors:
        lines += ["    <author>", f"      <name>{escape(author.name)}</name>"]
        lines += [f"      <arxiv:affiliation>{escape(a)}</arxiv:affiliation>" for a in author.affiliations]
        lines.append("    </author>")
    if paper.doi:
        lines.append(f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>")
        lines.append(f'    <link rel="related" href={quoteattr("https://doi.org/" + paper.doi)} title="doi"/>')
    if paper.journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>")
    lines.append("  </entry>")
    return "\n".join(lines) + "\n"


def render_feed(params: dict[str, str], entries: list[str], total: int, now: dt.datetime) -> str:
    shown = (
        f"search_query={params.get('search_query', '')}&id_list={params.get('id_list', '')}"
        f"&start={params.get('start', '0')}&max_results={params.get('max_results', '10')}"
    )
    link = "https://arxiv.org/api/query?" + urlencode(
        {k: params.get(k, d) for k, d in (("search_query", ""), ("start", "0"), ("max_results", "10"), ("id_list", ""))}, safe=":,/"
    )
    feed_id = base64.b64encode(hashlib.sha1(shown.encode()).digest()).decode().rstrip("=")
    return (
        _FEED_OPEN
        + f"  <id>https://arxiv.org/api/{feed_id}</id>\n"
        + f"  <title>arXiv Query: {escape(shown)}</title>\n"
        + f"  <updated>{_stamp(now)}</updated>\n"
        + f'  <link href={quoteattr(link)} type="application/atom+xml"/>\n'
        + f"  <opensearch:itemsPerPage>{params.get('max_results', '10')}</opensearch:itemsPerPage>\n"
        + f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        + f"  <opensearch:startIndex>{params.get('start', '0')}</opensearch:startIndex>\n"
        + "".join(entries)
        + "</feed>\n"
    )


def render_error(bad_id: str, now: dt.datetime) -> str:
    anchor = "incorrect_id_format_for_" + re.sub(r"[^A-Za-z0-9.]", "_", bad_id)
    return (
        _FEED_OPEN
        + "  <id>https://arxiv.org/</id>\n"
        + "  <title>arXiv Search Results</title>\n"
        + f"  <updated>{_stamp(now)}</updated>\n"
        + "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        + "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        + "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        + "  <entry>\n"
        + f"    <id>https://arxiv.org/api/errors#{anchor}</id>\n"
        + "    <title>Error</title>\n"
        + f"    <updated>{_stamp(now)}</updated>\n"
        + f'    <link href="https://arxiv.org/api/errors#{anchor}" rel="alternate" type="text/html"/>\n'
        + f"    <summary>incorrect id format for {escape(bad_id)}</summary>\n"
        + "    <author>\n"
        + "      <name>arXiv api core</name>\n"
        + "    </author>\n"
        + "  </entry>\n"
        + "</feed>\n"
    )


# -- faults and records ----------------------------------------------------------------------------------
@dataclass
class Fault:
    """What the server does instead of answering normally, for one request."""

    status: int | None = None  # answer with this HTTP status and a short text body
    retry_after: str | None = None  # Retry-After header value for that answer
    body: bytes | None = None  # with ``status``: this body instead of the short text ...
    content_type: str = "text/plain"  # ... of this type
    stall: float | None = None  # hold the connection open this long without answering, then drop it
    empty: bool = False  # answer 200 with the right totalResults but no entries
    empty_body: bool = False  # answer 200 (Atom content type) with no body at all
    not_xml: bool = False  # answer 200 (Atom content type) with an HTML page
    truncate: bool = False  # send the Content-Length of the whole answer, then half of it, then hang up
    cut: bool = False  # send half of the answer without a Content-Length, then hang up (looks complete to HTTP)
    drip: float | None = None  # send the body one byte every ``drip`` seconds (status line and headers at once)
    drip_headers: float | None = None  # send the whole response, status line first, one byte every ... seconds

    @property
    def label(self) -> str:
        for name in ("stall", "drip", "drip_headers"):
            if getattr(self, name) is not None:
                return f"{name} {getattr(self, name)}s"
        for name in ("empty", "empty_body", "not_xml", "truncate", "cut"):
            if getattr(self, name):
                return name.replace("_", " ")
        return f"HTTP {self.status}" + (f" Retry-After {self.retry_after}" if self.retry_after else "")


@dataclass
class Request:
    at: float  # time.monotonic() when the request line arrived
    query: str  # the raw query string
    params: dict[str, str]
    status: int = 0
    fault: str | None = None
    user_agent: str = ""
    path: str = "/api/query"

    @property
    def ids(self) -> list[str]:
        return [i for i in self.params.get("id_list", "").split(",") if i]


# -- the server ------------------------------------------------------------------------------------------
class FakeArxiv:
    """Start with ``with FakeArxiv(papers) as server:``; point the client at ``server.url``."""

    def __init__(self, papers: list[FakePaper] = (), seed: int = 7):
        self.papers: dict[str, FakePaper] = {}
        for paper in papers:
            self.add(paper)
        self.requests: list[Request] = []
        # Full texts: '/html/<id>v<n>' and '/pdf/<id>v<n>' (as on arxiv.org) -> (content type, body); others are 404.
        self.documents: dict[str, tuple[str, bytes]] = {}
        self.faults: deque[Fault] = deque()
        self.max_concurrent = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._seed = seed
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # table ------------------------------------------------------------------------------------------------
    def add(self, paper: FakePaper) -> None:
        self.papers[paper.id] = paper

    def add_version(
        self, arxiv_id: str, title: str | None = None, summary: str | None = None, updated: dt.datetime | None = None, comment: str | None = None
    ) -> None:
        paper = self.papers[arxiv_id]
        last = paper.versions[-1]
        paper.versions.append(Version(title or last.title, summary or last.summary, updated or dt.datetime.now(dt.UTC), comment or last.comment))

    def fail_next(self, *faults: Fault) -> None:
        """Apply these faults to the next requests, one each, in order."""
        with self._lock:
            self.faults.extend(faults)

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> FakeArxiv:
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeArxiv:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/query"

    @property
    def site(self) -> str:
        """Where /html/<id> and /pdf/<id> are served (arxiv.org's role)."""
        return self.url.removesuffix("/api/query")

    def serve_html(self, versioned_id: str, html: str) -> None:
        self.documents[f"/html/{versioned_id}"] = ("text/html; charset=utf-8", html.encode("utf-8"))

    def serve_pdf(self, versioned_id: str, pdf: bytes) -> None:
        self.documents[f"/pdf/{versioned_id}"] = ("application/pdf", pdf)

    def document_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path != "/api/query"]

    # measurements ----------------------------------------------------------------------------------------
    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals."""
        times = [r.at for r in self.requests]
        return [b - a for a, b in itertools.pairwise(times)]

    # answering -------------------------------------------------------------------------------------------
    def answer(self, params: dict[str, str]) -> tuple[int, str]:
        now = dt.datetime.now(dt.UTC)
        ids = [i for i in params.get("id_list", "").split(",") if i]
        for requested in ids:
            if not (_NEW_ID.match(requested) or _OLD_ID.match(requested)):
                return 400, render_error(requested, now)
        start = int(params.get("start", "0") or 0)
        max_results = int(params.get("max_results", "10") or 10)
        matches = self._id_matches(ids) if ids else self._search_matches(params)
        if ids and params.get("search_query"):
            predicate = _Parser(_tokenize(params["search_query"])).parse()
            matches = [(p, n) for p, n in matches if predicate(p, p.versions[n - 1])]
        if ids:
            random.Random(f"{self._seed}:{params.get('id_list')}").shuffle(matches)  # arXiv's order is arbitrary
        page = matches[start : start + max_results]
        return 200, render_feed(params, [render_entry(p, n) for p, n in page], len(matches), now)

    def _id_matches(self, ids: list[str]) -> list[tuple[FakePaper, int]]:
        found = []
        for requested in dict.fromkeys(ids):
            base, _, version = requested.partition("v") if _NEW_ID.match(requested) else _split_old(requested)
            base = re.sub(r"^([a-z-]+)\.[A-Z]{2}/", r"\1/", base)
            paper = self.papers.get(base)
            if paper is None:
                continue  # unknown IDs are silently dropped
            number = int(version) if version else paper.latest
            if 1 <= number <= paper.latest:
                found.append((paper, number))
        return found

    def _search_matches(self, params: dict[str, str]) -> list[tuple[FakePaper, int]]:
        predicate = _Parser(_tokenize(params.get("search_query", ""))).parse()
        matches = [(p, p.latest) for p in self.papers.values() if predicate(p, p.versions[-1])]
        sort_by, descending = params.get("sortBy", "relevance"), params.get("sortOrder", "descending") == "descending"
        if sort_by == "submittedDate":
            matches.sort(key=lambda m: m[0].published, reverse=descending)
        elif sort_by == "lastUpdatedDate":
            matches.sort(key=lambda m: m[0].versions[-1].updated, reverse=descending)
        else:
            matches.sort(key=lambda m: hashlib.sha1(f"{self._seed}{m[0].id}".encode()).hexdigest())
        return matches


def _split_old(requested: str) -> tuple[str, str, str]:
    match = re.match(r"^(.*?/\d{7})(?:v(\d+))?$", requested)
    assert match
    return match.group(1), "v", match.group(2) or ""


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArxiv
    server_version = "FakeArxiv/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        fake = self.fake
        arrived = time.monotonic()
        with fake._lock:
            fake._in_flight += 1
            fake.max_concurrent = max(fake.max_concurrent, fake._in_flight)
            fault = fake.faults.popleft() if fake.faults else None
        try:
            self._serve(fake, arrived, fault)
        finally:
            with fake._lock:
                fake._in_flight -= 1

    def _serve(self, fake: FakeArxiv, arrived: float, fault: Fault | None) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        record = Request(arrived, url.query, params, fault=fault.label if fault else None, user_agent=self.headers.get("User-Agent", ""), path=url.path)
        with fake._lock:
            fake.requests.append(record)
        document = url.path.startswith(("/html/", "/pdf/"))
        if url.path != "/api/query" and not document:
            record.status = 404
            self._send(404, "text/plain", b"not found")
            return
        if fault is not None and fault.stall is not None:
            fake._stopping.wait(fault.stall)  # say nothing, then hang up
            self.close_connection = True
            return
        if fault is not None and fault.status is not None:
            record.status = fault.status
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            body = fault.body if fault.body is not None else f"{fault.status} fake arXiv fault\n".encode()
            self._send(fault.status, fault.content_type, body, headers)
            return
        if document:  # a status fault was answered above; a document is served whole
            kind, body = fake.documents.get(url.path, ("text/html", b"<html><body><h1>No HTML for this paper</h1></body></html>"))
            record.status = 200 if url.path in fake.documents else 404
            self._send(record.status, kind, body)
            return
        status, text = fake.answer(params)
        if fault is not None and fault.empty:
            text = re.sub(r"  <entry>.*?</entry>\n", "", text, flags=re.S)
        record.status = status
        body = text.encode("utf-8")
        if fault is not None and fault.empty_body:
            body = b""
        elif fault is not None and fault.not_xml:
            body = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back soon</body></html>\n"
        self._send(status, ATOM, body, fault=fault)

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None, fault: Fault | None = None) -> None:
        fields = {"Content-Type": content_type, **(headers or {})}
        if fault is not None and fault.cut:
            fields["Connection"] = "close"  # no Content-Length: the end of the connection ends the body
        else:
            fields["Content-Length"] = str(len(body))
        if fault is not None and fault.drip_headers is not None:
            head = f"{self.protocol_version} {status} {HTTPStatus(status).phrase}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
            self.close_connection = True
            drip(self.wfile, head.encode("latin-1") + body, fault.drip_headers, self.fake._stopping)
            return
        self.send_response(status)
        for name, value in fields.items():
            self.send_header(name, value)
        self.end_headers()
        if fault is not None and (fault.truncate or fault.cut):
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif fault is not None and fault.drip is not None:
            self.close_connection = True
            drip(self.wfile, body, fault.drip, self.fake._stopping)
        else:
            self.wfile.write(body)


ATOM = "application/atom+xml; charset=utf-8"


def drip(out: Any, data: bytes, interval: float, stopping: threading.Event) -> None:
    """Write ``data`` one byte every ``interval`` seconds until done, the client hangs up or the server stops."""
    for index in range(len(data)):
        try:
            out.write(data[index : index + 1])
            out.flush()
        except OSError:  # the client gave up: that is what a bounded client does
            return
        if stopping.wait(interval):
            return
