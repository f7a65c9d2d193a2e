"""Helpers shared by what the site publishes beyond its pages (digests, feeds, citations).

- ``site_page_url``: the absolute URL of a docs page (MkDocs directory URLs: papers/x.md -> papers/x/).
- ``rebase_links``: move the relative links of a paper section so they still work from another page.
- ``markdown_to_safe_html``: Markdown -> HTML through an allow-list, for e-mail and feed readers, where
  nothing may run or load: every text node escaped, only harmless tags, no attributes but the
  inline styles we add and the links a caller accepts.
- ``read_site_url``: mkdocs.yml's ``site_url`` for commands that run outside a MkDocs build.
"""

from __future__ import annotations

import html
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import markdown as _markdown  # Python-Markdown: MkDocs' own renderer, so text renders as on the site
import yaml

LinkFilter = Callable[[str], "str | None"]

_MD_LINK = re.compile(r"(\]\(\s*<?)([^)\s>]+)(>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\))|^(\s*\[[^\]\n]+\]:\s*<?)(\S+?)(>?\s*)$", re.M)
_FENCED = re.compile(r"^[ \t]{0,3}(```|~~~).*?^[ \t]{0,3}\1[^\n]*$", re.M | re.S)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_MD_SPECIALS = re.compile(r"([\\`*_\[\]#])")


def site_page_url(site_url: str, docs_path: str) -> str:
    """'https://x.org/kb/' + 'papers/a.md' -> 'https://x.org/kb/papers/a/' (non-Markdown files keep their path)."""
    base = site_url if site_url.endswith("/") else site_url + "/"
    if docs_path.endswith(".md"):
        stem = docs_path[: -len(".md")]
        if stem == "index" or stem.endswith("/index"):
            stem = stem[: -len("index")]
        else:
            stem += "/"
        return base + stem
    return base + docs_path


def md_escape(text: str) -> str:
    """Plain text made safe to place inside Markdown (no emphasis, links or raw HTML from it)."""
    # Python-Markdown has no backslash escape for '<' and '&': entities keep them literal.
    text = html.escape(" ".join(str(text).split()), quote=False)
    return _MD_SPECIALS.sub(r"\\\1", text)


# -- links inside page sections -----------------------------------------------------------------------------
def resolve_docs_link(from_docs_path: str, target: str) -> tuple[str, str] | None:
    """A relative link of a docs page -> (docs path it points to, '#fragment' or ''); None for URLs/anchors."""
    if _SCHEME.match(target) or target.startswith(("#", "/")):
        return None
    path, _, fragment = target.partition("#")
    path = path.split("?", 1)[0]
    if not path:
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_docs_path), path))
    if resolved.startswith("../"):
        return None
    return resolved, ("#" + fragment if fragment else "")


def rebase_links(text: str, from_docs_path: str, relink: Callable[[str, str], str | None]) -> str:
    """Rewrite the relative links of Markdown text written for ``from_docs_path``.

    ``relink(docs_path, fragment)`` returns the new target (or None to leave the link as written).
    Fenced code is left alone.
    """

    def replace(match: re.Match) -> str:
        if match.group(2) is not None:
            head, target, tail = match.group(1), match.group(2), match.group(3)
        else:
            head, target, tail = match.group(4), match.group(5), match.group(6)
        resolved = resolve_docs_link(from_docs_path, target)
        new = relink(*resolved) if resolved else None
        return head + (new if new is not None else target) + tail

    pieces, last = [], 0
    for fence in _FENCED.finditer(text):
        pieces.append(_MD_LINK.sub(replace, text[last : fence.start()]))
        pieces.append(fence.group(0))
        last = fence.end()
    pieces.append(_MD_LINK.sub(replace, text[last:]))
    return "".join(pieces)


# A backslash escape is matched (and skipped) first: "\\`" is a literal backtick, not the start of a code span,
# so "\\`<img onerror=…>\\`" must have its '<' escaped. A span closes on a backtick run of its own length.
_CODE_SPAN = re.compile(r"\\.|(`+)(?:.+?)(?<!`)\1(?!`)", re.S)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")


