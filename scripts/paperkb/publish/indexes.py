"""The site's index pages, as pure functions: ``SiteInput`` in, ``{docs_path: markdown}`` out.

``index_files`` writes exactly ``paths.generated_paths(...)``: the home dashboard, the all-papers page,
a topics index and a page per topic, the same for labs, a priorities index and a page per priority
(plus "unrated"), the contributors' status board, a timeline by month, and the archive (``browse/``: a
static page per publication year, or per month for a year too long for one page). Every path comes from
``paths``.

Bounded: every page lists at most a fixed number of papers (``Bounds``), so no page grows with the knowledge
base (at 10,000 papers the all-papers table alone was 5 MB). A page that lists fewer papers than it has says
how many there are and links to the browse view (the all-papers page, whose script filters and sorts every
paper) with its filter set: ``papers/?topic=reasoning``, ``?lab=DeepSeek``, ``?priority=high``, ``?status=draft``,
``?year=2025`` (``paths.browse_link``). Readers without JavaScript and crawlers reach every paper through the
archive, linked from the all-papers page and the timeline.

Small tables and prose are Markdown with relative links, which MkDocs checks in strict builds. Lists of
papers (thousands of rows at scale) are HTML in raw blocks (``render.raw_html``), with links to built URLs
(``paths.relative_url``): Markdown parsing of those rows dominated the build; the build test checks that
every link in the built site resolves.

Output is deterministic (sorted; nothing depends on the clock) and everything that came from a page or a
vocabulary is escaped (``render.md_text`` in Markdown, ``render.html_text`` in HTML). Pages listing papers
are not in the search index (``publish.search_index`` indexes papers, topics and labs only), so a search for a
title finds the paper rather than every list naming it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from paperkb.model import paths
from paperkb.model.facts import labs_of, machine_written, priority_of, stale_sections, status_of, title_of, topics_of
from paperkb.model.pages import SECTION_TITLES, STATUSES, Page, PageMemo, as_date
from paperkb.model.site_input import SiteInput
from paperkb.model.vocab import Lab, Topic, Vocabulary
from paperkb.publish.citation import coins_span
from paperkb.publish.markup import docs_link, html_text, md_link, md_text, raw_html

STATUS_TITLES = {"todo": "To do", "draft": "Awaiting review", "reviewed": "Reviewed"}
PRIORITY_TITLES = {"urgent": "Urgent", "high": "High", "medium": "Medium", "low": "Low", paths.UNRATED: "Unrated"}
PRIORITY_RANK = {name: rank for rank, name in enumerate(paths.PRIORITY_PAGES)}


@dataclass(frozen=True)
class Bounds:
    """How many papers a generated page lists at most. Page weight must not grow with N: at these values the
    largest page at 10,000 papers stays under 100 KB of HTML (scripts/bench_build.py prints it)."""

    listed: int = 50  # a topic's, lab's or priority's page, each status board section, the timeline, all papers
    home: int = 10  # each list of the home page
    archive: int = 200  # one archive page (compact rows: date and title)


def _link(prefix: str, docs_path: str, text_html: str) -> str:
    """An HTML link to a docs page from a page whose URL prefix back to the site root is ``prefix``."""
    return f'<a href="{prefix}{paths.page_url(docs_path) or "./"}">{text_html}</a>'


@dataclass(frozen=True)
class Paper:
    """What the index pages show of one page: resolved against the vocabularies and escaped once."""

    slug: str
    path: str  # docs path of the paper page
    title: str
    published: dt.date | None
    added: dt.date | None
    labs: tuple[tuple[str, Lab | None], ...]  # (name as written, canonical lab or None when unknown)
    topics: tuple[tuple[str, Topic | None], ...]
    priority: str | None
    status: str
    missing: tuple[str, ...]  # titles of missing required sections
    machine: tuple[str, ...]  # titles of sections still machine-written
    stale: tuple[str, ...] = ()  # titles of machine-written sections a newer arXiv version outdates
    coins: str = ""  # COinS span (publish.citation): reference managers pick the paper from any list

    @property
    def priority_page(self) -> str:
        return self.priority or paths.UNRATED

    @functools.cached_property
    def newest_first_key(self) -> tuple[int, str, str]:
        """Newest first, undated last, ties by title: computed once, for the 55 lists sorted so at each build."""
        return (-(self.published or dt.date.min).toordinal(), *_title_key(self))

    @functools.cached_property
    def latest_added_key(self) -> tuple[int, int, str, str]:
        """Latest added first, then newest published, then by title (computed once: a kept row keeps it)."""
        return (-(self.added or dt.date.min).toordinal(), -(self.published or dt.date.min).toordinal(), *_title_key(self))


def paper_of(page: Page, vocab: Vocabulary) -> Paper:
    return Paper(
        slug=page.slug,
        path=paths.paper_path(page.slug),
        title=title_of(page),
        published=as_date(page.meta.get("published")),
        added=as_date(page.meta.get("added")),
        labs=tuple((name, vocab.lab_for(name)) for name in labs_of(page)),
        topics=tuple((topic_id, vocab.topics.get(topic_id)) for topic_id in topics_of(page)),
        priority=priority_of(page),
        status=status_of(page),
        missing=tuple(page.missing_sections()),
        machine=tuple(SECTION_TITLES[key] for key in machine_written(page)),
        stale=tuple(SECTION_TITLES[key] for key in stale_sections(page)),
        coins=coins_span(page),
    )


class IndexMemo:
    """What the index pages keep from one build to the next in one process (``mkdocs serve``: the session of
    ``publish.site``): each page's ``Paper`` while the page's text and the vocabularies are the same, and the table
    cells built from it (``Cells``). After an edit only the edited page's row is built again; the pages themselves
    are put together anew from the rows, so they are what a build from scratch writes. A fresh memo (``mkdocs
    build``) builds every row."""

    def __init__(self) -> None:
        self._vocab: Vocabulary | None = None
        self._papers: PageMemo[Paper] = PageMemo()  # a row depends on the page's file name and text only
        self.cells = Cells()

    @property
    def built(self) -> int:
        """Rows built since the memo was made."""
        return self._papers.built

    def papers(self, pages: list[Page], vocab: Vocabulary) -> list[Paper]:
        """The rows of ``pages``, resolved against ``vocab``: those of the last build for unchanged pages."""
        if self._vocab is None or self._vocab != vocab:  # a vocabulary edit can change every row
            self._vocab, self.cells = vocab, Cells()
            self._papers.clear()
        papers = [self._papers.get(page, lambda page: paper_of(page, vocab)) for page in pages]
        if self._papers.keep_only(pages):  # pages deleted or renamed since the last build
            self.cells.keep_only({paper.slug for paper in papers})
        return papers


# -- ordering ----------------------------------------------------------------------------------------------------
def _title_key(paper: Paper) -> tuple[str, str]:
    return (paper.title.casefold(), paper.slug)


def newest_first(papers: Iterable[Paper]) -> list[Paper]:
    """By publication date, newest first; undated papers last; ties by title."""
    return sorted(papers, key=_newest_first_key)


def _newest_first_key(paper: Paper) -> tuple[int, str, str]:
    return paper.newest_first_key


def latest_added(papers: Iterable[Paper]) -> list[Paper]:
    """By the date a page entered the knowledge base, then by publication date, newest first."""
    return sorted(papers, key=_latest_added_key)


def _latest_added_key(paper: Paper) -> tuple[int, int, str, str]:
    return paper.latest_added_key


def by_priority(papers: Iterable[Paper]) -> list[Paper]:
    """Most urgent first, newest first within a priority."""
    return sorted(newest_first(papers), key=lambda p: PRIORITY_RANK[p.priority_page])


# -- HTML cells -----------------------------------------------------------------------------------------------------
class Cells:
    """HTML table cells of papers, for pages at one URL depth (all cells of a depth are the same string).

    Rows repeat across pages (a paper is on the all-papers table, its topics', labs' and priority's pages,
    the timeline and the status board), so each cell is escaped and built once per depth. A cell is kept for
    the very ``Paper`` it was built from: kept across builds (``IndexMemo``), a paper whose page changed gets
    a new ``Paper`` and so new cells.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str], tuple[Paper, str]] = {}

    def cell(self, column: str, paper: Paper, prefix: str) -> str:
        key = (column, paper.slug, prefix)
        found = self._cache.get(key)
        if found is None or found[0] is not paper:
            found = self._cache[key] = (paper, CELL_BUILDERS[column](paper, prefix))
        return found[1]

    def keep_only(self, slugs: set[str]) -> None:
        """Forget the cells of papers no longer in the knowledge base."""
        for key in [key for key in self._cache if key[1] not in slugs]:
            del self._cache[key]


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _title(paper: Paper, prefix: str) -> str:
    return _title_link(paper, prefix) + paper.coins


