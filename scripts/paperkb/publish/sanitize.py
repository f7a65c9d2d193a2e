"""The one HTML sanitizer: every path from outside text to HTML ends here, on nh3 (Rust's ammonia).

Two policies over the same library, each an explicit allow-list:

- :func:`sanitize_html`: a rendered page body (paper pages, digests) for the site. Only the tags Python-Markdown
  produces with this site's extensions survive, with harmless attributes; link and image targets must be http(s),
  mailto or relative. An element id survives only on a heading (Markdown's toc writes those) and never one that
  starts with ``__`` (Material's own elements: ``__config``, ``__search``… a page must not shadow them). ``name``,
  ``form``, ``style`` (but table alignment) and every ``on*`` handler go. A tag that is not allowed is shown as
  text (a paper about ``<think>`` tags keeps them readable) rather than dropped: see :func:`_show_unknown_tags`.
- :func:`sanitize_email_html` / :func:`markdown_to_safe_html`: HTML for e-mail and feed readers, where nothing
  may run or load: a short list of text tags with our inline styles, links only where the caller accepts them,
  script-like elements dropped with their content.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import markdown
import nh3

LinkFilter = Callable[[str], "str | None"]

#: What Markdown (with this site's extensions) produces; any other tag a page writes shows as text.
ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption cite code col colgroup dd del details div dl dt em figcaption figure "
    "h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub summary sup "
    "table tbody td tfoot th thead time tr u ul var".split()
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style"},
    "col": {"span"},
    "details": {"open"},
    "time": {"datetime"},
    **{heading: {"id"} for heading in _HEADINGS},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_TABLE_ALIGN = re.compile(r"^\s*text-align:\s*(left|right|center)\s*;?\s*$")  # what Markdown's tables write
_SAFE_ID = re.compile(r"^(?!__)[\w.:-]+$")  # Material names its own elements __config, __search…
_TAG_START = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")


def _page_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if _SAFE_ID.match(value) else None
    if attribute == "style":
        return value if _TABLE_ALIGN.match(value) else None
    return value


_PAGE_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_page_attribute,
    url_schemes=set(URL_SCHEMES),
    link_rel=None,  # our links go to our pages and to arXiv; no rel added to every one of them
    strip_comments=True,
)


def _show_unknown_tags(fragment: str) -> str:
    """Every tag that is not allowed, written as text ('<think>' -> '&lt;think>').

    nh3 drops a tag it does not allow; the site shows it instead, so the allow-list is applied twice: here to
    decide what becomes text, then by nh3 for everything else (attributes, URLs, structure). Markdown's own
    output never holds a bare '<' in text (it writes '&lt;'), so a '<' followed by a name opens a tag.
    """
    return _TAG_START.sub(lambda m: m.group(0) if m.group(2).lower() in ALLOWED_TAGS else "&lt;" + m.group(1) + m.group(2), fragment)


def sanitize_html(fragment: str) -> str:
    """Rendered page HTML keeping only ALLOWED_TAGS / ALLOWED_ATTRIBUTES and safe link targets.

    Any other tag (``<script>``, ``<think>``, ``<iframe>``…) is shown as text; event handlers, clobbering
    attributes and ``javascript:`` URLs (in any encoding: nh3 parses as a browser does) are dropped.
    """
    return _PAGE_CLEANER.clean(_show_unknown_tags(fragment))


# -- e-mail and feeds -----------------------------------------------------------------------------------------
#: Tags kept in e-mail and feeds, with the inline style each gets; everything else is dropped, its text kept.
EMAIL_TAGS: dict[str, str] = {
    "p": "margin:0 0 12px 0;",
    "ul": "margin:0 0 12px 0;padding-left:22px;",
    "ol": "margin:0 0 12px 0;padding-left:22px;",
    "li": "margin:0 0 4px 0;",
    "em": "",
    "i": "",
    "strong": "",
    "b": "",
    "code": "font-family:Consolas,Menlo,monospace;font-size:90%;background:#f2f2f2;padding:0 3px;",
    "pre": "white-space:pre-wrap;font-family:Consolas,Menlo,monospace;font-size:90%;background:#f2f2f2;padding:8px;",
    "blockquote": "margin:0 0 12px 0;padding-left:12px;border-left:3px solid #ddd;color:#555;",
    "br": "",
    "hr": "border:0;border-top:1px solid #ddd;",
    "sup": "",
    "sub": "",
    "h4": "font-size:15px;margin:12px 0 6px 0;",
    "h5": "font-size:14px;margin:12px 0 6px 0;",
    "h6": "font-size:13px;margin:12px 0 6px 0;",
    "a": "color:#1a5fb4;",
}
#: Elements whose content goes with them (code or data, never reading text).
EMAIL_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "head", "title", "textarea", "select"})
_EMAIL_HEADING = re.compile(r"<(/?)h[1-3]>")  # a section's headings must not outrank the digest's own
_EMAIL_UNLINKED = re.compile(r"<a>(.*?)</a>", re.S)  # nh3's output: an <a> whose href was refused has none


def sanitize_email_html(fragment: str, accept_link: LinkFilter) -> str:
    """Keep only EMAIL_TAGS (with our inline styles) and the links ``accept_link`` returns a URL for."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        return accept_link(value) if (tag, attribute) == ("a", "href") else None

    cleaned = nh3.clean(
        fragment,
        tags=set(EMAIL_TAGS) | {"h1", "h2", "h3"},
        clean_content_tags=set(EMAIL_DROP_CONTENT),
        attributes={"a": {"href"}},
        attribute_filter=keep,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    cleaned = _EMAIL_UNLINKED.sub(r"\1", _EMAIL_HEADING.sub(r"<\1h4>", cleaned))
    # Our inline styles go on last, on nh3's canonical output: every start tag is '<name>' or '<a href="…">'
    return re.sub(r"<(" + "|".join(t for t, css in EMAIL_TAGS.items() if css) + r")(\s[^>]*)?>", _styled, cleaned)


def _styled(match: re.Match[str]) -> str:
    return f'<{match.group(1)}{match.group(2) or ""} style="{EMAIL_TAGS[match.group(1)]}">'


_RENDERER: markdown.Markdown | None = None


def markdown_to_safe_html(text: str, accept_link: LinkFilter) -> str:
    """Markdown -> e-mail/feed HTML, rendered as on the site (Python-Markdown, MkDocs' own renderer)."""
    global _RENDERER
    if _RENDERER is None:  # one instance, reset per text: building one costs more than most conversions
        _RENDERER = markdown.Markdown(extensions=["sane_lists"])
    return sanitize_email_html(_RENDERER.reset().convert(text), accept_link)
