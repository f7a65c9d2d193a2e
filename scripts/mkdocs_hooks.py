"""MkDocs hooks (``hooks:`` in mkdocs.yml): paper pages with their header, notes and footers.

Thin on purpose: the page files stay plain Markdown and the rendering is ``paperkb.render`` (pure, tested
without MkDocs). Per build the vocabularies are loaded once.

Parse once: ``scripts/gen_pages.py`` has already read and parsed every paper page for the indexes and shares
those parses (``paperkb.site.share_pages``). ``on_page_read_source`` hands MkDocs the page as the site shows
it, built from that parse, so MkDocs neither reads the file again nor parses its YAML a second time (with the
slower pure-Python loader); the front matter goes back into ``page.meta`` in ``on_page_markdown``. A page the
indexes could not parse is read by MkDocs as usual, and the hook reports why it is broken as a warning (a
strict build fails, naming the file and line) rather than publishing it as broken text.

Raw blocks: generated HTML (the paper header, machine-written notes, the Cite block, the index tables of
gen-files pages) is kept out of Python-Markdown and put into the rendered page afterwards
(``render.PaperDocument``, ``render.stash_raw_html`` / ``restore_raw_html``): the same HTML Markdown would
pass through, for a fraction of the build time. The body of a paper page and every digest page (which
quotes paper sections) is sanitized before our HTML goes in.

Same sidebar, rendered once: the pages outside the navigation (every paper, topic and lab page) get the
theme's navigation sidebar, search box, palette toggle, footer, style and script tags byte for byte the same
as the other pages of their folder. ``on_env`` memoizes those template fragments per folder
(``PAPERKB_TEMPLATE_MEMO=0`` turns it off; tests/test_site_build.py builds the site both ways and compares
every file).

Search: the search plugin indexes a paper page from a lean view of it (title, authors, labs, arXiv ID and
date, abstract, sections; no badges, notes or BibTeX), swapped in just before it runs and swapped out right
after. The swap back restores the HTML this hook made: a plugin added later that rewrites a paper page's
content in ``on_page_context`` would need to run after it (priority below -100).
"""

from __future__ import annotations

import gc
import logging
import os
import posixpath
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority

from paperkb import config as paperkb_config
from paperkb import layout, render
from paperkb.pages import PageError, parse_page
from paperkb.site import cancel_build_worker, finish_build_worker, prefetched_document, shared_page_at
from paperkb.vocab import Vocabulary, load_vocabulary

log = logging.getLogger("mkdocs.hooks.paperkb")
_vocab: Vocabulary | None = None
_raw_blocks: dict[str, list[str]] = {}  # src_uri -> HTML blocks of a generated page, put back after Markdown
_documents: dict[str, render.PaperDocument] = {}  # src_uri -> the paper page being rendered
_views: dict[str, tuple[str, str]] = {}  # src_uri -> (page HTML, search view HTML) of a paper page
_nav_pages: dict[str, str] = {}  # src_uri -> URL of every page listed in the navigation
_counts: Counter[str] = Counter()  # what the shortcuts did this build (logged at the end)

#: Theme fragments that depend only on the site and the page's folder (links are relative to it), not on
#: the page, when the page is outside the navigation (no current item, no previous/next links): included
#: partials, and blocks of base.html. Checked against Material 9.x templates; the byte-for-byte test
#: (tests/test_site_build.py) fails if a Material update makes one depend on the page.
MEMO_PARTIALS = ("partials/nav.html", "partials/search.html", "partials/palette.html")
MEMO_BLOCKS = ("styles", "libs", "footer", "config", "scripts")


def on_pre_build(config, **kwargs) -> None:
    global _vocab
    kb = paperkb_config.load(Path(config.config_file_path).parent)
    _vocab = load_vocabulary(kb.topics_file, kb.labs_file)
    for cache in (_raw_blocks, _documents, _views, _counts):
        cache.clear()


def _is_paper(page) -> bool:
    parts = page.file.src_uri.split("/")
    return len(parts) == 2 and parts[0] == "papers" and parts[1] != "index.md" and parts[1].endswith(".md")


@event_priority(-100)  # after gen-files has loaded the knowledge base
def on_files(files, config, **kwargs):
    # What is alive now (the parsed pages, the generated files, MkDocs' file list) lives for the whole build.
    # Frozen, the garbage collector stops walking it again on every full collection while 1,000+ pages are
    # rendered (time in the collector at N=1,000: 0.35 s, 0.22 s frozen). Unfrozen when the build ends, so
    # `mkdocs serve` frees it before the next build.
    if os.environ.get("PAPERKB_GC_FREEZE", "1") != "0":
        gc.freeze()
    return files


def on_post_build(config, **kwargs) -> None:
    gc.unfreeze()
    log.info(
        "paperkb: %d paper page(s) rendered by the build worker, %d here; theme fragments reused %d time(s)",
        _counts["prefetched"], _counts["rendered"], _counts["memo"],
    )


def on_build_error(error, **kwargs) -> None:
    cancel_build_worker()
    gc.unfreeze()


def on_nav(nav, config, files, **kwargs):
    _nav_pages.clear()
    _nav_pages.update((page.file.src_uri, page.url) for page in nav.pages)
    return nav


def _memo_folder(page) -> str | None:
    """The folder whose pages share the memoized fragments with this one; None: render them for this page."""
    if page is None or page.file.src_uri in _nav_pages:
        return None
    url = page.url
    if not url or any(nav_url.startswith(url) for nav_url in _nav_pages.values()):
        return None  # a nav link inside the page's own folder would be relative to the page itself
    return posixpath.dirname(url.rstrip("/"))


