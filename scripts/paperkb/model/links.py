"""A paper's code and discussion: the ``links:`` list of its front matter, read and validated one way everywhere.

Each item is a mapping::

    links:
    - kind: code
      title: deepseek-ai/DeepSeek-R1
      url: https://github.com/deepseek-ai/DeepSeek-R1
    - kind: talk
      title: 'DeepSeek-R1: How It Works and What Makes It Special'
      author: Nik Bear Brown
      date: 2025-02-03        # optional
      where: a talk summary   # optional: where it was said or published, when there is no URL to say it

``kind`` is one of :data:`LINK_KINDS`; ``url`` is one http(s) URL (:func:`paperkb.model.facts.is_web_url`).
A talk, blog post or thread is often known by who said it and where, with no address to give (a talk summary
that names no recording): for those kinds ``url`` may be absent when ``author`` names who said it. Every other
kind is a link to something (a repository, a model, a data set) and needs its ``url``.

:func:`links_of` gives the valid items to the site, feeds and search (an invalid one is ``paperkb check``'s to
report and is left out); :func:`link_problems` is that report, one message per problem with the index of the
item it concerns, shared by ``check`` and ``paperkb link``.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from typing import Any

from paperkb.model.facts import is_web_url
from paperkb.model.pages import InvalidDate, Page, append_list_items

LINK_KINDS = ("code", "model", "dataset", "talk", "blog", "thread", "video", "slides", "project")
#: Kinds whose item may name who said it instead of an address (a talk summary, a post quoted without its URL).
URL_OPTIONAL_KINDS = ("talk", "blog", "thread")
#: The fields of an item, in the order a new one is written.
LINK_FIELDS = ("kind", "title", "url", "author", "date", "where")
#: The heading the site and feeds show a paper's links under, and its id (what Markdown's toc would make of it).
LINKS_TITLE, LINKS_ANCHOR = "Code and discussion", "code-and-discussion"
KIND_LABELS = {
    "code": "Code",
    "model": "Model",
    "dataset": "Dataset",
    "talk": "Talk",
    "blog": "Blog post",
    "thread": "Thread",
    "video": "Video",
    "slides": "Slides",
    "project": "Project page",
}


@dataclass(frozen=True)
class Link:
    kind: str
    title: str
    url: str | None = None
    author: str | None = None
    date: dt.date | None = None
    where: str | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def as_item(self) -> dict[str, Any]:
        """The front-matter mapping of this link, fields in :data:`LINK_FIELDS` order, absent ones left out."""
        values = {"kind": self.kind, "title": self.title, "url": self.url, "author": self.author, "date": self.date, "where": self.where}
        return {key: values[key] for key in LINK_FIELDS if values[key] is not None}


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, InvalidDate) or not isinstance(value, dt.date):
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def link_key(item: Any) -> tuple[str, ...] | None:
    """What makes two items the same link: the URL, or (for one without) kind, title and author."""
    if not isinstance(item, dict):
        return None
    url = item.get("url")
    if isinstance(url, str) and url.strip():
        return ("url", url.strip())
    return ("source", str(item.get("kind")), _text(item.get("title")) or "", _text(item.get("author")) or "")


def item_problems(item: Any) -> list[str]:
    """What is wrong with one item, each message ending in the fix."""
    if not isinstance(item, dict):
        return ["must be a mapping with kind, title and url (e.g. '- kind: code' then '  title: …' and '  url: https://…')"]
    problems = []
    unknown = [str(key) for key in item if key not in LINK_FIELDS]
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}; a link has {', '.join(LINK_FIELDS)}")
    kind = item.get("kind")
    if kind not in LINK_KINDS:
        shown = "missing" if kind is None else repr(kind)
        problems.append(f"kind is {shown}; use one of {', '.join(LINK_KINDS)}")
    if _text(item.get("title")) is None:
        problems.append("needs a 'title' (text: what the link is, e.g. the repository's owner/name or the talk's title)")
    url = item.get("url")
    if url is not None and not is_web_url(url):
        problems.append(f"url {url!r} is not one http(s) URL; write https://… on one line, a space as %20")
    elif url is None and kind in LINK_KINDS:
        if kind not in URL_OPTIONAL_KINDS:
            problems.append(f"a {kind} link needs its 'url' (https://…)")
        elif _text(item.get("author")) is None:
            problems.append(f"a {kind} without a 'url' needs an 'author' (who said or wrote it)")
    for key in ("author", "where"):
        if key in item and _text(item.get(key)) is None:
            problems.append(f"'{key}' must be text (quote it), or remove it")
    if "date" in item:
        value = item.get("date")
        if isinstance(value, InvalidDate):
            problems.append(f"date {value} is not a real date; use YYYY-MM-DD with a valid month and day")
        elif not isinstance(value, dt.date):
            problems.append(f"date must be written YYYY-MM-DD (unquoted), not {value!r}")
    return problems


def link_problems(value: Any) -> list[tuple[int | None, str]]:
    """(index of the item or None for the list itself, message) for every problem of a ``links:`` value."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [(None, "'links' must be a list of mappings, one '- kind: …' item per link")]
    problems: list[tuple[int | None, str]] = []
    seen: dict[tuple[str, ...], int] = {}
    for index, item in enumerate(value):
        problems += [(index, message) for message in item_problems(item)]
        key = link_key(item)
        if key is None:
            continue
        if key in seen:
            what = f"the URL {key[1]}" if key[0] == "url" else "the same kind, title and author"
            problems.append((index, f"repeats link {seen[key] + 1} ({what}); remove one"))
        else:
            seen[key] = index
    return problems


