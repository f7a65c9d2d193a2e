"""What the site, digests, feeds and BibTeX read from a page's front matter, read one way everywhere.

Every reader of `authors`, `topics`, `labs`, `priority` and `status` goes through these: a value `paperkb check`
would reject (a mapping where a list belongs, an unknown status) must not crash a build or a digest."""

from __future__ import annotations

import datetime as dt
import unicodedata
import urllib.parse
from collections.abc import Iterable
from typing import Any

from paperkb.model.arxiv_ids import abs_url, parse_arxiv_id
from paperkb.model.pages import PRIORITIES, REQUIRED_SECTIONS, STATUSES, Page, as_date, as_list, is_missing


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


def names_in(value: Any) -> list[str]:
    """The non-empty strings of a front-matter list. Every site generator reads `authors`, `topics` and
    `labs` through this: items that are mappings, lists or numbers (`topics:` written as a mapping) are
    `paperkb check`'s to report, and must not crash the build (a dict is not even hashable)."""
    return [item for item in as_list(value) if isinstance(item, str) and item.strip()]


def authors_of(page: Page) -> list[str]:
    return [" ".join(name.split()) for name in names_in(page.meta.get("authors"))]


def topics_of(page: Page) -> list[str]:
    return names_in(page.meta.get("topics"))


def pages_by_topic(pages: list[Page], topic_ids: Iterable[str]) -> dict[str, list[Page]]:
    """Each topic's pages, in the order of ``pages``: one pass over the pages for every topic at once."""
    members: dict[str, list[Page]] = {topic_id: [] for topic_id in topic_ids}
    for page in pages:
        for topic_id in dict.fromkeys(topics_of(page)):
            if topic_id in members:
                members[topic_id].append(page)
    return members


def labs_of(page: Page) -> list[str]:
    return names_in(page.meta.get("labs"))


def machine_written(page: Page) -> list[str]:
    """Keys of the required sections that still hold exactly the text a model wrote."""
    return [key for key, _ in REQUIRED_SECTIONS if page.is_machine_written(key)]


def stale_sections(page: Page) -> list[str]:
    """Keys of machine-written sections arXiv has since posted a newer version of the paper for (``stale: N``,
    the newer version, in their ``generated`` record; ``version`` is the one they were written from)."""
    return [key for key in machine_written(page) if stale_version(page, key) is not None]


def stale_version(page: Page, key: str) -> int | None:
    """The newer arXiv version a section's record says is out, or None."""
    record = page.generated_record(key) or {}
    value = record.get("stale")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def written_from(page: Page, key: str) -> int | None:
    """The arXiv version a section was written from: its record's ``version``, else the page's."""
    record = page.generated_record(key) or {}
    for value in (record.get("version"), page.meta.get("version")):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def added_date(page: Page) -> dt.date | None:
    return as_date(page.meta.get("added"))


def arxiv_id_of(page: Page) -> str | None:
    """The page's arXiv ID without version ('2501.12948'), None when absent or malformed (check reports it)."""
    value = page.meta.get("arxiv")
    parsed = parse_arxiv_id(value) if isinstance(value, str) else None
    return parsed.id if parsed else None


def is_web_url(value: Any) -> bool:
    """The one rule for a URL taken from a page (its ``url`` key): a single-line http(s) URL with a host and no
    whitespace, control, format or separator character anywhere (no newline to end a BibTeX entry or a Markdown
    link, no space to start a link title, no zero-width or bidi character to disguise it). `paperkb check` reports
    any other value; every reader goes through :func:`url_of`."""
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return False
    # Cc control, Cf format (zero-width, bidi), Cs lone surrogate, Z* space/line/paragraph separators
    if any(unicodedata.category(c)[0] == "Z" or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in value):
        return False
    try:
        return bool(urllib.parse.urlsplit(value).hostname)
    except ValueError:  # an unbalanced IPv6 bracket or a bad port: not a URL a reader can follow
        return False


def url_of(page: Page) -> str | None:
    """The page's own ``url`` (a paper not on arXiv), only when :func:`is_web_url` accepts it."""
    url = page.meta.get("url")
    return url if is_web_url(url) else None


def paper_source_url(page: Page) -> str | None:
    """Where the paper itself is read: its arXiv abstract page, else its ``url``. The one rule for every
    link to a paper's source (paper pages, digests, feeds, e-mail)."""
    arxiv_id = arxiv_id_of(page)
    return abs_url(arxiv_id) if arxiv_id else url_of(page)


def is_pending(page: Page) -> bool:
    return bool(page.missing_sections())


def section(page: Page, title: str) -> str | None:
    text = page.section_text(title)
    return None if is_missing(text) else text


def abstract_of(page: Page) -> str:
    return " ".join(str(page.meta.get("abstract") or "").split())
