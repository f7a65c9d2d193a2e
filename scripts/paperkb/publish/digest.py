"""Research Sync digests: the papers of a sync run or a date window, as Markdown or e-mail HTML.

A digest is built from the pages at the moment it is rendered (one source of truth: the digest never
stores a copy of a summary). Papers are ordered by priority (urgent first, unrated last), then newest
published first; the top N appear in full (authors, labs, arXiv link, published date, priority, and the
page's Summary, Key Insights and Why It Matters; pages still ``todo`` show their abstract and a
"summary pending" mark) and the rest are listed by title.

- Pure functions: ``digest_for_window`` / ``digest_for_sync`` build a :class:`Digest`; ``render_markdown``
  and ``render_html`` turn it into text, with a :class:`Links` policy deciding where links point.
- Site generator ``generate``: ``digests/<date>.md`` per sync record, ``digests/weekly.md`` and
  ``digests/monthly.md`` (papers added in the last 7 / 30 days before the build), ``digests/index.md``.
- ``paperkb digest``: the same digest on stdout, ``--format html`` being a self-contained e-mail document.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperkb.model import facts, paths, syncs
from paperkb.model.arxiv_ids import abs_url
from paperkb.model.facts import abstract_of, added_date, arxiv_id_of, is_pending, is_web_url, paper_source_url, priority_of, section
from paperkb.model.pages import PRIORITIES, Page, as_date
from paperkb.model.paths import (
    ALL_PAPERS_BIB,
    ALL_PAPERS_FEED,
    DIGESTS_INDEX,
    MONTHLY,
    WEEKLY,
    site_page_url,
    sync_digest_path,
    topic_bib_path,
    topic_feed_path,
)
from paperkb.model.syncs import _record_ids, record_date, record_window
from paperkb.model.text import readable_text
from paperkb.publish import markup
from paperkb.publish.markup import escape_raw_html, md_text, rebase_links
from paperkb.publish.math import math_markdown, readable_markdown
from paperkb.publish.sanitize import markdown_to_safe_html

BRAND = "AI Research Sync"
DEFAULT_TOP = 10
WEEKLY_DAYS = 7
MONTHLY_DAYS = 30
MAX_AUTHORS_SHOWN = 6
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
UNRATED_RANK = len(PRIORITY_RANK)
SECTIONS = ("Summary", "Key Insights", "Why It Matters")
# Markdown that must start its own block (list, heading, quote, table, fence, indented code).
_BLOCK_START = re.compile(r"^(?:[-*+] |\d+[.)] |#|>|\||```|~~~| {4}|\t)")


# -- the digest ------------------------------------------------------------------------------------------
@dataclass
class Digest:
    date: dt.date  # the sync date, or the last day of the window
    since: dt.date | None
    until: dt.date | None
    papers: list[Page]  # in digest order
    top: int = DEFAULT_TOP
    label: str = ""  # 'Weekly digest', 'Sync run', ...
    counts: dict[str, Any] = field(default_factory=dict)  # the sync record's counts, when from a sync
    missing: list[str] = field(default_factory=list)  # arXiv IDs the sync added that no page holds now

    @property
    def title(self) -> str:
        return f"{BRAND} — {self.date.isoformat()}"

    @property
    def shown(self) -> list[Page]:
        return self.papers[: self.top]

    @property
    def listed(self) -> list[Page]:
        return self.papers[self.top :]

    @property
    def window(self) -> str:
        if self.since and self.until:
            return f"{self.since.isoformat()} to {self.until.isoformat()}"
        if self.until:
            return f"up to {self.until.isoformat()}"
        return f"from {self.since.isoformat()}" if self.since else "all time"


def digest_order(page: Page) -> tuple:
    """Urgent first, unrated last; within a priority the newest published first; then by title."""
    priority = priority_of(page)
    published = as_date(page.meta.get("published"))
    return (
        PRIORITY_RANK[priority] if priority else UNRATED_RANK,
        -(published.toordinal() if published else 0),
        str(page.meta.get("title", page.slug)).casefold(),
        page.slug,
    )


def order_pages(pages: Iterable[Page]) -> list[Page]:
    return sorted(pages, key=digest_order)


def pages_added_between(pages: Iterable[Page], since: dt.date | None, until: dt.date | None) -> list[Page]:
    """Pages whose ``added`` date lies in [since, until] (either bound may be open)."""
    found = []
    for page in pages:
        added = added_date(page)
        if added and (since is None or added >= since) and (until is None or added <= until):
            found.append(page)
    return found


def digest_for_window(pages: Iterable[Page], since: dt.date | None, until: dt.date | None, *, top: int = DEFAULT_TOP, label: str = "") -> Digest:
    date = until or dt.date.today()
    return Digest(date, since, until, order_pages(pages_added_between(pages, since, until)), top, label)


def rolling_digest(pages: Iterable[Page], today: dt.date, days: int, *, top: int = DEFAULT_TOP, label: str = "") -> Digest:
    """Papers added in the ``days`` days ending with ``today`` (both ends included)."""
    return digest_for_window(pages, today - dt.timedelta(days=days - 1), today, top=top, label=label)


# -- sync records ------------------------------------------------------------------------------------------


def digest_for_sync(pages: Iterable[Page], record: dict[str, Any], *, top: int = DEFAULT_TOP) -> Digest:
    """The papers a sync run added (as its record lists them), as they read now."""
    by_id = {str(p.meta.get("arxiv")): p for p in pages if p.meta.get("arxiv")}
    ids = _record_ids(record)
    found = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    missing = [i for i in dict.fromkeys(ids) if i not in by_id]
    since, until = record_window(record)
    date = record_date(record) or until or dt.date.today()
    counts = record.get("counts")
    return Digest(date, since, until, order_pages(found), top, "Sync run", dict(counts) if isinstance(counts, dict) else {}, missing)


# -- links -------------------------------------------------------------------------------------------------
class Links:
    """Where a rendered digest's links point. Subclasses: on the site (relative) or elsewhere (absolute)."""

    def paper(self, page: Page) -> str | None:
        raise NotImplementedError

    def lab(self, name: str) -> str | None:
        return None

    def section_text(self, page: Page, text: str) -> str:
        """A page's section text with its relative links made valid where the digest is shown (``relink``), and
        every link whose target is not http(s), mailto or relative made inert (markup.rebase_links)."""
        return rebase_links(text, paths.paper_path(page.slug), self.relink)

    def relink(self, docs_path: str, fragment: str) -> str | None:
        """The target of a relative link to ``docs_path`` from the digest; None keeps it as written."""
        return None

    def abstract_markdown(self, abstract: str) -> str:
        """An abstract as literal Markdown, its math kept for the site's renderer (publish.math)."""
        return math_markdown(abstract)


