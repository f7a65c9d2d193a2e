"""arXiv identifiers: recognise every form people paste, and normalise to a version-free ID."""

from __future__ import annotations

import re
from typing import NamedTuple

# New style (April 2007 on): YYMM.NNNN (to 2014) or YYMM.NNNNN (2015 on). Old style: archive[.SUB]/YYMMNNN.
NEW_STYLE = re.compile(r"^(?P<id>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v(?P<version>\d+))?$")
OLD_STYLE = re.compile(r"^(?P<id>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})(?:v(?P<version>\d+))?$")
_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)(?:\.pdf)?/?(?:[?#].*)?$", re.I)


class ArxivId(NamedTuple):
    id: str  # version-free, e.g. '2501.12948' or 'cs/9901001'
    version: int | None


def parse_arxiv_id(text: str) -> ArxivId | None:
    """'arXiv:2501.12948v2', 'https://arxiv.org/pdf/2501.12948v1', 'cs/9901001v2' ... -> ArxivId, else None."""
    value = str(text).strip()
    url = _URL.match(value)
    if url:
        value = url.group("rest")
    elif value[:6].lower() == "arxiv:":
        value = value[6:].strip()
    for pattern in (NEW_STYLE, OLD_STYLE):
        match = pattern.match(value)
        if match:
            version = match.group("version")
            return ArxivId(match.group("id"), int(version) if version else None)
    return None


def digits_fit_year(arxiv_id: str) -> bool:
    """New-style IDs have four digits after the dot from 0704 to 1412, five from 1501 on.

    The API accepts either form for any month (and answers "no such paper"), so `paperkb add` lets arXiv
    decide; `paperkb check` holds stored IDs to the real scheme.
    """
    if "/" in arxiv_id:
        return True
    yymm, number = arxiv_id.split(".")
    return len(number) == (5 if yymm >= "1501" else 4) and yymm >= "0704"


def is_valid_arxiv_id(value: str) -> bool:
    """True for a bare, version-free ID as stored in a page's `arxiv` key."""
    parsed = parse_arxiv_id(value)
    return parsed is not None and parsed.id == value


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
