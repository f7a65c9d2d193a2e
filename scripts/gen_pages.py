"""mkdocs-gen-files script: write the site's generated pages and files (indexes, digests, feeds, BibTeX).

All logic lives in ``paperkb.publish.site`` (pure generators, tested without MkDocs); this only loads the
knowledge base next to mkdocs.yml, writes what the generators return, and shares the parsed pages and the
related papers computed from them (``paperkb.publish.related``, in a worker process meanwhile) with the hook (scripts/mkdocs_hooks.py), which
renders each paper page from them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mkdocs_gen_files

from paperkb.model import config
from paperkb.model.articles import PaperLookup
from paperkb.model.site_input import load_site_input
from paperkb.publish import articles, in_articles, related
from paperkb.publish.site import SESSION, generate_site, share_pages

mkdocs_config = mkdocs_gen_files.config
kb = config.load(Path(mkdocs_config.config_file_path).parent)
site = load_site_input(kb, site_url=mkdocs_config.site_url or "", cache=SESSION.pages)
share_pages(site.pages, site.articles)
related_papers = SESSION.related.start(site.pages, reuse=SESSION.dirty)  # in a worker process, while the files are generated
in_articles.share(articles.articles_by_paper(site.articles, PaperLookup(site.pages)))
for problem in site.problems:  # a warning fails `mkdocs build --strict`
    logging.getLogger("mkdocs.plugins.paperkb").warning("%s (run `paperkb check`)", problem)
for docs_path, text in generate_site(site, SESSION).items():
    with mkdocs_gen_files.open(docs_path, "w", encoding="utf-8") as handle:
        handle.write(text)
related.share(related_papers())
