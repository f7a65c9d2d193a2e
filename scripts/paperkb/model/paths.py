"""Where every page and file of the site lives, and its URL: in one place.

Docs paths are relative to the docs dir (``content/``). The generators write these paths, the hook and the
digests link to them, and ``paperkb check`` accepts links to them, so all agree. URLs follow MkDocs'
``use_directory_urls`` (its default): ``papers/x.md`` is served at ``papers/x/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from paperkb.model.syncs import record_date

HOME = "index.md"
ALL_PAPERS = "papers/index.md"
TOPICS_INDEX = "topics/index.md"
LABS_INDEX = "labs/index.md"
PRIORITIES_INDEX = "priorities/index.md"
STATUS_BOARD = "status.md"
TIMELINE = "timeline.md"
ARTICLES_INDEX = "articles/index.md"
UNRATED = "unrated"  # the priority page for papers that have none yet


#: The source a generated page's "edit" button leads to (relative to content/), by path prefix: topic and lab
#: pages come from the vocabularies. Other generated pages are computed from the papers: no edit button.
EDIT_SOURCES = {"topics/": "topics.yml", "labs/": "labs.yml"}


def edit_source(docs_path: str) -> str | None:
    """The file under content/ to edit for the generated page ``docs_path`` (None: nothing to edit there)."""
    return next((source for prefix, source in EDIT_SOURCES.items() if docs_path.startswith(prefix)), None)


def slugify(text: str) -> str:
    """'DeepSeek-R1: Incentivizing…' -> 'deepseek-r1-incentivizing'."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def paper_path(slug: str) -> str:
    return f"papers/{slug}.md"


def article_path(slug: str) -> str:
    return f"articles/{slug}.md"


def topic_path(topic_id: str) -> str:
    return f"topics/{topic_id}.md"


def lab_path(lab_name: str) -> str:
    """labs/<slug>.md. Never 'labs/.md': a name without a letter or digit in a-z/0-9 ('月之暗面') gets a slug made
    from its hash. The vocabulary refuses such names (and two names with one slug), so no site page has one."""
    slug = slugify(lab_name) or "lab-" + hashlib.sha256(str(lab_name).encode("utf-8")).hexdigest()[:12]
    return f"labs/{slug}.md"


def priority_path(priority: str | None) -> str:
    return f"priorities/{priority or UNRATED}.md"


def status_anchor(status: str) -> str:
    """The status board's section for a status ('status.md#todo'); the board gives each heading that id."""
    return f"{STATUS_BOARD}#{status}"


def relative_link(from_path: str, to_path: str) -> str:
    """A Markdown link target from one docs page to another ('topics/x.md' -> '../papers/y.md')."""
    from_parts = from_path.split("/")[:-1]
    to_parts = to_path.split("/")
    common = 0
    while common < min(len(from_parts), len(to_parts) - 1) and from_parts[common] == to_parts[common]:
        common += 1
    return "/".join([".."] * (len(from_parts) - common) + to_parts[common:])


def page_url(docs_path: str) -> str:
    """The URL (relative to the site root) MkDocs gives a docs page with ``use_directory_urls`` (its default).

    'index.md' -> '', 'topics/index.md' -> 'topics/', 'topics/x.md' -> 'topics/x/', 'status.md#todo' -> 'status/#todo'.
    """
    path, _, anchor = docs_path.partition("#")
    stem = path[: -len(".md")] if path.endswith(".md") else path
    if stem == "index" or stem.endswith("/index"):
        url = stem[: -len("index")]
    else:
        url = stem + "/"
    return url + (f"#{anchor}" if anchor else "")


def relative_url(from_path: str, to_path: str) -> str:
    """An href from one built page to another, for HTML written directly (Markdown links are MkDocs' job).

    Both are docs paths; the result is relative to the *URL* of the first ('topics/x.md' -> '../../papers/y/').
    """
    here = page_url(from_path)
    target = page_url(to_path)
    depth = here.count("/")
    return "../" * depth + target if depth or target else "./"


PRIORITY_PAGES = ("urgent", "high", "medium", "low", UNRATED)


# -- the browse view and the archive --------------------------------------------------------------------------
#: The all-papers page is also the browse view: its script filters and sorts over the search index and reads
#: its state from these query parameters (topic: a topic id; lab: a canonical lab name; year: 'YYYY';
#: priority: a priority page name, 'unrated' included; status; sort: one of BROWSE_SORTS). Index pages that
#: list a bounded number of papers link to it with the filter set (``browse_link``).
BROWSE_PARAMS = ("topic", "lab", "year", "priority", "status", "sort")
BROWSE_SORTS = ("newest", "oldest", "priority", "title")

