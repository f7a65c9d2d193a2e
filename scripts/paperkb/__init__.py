"""paperkb: a Git-backed knowledge base of AI research papers."""

__version__ = "0.1.0"
