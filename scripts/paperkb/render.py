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
is appended, in order, at the end of every paper page (an empty string adds nothing). A stage adds its
own inside that function, importing its module there to keep imports light, e.g.::

    from .bibtex import cite_footer
    found.append(cite_footer)

Footer HTML goes into the page as written, after the rendered body (no Markdown pass, no sanitizer):
escape every page value with :func:`html_text`, and give a heading the id and permalink Markdown would
(:func:`section_heading`). Footers stay out of the search index.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Callable, Iterable

from . import layout
from .arxiv_ids import parse_arxiv_id
from .pages import PRIORITIES, REQUIRED_SECTIONS, STATUSES, Page, as_date, as_list
from .vocab import Vocabulary

#: Authors shown before the rest are folded into "and N more".
AUTHORS_SHOWN = 5

Footer = Callable[[Page], str]


def paper_footers() -> list[Footer]:
    """HTML blocks appended to every paper page, in order (see the module docstring)."""
    found: list[Footer] = []
    from .bibtex import cite_footer

    found.append(cite_footer)
    return found


# -- escaping -------------------------------------------------------------------------------------------------
# Characters that are markup anywhere in a line with this site's extensions (tables, attr_list); a
# backslash makes each literal. '<', '>', '&' and '"' become entities instead, which Markdown passes
# through. At the start of a line '#', '-', '+', '1.' and '~~~' open blocks, so they are escaped there too.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]|])")
_MD_LINE_START = re.compile(r"^(?:([#+\-])|(\d+)\.(?=\s|$)|(~))")


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    if match.group(2):
        return match.group(2) + "\\."
    return "&#126;"


def md_text(value: Any) -> str:
    """Outside text as literal inline Markdown: one line, no markup, no HTML, safe in a table cell."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _MD_LINE_START.sub(_escape_line_start, _MD_INLINE.sub(r"\\\1", text), count=1)


def html_text(value: Any) -> str:
    """Outside text for HTML: one line, entities for every special character (quotes too)."""
    return html.escape(" ".join(str(value).split()), quote=True)


def md_url(url: str) -> str:
    """A link target for ``[text](...)``: percent-encode what could end or break the link."""
    return "<" + urllib.parse.quote(str(url).strip(), safe="/:?#[]@!$&'()*+,;=%~-._") + ">"


def md_link(text: Any, target: str) -> str:
    return f"[{md_text(text)}]({md_url(target)})"


def docs_link(text: Any, from_path: str, to_path: str) -> str:
    """A Markdown link between two docs pages: relative, so MkDocs checks it and rewrites it."""
    return md_link(text, layout.relative_link(from_path, to_path))


def a(text: Any, href: str, cls: str = "", title: str = "") -> str:
    """An HTML link, text and attributes escaped."""
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' title="{html_text(title)}"' if title else ""
    return f'<a href="{html.escape(href, quote=True)}"{attrs}>{html_text(text)}</a>'


def docs_a(text: Any, from_path: str, to_path: str, cls: str = "", title: str = "") -> str:
    """An HTML link between two docs pages, to the built URL (``layout.relative_url``)."""
    return a(text, layout.relative_url(from_path, to_path), cls, title)


# -- raw HTML blocks --------------------------------------------------------------------------------------------
# Generated HTML (the paper header, the index tables) goes into the Markdown as a raw HTML block between
# these markers. Markdown passes such a block through unchanged; the MkDocs hook swaps each marked block
# for a placeholder before Markdown runs and puts it back afterwards: the same page, without parsing
# thousands of generated table rows (the build-time budget). The hook does this for generated pages only
# (and for the header it builds itself): markers written into a paper page are ordinary text there.
RAW_START = "<!-- paperkb:html -->"
RAW_END = "<!-- /paperkb:html -->"
_RAW_BLOCK = re.compile(re.escape(RAW_START) + r"\n(.*?)\n" + re.escape(RAW_END) + r"\n?", re.S)


def raw_html(fragment: str) -> str:
    """A Markdown block holding ``fragment`` verbatim (keep blank lines out of it: one block)."""
    return f"{RAW_START}\n{fragment.strip()}\n{RAW_END}\n"


def _placeholder(index: int) -> str:
    return f"PAPERKB-RAW-{index}"


def stash_raw_html(markdown: str, blocks: list[str] | None = None) -> tuple[str, list[str]]:
    """Replace each marked raw block by a placeholder paragraph; return the Markdown and the blocks.

    Blocks are appended to ``blocks`` when given (numbering continues after the ones already there)."""
    blocks = [] if blocks is None else blocks

    def stash(match: re.Match[str]) -> str:
        blocks.append(match.group(1))
        return f"\n{_placeholder(len(blocks) - 1)}\n\n"

    return _RAW_BLOCK.sub(stash, markdown), blocks


def restore_raw_html(rendered: str, blocks: list[str]) -> str:
    """Put stashed blocks back where Markdown rendered their placeholders."""
    for index, block in enumerate(blocks):
        rendered = rendered.replace(f"<p>{_placeholder(index)}</p>", block, 1)
    return rendered


# -- page facts the site shows ------------------------------------------------------------------------------
def title_of(page: Page) -> str:
    title = page.meta.get("title")
    return " ".join(str(title).split()) if title not in (None, "") else page.slug


def priority_of(page: Page) -> str | None:
    """The page's priority, or None when unrated (absent or not one of PRIORITIES: `check` reports those)."""
    value = page.meta.get("priority")
    return value if value in PRIORITIES else None


