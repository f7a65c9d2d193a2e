"""Atom feeds of newly added papers: ``feeds/papers.xml`` for the whole knowledge base and
``feeds/topics/<id>.xml`` per topic (site generator ``generate``).

Entries are the most recently added papers (by ``added``, newest first, at most ``MAX_ENTRIES``). Each
has its title, a link to its page on the site (absolute, from mkdocs.yml's ``site_url``; the arXiv
page when no site_url is set), a stable id (the arXiv abstract URL, which never moves, or the paper's
own URL beside a link, else a tag: URI), published (the day it was added) and updated (the latest of that and the dates its sections
were generated), its authors and topics, a plain-text summary (the abstract while the summary is
pending) and the three sections as sanitized HTML content.

Built with xml.etree, whose serializer escapes every text ('&', '<', '>') and attribute value (quotes, tabs and
line breaks too); what it does not check is the characters themselves, so control characters (those XML 1.0
forbids and the C1 and DEL it merely discourages) and lone surrogates are removed first. A link goes in only when
it is a single-line http(s) URL to arXiv or to the site (``_paper_link``): a page's own ``url`` is the entry's id,
never a link, and section links go through the same filter as e-mail (``ExternalLinks.accept``). The page's own
``links:`` (code, talks, posts: model.links, each URL checked by facts.is_web_url) are the one exception a person
chose: each is a ``rel="related"`` link of the entry and listed under "Code and discussion" in its content.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from paperkb.model import paths
from paperkb.model.arxiv_ids import abs_url
from paperkb.model.facts import abstract_of, added_date, arxiv_id_of, authors_of, is_pending, is_web_url, pages_by_topic, section, topics_of, url_of
from paperkb.model.links import LINKS_TITLE, links_of
from paperkb.model.pages import Page, PageMemo, as_date
from paperkb.model.paths import ALL_PAPERS_FEED, site_page_url, topic_feed_path
from paperkb.model.text import readable_text
from paperkb.publish.digest import BRAND, ExternalLinks
from paperkb.publish.markup import md_link, md_text, md_url
from paperkb.publish.sanitize import markdown_to_safe_html

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 50
SECTION_TITLES = ("Summary", "Key Insights", "Why It Matters")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _clean(text: object) -> str:
    return _CONTROL.sub("", str(text))


def _one_line(text: object) -> str:
    """Text for a single-line value (titles, names, attributes): every run of whitespace one space."""
    return " ".join(_clean(text).split())


def _timestamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00Z"


# -- which papers --------------------------------------------------------------------------------------------
def feed_date(page: Page) -> dt.date | None:
    """When the paper entered the knowledge base (``added``; ``published`` for pages from before ``added``)."""
    return added_date(page) or as_date(page.meta.get("published"))


def newest_added(pages: Iterable[Page], limit: int | None = MAX_ENTRIES) -> list[Page]:
    """The pages with a date, latest added first (then latest published, then by file name, backwards); the
    first ``limit`` of them (all with None)."""
    keyed = [(date, page) for page in pages if (date := feed_date(page))]
    keyed.sort(key=lambda item: (item[0], as_date(item[1].meta.get("published")) or dt.date.min, item[1].slug), reverse=True)
    return [page for _date, page in keyed[:limit]]


def updated_date(page: Page) -> dt.date:
    """The latest of the day a page was added and the days its sections were written by the pipeline."""
    dates = [feed_date(page)]
    generated = page.meta.get("generated")
    if isinstance(generated, dict):
        dates += [as_date(record.get("date")) for record in generated.values() if isinstance(record, dict)]
    return max(d for d in dates if d)


def entry_id(page: Page, link: str) -> str:
    """The arXiv abstract URL, else the page's own ``url`` (facts.url_of: one line, http(s)) when the entry has a
    ``link`` (a reader takes an id that is a URL for the link of an entry that has none, and a feed links only to
    arXiv and the site), else ``link`` ('' when there is none: the caller's tag: URI)."""
    arxiv_id = arxiv_id_of(page)
    if arxiv_id:
        return abs_url(arxiv_id)
    return (url_of(page) or link) if link else ""


def _paper_link(page: Page, site_url: str) -> str | None:
    """The entry's link: the paper's page on the site, else its arXiv page; never the page's own ``url`` (a feed
    links only to arXiv and the site). None when that is no single-line http(s) URL (a file name with a space)."""
    arxiv_id = arxiv_id_of(page)
    link = site_page_url(site_url, paths.paper_path(page.slug)) if site_url else abs_url(arxiv_id) if arxiv_id else None
    return link if is_web_url(link) else None


# -- the feed ----------------------------------------------------------------------------------------------------
def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _one_line(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _summary_text(page: Page) -> str:
    if is_pending(page):
        abstract = readable_text(abstract_of(page))  # math as text: a feed reader runs nothing
        return f"Summary pending. Abstract: {abstract}" if abstract else "Summary pending."
    return readable_text(section(page, "Summary") or "")


_SPANS_SECTIONS = re.compile(r"<|```|~~~")  # raw HTML and code fences can run on into the next section


def _content_html(page: Page, links: ExternalLinks) -> str | None:
    """The three sections as HTML under <h4> headings. Sections go through Markdown together (one conversion
    instead of three: a third of the feeds' time), except one holding raw HTML or a code fence, which could
    swallow the sections after it: that one is converted on its own."""
    if is_pending(page):
        return None
    converted: list[str] = []
    batch: list[str] = []
    for title in SECTION_TITLES:
        text = links.section_text(page, section(page, title) or "")
        part = f"#### {title}\n\n{text}"
        if _SPANS_SECTIONS.search(text):
            converted += [markdown_to_safe_html("\n\n".join(batch), links.accept)] if batch else []
            converted.append(markdown_to_safe_html(part, links.accept))
            batch = []
        else:
            batch.append(part)
    if batch:
        converted.append(markdown_to_safe_html("\n\n".join(batch), links.accept))
    return "\n".join(converted)


def _links_html(page: Page) -> str:
    """The page's ``links:`` as a list under "Code and discussion", through the e-mail and feed sanitizer; each
    link's own URL is the one address accepted besides arXiv's and the site's (a person put it there)."""
    items = links_of(page)
    if not items:
        return ""
    lines = []
    for item in items:
        source = ", ".join(part for part in (item.author, item.where, item.date.isoformat() if item.date else None) if part)
        title = md_link(item.title, item.url) if item.url else f"*{md_text(item.title)}*"
        lines.append(f"- {md_text(item.label)}: {title}" + (f" ({md_text(source)})" if source else ""))
    own = {md_url(item.url)[1:-1] for item in items if item.url}
    markdown = f"#### {LINKS_TITLE}\n\n" + "\n".join(lines)
    return markdown_to_safe_html(markdown, lambda href: href if href in own and is_web_url(href) else None)


def _entry(page: Page, site_url: str, topics: dict) -> ET.Element:
    """One page's <entry>; built once and shared by every feed the page is in (ElementTree keeps no parents)."""
    links = ExternalLinks(site_url)
    entry = ET.Element(f"{{{ATOM_NS}}}entry")
    arxiv_id = arxiv_id_of(page)
    link = _paper_link(page, site_url)
    _sub(entry, "title", _one_line(page.meta.get("title", page.slug)), type="text")
    if link:
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
    if arxiv_id and abs_url(arxiv_id) != link:
        _sub(entry, "link", rel="related", type="text/html", href=abs_url(arxiv_id), title="arXiv")
    _sub(entry, "id", entry_id(page, link or "") or f"tag:paperkb,2026:papers/{urllib.parse.quote(page.slug)}")
    added = feed_date(page)
    assert added is not None, "feeds hold only pages with a date (newest_added)"
    _sub(entry, "published", _timestamp(added))
    _sub(entry, "updated", _timestamp(updated_date(page)))
    for name in authors_of(page):
        if _one_line(name):
            _sub(_sub(entry, "author"), "name", _one_line(name))
    for topic_id in topics_of(page):
        topic = topics.get(topic_id)
        _sub(entry, "category", term=topic_id, label=topic.title if topic else topic_id)
    for item in links_of(page):
        if item.url:
            _sub(entry, "link", rel="related", href=item.url, title=f"{item.label}: {item.title}")
    _sub(entry, "summary", _summary_text(page), type="text")
    content = _content_html(page, links)
    listed = _links_html(page)
    if listed:  # the links read under the sections, or under the summary while the sections are pending
        content = (content or f"<p>{html.escape(_summary_text(page), quote=False)}</p>") + "\n" + listed
    if content:
        _sub(entry, "content", content, type="html")
    elif not link:  # RFC 4287: an entry without content needs an alternate link (none without site_url or arXiv)
        _sub(entry, "content", _summary_text(page), type="text")
    return entry


def build_feed(
    pages: Iterable[Page],
    *,
    feed_path: str,
    title: str,
    subtitle: str,
    site_url: str,
    alternate_path: str,
    topics: dict,
    today: dt.date,
    memo: FeedMemo | None = None,
    ordered: bool = False,
) -> str:
    """One Atom document (UTF-8 XML text) of the newest added pages among ``pages`` (``ordered``: ``pages`` is
    already ``newest_added(…, limit=None)`` of them). ``memo``: the entries built before (``FeedMemo``)."""
    ET.register_namespace("", ATOM_NS)
    chosen = list(pages)[:MAX_ENTRIES] if ordered else newest_added(pages)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "title", _one_line(title), type="text")
    _sub(feed, "subtitle", _one_line(subtitle), type="text")
    self_url = site_page_url(site_url, feed_path) if site_url else ""
    _sub(feed, "id", self_url or f"tag:paperkb,2026:{feed_path}")
    if site_url:
        _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
        _sub(feed, "link", rel="alternate", type="text/html", href=site_page_url(site_url, alternate_path))
    _sub(feed, "updated", _timestamp(max((updated_date(p) for p in chosen), default=today)))
    _sub(_sub(feed, "author"), "name", BRAND)  # for entries whose page names no author
    _sub(feed, "generator", "paperkb")
    ET.indent(feed)
    head = ET.tostring(feed, encoding="unicode").removesuffix("\n</feed>")
    # A paper is in the whole feed and in its topics' feeds: its entry is built and serialized once, as
    # ElementTree would have written it inside the indented feed, and the feeds are put together as text.
    memo = FeedMemo() if memo is None else memo
    entries = [memo.entry(page, site_url, topics) for page in chosen]
    return '<?xml version="1.0" encoding="utf-8"?>\n' + head + "".join(entries) + "\n</feed>\n"


class FeedMemo:
    """Each paper's <entry> as serialized, kept while the page's text, the site URL and the topics are the same:
    for the feeds of one build (a paper is in the whole feed and its topics'), and, held by the session of
    ``publish.site``, for the next build in the process (``mkdocs serve``), which then builds only the entries of
    the pages edited since. The feeds are put together anew, so they are what a build from scratch writes."""

    def __init__(self) -> None:
        self._context: tuple[str, dict] | None = None  # (site URL, topics) the entries were built with
        self._entries: PageMemo[str] = PageMemo()  # an entry depends on the page's file name and text only

    @property
    def built(self) -> int:
        """Entries built since the memo was made."""
        return self._entries.built

    def entry(self, page: Page, site_url: str, topics: dict) -> str:
        if self._context is None or self._context[0] != site_url or self._context[1] is not topics:
            if self._context != (site_url, topics):  # a topic's title is in its papers' entries
                self._entries.clear()
            self._context = (site_url, topics)  # these topics, or equal ones: by identity from now on
        return self._entries.get(page, lambda page: _entry_xml(_entry(page, site_url, topics)))

    def keep_only(self, pages: Iterable[Page]) -> None:
        """Forget the entries of pages no longer in the knowledge base."""
        self._entries.keep_only(pages)


_ENTRY_NS = f' xmlns="{ATOM_NS}"'


def _entry_xml(entry: ET.Element) -> str:
    """One <entry> as it appears in an indented feed: on its own line, two spaces in, its namespace the feed's."""
    ET.indent(entry, level=1)
    return "\n  " + ET.tostring(entry, encoding="unicode").replace(_ENTRY_NS, "", 1)


def generate(site, memo: FeedMemo | None = None) -> dict[str, str]:
    """The whole feed and one per topic. ``memo``: the entries kept from the last build in this process."""
    topics = site.vocab.topics
    memo = FeedMemo() if memo is None else memo  # a paper is in the whole feed and its topics' feeds: built once
    ordered = newest_added(site.pages, limit=None)  # sorted once: each topic's pages are taken from it in order
    files = {
        ALL_PAPERS_FEED: build_feed(
            ordered,
            feed_path=ALL_PAPERS_FEED,
            title=f"{BRAND} — new papers",
            subtitle="Papers newly added to the knowledge base, with their summaries.",
            site_url=site.site_url,
            alternate_path=paths.ALL_PAPERS,
            topics=topics,
            today=site.today,
            memo=memo,
            ordered=True,
        )
    }
    for topic_id, members in pages_by_topic(ordered, topics).items():
        topic = topics[topic_id]
        files[topic_feed_path(topic_id)] = build_feed(
            members,
            feed_path=topic_feed_path(topic_id),
            title=f"{BRAND} — {topic.title}",
            subtitle=f"Papers newly added to the topic {topic.title}.",
            site_url=site.site_url,
            alternate_path=paths.topic_path(topic_id),
            topics=topics,
            today=site.today,
            memo=memo,
            ordered=True,
        )
    memo.keep_only(site.pages)
    return files