class SiteLinks(Links):
    """Links between docs pages, relative to the digest's own docs path (validated by mkdocs --strict)."""

    def __init__(self, digest_path: str, lab_names: Iterable[str] = ()):
        self.digest_path = digest_path
        self.lab_names = set(lab_names)

    def paper(self, page: Page) -> str:
        return paths.relative_link(self.digest_path, paths.paper_path(page.slug))

    def lab(self, name: str) -> str | None:
        return paths.relative_link(self.digest_path, paths.lab_path(name)) if name in self.lab_names else None

    def relink(self, docs_path: str, fragment: str) -> str | None:
        return paths.relative_link(self.digest_path, docs_path) + fragment


class ExternalLinks(Links):
    """Absolute links for a digest read outside the site: the site's paper pages when site_url is known."""

    def __init__(self, site_url: str = ""):
        self.site_url = site_url

    def paper(self, page: Page) -> str | None:
        if self.site_url:
            return site_page_url(self.site_url, paths.paper_path(page.slug))
        return paper_source_url(page)

    def relink(self, docs_path: str, fragment: str) -> str | None:
        return site_page_url(self.site_url, docs_path) + fragment if self.site_url else None

    # Read where nothing runs (e-mail, feeds): math as readable text, not TeX
    def section_text(self, page: Page, text: str) -> str:
        return readable_markdown(super().section_text(page, text))

    def abstract_markdown(self, abstract: str) -> str:
        return md_text(readable_text(abstract))

    def accept(self, href: str) -> str | None:
        """E-mail and feed links: only to arXiv and to the site's paper pages, each one line (facts.is_web_url)."""
        href = href.strip()
        if not is_web_url(href):
            return None
        if href.startswith(("https://arxiv.org/", "http://arxiv.org/")):
            return href
        if self.site_url and href.startswith(site_page_url(self.site_url, "papers/")):
            return href
        return None