#: Static pages for readers without JavaScript and for crawlers: one per publication year, or, for a year with
#: more papers than a page holds, one per month (split into parts when a month alone is too long). A folder of
#: their own, so no name can collide with a paper page's.
ARCHIVE_DIR = "browse"
UNDATED = "undated"
ARCHIVE_PAGE = re.compile(rf"^{ARCHIVE_DIR}/(?:\d{{4}}|\d{{4}}-\d{{2}}|{UNDATED})(?:-p(?:[2-9]|[1-9]\d+))?\.md$")


def archive_path(period: str, part: int = 1) -> str:
    """'2025' (a year), '2025-01' (a month) or 'undated', and its part when split: 'browse/2025-01-p2.md'."""
    return f"{ARCHIVE_DIR}/{period}.md" if part == 1 else f"{ARCHIVE_DIR}/{period}-p{part}.md"


def browse_query(filters: Mapping[str, str]) -> str:
    """'?topic=reasoning&lab=Google%20DeepMind': the browse view's state, parameters in BROWSE_PARAMS order."""
    unknown = set(filters) - set(BROWSE_PARAMS)
    if unknown:
        raise ValueError(f"not a browse parameter: {sorted(unknown)} (known: {', '.join(BROWSE_PARAMS)})")
    ordered = [(name, filters[name]) for name in BROWSE_PARAMS if name in filters]
    return "?" + urlencode(ordered, quote_via=quote) if ordered else ""


def browse_link(from_path: str, filters: Mapping[str, str]) -> str:
    """A Markdown link target from a docs page to the browse view with ``filters`` set ('../papers/index.md?topic=x').

    MkDocs rewrites it to the page's URL and keeps the query; ``paperkb check`` and MkDocs' strict validation see
    the all-papers page behind it."""
    return relative_link(from_path, ALL_PAPERS) + browse_query(filters)


class GeneratedPaths(set[str]):
    """The docs paths a build generates. ``in`` also accepts every archive page (``browse/2025.md``…): which of
    them exist follows from the papers' dates, which ``paperkb check`` has not read when it asks; MkDocs' strict
    build still fails on a link to an archive page that was not written."""

    def __contains__(self, item: object) -> bool:
        return super().__contains__(item) or (isinstance(item, str) and ARCHIVE_PAGE.match(item) is not None)


def generated_paths(topic_ids: Iterable[str], lab_names: Iterable[str]) -> GeneratedPaths:
    """Every docs path the site generator writes, given the vocabularies (link targets for `check`)."""
    paths = GeneratedPaths({HOME, ALL_PAPERS, TOPICS_INDEX, LABS_INDEX, PRIORITIES_INDEX, STATUS_BOARD, TIMELINE, ARTICLES_INDEX})
    paths.update(topic_path(t) for t in topic_ids)
    paths.update(lab_path(name) for name in lab_names)
    paths.update(priority_path(p) for p in PRIORITY_PAGES)
    paths.update(published_paths(topic_ids))
    return paths


def page_slug(title: str, max_length: int = 60) -> str:
    """A paper page's file name from its short title: the part before ':' ('DeepSeek-R1: …' -> 'deepseek-r1')."""
    head = re.split(r":| -- | — ", str(title), maxsplit=1)[0]
    slug = slugify(head) or slugify(title) or "paper"
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug


def site_page_url(site_url: str, docs_path: str) -> str:
    """The absolute URL of a docs page or file: 'https://x.org/kb/' + 'papers/a.md' -> 'https://x.org/kb/papers/a/'
    (files that are not pages keep their path: 'feeds/papers.xml')."""
    base = site_url if site_url.endswith("/") else site_url + "/"
    return base + (page_url(docs_path) if docs_path.partition("#")[0].endswith(".md") else docs_path)


# -- digests, feeds and bibliographies --------------------------------------------------------------------------
DIGESTS_INDEX = "digests/index.md"
WEEKLY = "digests/weekly.md"
MONTHLY = "digests/monthly.md"
STATIC_PATHS = (DIGESTS_INDEX, WEEKLY, MONTHLY)
ALL_PAPERS_FEED = "feeds/papers.xml"
ALL_PAPERS_BIB = "papers.bib"


def sync_digest_path(record: dict[str, Any]) -> str:
    """digests/<record file name>.md: one page per sync run, even for two runs on one day (<date>-2)."""
    path = record.get("path")
    stem = Path(path).stem if path else (record_date(record) or dt.date.today()).isoformat()
    return f"digests/{stem}.md"


def topic_feed_path(topic_id: str) -> str:
    return f"feeds/topics/{topic_id}.xml"


def topic_bib_path(topic_id: str) -> str:
    return f"bib/topics/{topic_id}.bib"


def published_paths(topic_ids) -> set[str]:
    """Docs paths of the digests, feeds and bibliographies every build writes (link targets for `check`).

    A sync run's own digest (digests/<date>.md) exists only once its record does, so it is not listed.
    """
    topics = list(topic_ids)
    return {*STATIC_PATHS, ALL_PAPERS_FEED, ALL_PAPERS_BIB, *map(topic_feed_path, topics), *map(topic_bib_path, topics)}
