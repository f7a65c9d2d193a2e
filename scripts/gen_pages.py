"""mkdocs-gen-files script: write the site's generated pages (indexes, and whatever other stages add).

All logic lives in ``paperkb.site.generate_site`` (pure, tested without MkDocs); this only loads the
knowledge base next to mkdocs.yml, writes the files and points each page's edit button at its source.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mkdocs_gen_files

from paperkb import config
from paperkb.site import generate_site, load_site_input, share_pages

#: Where a generated page's "edit" button leads (relative to edit_uri, i.e. to content/); None hides it:
#: those pages are computed from the papers, there is nothing to edit on them.
EDIT_SOURCES = {"topics/": "topics.yml", "labs/": "labs.yml"}


def edit_path(docs_path: str) -> str | None:
    for prefix, source in EDIT_SOURCES.items():
        if docs_path.startswith(prefix):
            return source
    return None


mkdocs_config = mkdocs_gen_files.config
kb = config.load(Path(mkdocs_config.config_file_path).parent)
site = load_site_input(kb, site_url=mkdocs_config.site_url or "")
share_pages(site.pages)  # the hook renders paper pages from these parses (scripts/mkdocs_hooks.py)
for problem in site.problems:  # a warning fails `mkdocs build --strict`
    logging.getLogger("mkdocs.plugins.paperkb").warning("%s (run `paperkb check`)", problem)
for docs_path, text in generate_site(site).items():
    with mkdocs_gen_files.open(docs_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    if docs_path.endswith(".md"):
        mkdocs_gen_files.set_edit_path(docs_path, edit_path(docs_path))
