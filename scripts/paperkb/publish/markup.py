"""Helpers shared by what the site publishes beyond its pages (digests, feeds, citations).

- ``site_page_url``: the absolute URL of a docs page (MkDocs directory URLs: papers/x.md -> papers/x/).
- ``rebase_links``: move the relative links of a paper section so they still work from another page.
- ``markdown_to_safe_html``: Markdown -> HTML through an allow-list, for e-mail and feed readers, where
  nothing may run or load: every text node escaped, only harmless tags, no attributes but the
  inline styles we add and the links a caller accepts.
- ``read_site_url``: mkdocs.yml's ``site_url`` for commands that run outside a MkDocs build.
"""

from __future__ import annotations

import bisect
import html
import posixpath
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from paperkb.model import paths as layout
from paperkb.model.markdown_text import fenced_spans, first_after, outside_spans

LinkFilter = Callable[[str], "str | None"]

# Inline links '](target "title")' and reference definitions '[id]: target' (the target on the next line allowed,
# as Python-Markdown does). Linear on any text: only spaces and tabs where a line break cannot be (a '\s*' crossing
# lines at every line start made 100,000 blank lines take 13 s), and a target stops at ']' (else every '](' of
# '](](](…' scanned the rest of the text).
_MD_LINK = re.compile(r"(\]\(\s*<?)([^)\s>\]]+)(>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\))|^([ \t]*\[[^\]\n]+\]:[ \t]*\n?[ \t]*<?)(\S+?)(>?[ \t]*)$", re.M)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


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
    """Rewrite the relative links of Markdown text written for ``from_docs_path``, and neutralise the unsafe ones.

    ``relink(docs_path, fragment)`` returns the new target (or None to leave the link as written). A link whose
    target is not http(s), mailto or relative (``javascript:``, ``data:``, ``vbscript:`` … in any spelling a
    Markdown renderer and then a browser would decode) has its target replaced by ``#``: the top of the page it
    is on, inert wherever the Markdown is rendered (and no missing anchor for ``mkdocs build --strict``); the
    link text stays. Fenced code is left alone.
    """

    def replace(match: re.Match) -> str:
        if match.group(2) is not None:
            head, target, tail = match.group(1), match.group(2), match.group(3)
        else:
            head, target, tail = match.group(4), match.group(5), match.group(6)
        # 'javascript&colon;x' has a scheme once decoded: not a docs page to rebase (the neutraliser below takes it)
        resolved = resolve_docs_link(from_docs_path, target) if link_scheme(target) is None else None
        new = relink(*resolved) if resolved else None
        return head + (new if new is not None else target) + tail

    def outside_fences(piece: str) -> str:
        return _neutralise_unsafe_targets(_MD_LINK.sub(replace, piece))

    return outside_spans(text, fenced_spans(text), outside_fences)


SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Where a Markdown link target starts: after '](' (inline links and images) or after a reference definition's
# ']:' (at a line's start, behind any blockquote or list markers), past spaces, line breaks and a '<'.
# Python-Markdown takes a target up to the closing ')' with spaces and line breaks inside ('[x](java\nscript:…)'
# is a link a browser reads as javascript:), so the scheme is judged on what follows, not on one token.
_LINK_TARGET_START = re.compile(r"(?:\]\(|^[ \t>*+\-\d.)]*\[[^\]\n]*\]:)\s*<?", re.M)
_SCHEME_PREFIX = re.compile(r"([a-z][a-z0-9+.-]*):")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash escape of ASCII punctuation, as Markdown reads it
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")  # what browsers strip from a URL, and any other space


def link_scheme(target: str) -> str | None:
    """The scheme a browser would see in a Markdown link target, lower-cased ('javascript' for
    'java&#9;script&colon;x' or 'JaVa Script:x'); None for a relative target. Errs towards finding one: every space
    and control character is dropped, entities are decoded (twice), Markdown's backslash escapes undone."""
    decoded = _URL_IGNORED.sub("", _MD_ESCAPE.sub(r"\1", html.unescape(_URL_IGNORED.sub("", target))))
    match = _SCHEME_PREFIX.match(html.unescape(decoded).lower())
    return match.group(1) if match else None


_TARGET_WINDOW = 200  # more than any obfuscated scheme needs (entities, escapes, spaces); keeps the scan linear