def status_of(page: Page) -> str:
    """The page's status; anything `check` would reject counts as todo, so it shows where work is needed."""
    value = page.meta.get("status")
    return value if value in STATUSES else "todo"


def names_in(value: Any) -> list[str]:
    """The non-empty strings of a front-matter list. Every site generator reads `authors`, `topics` and
    `labs` through this: items that are mappings, lists or numbers (`topics:` written as a mapping) are
    `paperkb check`'s to report, and must not crash the build (a dict is not even hashable)."""
    return [item for item in as_list(value) if isinstance(item, str) and item.strip()]


def authors_of(page: Page) -> list[str]:
    return [" ".join(name.split()) for name in names_in(page.meta.get("authors"))]


def topics_of(page: Page) -> list[str]:
    return names_in(page.meta.get("topics"))


def pages_by_topic(pages: list[Page], topic_ids: Iterable[str]) -> dict[str, list[Page]]:
    """Each topic's pages, in the order of ``pages``: one pass over the pages for every topic at once."""
    members: dict[str, list[Page]] = {topic_id: [] for topic_id in topic_ids}
    for page in pages:
        for topic_id in dict.fromkeys(topics_of(page)):
            if topic_id in members:
                members[topic_id].append(page)
    return members


def labs_of(page: Page) -> list[str]:
    return names_in(page.meta.get("labs"))


def machine_written(page: Page) -> list[str]:
    """Keys of the required sections that still hold exactly the text a model wrote."""
    return [key for key, _ in REQUIRED_SECTIONS if page.is_machine_written(key)]


