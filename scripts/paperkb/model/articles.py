"""Articles: long-form pages across papers (``content/articles/<slug>.md``), read one way everywhere.

An article is Markdown with YAML front matter, read and written by :mod:`paperkb.model.pages` like a paper page::

    ---
    title: An aggregated report on DeepSeek-R1
    byline: A graduate research assistant      # optional
    papers:                                    # the papers it covers: a slug or an arXiv ID,
    - deepseek-r1                              #   its section titled as the paper's page is,
    - {paper: '2412.19437', section: DeepSeek-V3}   # or as 'section' says
    topics: [reasoning]                        # optional, ids of content/topics.yml
    status: todo                               # todo, draft or reviewed, as papers
    updated: 2025-01-28                        # optional: when the text last changed (a date or a date and time)
    ---

The body has one ``## <section>`` per covered paper (missing or ``todo`` exactly as a paper page's sections), and
any of the optional sections :data:`OPTIONAL_SECTIONS` and sections of the author's own. What a reader must be able
to trust carries its origin:

- **Quotes** and **Commentary**: every blockquote ends with its source, a line ``— who, where`` (an em dash or
  ``--``) inside the quote or right under it: ``> — DeepSeek-R1 paper, <https://…>``.
- **Timeline**: every list item starts with its date, ``- 2025-01-20: …`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``);
  ``- undated: …`` keeps an event whose date the author does not know (yet), said outright.

``paperkb check`` reports what breaks these (:func:`quote_problems`, :func:`timeline_problems`, unknown papers with a
did-you-mean, a status the sections contradict); the site shows each article with the papers it covers and each
paper page the articles that cover it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Any

from paperkb.model.arxiv_ids import parse_arxiv_id
from paperkb.model.facts import arxiv_id_of, title_of
from paperkb.model.markdown_text import fenced_spans
from paperkb.model.pages import Page, is_missing

ARTICLES_FOLDER = "articles"
#: Sections an article may have besides one per paper, in the order they usually come.
OPTIONAL_SECTIONS = ("Summary", "Quotes", "Timeline", "What Didn't Work", "Commentary", "References")
SOURCED_SECTIONS = ("Quotes", "Commentary")
TIMELINE_SECTION = "Timeline"
UNDATED = "undated"


@dataclass(frozen=True)
class Covered:
    """One paper an article covers: as written, the page it names (None when none does) and its section title."""

    ref: str
    page: Page | None
    section: str
    index: int  # its place in 'papers:'


def _ref(item: Any) -> tuple[str | None, str | None]:
    """(slug or arXiv ID, section title given) of a 'papers:' item; (None, None) when it is neither form."""
    if isinstance(item, str) and item.strip():
        return item.strip(), None
    if isinstance(item, dict) and isinstance(item.get("paper"), str) and item["paper"].strip():
        section = item.get("section")
        return item["paper"].strip(), " ".join(section.split()) if isinstance(section, str) and section.strip() else None
    return None, None


class PaperLookup:
    """Paper pages by slug and by arXiv ID (one lookup for every article of a build or a check)."""

    def __init__(self, pages: list[Page]):
        self.by_slug = {page.slug: page for page in pages}
        self.by_id: dict[str, Page] = {}
        for page in pages:
            arxiv_id = arxiv_id_of(page)
            if arxiv_id:
                self.by_id.setdefault(arxiv_id, page)

    def find(self, ref: str) -> Page | None:
        if ref in self.by_slug:
            return self.by_slug[ref]
        parsed = parse_arxiv_id(ref)
        return self.by_id.get(parsed.id) if parsed else None


def covered_papers(article: Page, papers: PaperLookup) -> list[Covered]:
    """The papers of the article's 'papers:' list that are written in a form it reads, in order."""
    value = article.meta.get("papers")
    covered = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        ref, section = _ref(item)
        if ref is None:
            continue
        page = papers.find(ref)
        covered.append(Covered(ref, page, section or (title_of(page) if page else ref), index))
    return covered


def missing_paper_sections(article: Page, covered: list[Covered]) -> list[str]:
    """Titles of the covered papers' sections that are absent, empty or a placeholder ('todo')."""
    return [c.section for c in covered if is_missing(article.section_text(c.section))]