def _title_link(paper: Paper, prefix: str) -> str:
    return _link(prefix, paper.path, html_text(paper.title))


def _labs(paper: Paper, prefix: str) -> str:
    return ", ".join(_link(prefix, paths.lab_path(lab.name), html_text(lab.name)) if lab else html_text(name) for name, lab in paper.labs)


def _topics(paper: Paper, prefix: str) -> str:
    return ", ".join(_link(prefix, paths.topic_path(topic.id), html_text(topic.title)) if topic else html_text(topic_id) for topic_id, topic in paper.topics)


CELL_BUILDERS: dict[str, Callable[[Paper, str], str]] = {
    "date": lambda p, prefix: _date(p.published),
    "added": lambda p, prefix: _date(p.added),
    "title": _title,
    "title_link": _title_link,  # without the COinS span (the archive's compact rows)
    "labs": _labs,
    "topics": _topics,
    "priority": lambda p, prefix: _link(prefix, paths.priority_path(p.priority), PRIORITY_TITLES[p.priority_page]),
    "status": lambda p, prefix: _link(prefix, paths.status_anchor(p.status), p.status),
    "missing": lambda p, prefix: html_text(", ".join(p.missing) or "—"),
    "machine": lambda p, prefix: html_text(", ".join(p.machine) or "—"),
    "stale": lambda p, prefix: html_text(", ".join(p.stale) or "—"),
}
HEADINGS = {
    "date": "Date",
    "added": "Added",
    "title": "Title",
    "title_link": "Title",
    "labs": "Labs",
    "topics": "Topics",
    "priority": "Priority",
    "status": "Status",
    "missing": "Missing sections",
    "machine": "Machine-written",
    "stale": "Stale sections",
}