# -- header -----------------------------------------------------------------------------------------------------
def badges_html(page: Page, docs_path: str) -> str:
    priority, status = priority_of(page), status_of(page)
    shown = priority or layout.UNRATED
    return (
        '<p class="pkb-badges" data-search-exclude>'
        + docs_a(shown, docs_path, layout.priority_path(priority), f"pkb-badge pkb-priority pkb-priority--{shown}", "Priority")
        + " "
        + docs_a(status, docs_path, layout.status_anchor(status), f"pkb-badge pkb-status pkb-status--{status}", "Status")
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
        line += (
            f' <details class="pkb-more"><summary>and {len(rest)} more</summary>'
            + ", ".join(map(html_text, rest))
            + "</details>"
        )
    return line + "</div>"


def vocab_links(page: Page, vocab: Vocabulary, docs_path: str) -> tuple[list[str], list[str]]:
    """HTML links to the page's labs and topics; names not in the vocabularies show as plain text."""
    labs = []
    for name in labs_of(page):
        lab = vocab.lab_for(name)
        labs.append(docs_a(lab.name, docs_path, layout.lab_path(lab.name)) if lab else html_text(name))
    topics = []
    for topic_id in topics_of(page):
        topic = vocab.topics.get(topic_id)
        # Topics are the site's tags: Material's tag chips, each leading to its topic page (the tag's listing)
        link = docs_a(topic.title, docs_path, layout.topic_path(topic.id), "md-tag") if topic else None
        topics.append(link or f'<span class="md-tag">{html_text(topic_id)}</span>')
    return labs, topics


def source_links(page: Page) -> list[str]:
    """Links to the paper itself: arXiv abstract and PDF, or its `url` when it is not on arXiv."""
    arxiv = page.meta.get("arxiv")
    parsed = parse_arxiv_id(arxiv) if isinstance(arxiv, str) else None
    if parsed:
        return [
            a(f"arXiv:{parsed.id}", f"https://arxiv.org/abs/{parsed.id}", title="Abstract on arXiv"),
            a("PDF", f"https://arxiv.org/pdf/{parsed.id}", title="PDF on arXiv"),
        ]
    url = page.meta.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return [a("Paper", url)]
    return []


def abstract_html(page: Page) -> str:
    """The abstract as Material's "abstract" admonition (the HTML ``!!! abstract`` makes), text escaped."""
    abstract = page.meta.get("abstract")
    if not isinstance(abstract, str) or not abstract.strip():
        return ""
    paragraphs = [f"<p>{html_text(p)}</p>" for p in re.split(r"\n\s*\n", abstract.strip()) if p.strip()]
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
        f'<div class="pkb-meta"><span class="pkb-label">Topics</span> <nav class="md-tags">{" ".join(topics)}</nav></div>' if topics else "",
        meta_line("Published", [published.isoformat() if published else "unknown", *source_links(page)], " · "),
        abstract_html(page),
        "</div>",
    ]
    return "\n".join(line for line in lines if line)


def search_header_html(page: Page, vocab: Vocabulary) -> str:
    """What the search index takes from the header, as plain paragraphs: authors and labs, the arXiv ID and
    the date, the abstract.

    Badges, labels, links and the collapsed-authors widget are page furniture; indexing them made search
    results noisier and cost most of the search plugin's time on a paper page (build-time budget)."""
    labs = [lab.name if (lab := vocab.lab_for(name)) else name for name in labs_of(page)]
    arxiv = page.meta.get("arxiv")
    parsed = parse_arxiv_id(arxiv) if isinstance(arxiv, str) else None
    published = as_date(page.meta.get("published"))
    source = [f"arXiv:{parsed.id}" if parsed else "", published.isoformat() if published else ""]
    abstract = page.meta.get("abstract")
    paragraphs = re.split(r"\n\s*\n", abstract.strip()) if isinstance(abstract, str) else []
    lines = [", ".join(authors_of(page) + labs), " ".join(filter(None, source)), *paragraphs]
    return "\n".join(f"<p>{html_text(text)}</p>" for text in lines if text.strip())


