"""Markdown text as Python-Markdown (the site's renderer) reads it: code fences, and what it would read for too long.

- :func:`fenced_spans`: the fenced code blocks, by the one fence rule that page sections, ``paperkb check``'s link
  scan and the digests' link rebasing share.
- :func:`outside_spans`: a change applied to the text between such spans, the spans kept as written.
- :func:`render_cost_problem`: a page body Python-Markdown would take super-linear time on. It reads on from every
  '[' to the matching ']' (to the end of the paragraph if there is none; 1,000 '[' before 1 MB of text: 375 s,
  Python-Markdown/markdown#798, open), from every '](' to the matching ')', from every '<a' (a possible tag) to the
  end of the paragraph, from every run of backticks to the next run as long, and it copies the rest of a paragraph
  at every heading or rule line inside it (8,000 '## ' lines without blank lines: 8 s, 16,000: 40 s). ``parse_page``
  refuses such a page, so neither ``paperkb check`` (which renders pages for their anchors) nor the build renders it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

#: The one code-fence rule, Python-Markdown's (MkDocs' fenced_code): a fence of three or more backticks or tildes
#: at the very start of a line, closed by the same fence on a line of its own. An indented fence is no fence to
#: MkDocs (``paperkb check`` warns about it). Headings, links and raw HTML inside a fence are code.
#: :func:`fenced_spans` finds the blocks.
FENCE_LINE = re.compile(r"^(`{3,}|~{3,})")
_FENCE_RUN = re.compile(r"(`{3,}|~{3,})")
_CLOSING_FENCE = re.compile(r"(`{3,}|~{3,})[ \t]*")


Key = TypeVar("Key", bound=Hashable)


def outside_spans(text: str, spans: Iterable[tuple[int, int]], change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to each piece between ``spans`` ((start, end), in order), the spans kept as
    written: Markdown edits that must not touch code (``outside_spans(text, fenced_spans(text), …)``)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(change(text[last:start]))
        pieces.append(text[start:end])
        last = end
    pieces.append(change(text[last:]))
    return "".join(pieces)


def first_after(positions: Mapping[Key, list[int]], keys: Iterable[Key], after: int) -> int | None:
    """The first position greater than ``after`` in the sorted list of the first of ``keys`` that has one: the
    partner of an opening fence or backtick run, the longest fitting closer first."""
    for key in keys:
        found = positions.get(key)
        if found:
            index = bisect.bisect_right(found, after)
            if index < len(found):
                return found[index]
    return None


def fenced_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each fenced code block, in order: what ``re.finditer`` gave for the pattern
    ``^(`{3,}|~{3,})[^\\n]*\\n.*?^\\1[ \\t]*$`` (MULTILINE, DOTALL), in linear time.

    That pattern searched the rest of the text once per line that opens a fence and has no closing one, for
    every shorter fence too: 1 MB of unclosed fences took hours. Hand-written because no library exposes
    Python-Markdown's fence rule as a function. The rule, exactly: a line opening with a run of n ≥ 3 backticks
    (or tildes), followed by a newline, pairs with the first later line that is exactly k of the same character
    and then only spaces or tabs, for the largest k ≤ n (k ≥ 3) that has such a line; the block ends at that
    line's end, and the search goes on after it. A line without a partner opens nothing.
    """
    starts = [0]
    closers: dict[tuple[str, int], list[int]] = {}  # (character, length) -> lines that close such a fence
    position = 0
    while True:
        newline = text.find("\n", position)
        end = len(text) if newline < 0 else newline
        closing = _CLOSING_FENCE.fullmatch(text, position, end)
        if closing:
            run = closing.group(1)
            closers.setdefault((run[0], len(run)), []).append(len(starts) - 1)
        if newline < 0:
            break
        position = newline + 1
        starts.append(position)
    spans: list[tuple[int, int]] = []
    line = 0
    while line < len(starts) - 1:  # an opening line needs a newline after it, so never the last line
        opening = _FENCE_RUN.match(text, starts[line])
        partner = None
        if opening:
            character, longest = opening.group(1)[0], len(opening.group(1))
            partner = first_after(closers, ((character, length) for length in range(longest, 2, -1)), line)
        if partner is None:
            line += 1
            continue
        line_end = text.find("\n", starts[partner])
        spans.append((starts[line], len(text) if line_end < 0 else line_end))
        line = partner + 1
    return spans


#: Characters Python-Markdown may read on from '[', '](' and '<a' beyond one pass over the body. It reads them one
#: Python step at a time (1 to 3 µs each): 250,000 cost well under a second. Links that close soon are read once.
MAX_RENDER_SCAN = 250_000
#: Characters it may go over again for backtick runs and for lines that split a paragraph, beyond one pass over the
#: body: those are string operations (30 to 60 ns a character), so 10,000,000 cost well under a second.
MAX_RENDER_SPLIT = 10_000_000
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# What Python-Markdown reads on from: brackets, and '<' before what may be a tag, comment or autolink ('<a', '</',
# '<!', '<?'; '< b' is read as text at once). A backslash escape is replaced before links and tags are looked for.
_SCANNED = re.compile(r"(?<!\\)(?:[\[\]()]|<(?=[A-Za-z/!?]))")
_BACKTICKS = re.compile(r"`+")
# A line that makes a block processor split the paragraph there (a heading, a rule or a setext underline, an
# admonition), copying the rest of it.
_SPLITTING_LINE = re.compile(r"^ {0,3}(?:#|!!!|\?\?\?|[-*_=][-*_= \t]*$)", re.M)