def item_problem(item: Any) -> str | None:
    if _ref(item)[0] is None:
        return "must be a paper page's slug or an arXiv ID, or {paper: <slug or ID>, section: <its section's title>}"
    return None


# -- sourced quotes and dated timeline entries ---------------------------------------------------------------------
_QUOTE_LINE = re.compile(r"^ {0,3}>[ \t]?(.*)$")
_SOURCE_LINE = re.compile(r"^(?:—|―|--)[ \t]*\S")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_LIST_ITEM = re.compile(r"^[-*+][ \t]+(.*)$")
_DATE_AT_START = re.compile(r"^(?:\*\*|__)?([^:*_]+?)(?:\*\*|__)?[ \t]*[:—–-][ \t]")


def _section_lines(article: Page, title: str) -> tuple[list[str], int] | None:
    """The lines of a section's body (fenced code blanked) and the line number of its first line."""
    section = article.section(title)
    if section is None:
        return None
    body = section.body(article.text)
    for start, end in fenced_spans(body):
        body = body[:start] + re.sub(r"[^\n]", " ", body[start:end]) + body[end:]
    return body.replace("\r\n", "\n").split("\n"), section.line + 1


def quote_problems(article: Page, title: str) -> list[tuple[int, str]]:
    """(line, message) for every blockquote of section ``title`` without a source line ('— who, where')."""
    found = _section_lines(article, title)
    if found is None:
        return []
    lines, first = found
    problems = []
    index = 0
    while index < len(lines):
        if not _QUOTE_LINE.match(lines[index]):
            index += 1
            continue
        start = index
        while index < len(lines) and _QUOTE_LINE.match(lines[index]):
            index += 1
        quoted = [m.group(1).strip() for line in lines[start:index] if (m := _QUOTE_LINE.match(line))]
        last = next((text for text in reversed(quoted) if text), "")
        # or the paragraph right under it, after at most one blank line ('— the paper' below the quote)
        following = [line.strip() for line in lines[index : index + 2]]
        after = following[0] or (following[1] if len(following) > 1 else "")
        if not (_SOURCE_LINE.match(last) or _SOURCE_LINE.match(after)):
            problems.append((first + start, f"a quote in '{title}' without its source; end it with a line '> — who, where' (a URL when there is one)"))
    return problems


def timeline_entries(article: Page) -> list[tuple[int, str | None, str]]:
    """(line, date or 'undated' or None, text) of each list item of the Timeline section."""
    found = _section_lines(article, TIMELINE_SECTION)
    if found is None:
        return []
    lines, first = found
    entries = []
    for offset, line in enumerate(lines):
        item = _LIST_ITEM.match(line)
        if not item:
            continue
        text = item.group(1)
        head = _DATE_AT_START.match(text)
        when = head.group(1).strip() if head else None
        if when is not None and not (_DATE.match(when) or when.casefold() == UNDATED):
            when = None
        entries.append((first + offset, when.casefold() if when and when.casefold() == UNDATED else when, text))
    return entries


def timeline_problems(article: Page) -> list[tuple[int, str, str]]:
    """(line, severity, message) for each timeline entry without a date (or with one that is not on the calendar)."""
    problems = []
    for line, when, _ in timeline_entries(article):
        if when is None:
            problems.append((line, "error", "a timeline entry without a date; start it with one: '- 2025-01-20: …' (or '- undated: …' until it is known)"))
        elif when == UNDATED:
            continue  # said outright: the author does not know the date yet, and the page shows it as undated
        elif not _valid_date(when):
            problems.append((line, "error", f"timeline date {when} is not a real date; use YYYY, YYYY-MM or YYYY-MM-DD"))
    return problems


def _valid_date(text: str) -> bool:
    parts = [int(part) for part in text.split("-")]
    if len(parts) >= 2 and not 1 <= parts[1] <= 12:
        return False
    if len(parts) == 3:
        return 1 <= parts[2] <= calendar.monthrange(parts[0], parts[1])[1]
    return True