# -- body -------------------------------------------------------------------------------------------------------
def machine_note(record: dict[str, Any]) -> str:
    """The note under a machine-written section's heading: the HTML of Material's ``!!! note`` admonition,
    model name escaped (a raw block: Markdown has nothing to parse in it)."""
    model = html_text(record.get("model") or "a model")
    date = as_date(record.get("date"))
    when = f" on {date.isoformat()}" if date else ""
    return (
        '<div class="admonition note pkb-machine">\n'
        f'<p class="admonition-title">Machine-written by {model}{when}</p>\n'
        "<p>Edit this section to make it yours: once its text changes, this note goes away.</p>\n"
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
            inserts.append((section.body_start, machine_note(record)))
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
    search_header: str  # what the search index takes from the header

    def html(self, body_html: str, footer_html: str | None = None) -> str:
        """The page's HTML from the body's rendered (and sanitized) HTML (and ``footer_html(body_html)``)."""
        body = restore_raw_html(_demote_h1(body_html), self.notes)
        footer = self.footer_html(body_html) if footer_html is None else footer_html
        return "\n".join(part for part in (self.header, body, footer) if part)

    def footer_html(self, body_html: str) -> str:
        """The footers, their ids made unique against the body's as Markdown's toc would (cite -> cite_1)."""
        return unique_ids(self.footer, set(element_ids(body_html))) if 'id="' in self.footer else self.footer

    def search_html(self, body_html: str) -> str:
        """What the search index sees: the lean header and the sections, no notes, no footers."""
        body = restore_raw_html(_demote_h1(body_html), [""] * len(self.notes))
        return "\n".join(part for part in (self.search_header, body) if part)


_START_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_ID_IN_TAG = re.compile(r'\sid="([^"]+)"')


def element_ids(html_text_: str) -> list[str]:
    """The ids of the elements in an HTML fragment (in start tags only: text that reads id="x" is not one)."""
    return [anchor for tag in _START_TAG.findall(html_text_) if ' id="' in tag for anchor in _ID_IN_TAG.findall(tag)]


def unique_ids(fragment: str, taken: set[str]) -> str:
    """``fragment`` with each element id that ``taken`` has renamed the way Markdown's toc extension does
    (x -> x_1), and the links to it with it; text is left alone."""
    renamed: dict[str, str] = {}
    for anchor in element_ids(fragment):
        new = anchor
        n = 0
        while new in taken:
            n += 1
            new = f"{anchor}_{n}"
        taken.add(new)
        if new != anchor:
            renamed[anchor] = new
    if not renamed:
        return fragment

    def rename(tag: re.Match[str]) -> str:
        text = tag.group(0)
        for old, new in renamed.items():
            text = text.replace(f'id="{old}"', f'id="{new}"').replace(f'href="#{old}"', f'href="#{new}"')
        return text

    return _START_TAG.sub(rename, fragment)


_H1_TAG = re.compile(r"<(/?)h1\b")


def _demote_h1(body_html: str) -> str:
    """The title is a paper page's only h1 (the theme prints it unless the content has one): an h1 in the
    body ('# Notes', or <h1> written as HTML) becomes a section heading."""
    return _H1_TAG.sub(r"<\1h2", body_html) if "<h1" in body_html else body_html


def paper_document(page: Page, vocab: Vocabulary, docs_path: str | None = None) -> PaperDocument:
    """The paper page as the MkDocs hook renders it. No "# title": the theme shows the page title
    (page.meta["title"], set by the hook) as the h1, and Markdown is spared a heading to slug on every page."""
    docs_path = docs_path or layout.paper_path(page.slug)
    notes: list[str] = []
    markdown = body_with_notes(page, notes).rstrip() + "\n"
    footers = [extra.strip() for footer in paper_footers() if (extra := footer(page)) and extra.strip()]
    return PaperDocument(markdown, notes, header_html(page, vocab, docs_path), "\n".join(footers), search_header_html(page, vocab))


def paper_markdown(page: Page, vocab: Vocabulary, docs_path: str | None = None) -> str:
    """The page as one Markdown document with raw HTML blocks (header, machine notes, footers): what MkDocs
    would render for it without the hook's shortcuts. The golden files hold this form."""
    document = paper_document(page, vocab, docs_path)
    markdown = document.markdown
    for index, note in enumerate(document.notes):
        markdown = markdown.replace(_placeholder(index) + "\n", raw_html(note), 1)
    parts = [raw_html(document.header), markdown] + ([raw_html(document.footer)] if document.footer else [])
    return "\n".join(parts)


def section_heading(title: str, anchor: str) -> str:
    """An h2 as Markdown's toc extension writes it (id and permalink), for HTML built outside Markdown."""
    anchor = html_text(anchor)
    return f'<h2 id="{anchor}">{html_text(title)}<a class="headerlink" href="#{anchor}" title="Permanent link">&para;</a></h2>'


# -- HTML sanitizing ---------------------------------------------------------------------------------------------
#: What Markdown (with this site's extensions) produces; any other tag a page writes shows as text.
ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption cite code col colgroup dd del details div dl dt em figcaption figure "
    "h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark nav ol p pre q s samp small span strong sub summary sup "
    "table tbody td tfoot th thead time tr u ul var".split()
)
ALLOWED_ATTRS = frozenset("alt class colspan datetime height href id lang open rowspan src start title width".split())
_SAFE_STYLE = re.compile(r"^\s*text-align:\s*(left|right|center)\s*;?\s*$")  # Markdown table alignment
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|#|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)
_VOID = frozenset("br col hr img".split())