def links_of(page: Page) -> list[Link]:
    """The page's valid links, in the order written (each once)."""
    value = page.meta.get("links")
    if not isinstance(value, list):
        return []
    found: list[Link] = []
    seen: set[tuple[str, ...]] = set()
    for item in value:
        key = link_key(item)
        if key is None or key in seen or item_problems(item):
            continue
        seen.add(key)
        found.append(
            Link(
                kind=item["kind"],
                title=_text(item["title"]) or "",
                url=item.get("url"),
                author=_text(item.get("author")),
                date=_date(item.get("date")),
                where=_text(item.get("where")),
            )
        )
    return found


def journal_ref_of(page: Page) -> str | None:
    """Where the paper was published (arXiv's ``journal_ref``), one line, or None."""
    return _text(page.meta.get("journal_ref"))


# -- adding links ------------------------------------------------------------------------------------------------
#: Hosts whose addresses name a repository, model or data set as owner/name (the title a new link gets).
_HF_HOSTS = ("huggingface.co", "hf.co")


def title_for_url(url: str) -> str:
    """A link's title when none is given: a repository's or model's owner/name, else the host and path."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in _HF_HOSTS and segments[:1] in (["datasets"], ["spaces"]):
        segments = segments[1:]
    if host == "gitlab.com" and len(segments) >= 2:  # groups nest: the project is the path up to '/-/'
        return "/".join(segments[: segments.index("-")] if "-" in segments else segments).removesuffix(".git")
    if host in ("github.com", *_HF_HOSTS) and len(segments) >= 2:
        return "/".join(segments[:2]).removesuffix(".git")
    return host + parts.path.rstrip("/")


def with_links(page: Page, new: list[Link]) -> tuple[str, list[Link]]:
    """(the page text with the links of ``new`` it lacks appended to ``links:``, the links appended).

    A link the page already has (the same URL; for one without, the same kind, title and author) is skipped;
    the existing items keep their bytes and their order (:func:`paperkb.model.pages.append_list_items`)."""
    current = page.meta.get("links")
    if current is not None and not isinstance(current, list):
        return page.text, []  # a person's value that is no list: `paperkb check` reports it, nothing replaces it
    seen = {key for item in (current if isinstance(current, list) else []) if (key := link_key(item))}
    added: list[Link] = []
    for link in new:
        key = link_key(link.as_item())
        if key is not None and key not in seen:
            seen.add(key)
            added.append(link)
    if not added:
        return page.text, []
    return append_list_items(page, "links", [link.as_item() for link in added]), added