# -- what a paper shows -------------------------------------------------------------------------------------
def authors_line(page: Page) -> str:
    authors = facts.authors_of(page)
    if len(authors) > MAX_AUTHORS_SHOWN:
        return ", ".join(authors[:MAX_AUTHORS_SHOWN]) + f" et al. ({len(authors)} authors)"
    return ", ".join(authors) or "unknown"


def priority_label(page: Page) -> str:
    priority = priority_of(page)
    return priority.upper() if priority else "unrated"


def counts_line(digest: Digest) -> str:
    """'found 3, added 2, already present 1': the sync record's counts, whole numbers only (the loader refuses any
    other value; a record handed in some other way shows nothing else either)."""
    labels = (("found", "found"), ("added", "added"), ("already_present", "already present"))
    parts = [f"{label} {digest.counts[key]}" for key, label in labels if syncs.is_count(digest.counts.get(key))]
    return ", ".join(parts)


def shown_line(digest: Digest) -> str:
    total = len(digest.papers)
    return f"{len(digest.shown)} of {total} papers shown" if total != 1 else "1 of 1 paper shown"


# -- Markdown ------------------------------------------------------------------------------------------------
def render_markdown(digest: Digest, links: Links) -> str:
    out = [f"# {digest.title}", ""]
    header = [f"**Covering:** {digest.window}", f"**Papers:** {len(digest.papers)}"]
    if digest.label:
        header.insert(0, f"*{digest.label}*")
    if digest.counts:
        header.append(f"**Sync:** {counts_line(digest)}")
    out += [" · ".join(header), ""]
    if not digest.papers:
        out += ["No papers in this window.", ""]
        return "\n".join(out)
    out += [f"*{shown_line(digest)}" + ("; the others are listed by title below.*" if digest.listed else ".*"), ""]
    for page in digest.shown:
        out += ["---", ""] + _paper_markdown(page, links)
    if digest.listed:
        out += ["---", "", "## More papers", ""]
        out += [_listed_markdown(page, links) for page in digest.listed] + [""]
    if digest.missing:
        out += [f"*Added by this sync but no longer in the knowledge base: {', '.join(md_text(i) for i in digest.missing)}.*", ""]
    return "\n".join(out)


_PLAIN_TARGET = re.compile(r"^[A-Za-z0-9/:?#@!$&'*+,;=%~._-]+$")  # nothing that ends, nests or breaks a link target


def _link(text: str, href: str | None) -> str:
    """A Markdown link; a target holding anything else than _PLAIN_TARGET ('https://x.org/a)[y](javascript:…' from a
    page's url) goes in angle brackets, percent-encoded (markup.md_url), so it stays one target."""
    if not href:
        return text
    return f"[{text}]({href if _PLAIN_TARGET.match(href) else markup.md_url(href)})"


def _paper_markdown(page: Page, links: Links) -> list[str]:
    title = md_text(page.meta.get("title", page.slug))
    out = [f"## {_link(title, links.paper(page))}", ""]
    out += [f"- **{name}:** {value}" for name, value in _meta_rows_markdown(page, links)] + [""]
    if is_pending(page):
        out += ["**Summary pending** — the paper's abstract until its page is filled:", ""]
        abstract = abstract_of(page)
        out += [f"> {links.abstract_markdown(abstract)}" if abstract else "> (no abstract yet)", ""]
        return out
    for title_ in SECTIONS:
        text = escape_raw_html(links.section_text(page, section(page, title_) or ""))
        out += _labelled(title_, text) + [""]
    return out


def _labelled(label: str, text: str) -> list[str]:
    """'**Summary:** text' as in the original digests, or the label on its own line before a block."""
    if not text or _BLOCK_START.match(text):
        return [f"**{label}:**", "", text]
    return [f"**{label}:** {text}"]


def _meta_rows_markdown(page: Page, links: Links) -> list[tuple[str, str]]:
    rows = [("Authors", md_text(authors_line(page)))]
    labs = facts.labs_of(page)
    if labs:
        rows.append(("Labs", ", ".join(_link(md_text(name), links.lab(name)) for name in labs)))
    arxiv_id, source = arxiv_id_of(page), paper_source_url(page)
    if source:
        rows.append(("arXiv", _link(md_text(arxiv_id), source)) if arxiv_id else ("Link", _link(md_text(source), source)))
    published = as_date(page.meta.get("published"))
    rows.append(("Published", published.isoformat() if published else "unknown"))
    rows.append(("Priority", priority_label(page)))
    return rows


