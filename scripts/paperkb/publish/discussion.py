"""A paper page's ``links:`` (code, models, data, talks and commentary) as its "Code and discussion" section.

Its own module, beside ``paper``: ``paperkb check`` renders this footer for its anchors, and must not import what
the paper page also needs (related papers, scikit-learn: 1.7 s of every `paperkb check`).
"""

from __future__ import annotations

from paperkb.model.links import LINKS_ANCHOR, LINKS_TITLE, Link, links_of
from paperkb.model.pages import Page
from paperkb.publish.markup import a, html_text, section_heading
from paperkb.publish.sanitize import sanitize_html


def link_html(link: Link) -> str:
    """One item of "Code and discussion": kind, the title linked to its URL (or cited when it has none), then who,
    where and when."""
    title = a(link.title, link.url) if link.url else f"<cite>{html_text(link.title)}</cite>"
    source = ", ".join(html_text(part) for part in (link.author, link.where) if part)
    when = f'<time datetime="{link.date.isoformat()}">{link.date.isoformat()}</time>' if link.date else ""
    details = " · ".join(part for part in (source, when) if part)
    return f'<li><span class="pkb-label">{html_text(link.label)}</span> {title}' + (f" — {details}" if details else "") + "</li>"


def links_footer(page: Page) -> str:
    """The page's ``links:`` as a "Code and discussion" section (nothing when it has none). Every value is escaped
    and the block goes through the site's one sanitizer as a rendered body does: a URL is a page's own words."""
    links = links_of(page)
    if not links:
        return ""
    items = "\n".join(link_html(link) for link in links)
    return section_heading(LINKS_TITLE, LINKS_ANCHOR) + "\n" + sanitize_html(f'<ul class="pkb-links">\n{items}\n</ul>')
