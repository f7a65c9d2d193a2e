"""A paper page as the site shows it: pure functions, page in, Markdown (or safe HTML) out.

``paper_markdown(page, vocab)`` is what ``scripts/mkdocs_hooks.py`` hands MkDocs for every
``papers/<slug>.md``: a header built from the front matter (title, authors with long lists collapsed,
labs and topics linking to their pages, date, arXiv links, priority and status badges, the abstract),
then the page's own body with a note under every section that is still machine-written, then the
footers. The page file itself stays plain Markdown; nothing here writes to it.

Everything that came from outside (titles, authors, abstracts, model names: arXiv and LLM output may hold
``<think>``, ``|``, ``*`` or ``[``) goes through :func:`md_text` or :func:`html_text`, and the rendered
page body goes through :func:`sanitize_html`, so no page can inject HTML or script or break a table.

Seam for other stages — footers: :func:`paper_footers` returns the callables ``(Page) -> str`` whose
Markdown is appended, in order, at the end of every paper page (an empty string adds nothing). A stage
adds its own inside that function, importing its module there to keep imports light, e.g.::

    from .bibtex import cite_footer
    found.append(cite_footer)

Footer Markdown is trusted like the header: escape page values with :func:`md_text` / :func:`html_text`.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from html.parser import HTMLParser
from typing import Any, Callable

from . import layout
from .arxiv_ids import parse_arxiv_id
from .pages import PRIORITIES, REQUIRED_SECTIONS, STATUSES, Page, as_date, as_list
from .vocab import Vocabulary

#: Authors shown before the rest are folded into "and N more".
AUTHORS_SHOWN = 5

Footer = Callable[[Page], str]


def paper_footers() -> list[Footer]:
    """Markdown blocks appended to every paper page, in order (see the module docstring)."""
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
    """Outside text for a raw HTML block: one line, entities for every special character."""
    return html.escape(" ".join(str(value).split()), quote=True)


def md_url(url: str) -> str:
    """A link target for ``[text](...)``: percent-encode what could end or break the link."""
    return "<" + urllib.parse.quote(str(url).strip(), safe="/:?#[]@!$&'()*+,;=%~-._") + ">"


def md_link(text: Any, target: str) -> str:
    return f"[{md_text(text)}]({md_url(target)})"


def docs_link(text: Any, from_path: str, to_path: str) -> str:
    """A link between two docs pages, relative so MkDocs checks it and rewrites it to the built URL."""
    return md_link(text, layout.relative_link(from_path, to_path))


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


def authors_of(page: Page) -> list[str]:
    return [" ".join(str(a).split()) for a in as_list(page.meta.get("authors")) if str(a).strip()]


def topics_of(page: Page) -> list[str]:
    return [str(t) for t in as_list(page.meta.get("topics")) if isinstance(t, str) and t.strip()]


def labs_of(page: Page) -> list[str]:
    return [str(name) for name in as_list(page.meta.get("labs")) if isinstance(name, str) and name.strip()]


def machine_written(page: Page) -> list[str]:
    """Keys of the required sections that still hold exactly the text a model wrote."""
    return [key for key, _ in REQUIRED_SECTIONS if page.is_machine_written(key)]


# -- header -----------------------------------------------------------------------------------------------------
def badges(page: Page, docs_path: str) -> str:
    priority = priority_of(page)
    status = status_of(page)
    priority_badge = docs_link(priority or layout.UNRATED, docs_path, layout.priority_path(priority))
    status_badge = docs_link(status, docs_path, layout.status_anchor(status))
    return (
        f'{priority_badge}{{ .pkb-badge .pkb-priority .pkb-priority--{priority or layout.UNRATED} title="Priority" }} '
        f'{status_badge}{{ .pkb-badge .pkb-status .pkb-status--{status} title="Status" }}'
    )


def authors_html(authors: list[str]) -> str:
    """Authors as a raw HTML block; past AUTHORS_SHOWN (+1) the rest fold into a <details>."""
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


def _vocab_links(page: Page, vocab: Vocabulary, docs_path: str) -> tuple[list[str], list[str]]:
    labs = []
    for name in labs_of(page):
        lab = vocab.lab_for(name)
        labs.append(docs_link(lab.name, docs_path, layout.lab_path(lab.name)) if lab else md_text(name))
    topics = []
    for topic_id in topics_of(page):
        topic = vocab.topics.get(topic_id)
        topics.append(docs_link(topic.title, docs_path, layout.topic_path(topic.id)) if topic else md_text(topic_id))
    return labs, topics


def source_links(page: Page) -> list[str]:
    """Links to the paper itself: arXiv abstract and PDF, or its `url` when it is not on arXiv."""
    parsed = parse_arxiv_id(str(page.meta["arxiv"])) if isinstance(page.meta.get("arxiv"), str) else None
    if parsed:
        return [
            md_link(f"arXiv:{parsed.id}", f"https://arxiv.org/abs/{parsed.id}"),
            md_link("PDF", f"https://arxiv.org/pdf/{parsed.id}"),
        ]
    url = page.meta.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return [md_link("Paper", url)]
    return []


def abstract_block(page: Page) -> str:
    abstract = page.meta.get("abstract")
    if not isinstance(abstract, str) or not abstract.strip():
        return ""
    paragraphs = [md_text(p) for p in re.split(r"\n\s*\n", abstract.strip()) if p.strip()]
    return '!!! abstract "Abstract"\n\n' + "\n\n".join(f"    {p}" for p in paragraphs) + "\n"


def header_markdown(page: Page, vocab: Vocabulary, docs_path: str) -> str:
    labs, topics = _vocab_links(page, vocab, docs_path)
    published = as_date(page.meta.get("published"))
    facts = [f"**Published** {published.isoformat() if published else 'unknown'}", *source_links(page)]
    lines = [
        f"# {md_text(title_of(page))}",
        "",
        '<div class="pkb-header" markdown>',
        "",
        badges(page, docs_path),
        "",
    ]
    authors = authors_html(authors_of(page))
    if authors:
        lines += [authors, ""]
    # A block's attribute list goes on a line of its own (at a line's end it would attach to the last link).
    if labs:
        lines += [f"**Labs** {', '.join(labs)}", "{: .pkb-meta }", ""]
    if topics:
        lines += [f"**Topics** {', '.join(topics)}", "{: .pkb-meta }", ""]
    lines += [" · ".join(facts), "{: .pkb-meta }", "", "</div>", ""]
    abstract = abstract_block(page)
    if abstract:
        lines += [abstract]
    return "\n".join(lines)


# -- body -------------------------------------------------------------------------------------------------------
def machine_note(record: dict[str, Any]) -> str:
    """The admonition under a machine-written section's heading."""
    model = md_text(record.get("model") or "a model")
    date = as_date(record.get("date"))
    when = f" on {date.isoformat()}" if date else ""
    return (
        f'!!! note pkb-machine "Machine-written by {model}{when}"\n'
        "    Edit this section to make it yours: once its text changes, this note goes away.\n"
    )


