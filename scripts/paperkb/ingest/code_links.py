"""The code, model and data addresses an arXiv entry names in its abstract or comment, as ``links:`` items.

Authors write them as they like ("Code: https://github.com/a/b.", "github.com/a/b", "\\url{https://huggingface.co/a/b}",
"(https://github.com/a/b/tree/main)"); each is reduced to the repository, model or data set it names:

| host | address | kind |
| --- | --- | --- |
| github.com, gitlab.com | ``owner/name`` (GitLab: the path up to ``/-/``) | code |
| huggingface.co, hf.co | ``datasets/owner/name`` | dataset |
| huggingface.co, hf.co | ``spaces/owner/name`` (a demo) | project |
| huggingface.co, hf.co | ``owner/name`` | model |

A profile or organisation page (one path segment), Hugging Face's own pages (papers, docs, blog…) and anything on
another host are left out: only what is the paper's own artefact becomes a link. Hand-written because no library
finds repository addresses in prose; the URL itself is split by ``urllib.parse``.
"""

from __future__ import annotations

import re
import urllib.parse

from paperkb.model.facts import is_web_url
from paperkb.model.links import Link, title_for_url

# A host we know (not the end of another host's name or path: notgithub.com, evil.example/github.com), with or
# without scheme and www, then a path up to whitespace or a character that ends a URL in
# prose or LaTeX. Linear: one pass, no nested quantifier.
_ADDRESS = re.compile(r"(?<![\w.@/-])(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|huggingface\.co|hf\.co)(/[^\s<>()\[\]{}\"'\\,;|]*)", re.I)
_TRAILING = ".:!?*_`~"
_HF_SITE_PAGES = frozenset({"papers", "docs", "blog", "learn", "collections", "organizations", "models", "tasks", "join", "login", "pricing", "settings"})


def _artefact(host: str, path: str) -> tuple[str, str] | None:
    """(kind, canonical URL) of the address, or None when it names no repository, model or data set."""
    segments = [segment for segment in path.split("/") if segment]
    if host in ("github.com", "gitlab.com"):
        if host == "gitlab.com" and "-" in segments:
            segments = segments[: segments.index("-")]
        keep = segments[:2] if host == "github.com" else segments
        if len(keep) < 2:
            return None
        keep[-1] = keep[-1].removesuffix(".git")
        return "code", f"https://{host}/" + "/".join(keep)
    if segments[:1] in (["datasets"], ["spaces"]) and len(segments) >= 3:
        kind = "dataset" if segments[0] == "datasets" else "project"
        return kind, "https://huggingface.co/" + "/".join(segments[:3])
    if len(segments) >= 2 and segments[0].lower() not in _HF_SITE_PAGES and segments[0] not in ("datasets", "spaces"):
        return "model", "https://huggingface.co/" + "/".join(segments[:2])
    return None


def code_links(*texts: str | None) -> list[Link]:
    """The links named in ``texts`` (the abstract, then the comment), in the order written, each once."""
    found: dict[str, Link] = {}
    for text in texts:
        for match in _ADDRESS.finditer(text or ""):
            host = match.group(1).lower()
            path = match.group(2).rstrip(_TRAILING)
            artefact = _artefact("huggingface.co" if host == "hf.co" else host, urllib.parse.unquote(path))
            if artefact is None:
                continue
            kind, url = artefact
            if is_web_url(url) and url.casefold() not in found:
                found[url.casefold()] = Link(kind, title_for_url(url), url)
    return list(found.values())


def refresh_links(fetched: list[Link], basis: list[Link] | None) -> list[Link]:
    """The links a refresh may add: those arXiv gives now that it did not give for the page's own version (a link
    arXiv gave then and the page lacks was removed by a person). Without a basis (a hand-written page, or the
    page's version not fetched), all of them; the page's own ``with_links`` then skips those it has."""
    if basis is None:
        return fetched
    before = {link.url for link in basis}
    return [link for link in fetched if link.url not in before]
