"""MkDocs hooks (``hooks:`` in mkdocs.yml): paper pages with their header, notes and footers.

Thin on purpose: the page files stay plain Markdown and the rendering is ``paperkb.publish.paper`` (pure,
tested without MkDocs). Only supported MkDocs events are used; the same code runs under ``mkdocs serve``,
``mkdocs build`` and CI.

- Parse once: ``scripts/gen_pages.py`` has already read and parsed every paper page for the indexes and shares
  those parses (``paperkb.publish.site.share_pages``). ``on_files`` sets each paper file's content to the page
  as the site shows it, built from that parse (``File.content_string``), so MkDocs neither reads the file
  again nor parses its YAML a second time; the front matter goes back into ``page.meta`` in
  ``on_page_markdown``. A page gen-files could not parse is read by MkDocs as usual, and the hook reports why
  it is broken as a warning (a strict build fails, naming the file and line). Articles (``articles/<slug>.md``)
  go the same way, with their header from ``paperkb.publish.articles``.
- Raw blocks: generated HTML (the paper header, machine-written notes, the Cite block, the index tables of
  gen-files pages) is kept out of Python-Markdown and put into the rendered page afterwards
  (``paperkb.publish.paper.PaperDocument``, ``paperkb.publish.markup.stash_raw_html``): the same HTML Markdown
  would pass through, for a fraction of the build time. The body of a paper page, of an article and of every
  digest page (which quotes paper sections) goes through the one sanitizer before our HTML goes in.
- Search: Pagefind, not Material's plugin. ``on_files`` hands the pages already parsed to
  ``paperkb.publish.search_index``, which writes the bundle into ``site/pagefind/`` in a worker process while
  MkDocs renders (on the other core, not holding this process's Python lock); ``on_post_build`` waits for it. No built
  page is read back. Under ``mkdocs serve`` (``on_startup`` says so) nothing waits: an edited page reloads at
  once and the search catches up (searching the previous bundle meanwhile, kept with ``--dirty``). The header
  search box and the browse view are overrides/ (main.html, JS, CSS).
- Related papers: ``on_pre_build`` starts the worker process that computes their TF-IDF
  (``paperkb.publish.related.RelatedCache.prepare``), so its start-up overlaps the reading of the pages;
  scripts/gen_pages.py hands it the texts and collects the result once the indexes are generated.
- Same sidebar, rendered once: the pages outside the navigation (every paper, topic and lab page) get the
  theme's navigation sidebar, palette toggle, footer, style and script tags byte for byte the same
  as the other such pages of their folder. ``on_env`` adds a Jinja extension (``{% memo %}``,
  ``paperkb.publish.template_memo``) that renders them once per folder: around ``super()`` of blocks in
  overrides/main.html, and around the partials in ``MEMO_PARTIALS``. ``PAPERKB_TEMPLATE_MEMO=0`` turns it
  off; tests/test_site_build.py builds the site both ways and compares every HTML file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from paperkb.model import config as paperkb_config, paths
from paperkb.model.articles import ARTICLES_FOLDER, PaperLookup
from paperkb.model.content import content_problems
from paperkb.model.facts import title_of, topics_of
from paperkb.model.pages import Page, PageError, load_page
from paperkb.model.vocab import Problem, Vocabulary, load_vocabulary
from paperkb.publish import articles, citation, markup, paper, search_index
from paperkb.publish.sanitize import sanitize_html
from paperkb.publish.site import SESSION, shared_page_at, shared_pages
from paperkb.publish.template_memo import TemplateMemo, memo_folder

log = logging.getLogger("mkdocs.hooks.paperkb")

#: Material partials that depend only on the site and the page's folder (links are relative to it), not on the
#: page, when the page is outside the navigation (no current item). Included from blocks that also hold the
#: page's title or table of contents, so they are memoized whole (TemplateMemo.preprocess); the blocks that
#: are wholly such are wrapped in overrides/main.html. Checked against Material 9.8 templates; the
#: byte-for-byte test (tests/test_site_build.py) fails if a Material update makes one depend on the page.
MEMO_PARTIALS = ("partials/nav.html", "partials/palette.html")


@dataclass
class BuildState:
    """What one build knows between events (MkDocs runs the hooks' events in order, once per build)."""

    kb: paperkb_config.KnowledgeBase | None = None
    vocab: Vocabulary | None = None
    papers: dict[str, tuple[Page, paper.PaperDocument]] = field(default_factory=dict)  # src_uri -> parse, document
    articles: dict[str, tuple[Page, articles.ArticleDocument]] = field(default_factory=dict)  # src_uri -> parse, document
    raw_blocks: dict[str, list[str]] = field(default_factory=dict)  # src_uri -> HTML blocks of a generated page
    read_again: int = 0  # paper pages gen-files could not parse (or that changed since), parsed again in on_files
    nav_urls: dict[str, str] = field(default_factory=dict)  # src_uri -> URL of every page in the navigation
    memo: TemplateMemo | None = None


_build = BuildState()


def on_startup(*, command: str, dirty: bool) -> None:
    # Once per process, before the first build; MkDocs executes this file anew for every rebuild under serve, so
    # what must outlive a build is kept in search_index.INDEXER.
    search_index.INDEXER.background = command == "serve"
    SESSION.dirty = dirty


def on_pre_build(config, **kwargs) -> None:
    global _build
    search_index.INDEXER.begin()
    kb = paperkb_config.load(Path(config.config_file_path).parent)
    # Before MkDocs lists content/ and gen-files reads it: a FIFO, a link to /dev/zero or /proc/self/environ, an
    # .html or .svg file, a stray Markdown page, or vocabularies that do not read would otherwise be read (a hang,
    # gigabytes) or published as they are. The build stops, naming each file (under `mkdocs serve` too, which then
    # keeps serving the last good site).
    refused = content_problems(kb.content_dir)
    if refused:
        raise PluginError(_problem_report(refused, kb))
    vocab = load_vocabulary(kb.topics_file, kb.labs_file)
    errors = [problem for problem in vocab.problems if problem.severity == "error"]
    if errors:
        raise PluginError(_problem_report(errors, kb))
    for problem in vocab.problems:  # warnings: a strict build (make build, CI) fails on them
        log.warning("%s:%d: %s (run `paperkb check`)", kb.relative(problem.path), problem.line, problem.message)
    _build = BuildState(kb=kb, vocab=vocab)
    if not SESSION.dirty:  # a dirty rebuild (make serve) reuses the last related papers: no worker for it
        SESSION.related.prepare()


#: Problems listed in one build error (`paperkb check` lists them all).
MAX_REPORTED = 20


def _problem_report(problems: list[Problem], kb: paperkb_config.KnowledgeBase) -> str:
    """One error for MkDocs to print: every problem as path:line: message, and where to read more."""
    lines = [f"  {kb.relative(problem.path)}:{problem.line}: {problem.message}" for problem in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        lines.append(f"  … and {len(problems) - MAX_REPORTED} more")
    return "paperkb: content/ does not check, so the site is not built (run `paperkb check`):\n" + "\n".join(lines)


def _read_again(path: str) -> Page:
    """A paper page gen-files could not parse (or that changed since): parsed here, or the build stops naming the
    file and line. MkDocs never reads a paper page itself: it would publish front matter it cannot read as text,
    or as metadata of its own."""
    try:
        return load_page(path)
    except PageError as exc:
        raise PluginError(f"{_build.kb.relative(exc.path) if _build.kb else path}:{exc.line}: {exc.message} (run `paperkb check`)") from None


def _is_paper_uri(src_uri: str, folder: str = "papers") -> bool:
    parts = src_uri.split("/")
    return len(parts) == 2 and parts[0] == folder and parts[1] != "index.md" and parts[1].endswith(".md")


def _is_article_uri(src_uri: str) -> bool:
    return _is_paper_uri(src_uri, ARTICLES_FOLDER)


@event_priority(-100)  # after gen-files has loaded the knowledge base and shared its parses
def on_files(files, config, **kwargs):
    if _build.vocab is None:
        return files
    for file in files.documentation_pages():
        if file.generated_by or not _is_paper_uri(file.src_uri) or file.abs_src_path is None:
            continue
        parsed = shared_page_at(file.abs_src_path)
        if parsed is None:  # gen-files could not parse it
            parsed = _read_again(file.abs_src_path)
            _build.read_again += 1
        if SESSION.dirty and not file.is_modified():
            continue  # `--dirty` (make serve): MkDocs keeps the page it built from this file before, unless edited
        document = paper.paper_document(parsed, _build.vocab, file.src_uri)
        _build.papers[file.src_uri] = (parsed, document)
        # The leading blank line ends MkDocs' metadata parsing at once: a body starting with 'Note: …' or '---'
        # would otherwise be read as MultiMarkdown or YAML metadata and vanish from the page.
        file.content_string = "\n" + document.markdown
    papers = shared_pages()
    lookup = PaperLookup(papers)
    for file in files.documentation_pages():
        if file.generated_by or not _is_article_uri(file.src_uri) or file.abs_src_path is None:
            continue
        # An article is read as a paper page is: from gen-files' parse, its header (the papers it covers) built here.
        # Articles are few, and their headers show the papers' badges: each build renders every one.
        parsed = shared_page_at(file.abs_src_path) or _read_again(file.abs_src_path)
        article = articles.article_document(parsed, lookup, file.src_uri)
        _build.articles[file.src_uri] = (parsed, article)
        file.content_string = "\n" + article.markdown
    search_index.INDEXER.start(papers, _build.vocab, Path(config.site_dir) / "pagefind", log)
    return files


def on_nav(nav, config, files, **kwargs):
    _build.nav_urls = {page.file.src_uri: page.url for page in nav.pages}
    return nav


def on_env(env, config, files, **kwargs):
    env.add_extension(TemplateMemo)  # overrides/main.html uses its tag: added whether the memo is on or not
    memo = _build.memo = env.extensions[TemplateMemo.identifier]
    nav_uris, nav_urls = frozenset(_build.nav_urls), tuple(_build.nav_urls.values())
    memo.configure(
        enabled=os.environ.get("PAPERKB_TEMPLATE_MEMO", "1") != "0",
        partials=MEMO_PARTIALS,
        key=lambda page: memo_folder(page, nav_urls, nav_uris),
    )
    return env


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    uri = page.file.src_uri
    if page.file.generated_by:  # its edit button leads to the vocabulary it comes from, if any
        source = paths.edit_source(uri)
        page.edit_url = urljoin(config.edit_uri, source) if source and config.edit_uri else None
    if uri in _build.articles:
        page.meta = {"title": markup.html_text(title_of(_build.articles[uri][0]))}  # no front matter reaches the theme
        return markdown
    if not _is_paper_uri(uri):
        if markup.RAW_START in markdown:  # a generated page (people do not write these markers)
            markdown, _build.raw_blocks[uri] = markup.stash_raw_html(markdown)
        return markdown
    if _build.vocab is None or uri not in _build.papers:  # every paper page was parsed in on_files
        raise PluginError(f"{uri}: a paper page the build did not parse first; report this as a paperkb bug")
    page.meta = theme_meta(_build.papers[uri][0], _build.vocab)
    return markdown


def theme_meta(parsed: Page, vocab: Vocabulary) -> dict:
    """What a paper page hands the theme: its title, description and tags, as escaped text; nothing else.

    Front matter is the knowledge base's, not the theme's: keys Material acts on (``template``, ``location``,
    ``hide``, ``author``…) must not reach it from a page, and Material prints meta values unescaped (titles,
    descriptions) or renders them as HTML (search shows tags with innerHTML)."""
    meta: dict = {
        "title": markup.html_text(title_of(parsed)),
        "tags": [markup.html_text(vocab.topics[t].title) for t in topics_of(parsed) if t in vocab.topics],
    }
    if isinstance(parsed.meta.get("description"), str):
        meta["description"] = markup.html_text(parsed.meta["description"])
    # Highwire citation_* tags for Zotero and Google Scholar, HTML built and escaped by publish.citation;
    # overrides/main.html prints them in the head
    meta["citation_tags"] = citation.highwire_tags(parsed)
    return meta


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    uri = page.file.src_uri
    if _is_paper_uri(uri) or _is_article_uri(uri) or uri.startswith("digests/"):
        # Paper bodies come from people, models and arXiv, and digests quote their sections: keep only the HTML
        # Markdown itself produces. Before our own HTML goes in: that is built escaped.
        html = sanitize_html(html)
    if uri in _build.articles:
        return _build.articles[uri][1].html(html)
    if uri in _build.papers:
        document = _build.papers[uri][1]
        footer = document.footer_html(html)
        # The footers' anchors (#cite) were never seen by Markdown: tell MkDocs' link validation they exist
        anchors = getattr(page, "present_anchor_ids", None)
        if isinstance(anchors, set):
            anchors.update(markup.element_ids(footer))
        _lift_title_entries(page)
        return document.html(html, footer)
    blocks = _build.raw_blocks.pop(uri, None)
    return markup.restore_raw_html(html, blocks) if blocks else html


def on_post_build(config, **kwargs) -> None:
    search_index.INDEXER.finish(log)
    shared = len(_build.papers) - _build.read_again
    log.info("paperkb: %d paper page(s) rendered from the shared parse, %d read again", shared, _build.read_again)
    if _build.memo is not None and _build.memo.enabled:
        log.info("paperkb: theme fragments reused %d time(s)", _build.memo.reused)


def on_build_error(error, **kwargs) -> None:
    search_index.INDEXER.cancel()  # no index for a failed build, and no thread writing while the process exits


def on_shutdown() -> None:
    # `mkdocs serve` stops (Ctrl-C): an index still being written in the background is dropped; the wait is short
    # (the thread stops between two steps), and it is bounded, since Pagefind itself cannot be interrupted
    search_index.INDEXER.cancel(timeout=10)


def _lift_title_entries(page) -> None:
    """A body h1 is shown as a section (h2, paper._demote_h1): give the table of contents the same shape,
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
