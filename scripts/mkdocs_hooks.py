"""MkDocs hooks (``hooks:`` in mkdocs.yml): paper pages with their header, notes and footers.

Thin on purpose: the page files stay plain Markdown and the rendering is ``paperkb.render`` (pure, tested
without MkDocs). Per build the vocabularies are loaded once; per paper page the source MkDocs already read
is parsed once with ``paperkb.pages``. A page that does not parse is reported as a warning (a strict build
fails, naming the file and line) rather than published as broken text.

Raw blocks: generated HTML (the paper header, the index tables of gen-files pages) is kept out of
Python-Markdown and put back into the rendered page (``render.stash_raw_html`` / ``restore_raw_html``):
the same HTML Markdown would pass through, for a fraction of the build time. The body of a paper page and
every digest page (which quotes paper sections) is sanitized before the raw blocks go back in.
"""

from __future__ import annotations

import logging
from pathlib import Path

from paperkb import config as paperkb_config
from paperkb import render
from paperkb.pages import PageError, parse_page
from paperkb.site import shared_page
from paperkb.vocab import Vocabulary, load_vocabulary

log = logging.getLogger("mkdocs.hooks.paperkb")
_vocab: Vocabulary | None = None
_raw_blocks: dict[str, list[str]] = {}  # src_uri -> HTML blocks to put back after Markdown


def on_pre_build(config, **kwargs) -> None:
    global _vocab
    kb = paperkb_config.load(Path(config.config_file_path).parent)
    _vocab = load_vocabulary(kb.topics_file, kb.labs_file)
    _raw_blocks.clear()


def _is_paper(page) -> bool:
    parts = page.file.src_uri.split("/")
    return len(parts) == 2 and parts[0] == "papers" and parts[1] != "index.md" and parts[1].endswith(".md")


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if not _is_paper(page):
        if render.RAW_START in markdown:  # a generated page (people do not write these markers)
            markdown, _raw_blocks[page.file.src_uri] = render.stash_raw_html(markdown)
        return markdown
    if _vocab is None:
        return markdown
    try:
        source = page.file.content_string
        paper = shared_page(page.file.abs_src_path, source) or parse_page(page.file.abs_src_path, source)
    except PageError as exc:
        log.warning("%s:%d: %s (run `paperkb check`)", page.file.src_uri, exc.line, exc.message)
        return markdown
    # Themes print meta titles unescaped; topic titles become the page's tags (search shows and boosts them).
    page.meta["title"] = render.html_text(render.title_of(paper))
    page.meta["tags"] = [_vocab.topics[t].title for t in render.topics_of(paper) if t in _vocab.topics]
    markdown, _raw_blocks[page.file.src_uri] = render.paper_document(paper, _vocab, page.file.src_uri)
    return markdown


def _is_digest(page) -> bool:
    return page.file.src_uri.startswith("digests/")


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    blocks = _raw_blocks.pop(page.file.src_uri, None)
    if _is_paper(page) or _is_digest(page):
        # Paper bodies come from people, models and arXiv, and digests quote their sections: keep only the HTML
        # Markdown itself produces (attr_list's `{: onmouseover=…}`, javascript: links and raw tags that slip past
        # the digest's Markdown escaping all go). Before the raw blocks return: those are ours, built escaped.
        html = render.sanitize_html(html)
    return render.restore_raw_html(html, blocks) if blocks else html