def _listed_details(page: Page) -> str:
    """What a paper listed by title only shows after it: date, priority, and whether its summary is pending."""
    published = as_date(page.meta.get("published"))
    details = [published.isoformat() if published else "date unknown", priority_label(page)]
    if is_pending(page):
        details.append("summary pending")
    return " · ".join(details)


def _listed_markdown(page: Page, links: Links) -> str:
    title = md_text(page.meta.get("title", page.slug))
    return f"- {_link(title, links.paper(page))} — {_listed_details(page)}"


# -- e-mail HTML ----------------------------------------------------------------------------------------------
_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
# White text on each: at least 4.5:1 (WCAG AA for the badges' small text; tests/test_browser_outside.py runs axe).
_BADGE = {
    "URGENT": "#c01c28",
    "HIGH": "#c64600",
    "MEDIUM": "#1a5fb4",
    "LOW": "#5e5c64",
    "unrated": "#6f6d70",
}


def render_html(digest: Digest, links: ExternalLinks) -> str:
    """A complete e-mail-ready document: inline styles only, no script, no image, no external asset.

    Every piece of text is escaped; section Markdown goes through an allow-list sanitizer; links go
    only to arXiv and to the site's paper pages.
    """
    esc = html.escape
    body = [
        f'<h1 style="font-size:24px;margin:0 0 8px 0;">{esc(digest.title)}</h1>',
        f'<p style="margin:0 0 4px 0;color:#555;">{esc(_html_header(digest))}</p>',
    ]
    if not digest.papers:
        body.append('<p style="margin:16px 0;">No papers in this window.</p>')
    else:
        body.append(f'<p style="margin:0 0 16px 0;color:#555;font-style:italic;">{esc(shown_line(digest))}</p>')
        body += [_paper_html(page, links) for page in digest.shown]
        if digest.listed:
            body.append('<h2 style="font-size:18px;margin:24px 0 8px 0;">More papers</h2>')
            body.append('<ul style="margin:0;padding-left:22px;">\n' + "\n".join(_listed_html(p, links) for p in digest.listed) + "\n</ul>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(digest.title)}</title>\n</head>\n"
        f'<body style="margin:0;padding:0;background:#f6f5f4;">\n'
        f'<div style="max-width:680px;margin:0 auto;padding:24px;background:#ffffff;color:#241f31;line-height:1.5;font-size:15px;{_FONT}">\n'
        + "\n".join(body)
        + "\n</div>\n</body>\n</html>\n"
    )


def _html_header(digest: Digest) -> str:
    parts = [digest.label] if digest.label else []
    parts += [f"Covering {digest.window}", f"{len(digest.papers)} papers"]
    if digest.counts:
        parts.append(f"sync: {counts_line(digest)}")
    return " · ".join(parts)


def _html_link(text: str, href: str | None, links: ExternalLinks) -> str:
    accepted = links.accept(href) if href else None
    if not accepted:
        return html.escape(text)
    return f'<a href="{html.escape(accepted, quote=True)}" style="color:#1a5fb4;">{html.escape(text)}</a>'


def _paper_html(page: Page, links: ExternalLinks) -> str:
    esc = html.escape
    title = str(page.meta.get("title", page.slug))
    label = priority_label(page)
    badge = (
        f'<span style="display:inline-block;padding:1px 8px;border-radius:10px;color:#ffffff;background:{_BADGE[label]};font-size:12px;">{esc(label)}</span>'
    )
    meta = [f"<strong>Authors:</strong> {esc(authors_line(page))}"]
    labs = facts.labs_of(page)
    if labs:
        meta.append(f"<strong>Labs:</strong> {esc(', '.join(labs))}")
    arxiv_id = arxiv_id_of(page)
    if arxiv_id:
        meta.append(f"<strong>arXiv:</strong> {_html_link(arxiv_id, abs_url(arxiv_id), links)}")
    published = as_date(page.meta.get("published"))
    shown_date = f'<span style="white-space:nowrap;">{published.isoformat()}</span>' if published else "unknown"  # no break at a hyphen
    meta.append(f"<strong>Published:</strong> {shown_date} &middot; {badge}")
    parts = [
        '<div style="border-top:1px solid #deddda;padding:16px 0 4px 0;">',
        f'<h2 style="font-size:18px;margin:0 0 6px 0;">{_html_link(title, links.paper(page), links)}</h2>',
        f'<p style="margin:0 0 12px 0;font-size:13px;color:#5e5c64;">{"<br>".join(meta)}</p>',
    ]
    if is_pending(page):
        parts.append('<p style="margin:0 0 6px 0;"><em style="color:#c64600;">Summary pending</em> — the abstract:</p>')
        abstract = readable_text(abstract_of(page)) or "(no abstract yet)"
        parts.append(f'<blockquote style="margin:0 0 12px 0;padding-left:12px;border-left:3px solid #ddd;color:#555;">{esc(abstract)}</blockquote>')
    else:
        for title_ in SECTIONS:
            text = links.section_text(page, section(page, title_) or "")
            parts.append(f'<p style="margin:0 0 4px 0;font-weight:bold;">{esc(title_)}</p>')
            parts.append(markdown_to_safe_html(text, links.accept))
    parts.append("</div>")
    return "\n".join(parts)


