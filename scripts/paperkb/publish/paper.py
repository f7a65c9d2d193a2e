"""A paper page as the site shows it: pure functions, page in, Markdown (or safe HTML) out.

``paper_markdown(page, vocab)`` is the Markdown MkDocs renders for ``papers/<slug>.md`` (the theme puts
the title, ``title_of``, above it as the h1): a header built from the front matter (badges for priority
and status, authors with long lists collapsed, labs and topics linking to their pages, date, arXiv
abstract and PDF links, the abstract), the page's own
body with a note right under every section that is still machine-written, then the footers. The page
file itself stays plain Markdown; nothing here writes to it. ``scripts/mkdocs_hooks.py`` uses the
equivalent ``paper_document`` form, where the header is kept out of Markdown's way (see *raw blocks*).

Safety: everything that came from outside (titles, authors, abstracts, model names: arXiv and LLM
output may hold ``<think>``, ``|``, ``*`` or ``[``) goes through :func:`md_text` or :func:`html_text`,
and the rendered body goes through :func:`sanitize_html`, so no page can inject HTML or script or break
a table.

Seam for other stages, footers: :func:`paper_footers` returns callables ``(Page) -> str`` whose HTML
is appended, in order, at the end of every paper page (an empty string adds nothing): the page's own
``links:`` under "Code and discussion" (:func:`links_footer`), the articles covering it ("In articles",
``in_articles.footer``, shared for the build like the related papers), the related papers
and the pages linking here (``related.RelatedPapers.footer``, computed once per build over every page and
passed in as ``related``), then the Cite block (``bibtex.cite_footer``).

Footer HTML goes into the page as written, after the rendered body (no Markdown pass, no sanitizer):
escape every page value with :func:`html_text`, and give a heading the id and permalink Markdown would
(:func:`section_heading`). Footers stay out of the search index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paperkb.model import paths
from paperkb.model.arxiv_ids import abs_url, pdf_url
from paperkb.model.facts import (
    arxiv_id_of,
    authors_of,
    labs_of,
    machine_written,
    priority_of,
    stale_version,
    status_of,
    topics_of,
    url_of,
    written_from,
)
from paperkb.model.links import journal_ref_of
from paperkb.model.pages import REQUIRED_SECTIONS, Page, as_date
from paperkb.model.vocab import Vocabulary
from paperkb.publish import in_articles
from paperkb.publish.bibtex import cite_footer
from paperkb.publish.discussion import links_footer
from paperkb.publish.markup import _placeholder, a, docs_a, element_ids, html_text, raw_html, restore_raw_html, unique_ids
from paperkb.publish.math import math_html
from paperkb.publish.related import RelatedPapers, shared as shared_related

#: Authors shown before the rest are folded into "and N more".
AUTHORS_SHOWN = 5

Footer = Callable[[Page], str]


def paper_footers(related: RelatedPapers | None = None) -> list[Footer]:
    """HTML blocks appended to every paper page, in order (see the module docstring)."""
    footers: list[Footer] = [related.footer] if related is not None else []
    return [links_footer, in_articles.footer, *footers, cite_footer]


# -- escaping -------------------------------------------------------------------------------------------------


# -- raw HTML blocks --------------------------------------------------------------------------------------------


# -- page facts the site shows ------------------------------------------------------------------------------


# -- header -----------------------------------------------------------------------------------------------------
def badges_html(page: Page, docs_path: str) -> str:
    priority, status = priority_of(page), status_of(page)
    shown = priority or paths.UNRATED
    return (
        '<p class="pkb-badges">'
        + docs_a(shown, docs_path, paths.priority_path(priority), f"pkb-badge pkb-priority pkb-priority--{shown}", "Priority")
        + " "
        + docs_a(status, docs_path, paths.status_anchor(status), f"pkb-badge pkb-status pkb-status--{status}", "Status")
        + "</p>"
    )


def authors_html(authors: list[str]) -> str:
    """The author line; past AUTHORS_SHOWN (+1) the rest fold into "and N more" (a <details>)."""
    if not authors:
        return ""
    if len(authors) <= AUTHORS_SHOWN + 1:
        shown, rest = authors, []
    else:
        shown, rest = authors[:AUTHORS_SHOWN], authors[AUTHORS_SHOWN:]
    line = '<div class="pkb-authors"><span class="pkb-label">Authors</span> ' + ", ".join(map(html_text, shown))
    if rest:
        line += f' <details class="pkb-more"><summary>and {len(rest)} more</summary>' + ", ".join(map(html_text, rest)) + "</details>"
    return line + "</div>"


def vocab_links(page: Page, vocab: Vocabulary, docs_path: str) -> tuple[list[str], list[str]]:
    """HTML links to the page's labs and topics; names not in the vocabularies show as plain text."""
    labs = []
    for name in labs_of(page):
        lab = vocab.lab_for(name)
        labs.append(docs_a(lab.name, docs_path, paths.lab_path(lab.name)) if lab else html_text(name))
    topics = []
    for topic_id in topics_of(page):
        topic = vocab.topics.get(topic_id)
        # Topics are the site's tags: Material's tag chips, each leading to its topic page (the tag's listing)
        link = docs_a(topic.title, docs_path, paths.topic_path(topic.id), "md-tag") if topic else None
        topics.append(link or f'<span class="md-tag">{html_text(topic_id)}</span>')
    return labs, topics


