"""The site's index pages, as pure functions: ``SiteInput`` in, ``{docs_path: markdown}`` out.

``index_files`` writes exactly ``layout.generated_paths(...)``: the home dashboard, the all-papers table,
a topics index and a page per topic, the same for labs, a priorities index and a page per priority
(plus "unrated"), the contributors' status board and a timeline by month. Every path comes from
``layout``; every link is relative (``layout.relative_link``) so MkDocs checks it in strict builds.

Output is deterministic (sorted; the only date used is ``SiteInput.today``, and only when a page
needs it) and everything that came from a page is escaped with ``render.md_text``.
Pages listing papers are left out of the search index (``search: exclude``, or a ``data-search-exclude``
block on topic and lab pages), so a search for a title finds the paper, not every list naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from . import layout
from .pages import PRIORITIES, SECTION_TITLES, STATUSES, Page, as_date
from .render import docs_a, docs_link, html_text, md_link, md_text, raw_html
from .render import labs_of, machine_written, priority_of, status_of, title_of, topics_of
from .site import SiteInput
from .vocab import Lab, Topic, Vocabulary

LATEST_ADDITIONS = 10
STATUS_TITLES = {"todo": "To do", "draft": "Awaiting review", "reviewed": "Reviewed"}
PRIORITY_TITLES = {"urgent": "Urgent", "high": "High", "medium": "Medium", "low": "Low", layout.UNRATED: "Unrated"}
PRIORITY_RANK = {name: rank for rank, name in enumerate(layout.PRIORITY_PAGES)}


@dataclass(frozen=True)
class Paper:
    """What the index pages show of one page, resolved against the vocabularies once."""

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

    @property
    def priority_page(self) -> str:
        return self.priority or layout.UNRATED


def paper_of(page: Page, vocab: Vocabulary) -> Paper:
    return Paper(
        slug=page.slug,
        path=layout.paper_path(page.slug),
        title=title_of(page),
        published=as_date(page.meta.get("published")),
        added=as_date(page.meta.get("added")),
        labs=tuple((name, vocab.lab_for(name)) for name in labs_of(page)),
        topics=tuple((topic_id, vocab.topics.get(topic_id)) for topic_id in topics_of(page)),
        priority=priority_of(page),
        status=status_of(page),
        missing=tuple(page.missing_sections()),
        machine=tuple(SECTION_TITLES[key] for key in machine_written(page)),
    )


# -- ordering ----------------------------------------------------------------------------------------------------
def _title_key(paper: Paper) -> tuple[str, str]:
    return (paper.title.casefold(), paper.slug)


def newest_first(papers: Iterable[Paper]) -> list[Paper]:
    """By publication date, newest first; undated papers last; ties by title."""
    return sorted(papers, key=lambda p: (-(p.published or dt.date.min).toordinal(), *_title_key(p)))


def latest_added(papers: Iterable[Paper]) -> list[Paper]:
    """By the date a page entered the knowledge base, then by publication date, newest first."""
    return sorted(
        papers,
        key=lambda p: (-(p.added or dt.date.min).toordinal(), -(p.published or dt.date.min).toordinal(), *_title_key(p)),
    )


def by_priority(papers: Iterable[Paper]) -> list[Paper]:
    """Most urgent first, newest first within a priority."""
    return sorted(newest_first(papers), key=lambda p: PRIORITY_RANK[p.priority_page])


# -- building blocks ----------------------------------------------------------------------------------------------
def front_matter(title: str, search: bool = True) -> str:
    """Front matter of a generated page. The title is HTML-escaped: themes print meta titles unescaped."""
    lines = ["---", f"title: {json.dumps(html_text(title))}"]
    if not search:
        lines += ["search:", "  exclude: true"]
    return "\n".join(lines + ["---", ""])


def date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def title_cell(paper: Paper, here: str) -> str:
    return docs_a(paper.title, here, paper.path)


def labs_cell(paper: Paper, here: str) -> str:
    return ", ".join(
        docs_a(lab.name, here, layout.lab_path(lab.name)) if lab else html_text(name) for name, lab in paper.labs
    )


def topics_cell(paper: Paper, here: str) -> str:
    return ", ".join(
        docs_a(topic.title, here, layout.topic_path(topic.id)) if topic else html_text(topic_id)
        for topic_id, topic in paper.topics
    )


def priority_cell(paper: Paper, here: str) -> str:
    return docs_a(PRIORITY_TITLES[paper.priority_page], here, layout.priority_path(paper.priority))


def status_cell(paper: Paper, here: str) -> str:
    return docs_a(paper.status, here, layout.status_anchor(paper.status))


COLUMNS = {
    "date": ("Date", lambda p, here: date_text(p.published)),
    "added": ("Added", lambda p, here: date_text(p.added)),
    "title": ("Title", title_cell),
    "labs": ("Labs", labs_cell),
    "topics": ("Topics", topics_cell),
    "priority": ("Priority", priority_cell),
    "status": ("Status", status_cell),
    "missing": ("Missing sections", lambda p, here: html_text(", ".join(p.missing) or "—")),
    "machine": ("Machine-written", lambda p, here: html_text(", ".join(p.machine) or "—")),
}


def paper_table(papers: list[Paper], here: str, columns: Iterable[str], searchable: bool = False) -> str:
    """An HTML table of papers (a raw block), one row each; ``here`` is the docs path of the page it is on.

    HTML rather than a Markdown table: at thousands of rows Markdown parsing dominated the build. Links
    point at built URLs; the build test checks that every one of them resolves.
    """
    columns = list(columns)
    if not papers:
        return "_No papers yet._\n"
    head = "<tr>" + "".join(f"<th>{COLUMNS[c][0]}</th>" for c in columns) + "</tr>"
    rows = ["<tr>" + "".join(f"<td>{COLUMNS[c][1](p, here)}</td>" for c in columns) + "</tr>" for p in papers]
    exclude = "" if searchable else " data-search-exclude"
    return raw_html("\n".join([f"<table{exclude}>", f"<thead>{head}</thead>", "<tbody>", *rows, "</tbody>", "</table>"]))


def paper_list(papers: list[Paper], here: str) -> str:
    """A compact HTML list of papers: date and linked title (a raw block)."""
    items = [f"<li>{date_text(p.published)} — {title_cell(p, here)}</li>" for p in papers]
    return raw_html("\n".join(["<ul data-search-exclude>", *items, "</ul>"]))


def count_label(count: int) -> str:
    return f"{count} paper" if count == 1 else f"{count} papers"


# -- pages ----------------------------------------------------------------------------------------------------------
def home_page(papers: list[Paper], vocab: Vocabulary) -> str:
    here = layout.HOME
    statuses = Counter(p.status for p in papers)
    priorities = Counter(p.priority_page for p in papers)
    urgent = newest_first(p for p in papers if p.priority == "urgent")
    lines = [
        front_matter("paperkb", search=False),
        "# paperkb",
        "",
        f"A knowledge base of AI research papers: {count_label(len(papers))}, {len(vocab.topics)} topics, "
        f"{len(vocab.labs)} labs. Browse {docs_link('all papers', here, layout.ALL_PAPERS)}, "
        f"the {docs_link('topics', here, layout.TOPICS_INDEX)}, the {docs_link('labs', here, layout.LABS_INDEX)} "
        f"or the {docs_link('timeline', here, layout.TIMELINE)}; help out on the "
        f"{docs_link('status board', here, layout.STATUS_BOARD)}.",
        "",
        "## By status",
        "",
        "| Status | Papers |",
        "|---|---:|",
        *(f"| {docs_link(STATUS_TITLES[s], here, layout.status_anchor(s))} | {statuses[s]} |" for s in STATUSES),
        "",
        "## By priority",
        "",
        "| Priority | Papers |",
        "|---|---:|",
        *(
            f"| {docs_link(PRIORITY_TITLES[p], here, layout.priority_path(p))} | {priorities[p]} |"
            for p in layout.PRIORITY_PAGES
        ),
        "",
        "## Urgent papers",
        "",
        paper_table(urgent, here, ("date", "title", "status")),
        "## Latest additions",
        "",
        paper_table(latest_added(papers)[:LATEST_ADDITIONS], here, ("added", "title", "date", "status")),
    ]
    return "\n".join(lines)


def all_papers_page(papers: list[Paper]) -> str:
    here = layout.ALL_PAPERS
    return "\n".join(
        [
            front_matter("All papers", search=False),
            "# All papers",
            "",
            f"{count_label(len(papers))}, newest first.",
            "",
            paper_table(newest_first(papers), here, ("date", "title", "labs", "topics", "priority", "status")),
        ]
    )


def topics_index_page(papers: list[Paper], vocab: Vocabulary) -> str:
    here = layout.TOPICS_INDEX
    counts = Counter(topic.id for p in papers for _, topic in p.topics if topic)
    rows = [
        f"| {docs_link(topic.title, here, layout.topic_path(topic.id))} | {counts[topic.id]} | {md_text(topic.description)} |"
        for topic in sorted(vocab.topics.values(), key=lambda t: (t.title.casefold(), t.id))
    ]
    return "\n".join(
        [
            front_matter("Topics"),
            "# Topics",
            "",
            "Topics are defined in `content/topics.yml`; pages name them in their `topics:` list.",
            "",
            "| Topic | Papers | Description |",
            "|---|---:|---|",
            *rows,
            "",
        ]
    )


def tags_listing(topic: Topic) -> str:
    """Options of the tags plugin's listing on a topic page (JSON is YAML; '>' escaped so it cannot end the comment).

    The "paperkb" listing layout renders nothing: the listing only makes the topic chips on paper pages
    link here, to ``#papers`` (mkdocs.yml sets the tags plugin's slug format to that anchor).
    """
    options = {"include": [topic.title], "layout": "paperkb", "toc": False}
    return json.dumps(options, ensure_ascii=True).replace(">", "\\u003e")


def topic_page(topic: Topic, papers: list[Paper]) -> str:
    here = layout.topic_path(topic.id)
    mine = newest_first(p for p in papers if any(t is topic for _, t in p.topics))
    table = paper_table(mine, here, ("date", "title", "labs", "priority", "status"))
    return "\n".join(
        [
            front_matter(topic.title),
            f"# {md_text(topic.title)}",
            "",
            md_text(topic.description) if topic.description else "",
            "",
            f"<!-- material/tags {tags_listing(topic)} -->",
            "",
            "## Papers { #papers }",
            "",
            count_label(len(mine)) + ", newest first.",
            "",
            table,
        ]
    )


def labs_index_page(papers: list[Paper], vocab: Vocabulary) -> str:
    here = layout.LABS_INDEX
    counts = Counter(lab.name for p in papers for _, lab in p.labs if lab)
    rows = [
        f"| {docs_link(lab.name, here, layout.lab_path(lab.name))} | {counts[lab.name]} | "
        f"{md_link(lab.homepage, lab.homepage) if lab.homepage else '—'} |"
        for lab in sorted(vocab.labs.values(), key=lambda lab: lab.name.casefold())
    ]
    return "\n".join(
        [
            front_matter("Labs"),
            "# Labs",
            "",
            "Labs are defined in `content/labs.yml`; pages name them in their `labs:` list.",
            "",
            "| Lab | Papers | Homepage |",
            "|---|---:|---|",
            *rows,
            "",
        ]
    )


def lab_page(lab: Lab, papers: list[Paper]) -> str:
    here = layout.lab_path(lab.name)
    mine = newest_first(p for p in papers if any(found is lab for _, found in p.labs))
    about = []
    if lab.homepage:
        about.append(f"Homepage: {md_link(lab.homepage, lab.homepage)}")
    if lab.aliases:
        about.append("Also written: " + ", ".join(md_text(a) for a in lab.aliases))
    return "\n".join(
        [
            front_matter(lab.name),
            f"# {md_text(lab.name)}",
            "",
            "  \n".join(about),
            "",
            "## Papers { #papers }",
            "",
            count_label(len(mine)) + ", newest first.",
            "",
            paper_table(mine, here, ("date", "title", "topics", "priority", "status")),
        ]
    )


def priorities_index_page(papers: list[Paper]) -> str:
    here = layout.PRIORITIES_INDEX
    counts = Counter(p.priority_page for p in papers)
    rows = [
        f"| {docs_link(PRIORITY_TITLES[name], here, layout.priority_path(name))} | {counts[name]} |"
        for name in layout.PRIORITY_PAGES
    ]
    return "\n".join(
        [
            front_matter("Priorities", search=False),
            "# Priorities",
            "",
            "How soon a paper deserves a read: `priority:` on its page (`urgent`, `high`, `medium`, `low`); "
            "papers without one are unrated.",
            "",
            "| Priority | Papers |",
            "|---|---:|",
            *rows,
            "",
        ]
    )


def priority_page(name: str, papers: list[Paper]) -> str:
    here = layout.priority_path(name)
    mine = newest_first(p for p in papers if p.priority_page == name)
    title = f"{PRIORITY_TITLES[name]} priority" if name != layout.UNRATED else "Unrated papers"
    return "\n".join(
        [
            front_matter(title, search=False),
            f"# {title}",
            "",
            count_label(len(mine)) + ", newest first.",
            "",
            paper_table(mine, here, ("date", "title", "labs", "topics", "status")),
        ]
    )


def status_board_page(papers: list[Paper]) -> str:
    here = layout.STATUS_BOARD
    todo = by_priority(p for p in papers if p.status == "todo")
    draft = by_priority(p for p in papers if p.status == "draft")
    reviewed = [p for p in papers if p.status == "reviewed"]
    return "\n".join(
        [
            front_matter("Status board", search=False),
            "# Status board",
            "",
            "Where help is needed, most urgent first. Write a missing section, or review a draft and set "
            "`status: reviewed`; run `paperkb check` before opening the pull request.",
            "",
            f"## {STATUS_TITLES['todo']} {{ #todo }}",
            "",
            f"{count_label(len(todo))} with sections still to write.",
            "",
            paper_table(todo, here, ("priority", "title", "missing")),
            f"## {STATUS_TITLES['draft']} {{ #draft }}",
            "",
            f"{count_label(len(draft))} written and waiting for a person to check them.",
            "",
            paper_table(draft, here, ("priority", "title", "machine")),
            f"## {STATUS_TITLES['reviewed']} {{ #reviewed }}",
            "",
            f"{count_label(len(reviewed))} checked by a person.",
            "",
        ]
    )


def timeline_page(papers: list[Paper]) -> str:
    here = layout.TIMELINE
    lines = [front_matter("Timeline", search=False), "# Timeline", "", "Papers by month of publication, newest first.", ""]
    by_month: dict[object, list[Paper]] = {}
    for paper in newest_first(papers):  # dicts keep insertion order: months come newest first
        by_month.setdefault((paper.published.year, paper.published.month) if paper.published else None, []).append(paper)
    for month, members in by_month.items():
        first = members[0].published
        heading, anchor = (first.strftime("%B %Y"), first.strftime("%Y-%m")) if first else ("Undated", "undated")
        lines += [f"## {heading} {{ #{anchor} }}", "", paper_list(members, here)]
    if not papers:
        lines.append("_No papers yet._")
    return "\n".join(lines) + "\n"


def index_files(site: SiteInput) -> dict[str, str]:
    """Every index page of the site (exactly ``layout.generated_paths`` for the vocabularies)."""
    vocab = site.vocab
    papers = [paper_of(page, vocab) for page in site.pages]
    files = {
        layout.HOME: home_page(papers, vocab),
        layout.ALL_PAPERS: all_papers_page(papers),
        layout.TOPICS_INDEX: topics_index_page(papers, vocab),
        layout.LABS_INDEX: labs_index_page(papers, vocab),
        layout.PRIORITIES_INDEX: priorities_index_page(papers),
        layout.STATUS_BOARD: status_board_page(papers),
        layout.TIMELINE: timeline_page(papers),
    }
    for topic in vocab.topics.values():
        files[layout.topic_path(topic.id)] = topic_page(topic, papers)
    for lab in vocab.labs.values():
        files[layout.lab_path(lab.name)] = lab_page(lab, papers)
    for name in layout.PRIORITY_PAGES:
        files[layout.priority_path(name)] = priority_page(name, papers)
    return dict(sorted(files.items()))
