"""A paper's full text cut to fill's input budget, keeping what a summary needs first.

Every heading is kept (they are short and tell the model the paper's shape). Then whole sentences are chosen
in this order, each tier in document order, while they fit: (1) the abstract, introduction, method and
conclusion sections; (2) sentences elsewhere stating key figures (a percentage, a decimal, a scaled number
such as 671B or 2.8M, a multiple such as 3x); (3) sentences with any other number; (4) the rest. The chosen
sentences are written back in document order, '[…]' marking each cut, so the text still reads as the paper.

No library does this: a summariser would rewrite the text, and the numbers guard needs the paper's own words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from paperkb.model.fulltext import FullText

#: Section titles whose text is kept first.
_CORE = re.compile(r"abstract|introduction|overview|method|approach|model|architecture|training|conclusion|summary|discussion", re.I)
_KEY_FIGURE = re.compile(r"\d+(?:\.\d+)?\s?(?:%|percent\b|[KMBT]\b|billion\b|million\b|x\b|×)|\d+\.\d+", re.I)
_ANY_NUMBER = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[\"'])")
CUT = "[…]"


@dataclass
class Fitted:
    """The text sent to the model, and what to say about it in provenance."""

    text: str
    tokens: int  # estimated
    version: int
    source: str  # 'html' or 'pdf'
    complete: bool  # every sentence fitted

    @property
    def label(self) -> str:
        """'arXiv full text v2, 14k tokens' (what ``generated.*.input`` records)."""
        return f"arXiv full text v{self.version}, {max(1, round(self.tokens / 1000))}k tokens"


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def tier(title: str, sentence: str) -> int:
    if not title or _CORE.search(title):
        return 0
    if _KEY_FIGURE.search(sentence):
        return 1
    if _ANY_NUMBER.search(sentence):
        return 2
    return 3


def fit(full: FullText, budget_tokens: int, chars_per_token: float) -> Fitted:
    """The full text within ``budget_tokens`` (estimated at ``chars_per_token``)."""
    budget = int(budget_tokens * chars_per_token)
    units: list[tuple[int, int, str]] = []  # (section number, tier, sentence) in document order
    used = 0
    for number, section in enumerate(full.sections):
        used += len(section.title) + 6  # the heading line is always kept
        for paragraph in section.paragraphs:
            units += [(number, tier(section.title, s), s) for s in sentences(paragraph)]
    chosen = [False] * len(units)
    for rank in range(4):
        for index, (_, level, sentence) in enumerate(units):
            if level == rank and used + len(sentence) + 1 <= budget:
                chosen[index] = True
                used += len(sentence) + 1
    parts: list[str] = []
    for number, section in enumerate(full.sections):
        picked = [(index, units[index][2]) for index in range(len(units)) if units[index][0] == number and chosen[index]]
        total = sum(1 for unit in units if unit[0] == number)
        first = next((index for index in range(len(units)) if units[index][0] == number), None)
        body = CUT if picked and picked[0][0] != first else ""
        previous = None
        for index, sentence in picked:
            if previous is not None and index != previous + 1:
                body += f" {CUT}"
            body += (" " if body else "") + sentence
            previous = index
        if picked and len(picked) < total:
            body += f" {CUT}"
        heading = f"### {section.title}" if section.title else ""
        parts.append("\n".join(p for p in (heading, body or CUT) if p))
    text = "\n\n".join(parts)
    return Fitted(text, max(1, math.ceil(len(text) / chars_per_token)), full.version, full.source, all(chosen))