def source_links(page: Page) -> list[str]:
    """Links to the paper itself: arXiv abstract and PDF, or its `url` when it is not on arXiv."""
    arxiv_id = arxiv_id_of(page)
    if arxiv_id:
        return [a(f"arXiv:{arxiv_id}", abs_url(arxiv_id), title="Abstract on arXiv"), a("PDF", pdf_url(arxiv_id), title="PDF on arXiv")]
    url = url_of(page)
    return [a("Paper", url)] if url else []


def abstract_html(page: Page) -> str:
    """The abstract as Material's "abstract" admonition (the HTML ``!!! abstract`` makes), text escaped, math marked."""
    abstract = page.meta.get("abstract")
    if not isinstance(abstract, str) or not abstract.strip():
        return ""
    paragraphs = [f"<p>{math_html(p)}</p>" for p in re.split(r"\n\s*\n", abstract.strip()) if p.strip()]  # math marked for MathJax
    return '<div class="admonition abstract">\n<p class="admonition-title">Abstract</p>\n' + "\n".join(paragraphs) + "\n</div>"


def meta_line(label: str, items: list[str], separator: str = ", ") -> str:
    return f'<p class="pkb-meta"><span class="pkb-label">{label}</span> {separator.join(items)}</p>'


def header_html(page: Page, vocab: Vocabulary, docs_path: str) -> str:
    """Everything under the title: badges, authors, labs, topics, date and links, the abstract."""
    labs, topics = vocab_links(page, vocab, docs_path)
    published = as_date(page.meta.get("published"))
    lines = [
        '<div class="pkb-header">',
        badges_html(page, docs_path),
        authors_html(authors_of(page)),
        meta_line("Labs", labs) if labs else "",
        # the chips' landmark is named: unnamed, it was one of two <nav> (with the code copy's) no reader could tell apart
        (f'<div class="pkb-meta"><span class="pkb-label">Topics</span> <nav class="md-tags" aria-label="Topics">{" ".join(topics)}</nav></div>')
        if topics
        else "",
        meta_line("Published", [published.isoformat() if published else "unknown", *source_links(page)], " · "),
        meta_line("Venue", [html_text(venue)]) if (venue := journal_ref_of(page)) else "",
        abstract_html(page),
        "</div>",
    ]
    return "\n".join(line for line in lines if line)


# -- body -------------------------------------------------------------------------------------------------------
def machine_note(record: dict[str, Any], written: int | None = None, newer: int | None = None) -> str:
    """The note under a machine-written section's heading: the HTML of Material's ``!!! note`` admonition,
    model name escaped (a raw block: Markdown has nothing to parse in it); for a stale section (``newer``, the
    version arXiv has since posted) it says which version the text was written from."""
    model = html_text(record.get("model") or "a model")
    stale = f"<p><strong>Written from v{written}; v{newer} is out.</strong> <code>paperkb fill --stale</code> rewrites it.</p>\n" if newer else ""
    date = as_date(record.get("date"))
    # a phone would break the date at a hyphen
    when = f' on <time datetime="{date.isoformat()}" style="white-space:nowrap">{date.isoformat()}</time>' if date else ""
    return (
        '<div class="admonition note pkb-machine">\n'
        f'<p class="admonition-title">Machine-written by {model}{when}</p>\n'
        f"{stale}<p>Edit this section to make it yours: once its text changes, this note goes away.</p>\n"
        "</div>"
    )