def _memoized(name: str, render, memo: dict[tuple[str, str], str]):
    """``render`` (a Jinja render function: context -> text chunks), rendered once per folder of pages that
    are outside the navigation (papers/, topics/, labs/…)."""

    def render_once(context):
        folder = _memo_folder(context.get("page"))
        if folder is None:
            yield from render(context)
            return
        key = (name, folder)
        if key in memo:
            _counts["memo"] += 1
        else:
            memo[key] = "".join(render(context))
        yield memo[key]

    return render_once


def on_env(env, config, files, **kwargs):
    # MkDocs copies the generated feeds and .bib files right after this event: they must be written by now
    try:
        finish_build_worker()
    except RuntimeError as exc:
        raise PluginError(f"paperkb: {exc}") from None
    if os.environ.get("PAPERKB_TEMPLATE_MEMO", "1") == "0":
        return env
    memo: dict[tuple[str, str], str] = {}  # one build, one environment: MkDocs makes a new one for every build
    for name in MEMO_PARTIALS:
        template = env.get_template(name)
        template.root_render_func = _memoized(name, template.root_render_func, memo)
    base = env.get_template("base.html")
    for block in MEMO_BLOCKS:
        base.blocks[block] = _memoized(f"base.html#{block}", base.blocks[block], memo)
    return env


def _is_digest(page) -> bool:
    return page.file.src_uri.startswith("digests/")


def on_page_read_source(page, config, **kwargs) -> str | None:
    """A paper page parsed earlier in this build, as Markdown without front matter; None lets MkDocs read it."""
    if _vocab is None or not _is_paper(page) or page.file.generated_by:
        return None
    paper = shared_page_at(page.file.abs_src_path)
    if paper is None:
        return None
    # Rendered ahead by the build worker when it could (same parse, same vocabularies), else here
    document = prefetched_document(page.file.abs_src_path)
    _counts["prefetched" if document else "rendered"] += 1
    document = document or render.paper_document(paper, _vocab, page.file.src_uri)
    _documents[page.file.src_uri] = document
    # The leading blank line ends MkDocs' metadata parsing at once: a body starting with 'Note: …' or '---'
    # would otherwise be read as MultiMarkdown or YAML metadata and vanish from the page.
    return "\n" + document.markdown


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    uri = page.file.src_uri
    if page.file.generated_by:  # its edit button leads to the vocabulary it comes from, if any
        source = layout.edit_source(uri)
        page.edit_url = urljoin(config.edit_uri, source) if source and config.edit_uri else None
    if not _is_paper(page):
        if render.RAW_START in markdown:  # a generated page (people do not write these markers)
            markdown, _raw_blocks[uri] = render.stash_raw_html(markdown)
        return markdown
    if _vocab is None:
        return markdown
    # The parse on_page_read_source built the page from; none when MkDocs read the file itself
    paper = shared_page_at(page.file.abs_src_path) if uri in _documents else None
    if paper is None:  # MkDocs read this page itself: gen-files could not parse it
        try:
            paper = parse_page(page.file.abs_src_path, page.file.content_string)
        except PageError as exc:
            log.warning("%s:%d: %s (run `paperkb check`)", uri, exc.line, exc.message)
            return markdown
        _documents[uri] = document = render.paper_document(paper, _vocab, uri)
        _counts["rendered"] += 1
        markdown = document.markdown
    # The front matter, as MkDocs would have read it. Themes print meta titles unescaped; topic titles become
    # the page's tags (search shows and boosts them).
    page.meta = dict(paper.meta)
    page.meta["title"] = render.html_text(render.title_of(paper))
    if isinstance(page.meta.get("description"), str):  # printed unescaped into <meta name="description">
        page.meta["description"] = render.html_text(page.meta["description"])
    page.meta["tags"] = [_vocab.topics[t].title for t in render.topics_of(paper) if t in _vocab.topics]
    return markdown


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    uri = page.file.src_uri
    if _is_paper(page) or _is_digest(page):
        # Paper bodies come from people, models and arXiv, and digests quote their sections: keep only the HTML
        # Markdown itself produces (javascript: links and raw tags that slip past the digest's Markdown escaping
        # all go). Before our own HTML goes in: that is built escaped.
        html = render.sanitize_html(html)
    document = _documents.pop(uri, None)
    if document is not None:
        footer = document.footer_html(html)
        page_html = document.html(html, footer)
        _views[uri] = (page_html, document.search_html(html))
        # The footers' anchors (#cite) were never seen by Markdown: tell MkDocs' link validation they exist
        anchors = getattr(page, "present_anchor_ids", None)
        if isinstance(anchors, set):
            anchors.update(render.element_ids(footer))
        _lift_title_entries(page)
        return page_html
    blocks = _raw_blocks.pop(uri, None)
    return render.restore_raw_html(html, blocks) if blocks else html


def _lift_title_entries(page) -> None:
    """A body h1 is shown as a section (h2, render._demote_h1): give the table of contents the same shape,
    its entry a section's and its sections siblings (Material shows only the children of a first h1)."""
    toc = getattr(page, "toc", None)
    items = getattr(toc, "items", None)
    if not items or all(item.level != 1 for item in items):
        return
    lifted = []
    for item in items:
        if item.level == 1:
            children, item.children, item.level = item.children, [], 2
            lifted += [item, *children]
        else:
            lifted.append(item)
    toc.items = lifted


@event_priority(100)  # before the search plugin (default priority 0) indexes page.content
def _search_view_in(context, page, config, nav, **kwargs):
    view = _views.get(page.file.src_uri)
    if view is not None:
        page.content = view[1]
    return context


@event_priority(-100)  # after every other plugin: the theme renders the whole page
def _search_view_out(context, page, config, nav, **kwargs):
    view = _views.pop(page.file.src_uri, None)
    if view is not None:
        page.content = view[0]
    return context


on_page_context = CombinedEvent(_search_view_in, _search_view_out)
