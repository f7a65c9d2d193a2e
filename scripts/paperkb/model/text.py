"""Text as arXiv writes it (TeX) and as readers see it: pure functions for ingest, publish and check.

arXiv's titles and abstracts are TeX source: ``DQ3\\_K\\_M``, ``100\\%``, ``--`` for a dash and ``$\\max_\\theta$``
for math. :func:`display_text` converts the escapes and dashes once, at ingest, outside math; math stays TeX,
delimited by ``$…$`` (inline) or ``$$…$$`` (display), as ``pymdownx.arithmatex`` reads it in page sections
(``smart_dollar``: no space just inside an inline ``$``). A literal dollar sign is written ``\\$``; a ``$`` that
opens no math is what ``paperkb check`` reports (:func:`stray_dollars`). :func:`math_segments` splits text
into prose and math for the site (which marks math for MathJax) and :func:`readable_math` makes math readable
in feeds and e-mail, where nothing runs.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Literal

from pylatexenc.latex2text import LatexNodes2Text

Kind = Literal["text", "inline", "display"]

# Display math first ('$$' would otherwise read as an empty inline span); inline math as arithmatex's smart_dollar
# reads it: no whitespace just inside the dollars, backslash escapes inside, no blank line. Never after a
# backslash ('\$' is a literal dollar). Lazy, bounded by the next '$': linear on any text.
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<display>(?:\\.|[^\\$])+?)(?<!\\)\$\$"
    r"|(?<!\\)\$(?!\s)(?P<inline>(?:\\.|[^\\$])+?)(?<!\s)(?<!\\)\$",
    re.S,
)
_STRAY_DOLLAR = re.compile(r"(?<!\\)\$")
_PARAGRAPHS = re.compile(r"(\n[ \t]*\n)")  # kept by split(): the pieces join back to the text
# TeX escapes arXiv metadata uses for characters that are plain text on a page. '\$' stays: it is how a literal
# dollar is told from math, here and in page sections (arithmatex shows it as '$').
_ESCAPES = {"\\_": "_", "\\&": "&", "\\%": "%", "\\#": "#", "\\{": "{", "\\}": "}"}
_ESCAPE = re.compile(r"\\[_&%#{}\\]")  # '\\' (a backslash) is matched to stay as it is: '\\_' is not '\_'

# TeX's dashes: '---' an em dash, '--' an en dash (a range or a pause); not an HTML comment's '<!--' or '-->',
# not part of a longer run of hyphens, and never inside a URL (below).
_DASH = re.compile(r"(?<![-!])(---|--)(?![->])")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)
# Math longer than this is left as source in feeds and e-mail: pylatexenc parses recursively (hostile nesting).
READABLE_MATH_MAX = 2000
# pylatexenc takes about 0.4 ms a span: past this many spans in one text the rest stay source (a hostile section
# of 250,000 spans took 49 s to show in a feed; a real abstract has a handful).
READABLE_MATH_SPANS = 300
_LATEX_TEXT = LatexNodes2Text(math_mode="text")
# pylatexenc logs a warning for each macro it cannot expand in malformed TeX; readable_math falls back to the source
# then, so the warnings would only flood a build's or a digest run's log with page text.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)


def math_segments(text: str) -> list[tuple[Kind, str]]:
    """``text`` as ('text' | 'inline' | 'display', part) pieces in order, joining back to ``text`` once math parts
    get their dollars again. Each paragraph (split at blank lines) is scanned on its own: math never spans one."""
    segments: list[tuple[Kind, str]] = []
    for paragraph in _PARAGRAPHS.split(text):
        last = 0
        for match in _MATH.finditer(paragraph):
            kind: Kind = "display" if match.group("display") is not None else "inline"
            if match.start() > last:
                segments.append(("text", paragraph[last : match.start()]))
            segments.append((kind, match.group(kind)))
            last = match.end()
        if last < len(paragraph):
            segments.append(("text", paragraph[last:]))
    # adjacent prose pieces (a paragraph break between two) as one
    merged: list[tuple[Kind, str]] = []
    for kind, part in segments:
        if merged and kind == "text" and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + part)
        else:
            merged.append((kind, part))
    return merged


def stray_dollars(text: str) -> list[int]:
    """Offsets of each unescaped ``$`` in ``text`` that opens or closes no math (unbalanced)."""
    found, offset = [], 0
    for kind, part in math_segments(text):
        if kind == "text":
            found += [offset + m.start() for m in _STRAY_DOLLAR.finditer(part)]
            offset += len(part)
        else:
            offset += len(part) + (4 if kind == "display" else 2)
    return found


def escape_stray_dollars(text: str) -> str:
    """``text`` with each ``$`` that opens no math written ``\\$`` (outside text such as a digest's "$5.5M": what
    ``paperkb check`` would report, fixed where it comes in)."""
    offsets = stray_dollars(text) if "$" in text else []
    for offset in reversed(offsets):
        text = text[:offset] + "\\" + text[offset:]
    return text


def _prose(text: str) -> str:
    pieces, last = [], 0
    for url in _URL.finditer(text):  # a URL keeps its hyphens ('a--b.org'); its escapes ('x\_y') still go
        pieces.append(_DASH.sub(lambda m: "\u2014" if m.group(1) == "---" else "\u2013", text[last : url.start()]))
        pieces.append(url.group(0))
        last = url.end()
    pieces.append(_DASH.sub(lambda m: "\u2014" if m.group(1) == "---" else "\u2013", text[last:]))
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(0), m.group(0)), "".join(pieces))


def display_text(text: str) -> str:
    """arXiv's TeX for display: ``\\_ \\& \\% \\# \\{ \\}`` unescaped and ``--``/``---`` as en/em dashes, outside math.

    Hand-written rather than pylatexenc's LaTeX-to-text: that reads ``%`` as a comment (dropping the rest of
    the line), rewrites math and accents we keep, and raises on some input; this changes only what it names.
    Idempotent: converted text has nothing left to convert (``display_text(display_text(t)) == display_text(t)``)."""
    out = []
    for kind, part in math_segments(text):
        if kind == "text":
            out.append(_prose(part))
        else:
            out.append(f"$${part}$$" if kind == "display" else f"${part}$")
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def readable_math(tex: str) -> str:
    """Math as plain text for readers that run nothing (feeds, e-mail): ``\\max_\\theta`` -> ``max_θ``."""
    if len(tex) > READABLE_MATH_MAX:
        return tex
    try:
        text = _LATEX_TEXT.latex_to_text(tex)
    except Exception:  # pylatexenc raises IndexError, AttributeError… on malformed TeX: show the source instead
        return tex
    return " ".join(text.split()) or tex


def readable_text(text: str, shown_math: Callable[[str], str] = str) -> str:
    """``text`` with its math made readable and ``\\$`` shown as ``$``: for feeds and e-mail. ``shown_math`` is
    applied to each math span as shown (the readable form, or past READABLE_MATH_SPANS the TeX itself): an
    escape for where the text goes."""
    if "$" not in text:
        return text
    out, spans = [], 0
    for kind, part in math_segments(text):
        if kind == "text":
            out.append(part.replace("\\$", "$"))
        else:
            spans += 1
            out.append(shown_math(readable_math(part) if spans <= READABLE_MATH_SPANS else part))
    return "".join(out)