# -- building blocks ----------------------------------------------------------------------------------------------
def front_matter(title: str) -> str:
    """Front matter of a generated page. The title is HTML-escaped: themes print meta titles unescaped."""
    return "\n".join(["---", f"title: {json.dumps(html_text(title))}", "---", ""])


def count_label(count: int) -> str:
    return f"{count:,} paper" if count == 1 else f"{count:,} papers"


class Listing:
    """Builds the paper tables and lists of one page (``here``: its docs path)."""

    def __init__(self, here: str, cells: Cells):
        self.here = here
        self.prefix = "../" * paths.page_url(here).count("/")
        self.cells = cells

    def table(self, papers: list[Paper], columns: Iterable[str]) -> str:
        """A table of papers, one row each, as a raw HTML block."""
        columns = list(columns)
        if not papers:
            return "_No papers yet._\n"
        cell = self.cells.cell
        head = "<tr>" + "".join(f"<th>{HEADINGS[c]}</th>" for c in columns) + "</tr>"
        # data-label: on a phone the stylesheet shows each row as a card, every cell under its column's name
        tds = [(f'<td data-label="{HEADINGS[c]}">', c) for c in columns]
        rows = ["<tr>" + "".join(f"{td}{cell(c, p, self.prefix)}</td>" for td, c in tds) + "</tr>" for p in papers]
        table = ['<div class="pkb-list">', "<table>", f"<thead>{head}</thead>", "<tbody>", *rows, "</tbody>", "</table>", "</div>"]
        return raw_html("\n".join(table))

    def items(self, papers: list[Paper], coins: bool = True) -> str:
        """A compact list of papers (date, linked title and, unless told not to, its COinS) as a raw HTML block."""
        cell = self.cells.cell
        title = "title" if coins else "title_link"
        rows = [f"<li>{cell('date', p, self.prefix)} — {cell(title, p, self.prefix)}</li>" for p in papers]
        return raw_html("\n".join(["<ul>", *rows, "</ul>"]))