def body_with_notes(page: Page, blocks: list[str]) -> str:
    """The page body with a placeholder for a machine note right under each machine-written section's heading;
    the notes are appended to ``blocks`` (placeholders number on from the blocks already there)."""
    inserts: list[tuple[int, str]] = []
    titles = dict(REQUIRED_SECTIONS)
    for key in machine_written(page):
        section = page.section(titles[key])
        record = page.generated_record(key)
        if section is not None and record is not None:
            inserts.append((section.body_start, machine_note(record, written_from(page, key), stale_version(page, key))))
    text = page.text
    inserts.sort()
    first = len(blocks)
    blocks.extend(note for _, note in inserts)
    for index, (offset, _) in reversed(list(enumerate(inserts, first))):
        # a paragraph of its own, also when the section's text starts right under its heading
        text = text[:offset] + f"\n{_placeholder(index)}\n\n" + text[offset:]
    return text[page.fm_end :].lstrip("\r\n")


@dataclass
class PaperDocument:
    """A paper page in the hook's form: the body's Markdown (with a placeholder paragraph per machine note)
    for MkDocs to render, and the HTML that goes around it, built here and escaped: Markdown only parses
    what people wrote."""

    markdown: str
    notes: list[str]  # machine notes, by placeholder number
    header: str  # above the body: badges, authors, labs, topics, links, abstract
    footer: str  # below it: the footers' HTML (the Cite block)

    def html(self, body_html: str, footer_html: str | None = None) -> str:
        """The page's HTML from the body's rendered (and sanitized) HTML (and ``footer_html(body_html)``)."""
        body = restore_raw_html(_demote_h1(body_html), self.notes)
        footer = self.footer_html(body_html) if footer_html is None else footer_html
        return "\n".join(part for part in (self.header, body, footer) if part)

    def footer_html(self, body_html: str) -> str:
        """The footers, their ids made unique against the body's as Markdown's toc would (cite -> cite_1)."""
        return unique_ids(self.footer, set(element_ids(body_html))) if 'id="' in self.footer else self.footer


_H1_TAG = re.compile(r"<(/?)h1\b")


def _demote_h1(body_html: str) -> str:
    """The title is a paper page's only h1 (the theme prints it unless the content has one): an h1 in the
    body ('# Notes', or <h1> written as HTML) becomes a section heading."""
    return _H1_TAG.sub(r"<\1h2", body_html) if "<h1" in body_html else body_html


def paper_document(page: Page, vocab: Vocabulary, docs_path: str | None = None, related: RelatedPapers | None = None) -> PaperDocument:
    """The paper page as the MkDocs hook renders it. No "# title": the theme shows the page title
    (page.meta["title"], set by the hook) as the h1, and Markdown is spared a heading to slug on every page.

    ``related``: the build's related papers; by default the ones scripts/gen_pages.py shared for this build
    (none outside a build)."""
    docs_path = docs_path or paths.paper_path(page.slug)
    notes: list[str] = []
    markdown = body_with_notes(page, notes).rstrip() + "\n"
    related = shared_related() if related is None else related
    footers = [extra.strip() for footer in paper_footers(related) if (extra := footer(page)) and extra.strip()]
    return PaperDocument(markdown, notes, header_html(page, vocab, docs_path), "\n".join(footers))


def paper_markdown(page: Page, vocab: Vocabulary, docs_path: str | None = None, related: RelatedPapers | None = None) -> str:
    """The page as one Markdown document with raw HTML blocks (header, machine notes, footers): what MkDocs
    would render for it without the hook's shortcuts. The golden files hold this form."""
    document = paper_document(page, vocab, docs_path, related)
    markdown = document.markdown
    for index, note in enumerate(document.notes):
        markdown = markdown.replace(_placeholder(index) + "\n", raw_html(note), 1)
    parts = [raw_html(document.header), markdown] + ([raw_html(document.footer)] if document.footer else [])
    return "\n".join(parts)


# -- HTML sanitizing ---------------------------------------------------------------------------------------------