def body_with_notes(page: Page) -> str:
    """The page body with a machine note inserted right under each machine-written section's heading."""
    inserts: list[tuple[int, str]] = []
    for key in machine_written(page):
        section = page.section(dict(REQUIRED_SECTIONS)[key])
        record = page.generated_record(key)
        if section is not None and record is not None:
            inserts.append((section.body_start, "\n" + machine_note(record)))
    text = page.text
    for offset, note in sorted(inserts, reverse=True):
        text = text[:offset] + note + text[offset:]
    return text[page.fm_end :].lstrip("\r\n")


def paper_markdown(page: Page, vocab: Vocabulary, docs_path: str | None = None) -> str:
    """The Markdown MkDocs renders for a paper page: header, body with machine notes, footers."""
    docs_path = docs_path or layout.paper_path(page.slug)
    parts = [header_markdown(page, vocab, docs_path), body_with_notes(page).rstrip() + "\n"]
    for footer in paper_footers():
        extra = footer(page)
        if extra and extra.strip():
            parts.append(extra.strip() + "\n")
    return "\n".join(parts)


# -- HTML sanitizing ---------------------------------------------------------------------------------------------
#: What Markdown (with this site's extensions) produces; anything else a page writes shows as text.
ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption cite code col colgroup dd del details div dl dt em figcaption figure "
    "h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub summary sup "
    "table tbody td tfoot th thead time tr u ul var".split()
)
ALLOWED_ATTRS = frozenset(
    "alt class colspan datetime height href id lang open rowspan src start title width".split()
)
_SAFE_STYLE = re.compile(r"^\s*text-align:\s*(left|right|center)\s*;?\s*$")  # Markdown table alignment
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|#|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)
_VOID = frozenset("br col hr img".split())


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def _attrs(self, attrs: list[tuple[str, str | None]]) -> str:
        kept = []
        for name, value in attrs:
            value = "" if value is None else value
            if name in ("href", "src") and not _SAFE_URL.match(value.strip()):
                continue
            if (name in ALLOWED_ATTRS or name.startswith(("aria-", "data-"))) or (
                name == "style" and _SAFE_STYLE.match(value)
            ):
                kept.append(f' {name}="{html.escape(value, quote=True)}"')
        return "".join(kept)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ALLOWED_TAGS:
            self.out.append(f"<{tag}{self._attrs(attrs)}>")
        else:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ALLOWED_TAGS:
            self.out.append(f"<{tag}{self._attrs(attrs)}>" if tag in _VOID else f"<{tag}{self._attrs(attrs)}></{tag}>")
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
    """Rendered page HTML with only ALLOWED_TAGS / ALLOWED_ATTRS kept and safe link targets.

    Other tags (``<script>``, ``<think>``, ``<iframe>``…) are shown as text, event handlers and
    ``javascript:`` URLs are dropped. Entities are kept as written.
    """
    parser = _Sanitizer()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out)
