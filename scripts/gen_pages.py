"""mkdocs-gen-files script: write the site's generated pages (indexes, and whatever other stages add).

All logic lives in ``paperkb.site`` (pure generators, tested without MkDocs); this only loads the knowledge
base next to mkdocs.yml and writes the files (the hook points their edit buttons at their sources).
"""

from __future__ import annotations

import logging
from pathlib import Path

import mkdocs_gen_files

from paperkb import config
from paperkb.site import file_paths, generate_pages, load_site_input, share_pages, start_build_worker

mkdocs_config = mkdocs_gen_files.config
kb = config.load(Path(mkdocs_config.config_file_path).parent)
site = load_site_input(kb, site_url=mkdocs_config.site_url or "")
share_pages(site.pages)  # the hook renders paper pages from these parses (scripts/mkdocs_hooks.py)
for problem in site.problems:  # a warning fails `mkdocs build --strict`
    logging.getLogger("mkdocs.plugins.paperkb").warning("%s (run `paperkb check`)", problem)
for docs_path, text in generate_pages(site).items():
    with mkdocs_gen_files.open(docs_path, "w", encoding="utf-8") as handle:
        handle.write(text)
# Feeds and BibTeX: listed now (pages link to them), written by a worker while MkDocs renders the pages
# (the worker also renders the paper pages' documents ahead of the hook); the hook waits for it before MkDocs
# copies them into the site (scripts/mkdocs_hooks.py, on_env).
targets = {}
for docs_path in file_paths(site):
    with mkdocs_gen_files.open(docs_path, "w", encoding="utf-8") as handle:
        targets[docs_path] = Path(handle.name)
start_build_worker(site, targets)