#: How a list is ordered: (all of it, the part of it that is shown).
NEWEST = ("newest first", "the {shown:,} newest are listed here")
MOST_URGENT = ("most urgent first", "the {shown:,} most urgent are listed here")


def bounded(here: str, papers: list[Paper], shown: int, order: tuple[str, str], filters: Mapping[str, str], what: str = "") -> tuple[list[Paper], str]:
    """The first ``shown`` of ``papers`` (already in order) and the sentence that goes above them: how many there
    are (``what`` follows the count), how many are listed, and a link to the browse view with ``filters`` set."""
    total = len(papers)
    target = paths.browse_link(here, filters)
    if total <= shown:
        return papers, f"{count_label(total)}{what}, {order[0]} ({md_link('filter and sort them', target)})."
    return papers[:shown], f"{count_label(total)}{what}; {order[1].format(shown=shown)} ({md_link(f'browse all {total:,}', target)})."


# -- the archive: every paper on a static page, by year, month when a year is long --------------------------------------
def _month_id(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _by_month(papers: list[Paper]) -> dict[tuple[int, int], list[Paper]]:
    """Dated papers by (year, month), in the order given (dicts keep insertion order)."""
    months: dict[tuple[int, int], list[Paper]] = {}
    for paper in papers:
        if paper.published:
            months.setdefault((paper.published.year, paper.published.month), []).append(paper)
    return months


class Archive:
    """The archive pages (``browse/``): a page per publication year (its papers by month), a year longer than
    ``size`` papers as an index of month pages, a month or the undated papers longer than that in parts."""

    def __init__(self, papers: list[Paper], size: int):
        self.size = max(size, 1)
        self.years: dict[int | None, list[Paper]] = {}
        for paper in newest_first(papers):  # newest year first, undated last
            self.years.setdefault(paper.published.year if paper.published else None, []).append(paper)

    @staticmethod
    def year_path(year: int | None) -> str:
        return paths.archive_path(f"{year:04d}" if year is not None else paths.UNDATED)

    def is_split(self, year: int | None) -> bool:
        return year is not None and len(self.years[year]) > self.size

    def month_path(self, year: int, month: int) -> str:
        """Where a month's papers are: its own page, or its section of the year's page."""
        if self.is_split(year):
            return paths.archive_path(_month_id(year, month))
        return f"{self.year_path(year)}#{_month_id(year, month)}"

    def year_rows(self, here: str) -> list[str]:
        """Markdown table rows: each year (linked to its archive page) and its number of papers."""
        rows = []
        for year, members in self.years.items():
            label = f"{year:04d}" if year is not None else "Undated"
            rows.append(f"| {docs_link(label, here, self.year_path(year))} | {len(members):,} |")
        return rows

    def pages(self, cells: Cells) -> dict[str, str]:
        files: dict[str, str] = {}
        for year, members in self.years.items():
            if year is None:
                files.update(self._parts(paths.UNDATED, "Undated papers", "with no publication date", members, cells, None))
            elif not self.is_split(year):
                files[self.year_path(year)] = self._year_page(year, members, cells)
            else:
                months = _by_month(members)
                files[self.year_path(year)] = self._year_index(year, months)
                for (y, m), papers in months.items():
                    title = dt.date(y, m, 1).strftime("%B %Y")
                    files.update(self._parts(_month_id(y, m), title, f"published in {title}", papers, cells, y))
        return files

    def _intro(self, here: str, about: str, filters: Mapping[str, str], year: int | None = None) -> list[str]:
        """The sentence under an archive page's title: what it holds, the way up (its year, all years) and the browse view."""
        links = [docs_link(f"{year:04d}", here, self.year_path(year))] if year is not None else []
        links.append(docs_link("all years", here, f"{paths.ALL_PAPERS}#by-year"))
        if filters:
            links.append(md_link("filter and sort them in the browse view", paths.browse_link(here, filters)))
        return [f"{about} ({'; '.join(links)}).", ""]

    def _year_page(self, year: int, papers: list[Paper], cells: Cells) -> str:
        here = self.year_path(year)
        listing = Listing(here, cells)
        lines = [front_matter(f"{year:04d}"), f"# {year:04d}", ""]
        lines += self._intro(here, f"{count_label(len(papers))} published in {year:04d}, newest first", {"year": f"{year:04d}"})
        for (y, m), members in _by_month(papers).items():
            lines += [f"## {dt.date(y, m, 1).strftime('%B %Y')} {{ #{_month_id(y, m)} }}", "", listing.items(members)]
        return "\n".join(lines)

    def _year_index(self, year: int, months: dict[tuple[int, int], list[Paper]]) -> str:
        here = self.year_path(year)
        total = sum(map(len, months.values()))
        lines = [front_matter(f"{year:04d}"), f"# {year:04d}", ""]
        lines += self._intro(here, f"{count_label(total)} published in {year:04d}, too many for one page: a page per month", {"year": f"{year:04d}"})
        lines += ["| Month | Papers |", "|---|---:|"]
        for (y, m), members in months.items():
            lines.append(f"| {docs_link(dt.date(y, m, 1).strftime('%B %Y'), here, paths.archive_path(_month_id(y, m)))} | {len(members):,} |")
        return "\n".join(lines + [""])

    def _parts(self, period: str, title: str, about: str, papers: list[Paper], cells: Cells, year: int | None) -> dict[str, str]:
        """The pages of one month of ``year`` (or of the undated papers): one, or parts of at most ``size`` papers."""
        filters = {"year": f"{year:04d}"} if year is not None else {}
        chunks = [papers[start : start + self.size] for start in range(0, len(papers), self.size)]
        files = {}
        for number, chunk in enumerate(chunks, 1):
            here = paths.archive_path(period, number)
            heading = title if len(chunks) == 1 else f"{title} ({number} of {len(chunks)})"
            lines = [front_matter(heading), f"# {md_text(heading)}", ""]
            lines += self._intro(here, f"{count_label(len(papers))} {about}, newest first", filters, year)
            if len(chunks) > 1:
                first = (number - 1) * self.size + 1
                parts = [f"**{n}**" if n == number else docs_link(str(n), here, paths.archive_path(period, n)) for n in range(1, len(chunks) + 1)]
                lines += [f"Papers {first:,} to {first + len(chunk) - 1:,} on this page. Pages: {' · '.join(parts)}", ""]
            # no COinS here: a part lists up to 200 papers, and a ContextObject (~0.5 KB and more) each would take
            # the page past 100 KB; reference managers find them on the bounded lists and the paper pages
            lines.append(Listing(here, cells).items(chunk, coins=False))
            files[here] = "\n".join(lines)
        return files


# -- pages ----------------------------------------------------------------------------------------------------------
def home_page(papers: list[Paper], vocab: Vocabulary, cells: Cells, bounds: Bounds = Bounds()) -> str:
    here = paths.HOME
    listing = Listing(here, cells)
    statuses = Counter(p.status for p in papers)
    priorities = Counter(p.priority_page for p in papers)
    urgent, urgent_note = bounded(here, newest_first(p for p in papers if p.priority == "urgent"), bounds.home, NEWEST, {"priority": "urgent"})
    return "\n".join(
        [
            front_matter("paperkb"),
            "# paperkb",
            "",
            f"A knowledge base of AI research papers: {count_label(len(papers))}, {len(vocab.topics)} topics, "
            f"{len(vocab.labs)} labs. Browse {docs_link('all papers', here, paths.ALL_PAPERS)}, "
            f"the {docs_link('topics', here, paths.TOPICS_INDEX)}, the {docs_link('labs', here, paths.LABS_INDEX)} "
            f"or the {docs_link('timeline', here, paths.TIMELINE)}; help out on the "
            f"{docs_link('status board', here, paths.STATUS_BOARD)}.",
            "",
            "## By status",
            "",
            "| Status | Papers |",
            "|---|---:|",
            *(f"| {docs_link(STATUS_TITLES[s], here, paths.status_anchor(s))} | {statuses[s]:,} |" for s in STATUSES),
            "",
            "## By priority",
            "",
            "| Priority | Papers |",
            "|---|---:|",
            *(f"| {docs_link(PRIORITY_TITLES[p], here, paths.priority_path(p))} | {priorities[p]:,} |" for p in paths.PRIORITY_PAGES),
            "",
            "## Urgent papers",
            "",
            *([urgent_note, ""] if urgent else []),
            listing.table(urgent, ("date", "title", "status")),
            "## Latest additions",
            "",
            listing.table(latest_added(papers)[: bounds.home], ("added", "title", "date", "status")),
        ]
    )


def all_papers_page(papers: list[Paper], cells: Cells, bounds: Bounds = Bounds()) -> str:
    """The browse view's page. Without JavaScript (and for crawlers) it is static and bounded: the newest papers,
    then every year linked to its archive page."""
    here = paths.ALL_PAPERS
    archive = Archive(papers, bounds.archive)
    newest = newest_first(papers)
    shown = newest[: bounds.listed]
    if len(newest) > len(shown):
        note = f"The {len(shown):,} newest, then every paper by year of publication."
    else:
        note = "Newest first; every paper by year of publication below."
    lines = [
        front_matter("All papers"),
        "# All papers",
        "",
        f"{count_label(len(papers))} in the knowledge base.",
        "",
        # The filter-and-sort view over the search index (overrides/assets/javascripts/paperkb-search.js fills and
        # shows it, and the CSS then hides what follows); without JavaScript the bounded list below stays.
        raw_html('<div id="pkb-browse" hidden></div>'),
        "## Newest papers { #newest }",
        "",
        *([note, ""] if papers else []),
        Listing(here, cells).table(shown, ("date", "title", "labs", "topics", "priority", "status")),
    ]
    if papers:
        lines += ["## By year { #by-year }", "", "| Year | Papers |", "|---|---:|", *archive.year_rows(here), ""]
    return "\n".join(lines)


def _vocabulary_index(title: str, about: str, columns: tuple[str, str, str], rows: list[str]) -> str:
    """The topics or labs index: a table of every entry of the vocabulary with its paper count."""
    return "\n".join([front_matter(title), f"# {title}", "", about, "", f"| {' | '.join(columns)} |", "|---|---:|---|", *rows, ""])


def _vocabulary_page(
    title: str, about: str, path: str, mine: list[Paper], cells: Cells, columns: tuple[str, ...], shown: int, filters: Mapping[str, str]
) -> str:
    """One topic's or lab's page: what it is, then its newest papers (anchor #papers) and a link to all of them."""
    listed, note = bounded(path, mine, shown, NEWEST, filters)
    return "\n".join(
        [
            front_matter(title),
            f"# {md_text(title)}",
            "",
            about,
            "",
            "## Papers { #papers }",
            "",
            *([note, ""] if mine else []),
            Listing(path, cells).table(listed, columns),
        ]
    )


def topics_index_page(papers: list[Paper], vocab: Vocabulary) -> str:
    here = paths.TOPICS_INDEX
    counts = Counter(topic.id for p in papers for _, topic in p.topics if topic)
    rows = [
        f"| {docs_link(topic.title, here, paths.topic_path(topic.id))} | {counts[topic.id]:,} | {md_text(topic.description)} |"
        for topic in sorted(vocab.topics.values(), key=lambda t: (t.title.casefold(), t.id))
    ]
    about = "Topics are defined in `content/topics.yml`; pages name them in their `topics:` list."
    return _vocabulary_index("Topics", about, ("Topic", "Papers", "Description"), rows)


def topic_page(topic: Topic, mine: list[Paper], cells: Cells, bounds: Bounds = Bounds()) -> str:
    """The topic's page; ``mine``: its papers, newest first."""
    about = md_text(topic.description) if topic.description else ""
    columns = ("date", "title", "labs", "priority", "status")
    return _vocabulary_page(topic.title, about, paths.topic_path(topic.id), mine, cells, columns, bounds.listed, {"topic": topic.id})


def labs_index_page(papers: list[Paper], vocab: Vocabulary) -> str:
    here = paths.LABS_INDEX
    counts = Counter(lab.name for p in papers for _, lab in p.labs if lab)
    rows = [
        f"| {docs_link(lab.name, here, paths.lab_path(lab.name))} | {counts[lab.name]:,} | {md_link(lab.homepage, lab.homepage) if lab.homepage else '—'} |"
        for lab in sorted(vocab.labs.values(), key=lambda lab: lab.name.casefold())
    ]
    about = "Labs are defined in `content/labs.yml`; pages name them in their `labs:` list."
    return _vocabulary_index("Labs", about, ("Lab", "Papers", "Homepage"), rows)


def lab_page(lab: Lab, mine: list[Paper], cells: Cells, bounds: Bounds = Bounds()) -> str:
    """The lab's page; ``mine``: its papers, newest first."""
    about = []
    if lab.homepage:
        about.append(f"Homepage: {md_link(lab.homepage, lab.homepage)}")
    if lab.aliases:
        about.append("Also written: " + ", ".join(md_text(alias) for alias in lab.aliases))
    columns = ("date", "title", "topics", "priority", "status")
    return _vocabulary_page(lab.name, "  \n".join(about), paths.lab_path(lab.name), mine, cells, columns, bounds.listed, {"lab": lab.name})


def priorities_index_page(papers: list[Paper]) -> str:
    here = paths.PRIORITIES_INDEX
    counts = Counter(p.priority_page for p in papers)
    rows = [f"| {docs_link(PRIORITY_TITLES[name], here, paths.priority_path(name))} | {counts[name]:,} |" for name in paths.PRIORITY_PAGES]
    return "\n".join(
        [
            front_matter("Priorities"),
            "# Priorities",
            "",
            "How soon a paper deserves a read: `priority:` on its page (`urgent`, `high`, `medium`, `low`); papers without one are unrated.",
            "",
            "| Priority | Papers |",
            "|---|---:|",
            *rows,
            "",
        ]
    )


def priority_page(name: str, mine: list[Paper], cells: Cells, bounds: Bounds = Bounds()) -> str:
    """The page of a priority (or of the unrated papers); ``mine``: its papers, newest first."""
    here = paths.priority_path(name)
    mine, note = bounded(here, mine, bounds.listed, NEWEST, {"priority": name})
    title = f"{PRIORITY_TITLES[name]} priority" if name != paths.UNRATED else "Unrated papers"
    return "\n".join(
        [
            front_matter(title),
            f"# {title}",
            "",
            *([note, ""] if mine else []),
            Listing(here, cells).table(mine, ("date", "title", "labs", "topics", "status")),
        ]
    )


def status_board_page(papers: list[Paper], cells: Cells, bounds: Bounds = Bounds()) -> str:
    here = paths.STATUS_BOARD
    listing = Listing(here, cells)

    def waiting(status: str, what: str) -> tuple[list[Paper], str]:
        mine = by_priority(p for p in papers if p.status == status)
        return bounded(here, mine, bounds.listed, MOST_URGENT, {"status": status, "sort": "priority"}, what)

    todo, todo_note = waiting("todo", " with sections still to write")
    draft, draft_note = waiting("draft", " written and waiting for a person to check them")
    reviewed = sum(1 for p in papers if p.status == "reviewed")
    stale = by_priority(p for p in papers if p.stale)
    # Only when there are any: machine-written sections from an older arXiv version than the one now out.
    outdated = (
        [
            "## Stale { #stale }",
            "",
            f"{count_label(len(stale))} with machine-written sections from an older arXiv version; "
            "`paperkb fill --stale` rewrites them (sections a person edited are left alone).",
            "",
            listing.table(stale[: bounds.listed], ("priority", "title_link", "stale")),
        ]
        if stale
        else []
    )
    browse_reviewed = md_link("browse them", paths.browse_link(here, {"status": "reviewed"}))
    return "\n".join(
        [
            front_matter("Status board"),
            "# Status board",
            "",
            "Where help is needed, most urgent first. Write a missing section, or review a draft and set "
            "`status: reviewed`; run `paperkb check` before opening the pull request.",
            "",
            f"## {STATUS_TITLES['todo']} {{ #todo }}",
            "",
            todo_note,
            "",
            # no COinS here: this board is for contributors, and with it 100 rows of long titles passed 100 KB
            listing.table(todo, ("priority", "title_link", "missing")),
            f"## {STATUS_TITLES['draft']} {{ #draft }}",
            "",
            draft_note,
            "",
            listing.table(draft, ("priority", "title_link", "machine")),
            *outdated,
            f"## {STATUS_TITLES['reviewed']} {{ #reviewed }}",
            "",
            f"{count_label(reviewed)} checked by a person ({browse_reviewed}).",
            "",
        ]
    )


def timeline_page(papers: list[Paper], cells: Cells, bounds: Bounds = Bounds()) -> str:
    here = paths.TIMELINE
    listing = Listing(here, cells)
    archive = Archive(papers, bounds.archive)
    newest, note = bounded(here, newest_first(papers), bounds.listed, NEWEST, {"sort": "newest"})
    lines = [front_matter("Timeline"), "# Timeline", "", "Papers by month of publication. " + note, ""]
    by_month: dict[tuple[int, int] | None, list[Paper]] = {}
    for paper in newest:  # dicts keep insertion order: months come newest first, undated last
        month = (paper.published.year, paper.published.month) if paper.published else None
        by_month.setdefault(month, []).append(paper)
    for members in by_month.values():
        first = members[0].published
        heading, anchor = (first.strftime("%B %Y"), first.strftime("%Y-%m")) if first else ("Undated", "undated")
        lines += [f"## {heading} {{ #{anchor} }}", "", listing.items(members)]
    if not papers:
        lines.append("_No papers yet._\n")
        return "\n".join(lines)
    lines += ["## Every month { #months }", "", "| Year | Papers | Months |", "|---|---:|---|"]
    for year, members in archive.years.items():
        if year is None:
            lines.append(f"| {docs_link('Undated', here, archive.year_path(None))} | {len(members):,} | |")
            continue
        months = " · ".join(
            f"{docs_link(dt.date(y, m, 1).strftime('%b'), here, archive.month_path(y, m))} {len(mm):,}" for (y, m), mm in _by_month(members).items()
        )
        lines.append(f"| {docs_link(f'{year:04d}', here, archive.year_path(year))} | {len(members):,} | {months} |")
    return "\n".join(lines + [""])


def index_files(site: SiteInput, bounds: Bounds = Bounds(), memo: IndexMemo | None = None) -> dict[str, str]:
    """Every index page of the site (exactly ``paths.generated_paths`` for the vocabularies, and the archive).

    ``memo``: the rows kept from the last build in this process (``mkdocs serve``); the same pages either way."""
    vocab = site.vocab
    memo = memo or IndexMemo()
    papers = memo.papers(site.pages, vocab)
    cells = memo.cells
    # Sorted once: each topic's, lab's and priority's papers are taken from it in one pass, already in order
    newest = newest_first(papers)
    by_topic: dict[str, list[Paper]] = {}
    by_lab: dict[str, list[Paper]] = {}
    by_priority_page: dict[str, list[Paper]] = {}
    for paper in newest:
        for topic_id in dict.fromkeys(topic.id for _, topic in paper.topics if topic):
            by_topic.setdefault(topic_id, []).append(paper)
        for lab_name in dict.fromkeys(lab.name for _, lab in paper.labs if lab):
            by_lab.setdefault(lab_name, []).append(paper)
        by_priority_page.setdefault(paper.priority_page, []).append(paper)
    papers = newest
    files = {
        paths.HOME: home_page(papers, vocab, cells, bounds),
        paths.ALL_PAPERS: all_papers_page(papers, cells, bounds),
        paths.TOPICS_INDEX: topics_index_page(papers, vocab),
        paths.LABS_INDEX: labs_index_page(papers, vocab),
        paths.PRIORITIES_INDEX: priorities_index_page(papers),
        paths.STATUS_BOARD: status_board_page(papers, cells, bounds),
        paths.TIMELINE: timeline_page(papers, cells, bounds),
        **Archive(papers, bounds.archive).pages(cells),
    }
    for topic in vocab.topics.values():
        files[paths.topic_path(topic.id)] = topic_page(topic, by_topic.get(topic.id, []), cells, bounds)
    for lab in vocab.labs.values():
        files[paths.lab_path(lab.name)] = lab_page(lab, by_lab.get(lab.name, []), cells, bounds)
    for name in paths.PRIORITY_PAGES:
        files[paths.priority_path(name)] = priority_page(name, by_priority_page.get(name, []), cells, bounds)
    return dict(sorted(files.items()))