def render_cost_problem(text: str, start: int = 0) -> tuple[int, str] | None:
    """(offset of the paragraph where the page's reading cost passes its allowance, what is read too often there)
    for the body ``text[start:]``, or None.

    A model of Python-Markdown erring on the costly side: paragraphs end only at blank lines; fenced code is
    skipped (it is never read as inline text), code spans are not (brackets in them count). Linear time: brackets
    are matched with a stack, backtick runs with the next run of their length. A body with few openers for its
    length is not modelled at all (10,000 ordinary pages cost ``paperkb check`` nothing measurable).
    """
    body = len(text) - start
    openers = text.count("[", start) + text.count("(", start) + text.count("<", start)  # an upper bound of what is read
    ticks = text.count("`", start) + text.count("~", start)
    splits = sum(text.count(character, start) for character in "#!?-*_=")  # each splitting line holds one of them
    if openers * body <= MAX_RENDER_SCAN and (ticks + splits) * body <= MAX_RENDER_SPLIT:
        return None
    scan = split = 0
    scan_allowed, split_allowed = body + MAX_RENDER_SCAN, body + MAX_RENDER_SPLIT
    fence_reads, fence_line = _unclosed_fence_reads(text, start, split_allowed)
    if fence_reads > split_allowed:
        return fence_line, (
            "it reads from every line that opens a code fence (three or more '`' or '~') to the end of the page, looking "
            f"for the line that closes it: {fence_reads:,} characters up to here (this page may have {split_allowed:,}); "
            "close the fences, or start such lines with a space"
        )
    for block_start, block_end in _blocks(text, start):
        scan += _bracket_reads(text, block_start, block_end)
        split += _backtick_reads(text, block_start, block_end)
        split += sum(block_end - line.start() for line in _SPLITTING_LINE.finditer(text, block_start, block_end))
        if scan > scan_allowed:
            return block_start, (
                f"it reads on from every '[', '](' and '<' to the matching ']', ')' or the end of the paragraph: {scan:,} characters "
                f"up to here (this page may have {scan_allowed:,}); close the brackets, write '\\[' and '&lt;' for literal ones, "
                "or split the paragraph with blank lines"
            )
        if split > split_allowed:
            return block_start, (
                "it reads on from every run of backticks to the next as long, and copies the rest of a paragraph at every heading "
                f"or rule line in it: {split:,} characters up to here (this page may have {split_allowed:,}); close the code spans, "
                "or put blank lines before and after headings and rules"
            )
    return None


#: A line Python-Markdown's fence pattern (``fenced_code.FENCED_BLOCK_RE``) may take for an opening fence, erring
#: on the costly side (any text may follow the run here; there, only an info string).
_FENCE_OPENER = re.compile(r"^(?:~{3,}|`{3,})[^\n]*\n", re.M)


def _unclosed_fence_reads(text: str, start: int, allowed: int) -> tuple[int, int]:
    """(characters read, offset of the opening line where they pass ``allowed``, else of the last): Python-Markdown
    searches the rest of the text, once, from every line that opens a fence for a line closing it; a fence that
    never closes costs that read, so 2,400 lines of 300 backticks (720 KB) took 14 s. Fences that close are read
    once (they are skipped from their start to their end)."""
    spans = fenced_spans(text[start:])
    reads, last, span = 0, start, 0
    for match in _FENCE_OPENER.finditer(text, start):
        at = match.start() - start
        while span < len(spans) and spans[span][1] <= at:
            span += 1
        if span < len(spans) and spans[span][0] <= at:
            continue  # the opening line of a fence that closes, or a line inside one
        reads += len(text) - match.start()
        last = match.start()
        if reads > allowed:
            break
    return reads, last


def _blocks(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs (runs of text between blank lines) of ``text[start:]`` outside fenced code."""
    blocks: list[tuple[int, int]] = []
    position = start
    body = len(text) - start
    for fence_start, fence_end in [*fenced_spans(text[start:]), (body, body)]:
        end = start + fence_start
        for match in _PARAGRAPH_BREAK.finditer(text, position, end):
            blocks.append((position, match.start()))
            position = match.end()
        blocks.append((position, end))
        position = start + fence_end
    return blocks


def _bracket_reads(text: str, block_start: int, block_end: int) -> int:
    """Characters read from '[' to ']' and from '](' to ')' (matched with a stack), and from '<a' to the block end."""
    reads = 0
    squares: list[int] = []
    parens: list[tuple[int, bool]] = []
    for match in _SCANNED.finditer(text, block_start, block_end):
        at, character = match.start(), match.group()
        if character == "[":
            squares.append(at)
        elif character == "]":
            if squares:
                reads += at - squares.pop()
        elif character == "(":
            parens.append((at, at > 0 and text[at - 1] == "]"))
        elif character == ")":
            if parens:
                opened, target = parens.pop()
                reads += at - opened if target else 0
        else:  # '<'
            reads += block_end - at
    return reads + sum(block_end - at for at in squares) + sum(block_end - at for at, target in parens if target)


def _backtick_reads(text: str, block_start: int, block_end: int) -> int:
    """Characters read from each opening run of backticks to the next run as long, or to the block end if none
    (then the next run opens): Python-Markdown's ``BacktickInlineProcessor.find_code_spans``."""
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(text, block_start, block_end)]
    partner: list[int | None] = [None] * len(runs)
    later: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        partner[index] = later.get(runs[index][1] - runs[index][0])
        later[runs[index][1] - runs[index][0]] = index
    reads, index = 0, 0
    while index < len(runs):
        start = runs[index][0]
        if start > 0 and text[start - 1] == "\\":  # escaped: not an opening
            index += 1
            continue
        closing = partner[index]
        if closing is None:
            reads += block_end - start
            index += 1
        else:
            reads += runs[closing][1] - start
            index = closing + 1
    return reads
