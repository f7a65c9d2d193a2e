"""A paper's full text from arXiv, for ``paperkb fill``: the HTML rendering where arXiv has one, else the PDF.

Fetched through the same polite client as ``add`` (:class:`~paperkb.ingest.arxiv_client.PoliteClient`: one
connection, ``delay_seconds`` between requests, a User-Agent, a deadline per request, backoff with a capped
Retry-After) from ``[tool.paperkb.arxiv] site`` (``https://arxiv.org``): ``/html/<id>v<n>`` (arXiv's LaTeXML
rendering; 404 when it has none), then ``/pdf/<id>v<n>``. The text is extracted with maintained libraries:
lxml for the HTML (headings and paragraphs in document order, math as its TeX ``alttext``; the bibliography,
scripts and navigation dropped), pypdf for a PDF (its text, split at lines that look like section headings).

The extracted text is cached per ID and version in ``.paperkb-cache/fulltext/`` (:mod:`paperkb.model.fulltext`),
so a second run fetches nothing. What cannot be had is a reason, not an error: fill falls back to the abstract.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import lxml.html
import pypdf
from lxml import etree

from paperkb.ingest.arxiv_client import Answer, ArxivError, ArxivSource, FetchError, canonical_id, result_id
from paperkb.model import config
from paperkb.model.fulltext import FullText, TextSection, cache_path
from paperkb.model.pages import atomic_write

#: At most this many PDF pages are read: the body of a paper, not a 300-page appendix.
MAX_PDF_PAGES = 80
#: Sections whose text is not the paper's own prose.
_SKIPPED_TITLES = re.compile(r"^\s*(?:[A-Z]\.?|\d+\.?)?\s*(references|bibliography|acknowledge?ments?)\s*$", re.I)
_DROPPED = (
    "script", "style", "nav", "header", "footer", "button", "noscript", "svg", "img", "form",
)  # fmt: skip
_DROPPED_CLASSES = ("ltx_bibliography", "ltx_page_footer", "ltx_page_header", "ltx_authors", "ltx_dates", "ltx_role_footnote")


@dataclass
class Outcome:
    """Full texts by version-free ID, and why the others could not be had (fill says so and uses the abstract)."""

    texts: dict[str, FullText] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    fetched: int = 0  # documents fetched from arXiv in this run (0 when every text came from the cache)
    cached: int = 0  # texts read from the cache


class FullTextSource:
    """Full texts of papers, from the cache or from arXiv."""

    def __init__(self, kb: config.KnowledgeBase, source: ArxivSource | None):
        self.kb = kb
        self.source = source  # None: the cache only

    def cached(self, wanted: Iterable[tuple[str, int | None]]) -> Outcome:
        """What the cache holds of these (ID, version) pairs; nothing is fetched (a pair without a version is not
        looked up)."""
        outcome = Outcome()
        for arxiv_id, version in wanted:
            found = self.from_cache(canonical_id(arxiv_id), version) if version is not None else None
            if found is not None:
                outcome.texts[found.arxiv_id] = found
                outcome.cached += 1
        return outcome

    def from_cache(self, arxiv_id: str, version: int) -> FullText | None:
        path = cache_path(self.kb.root, arxiv_id, version)
        if not path.is_file():
            return None
        found = FullText.from_json(path.read_text("utf-8"))
        return found if found is not None and found.arxiv_id == arxiv_id and found.version == version else None

    def get(self, wanted: Iterable[tuple[str, int | None]]) -> Outcome:
        """Full texts of (arXiv ID, version) pairs; a pair without a version is the latest (asked of the API)."""
        outcome = Outcome()
        pairs = [(canonical_id(arxiv_id), version) for arxiv_id, version in wanted]
        pairs = list(dict.fromkeys(pairs))
        unversioned = [arxiv_id for arxiv_id, version in pairs if version is None]
        latest = self.latest_versions(unversioned, outcome) if unversioned else {}
        for arxiv_id, version in pairs:
            version = version if version is not None else latest.get(arxiv_id)
            if version is None:
                outcome.missing.setdefault(arxiv_id, "arXiv did not say which version is the latest")
                continue
            try:
                text = self.one(arxiv_id, version, outcome)
            except ArxivError as exc:
                outcome.missing[arxiv_id] = str(exc)
                continue
            if isinstance(text, str):
                outcome.missing[arxiv_id] = text
            else:
                outcome.texts[arxiv_id] = text
        return outcome

    def latest_versions(self, ids: list[str], outcome: Outcome) -> dict[str, int]:
        found: dict[str, int] = {}
        assert self.source is not None, "a cache-only FullTextSource fetches nothing (use cached())"
        try:
            for batch in self.source.fetch_batches(ids):
                for arxiv_id, result in batch.found.items():
                    version = result_id(result)[1]
                    if version is not None:
                        found[canonical_id(arxiv_id)] = version
                for arxiv_id in batch.missing:
                    outcome.missing[canonical_id(arxiv_id)] = "arXiv does not know this ID"
        except FetchError as exc:
            for arxiv_id in exc.not_fetched:
                outcome.missing[canonical_id(arxiv_id)] = exc.reason
        return found

    def one(self, arxiv_id: str, version: int, outcome: Outcome) -> FullText | str:
        """The text of one version (cached, else fetched and cached), or why it cannot be had."""
        cached = self.from_cache(arxiv_id, version)
        if cached is not None:
            outcome.cached += 1
            return cached
        assert self.source is not None, "a cache-only FullTextSource fetches nothing (use cached())"
        site = self.source.settings.site
        html = self.source.client.document(f"{site}/html/{arxiv_id}v{version}")
        outcome.fetched += 1
        text: FullText | None = None
        problems = []
        if html.status == 200 and _is_html(html):
            sections = html_sections(html.body)
            if sum(len(s.paragraphs) for s in sections) >= 3:
                text = FullText(arxiv_id, version, "html", sections)
            else:
                problems.append("its HTML rendering holds no text")
        else:
            problems.append(f"no HTML rendering ({html.describe()})")
        if text is None:
            pdf = self.source.client.document(f"{site}/pdf/{arxiv_id}v{version}")
            outcome.fetched += 1
            if pdf.status == 200 and pdf.body.startswith(b"%PDF"):
                sections, problem = pdf_sections(pdf.body)
                if sections:
                    text = FullText(arxiv_id, version, "pdf", sections)
                else:
                    problems.append(f"its PDF could not be read ({problem})")
            else:
                problems.append(f"no PDF ({pdf.describe()})")
        if text is None:
            return f"v{version}: " + "; ".join(problems)
        path = cache_path(self.kb.root, arxiv_id, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.as_json())
        return text


def _is_html(answer: Answer) -> bool:
    return answer.content_type in ("text/html", "application/xhtml+xml")


# -- HTML -----------------------------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return " ".join(text.split())


def html_sections(body: bytes) -> list[TextSection]:
    """Headings and paragraphs of an HTML paper, in document order (LaTeXML's classes where they help)."""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, recover=True)
    try:
        root = lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError):
        return []
    for math in _elements(root, "math"):
        _replace_with_text(math, f" {math.get('alttext') or ''} ")
    for element in _elements(root, *_DROPPED):
        element.drop_tree()
    for element in _elements(root):
        classes = (element.get("class") or "").split()
        if any(name in classes for name in _DROPPED_CLASSES):
            element.drop_tree()
    article = next(root.iter("article"), None)
    scope = article if article is not None else root
    sections: list[TextSection] = [TextSection("")]
    skipping = False
    for element in _elements(scope, "h2", "h3", "h4", "h5", "h6", "p", "figcaption"):
        text = _squash(element.text_content())
        if not text:
            continue
        if element.tag.startswith("h"):
            skipping = bool(_SKIPPED_TITLES.match(text))
            if not skipping:
                sections.append(TextSection(text))
        elif not skipping and not _inside(element, "p"):
            sections[-1].paragraphs.append(text)
    return [s for s in sections if s.paragraphs]