def _listed_html(page: Page, links: ExternalLinks) -> str:
    title = str(page.meta.get("title", page.slug))
    return f'<li style="margin:0 0 4px 0;">{_html_link(title, links.paper(page), links)} — {html.escape(_listed_details(page))}</li>'


# -- site generator -----------------------------------------------------------------------------------------
def site_digests(site, top: int = DEFAULT_TOP) -> list[tuple[str, Digest]]:
    """(docs path, digest) for every sync record, then the rolling weekly and monthly digests."""
    out = []
    for record in site.syncs:
        out.append((sync_digest_path(record), digest_for_sync(site.pages, record, top=top)))
    out.append((WEEKLY, rolling_digest(site.pages, site.today, WEEKLY_DAYS, top=top, label="Weekly digest")))
    out.append((MONTHLY, rolling_digest(site.pages, site.today, MONTHLY_DAYS, top=top, label="Monthly digest")))
    return out


def generate(site, top: int = DEFAULT_TOP) -> dict[str, str]:
    lab_names = [lab.name for lab in site.vocab.labs.values()]
    files = {}
    digests = site_digests(site, top)
    for path, digest in digests:
        files[path] = render_markdown(digest, SiteLinks(path, lab_names))
    files[DIGESTS_INDEX] = render_index(digests, site.vocab.topics)
    return files


def render_index(digests: list[tuple[str, Digest]], topics: dict[str, Any]) -> str:
    """The digests index: rolling digests, every sync run (newest first), and where to subscribe or cite."""

    here = DIGESTS_INDEX
    rolling = [(p, d) for p, d in digests if p in (WEEKLY, MONTHLY)]
    syncs = [(p, d) for p, d in reversed(digests) if p not in (WEEKLY, MONTHLY)]  # newest run first
    out = [f"# {BRAND} digests", "", "Each digest is built from the paper pages at every site build, so it always shows their current text.", ""]
    out += ["## Rolling", ""]
    for path, digest in rolling:
        out.append(f"- [{digest.label}]({paths.relative_link(here, path)}) — papers added {digest.window}: {len(digest.papers)}")
    out += ["", "## Sync runs", ""]
    if syncs:
        out += ["| Date | Window | Papers | Sync counts |", "| --- | --- | --- | --- |"]
        for path, digest in syncs:
            out.append(f"| [{Path(path).stem}]({paths.relative_link(here, path)}) | {digest.window} | {len(digest.papers)} | {counts_line(digest) or '—'} |")
    else:
        out.append("No sync has run yet.")
    out += ["", "## Subscribe and cite", ""]
    out.append(f"- Atom feed of newly added papers: [all papers]({paths.relative_link(here, ALL_PAPERS_FEED)})")
    out.append(f"- BibTeX of every paper: [papers.bib]({paths.relative_link(here, ALL_PAPERS_BIB)})")
    if topics:
        out += ["", "| Topic | Feed | BibTeX |", "| --- | --- | --- |"]
        for topic_id, topic in topics.items():
            title = markup.md_text(getattr(topic, "title", topic_id))  # escapes '|' too: a table cell
            out.append(
                f"| [{title}]({paths.relative_link(here, paths.topic_path(topic_id))}) "
                f"| [Atom]({paths.relative_link(here, topic_feed_path(topic_id))}) "
                f"| [{topic_id}.bib]({paths.relative_link(here, topic_bib_path(topic_id))}) |"
            )
    return "\n".join(out) + "\n"


# -- command ---------------------------------------------------------------------------------------------------