# Fast path: HTML in which every '<' opens a simple allowed tag whose attributes are allowed, double-quoted,
# and (for href/src) safe, is already what the sanitizer would produce: Markdown output nearly always is.
# A URL with an '&' before its first '/', '?' or '#' never takes it: browsers decode entities in attributes, so
# `javascript&colon;x`, `javascript&#58;x` and `java&Tab;script:x` are javascript: URLs that only the full
# parser (which decodes them, then checks the scheme) can judge.
_FAST_ATTR = (
    r'\s+(?:(?:href|src)="(?:https?:|mailto:|#|[^":/?#<>&]*(?:[/?#]|(?=")))[^"<>]*"'
    r'|(?:' + "|".join(sorted(ALLOWED_ATTRS - {"href", "src"})) + r'|aria-[\w-]+|data-[\w-]+)(?:="[^"<>]*")?'
    r'|style="\s*text-align:\s*(?:left|right|center)\s*;?\s*")'
)
_FAST_TAG = re.compile(r"</?(?:" + "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True)) + r")\b(?:" + _FAST_ATTR + r")*\s*/?>")


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def _attrs(self, attrs: list[tuple[str, str | None]]) -> str:
        kept = []
        for name, value in attrs:
            value = "" if value is None else value
            # HTMLParser hands over attribute values entity-decoded, as a browser sees them, so
            # `javascript&colon;…` arrives here as `javascript:…` and fails _SAFE_URL.
            if name in ("href", "src") and not _SAFE_URL.match(value.strip()):
                continue
            if name in ALLOWED_ATTRS or name.startswith(("aria-", "data-")) or (name == "style" and _SAFE_STYLE.match(value)):
                kept.append(f' {name}="{html.escape(value, quote=True)}"')
        return "".join(kept)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ALLOWED_TAGS:
            self.out.append(f"<{tag}{self._attrs(attrs)}>")
        else:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ALLOWED_TAGS:
            self.out.append(f"<{tag}{self._attrs(attrs)}>" + ("" if tag in _VOID else f"</{tag}>"))
        else:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ALLOWED_TAGS:
            if tag not in _VOID:
                self.out.append(f"</{tag}>")
        else:
            self.out.append(html.escape(f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    # Comments, declarations and processing instructions are dropped.
    def handle_comment(self, data: str) -> None:
        pass

    def unknown_decl(self, data: str) -> None:
        pass


def sanitize_html(fragment: str) -> str:
    """Rendered page HTML keeping only ALLOWED_TAGS / ALLOWED_ATTRS and safe link targets.

    Any other tag (``<script>``, ``<think>``, ``<iframe>``…) is shown as text; event handlers and
    ``javascript:`` URLs are dropped (in any encoding: attribute values are entity-decoded before their scheme
    is checked); entities in text are kept as written.
    """
    if "<" not in _FAST_TAG.sub("", fragment):
        return fragment
    parser = _Sanitizer()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out)
