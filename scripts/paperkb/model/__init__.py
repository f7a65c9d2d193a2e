"""The model, the lowest layer: pages (read and written byte-exactly), vocabularies, configuration, arXiv IDs,
sync records, and every path and URL of the site in one place (``paths``). It imports nothing else of paperkb."""
