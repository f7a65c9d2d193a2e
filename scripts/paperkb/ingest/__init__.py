"""Ingest: pages from arXiv (the polite client, ``add``, ``resolve``, ``sync``) and from Research Sync digests
(``import_digest``). Imports only the model."""