def _elements(root: lxml.html.HtmlElement, *tags: str) -> list[lxml.html.HtmlElement]:
    """The HTML elements under ``root`` (with these tags), as a list: the caller may change the tree."""
    return [element for element in root.iter(*tags) if isinstance(element, lxml.html.HtmlElement)]


def _inside(element: lxml.html.HtmlElement, tag: str) -> bool:
    return any(parent.tag == tag for parent in element.iterancestors())


def _replace_with_text(element: lxml.html.HtmlElement, text: str) -> None:
    previous = element.getprevious()
    parent = element.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    elif parent is not None:
        parent.text = (parent.text or "") + text
    element.drop_tree()


# -- PDF ------------------------------------------------------------------------------------------------------
#: A line that heads a section: '3 Method', '4.2 Results', 'Abstract', 'Conclusion' (short, no final period).
_PDF_HEADING = re.compile(
    r"^(?:(?:\d+(?:\.\d+){0,2}|[IVX]+|[A-H])\.?\s+[A-Z][\w ,:&()/-]{2,70}"
    r"|Abstract|Introduction|Related Work|Background|Methods?|Approach|Experiments?|Results|Discussion|Conclusions?"
    r"|Limitations|References|Acknowledge?ments?)$"
)


def pdf_sections(body: bytes) -> tuple[list[TextSection], str]:
    """Sections of a PDF's text (pypdf), or none and why; a PDF can be broken in many ways, all reported."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds of error on a malformed file; each is "unreadable"
        return [], f"{type(exc).__name__}: {_squash(str(exc))[:120]}"
    sections: list[TextSection] = [TextSection("")]
    lines: list[str] = []
    skipping = False

    def close() -> None:
        text = re.sub(r"(\w)- (\w)", r"\1\2", _squash(" ".join(lines)))  # words hyphenated across lines
        if text and not skipping:
            sections[-1].paragraphs.append(text)
        lines.clear()

    for line in "\n".join(pages).splitlines():
        line = line.strip()
        if _PDF_HEADING.match(line) and len(line) <= 80:
            close()
            skipping = bool(_SKIPPED_TITLES.match(line))
            if not skipping:
                sections.append(TextSection(line))
        elif not line:
            close()
        else:
            lines.append(line)
    close()
    found = [s for s in sections if s.paragraphs]
    return found, "" if found else "no text in it"
