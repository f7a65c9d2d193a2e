"""Math where the site and its readers see it. :func:`math_html`: text the site shows as HTML (the abstract),
escaped like any outside text, its ``$…$`` and ``$$…$$`` marked for MathJax the way ``pymdownx.arithmatex``
(generic) marks them in page sections; :func:`math_markdown` the same as Markdown for the digest pages; and
:func:`readable_markdown` for feeds and e-mail, where nothing runs: math as readable text.

The TeX stays text: each span is ``<span class="arithmatex">\\(…\\)</span>`` (display math ``\\[…\\]``) with
the TeX HTML-escaped inside, so without JavaScript a reader sees the source and nothing in it is markup;
overrides/assets/javascripts/paperkb-math.js typesets only elements of that class. Prose around it shows ``\\$`` as ``$``.
"""

from __future__ import annotations

import html
import re

from paperkb.model.markdown_text import fenced_spans, outside_spans
from paperkb.model.text import math_segments, readable_text
from paperkb.publish.markup import md_text


def math_html(text: str) -> str:
    """``text`` on one line, HTML-escaped, its math in arithmatex spans."""
    if "$" not in text:
        return html.escape(" ".join(str(text).split()), quote=True)
    out = []
    for kind, part in math_segments(" ".join(str(text).split())):
        if kind == "text":
            out.append(html.escape(part.replace("\\$", "$"), quote=True))
        else:
            left, right = ("\\[", "\\]") if kind == "display" else ("\\(", "\\)")
            out.append(f'<span class="arithmatex">{left}{html.escape(part, quote=True)}{right}</span>')
    return "".join(out)


def math_markdown(text: str) -> str:
    """Outside text as literal inline Markdown (markup.md_text) with its math kept as ``$…$`` for arithmatex, which
    takes a span's TeX before Markdown's escapes: the site's digest pages render it as on the paper pages."""
    out = []
    for kind, part in math_segments(" ".join(str(text).split())):
        if kind == "text":
            out.append("\\$".join(_md_spaced(piece) for piece in part.split("\\$")))  # '\$' stays: arithmatex shows '$'
        else:
            out.append(f"$${part}$$" if kind == "display" else f"${part}$")
    return "".join(out)


def _md_spaced(text: str) -> str:
    """md_text (which trims), with the spaces around ``text`` kept (they separate it from the math beside it)."""
    if not text.strip():
        return text
    return text[: len(text) - len(text.lstrip())] + md_text(text) + text[len(text.rstrip()) :]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def readable_markdown(markdown: str) -> str:
    """Section Markdown for readers that run nothing (feeds, e-mail): math as readable text (model.text.readable_math),
    escaped so Markdown takes none of it for markup ('x_i and y_j' is no emphasis), and ``\\$`` as ``$``. Fenced
    code is left as written."""
    return outside_spans(markdown, fenced_spans(markdown), _readable)


def _readable(markdown: str) -> str:
    """Math made readable, each span escaped so Markdown takes none of it for markup."""
    return readable_text(markdown, _markdown_literal)


def _markdown_literal(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
