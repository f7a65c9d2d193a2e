"""Publish: what readers see, as pure functions of the model: Markdown and HTML helpers (``markup``), the one
sanitizer (``sanitize``), paper pages (``paper``), index pages, digests, feeds, BibTeX, and the site's
generated file set (``site``). Imports only the model."""