def escape_raw_html(text: str) -> str:
    """Markdown whose raw HTML shows as text ('<script>' -> '&lt;script&gt;'); code and autolinks untouched.

    For the paper sections quoted in digests: the same result a reader sees on the paper page, where unknown
    tags are shown as text. The site's hook also sanitizes digest pages' HTML (mkdocs_hooks.py); this keeps the
    Markdown itself readable and harmless wherever else it is rendered.
    """

    def outside_code(piece: str) -> str:
        pieces, last = [], 0
        for span in _CODE_SPAN.finditer(piece):
            if span.group(1) is None:  # a backslash escape: left to the text around it
                continue
            pieces.append(_escape_lt(piece[last : span.start()]))
            pieces.append(span.group(0))
            last = span.end()
        pieces.append(_escape_lt(piece[last:]))
        return "".join(pieces)

    pieces, last = [], 0
    for fence in _FENCED.finditer(text):
        pieces.append(outside_code(text[last : fence.start()]))
        pieces.append(fence.group(0))
        last = fence.end()
    pieces.append(outside_code(text[last:]))
    return "".join(pieces)


def _escape_lt(text: str) -> str:
    parts = _AUTOLINK.split(text)  # odd indexes: the URL of an autolink, kept as one
    return "".join(f"<{part}>" if i % 2 else part.replace("<", "&lt;") for i, part in enumerate(parts))


# -- safe HTML ------------------------------------------------------------------------------------------------
#: Tags kept (with the inline style given); everything else is dropped, its text kept and escaped.
SAFE_TAGS: dict[str, str] = {
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
_HEADING_DOWN = {"h1": "h4", "h2": "h4", "h3": "h4"}  # section headings must not outrank the digest's own
#: Elements whose content is dropped along with them (code or data, never reading text).
_DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "head", "title", "textarea", "select"}


_HTML_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class _Sanitizer(HTMLParser):
    def __init__(self, accept_link: LinkFilter):
        super().__init__(convert_charrefs=True)
        self.accept_link = accept_link
        self.out: list[str] = []
        self.open: list[tuple[str, str | None]] = []  # (tag as written, tag emitted or None when dropped)
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.dropping += 1
            return
        if self.dropping:
            return
        emitted = self._emit_start(_HEADING_DOWN.get(tag, tag), dict(attrs))
        if tag not in _HTML_VOID:
            self.open.append((tag, emitted))

    def _emit_start(self, tag: str, attrs: dict[str, str | None]) -> str | None:
        if tag not in SAFE_TAGS:
            return None
        attributes = ""
        if tag == "a":
            href = self.accept_link(attrs.get("href") or "")
            if not href:
                return None
            attributes += f' href="{html.escape(href, quote=True)}"'
        if SAFE_TAGS[tag]:
            attributes += f' style="{SAFE_TAGS[tag]}"'
        self.out.append(f"<{tag}{attributes}>")
        return tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_VOID and not self.dropping:
            self._emit_start(tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping:
            return
        written = [name for name, _ in self.open]
        if tag not in written:
            return  # a stray end tag: nothing of ours to close
        while self.open:
            name, emitted = self.open.pop()
            if emitted:
                self.out.append(f"</{emitted}>")
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{emitted}>" for _, emitted in reversed(self.open) if emitted)
        return "".join(self.out)


def sanitize_html(fragment: str, accept_link: LinkFilter) -> str:
    """Keep only SAFE_TAGS (with our inline styles) and links ``accept_link`` returns a URL for."""
    sanitizer = _Sanitizer(accept_link)
    sanitizer.feed(fragment)
    return sanitizer.result()


_RENDERER: _markdown.Markdown | None = None


def markdown_to_safe_html(text: str, accept_link: LinkFilter) -> str:
    global _RENDERER
    if _RENDERER is None:  # one instance, reset per text: building one costs more than most conversions
        _RENDERER = _markdown.Markdown(extensions=["sane_lists"])
    return sanitize_html(_RENDERER.reset().convert(text), accept_link)


# -- configuration -----------------------------------------------------------------------------------------
class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose !!python/name and !ENV tags a safe loader would refuse."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def read_site_url(root: Path) -> str:
    """mkdocs.yml's site_url ('' when unset or unreadable), always ending in '/' when set."""
    try:
        config = yaml.load((Path(root) / "mkdocs.yml").read_text("utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError):
        return ""
    url = str((config or {}).get("site_url") or "").strip() if isinstance(config, dict) else ""
    return url if not url or url.endswith("/") else url + "/"


def published_paths(topic_ids) -> set[str]:
    """Docs paths of the digests, feeds and bibliographies every build writes (link targets for `check`).

    A sync run's own digest (digests/<date>.md) exists only once its record does, so it is not listed.
    """
    from .bibtex import ALL_PAPERS_BIB, topic_bib_path
    from .digest import STATIC_PATHS
    from .feeds import ALL_PAPERS_FEED, topic_feed_path

    topics = list(topic_ids)
    return {*STATIC_PATHS, ALL_PAPERS_FEED, ALL_PAPERS_BIB, *map(topic_feed_path, topics), *map(topic_bib_path, topics)}