def _neutralise_unsafe_targets(text: str) -> str:
    """``text`` with each link target whose scheme is unsafe replaced by '#'. Every place a target can start is
    judged on its own (a link inside another's target too). A target ends at its '>' when written '<…>', else an
    inline one at the first ')' (a scheme holds no parenthesis) and a reference definition's at a space; at most
    _TARGET_WINDOW characters are looked at (or cut) from each start, so a megabyte of '](' stays linear."""
    out: list[str] = []
    last = 0
    for match in _LINK_TARGET_START.finditer(text):
        if match.start() < last:  # inside a target already cut
            continue
        start = match.end()
        window = text[start : start + _TARGET_WINDOW]
        if ":" not in window and "&" not in window:  # no colon, not even one written as an entity: no scheme
            continue
        if match.group(0).endswith("<"):
            end = window.find(">")
        elif match.group(0).startswith("]("):
            end = window.find(")")
        else:
            end = next((i for i, c in enumerate(window) if c.isspace()), -1)
        end = len(window) if end < 0 else end
        scheme = link_scheme(window[:end])
        if scheme is None or scheme in SAFE_LINK_SCHEMES:
            continue
        out += [text[last:start], "#"]
        last = start + end
    out.append(text[last:])
    return "".join(out)


def docs_link_targets(text: str, from_docs_path: str) -> list[tuple[str, str]]:
    """(docs path, '#fragment' or '') of every relative link of Markdown text written for ``from_docs_path``, in
    order: the links ``rebase_links`` sees (fenced code left out), read by the same rule."""
    found: list[tuple[str, str]] = []

    def record(docs_path: str, fragment: str) -> None:
        found.append((docs_path, fragment))
        return None  # leaves the text as it is: only the targets are wanted

    rebase_links(text, from_docs_path, record)
    return found


# A backslash escape is matched (and skipped) first: "\\`" is a literal backtick, not the start of a code span,
# so "\\`<img onerror=…>\\`" must have its '<' escaped. A span closes on a backtick run of its own length.
_CODE_SPAN = re.compile(r"\\.|(`+)(?:.+?)(?<!`)\1(?!`)", re.S)
_BACKTICKS = re.compile(r"`+")


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each code span, for :func:`escape_raw_html`.

    A backslash escape is skipped first: "\\`" is a literal backtick, not the start of a code span, so
    "\\`<img onerror=…>\\`" must have its '<' escaped. A span opens at a backtick and closes on the first later
    run of backticks of its length, for the longest length (up to the rest of the opening run) that has one.

    What ``re.finditer`` gave for ``\\\\.|(`+)(?:.+?)(?<!`)\\1(?!`)`` (DOTALL), in linear time: that pattern
    searched the rest of the text again for every length of every unmatched run (300 backticks before a 20 KB
    paragraph: 64 s). Hand-written because Python-Markdown's own finder is a method of its inline processor.
    """
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(text)]
    starts = [start for start, _ in runs]
    by_length: dict[int, list[int]] = {}  # run length -> indexes of the runs that long, in order
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        tick, slash = text.find("`", position), text.find("\\", position)
        if tick < 0 and (slash < 0 or slash == len(text) - 1):
            return spans
        if 0 <= slash < len(text) - 1 and (tick < 0 or slash < tick):
            position = slash + 2  # an escape: the character after the backslash is text
            continue
        run = bisect.bisect_right(starts, tick) - 1  # the run holding this backtick (it may start before it)
        run_end = runs[run][1]
        closing = first_after(by_length, range(run_end - tick, 0, -1), run)  # the whole rest of the run first, then shorter
        if closing is None:
            position = run_end  # no later run of any length up to this one: nothing in this run opens a span
            continue
        spans.append((tick, runs[closing][1]))
        position = runs[closing][1]


_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")


def escape_raw_html(text: str) -> str:
    """Markdown whose raw HTML shows as text ('<script>' -> '&lt;script&gt;'); code and autolinks untouched.

    For the paper sections quoted in digests: the same result a reader sees on the paper page, where unknown
    tags are shown as text. The site's hook also sanitizes digest pages' HTML (mkdocs_hooks.py); this keeps the
    Markdown itself readable and harmless wherever else it is rendered.
    """

    def outside_code(piece: str) -> str:
        return outside_spans(piece, code_spans(piece), _escape_lt)

    return outside_spans(text, fenced_spans(text), outside_code)


def _escape_lt(text: str) -> str:
    parts = _AUTOLINK.split(text)  # odd indexes: the URL of an autolink, kept as one
    return "".join(f"<{part}>" if i % 2 else part.replace("<", "&lt;") for i, part in enumerate(parts))


# -- safe HTML ------------------------------------------------------------------------------------------------


# -- configuration -----------------------------------------------------------------------------------------


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


def section_heading(title: str, anchor: str) -> str:
    """An h2 as Markdown's toc extension writes it (id and permalink), for HTML built outside Markdown."""
    anchor = html_text(anchor)
    return f'<h2 id="{anchor}">{html_text(title)}<a class="headerlink" href="#{anchor}" title="Permanent link">&para;</a></h2>'
