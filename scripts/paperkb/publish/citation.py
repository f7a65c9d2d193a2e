"""What reference managers read from the site: Highwire Press ``citation_*`` meta tags on a paper page, and a
COinS span (OpenURL ContextObject in a span) for each paper in a list.

Zotero's Connector and Google Scholar read a paper page's ``<meta name="citation_…">`` tags (title, each author,
publication date, arXiv ID, abstract and PDF URLs, DOI); without them Zotero saves a web page instead of a
preprint. On a list (the index tables), Zotero finds each paper by its ``<span class="Z3988" title="…">``, an
OpenURL 1.0 KEV string, and offers to save them all.

Both are pure functions of a page and return HTML that is escaped here: every value is outside text (a pull request
can write any of it), one line, attribute-escaped; a URL is written only when ``facts.is_web_url`` accepts it. The
hook (scripts/mkdocs_hooks.py ``theme_meta``) hands the tags to the theme, overrides/main.html prints them in the head.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from paperkb.model.arxiv_ids import abs_url, pdf_url
from paperkb.model.facts import arxiv_id_of, authors_of, title_of, url_of
from paperkb.model.pages import Page, as_date
from paperkb.model.text import readable_text

#: arXiv registers a DataCite DOI for every paper: 10.48550/arXiv.<id>
ARXIV_DOI_PREFIX = "10.48550/arXiv."


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def doi_of(page: Page) -> str | None:
    """The page's own DOI, else the one arXiv registered for the paper."""
    doi = page.meta.get("doi")
    if isinstance(doi, str) and _one_line(doi):
        return _one_line(doi)
    arxiv_id = arxiv_id_of(page)
    return ARXIV_DOI_PREFIX + arxiv_id if arxiv_id else None


def highwire_fields(page: Page) -> list[tuple[str, str]]:
    """(name, content) of each ``citation_*`` tag, in the order Google Scholar documents them."""
    fields = [("citation_title", readable_text(title_of(page)))]
    fields += [("citation_author", name) for name in authors_of(page) if name]
    published = as_date(page.meta.get("published"))
    if published:
        fields.append(("citation_publication_date", published.strftime("%Y/%m/%d")))
        fields.append(("citation_date", published.strftime("%Y/%m/%d")))  # what arXiv's own pages write
    arxiv_id = arxiv_id_of(page)
    if arxiv_id:
        fields.append(("citation_arxiv_id", arxiv_id))
        fields.append(("citation_abstract_html_url", abs_url(arxiv_id)))
        fields.append(("citation_pdf_url", pdf_url(arxiv_id)))
    else:
        url = url_of(page)
        if url:
            fields.append(("citation_abstract_html_url", url))
    doi = doi_of(page)
    if doi:
        fields.append(("citation_doi", doi))
    return [(name, _one_line(value)) for name, value in fields if _one_line(value)]


def highwire_tags(page: Page) -> str:
    """The page's ``<meta name="citation_…" content="…">`` tags, one a line, escaped."""
    return "\n".join(f'<meta name="{name}" content="{html.escape(value, quote=True)}">' for name, value in highwire_fields(page))


#: Authors in a list's ContextObject, the first ones ("et al." for a reference manager): the status board lists up to
#: 100 papers, and a paper of 200 authors would put 8 KB in its row (no page may pass 100 KB, issue 11; ten authors
#: still took a board of 116-character titles to 110 KB). The paper page's Highwire tags name every author.
COINS_AUTHORS = 3


def coins_fields(page: Page) -> list[tuple[str, str]]:
    """The OpenURL 1.0 ContextObject (journal format, genre preprint) of a paper, as KEV pairs."""
    fields = [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.genre", "preprint"),
        ("rft.atitle", readable_text(title_of(page))),
    ]
    arxiv_id = arxiv_id_of(page)
    if arxiv_id:
        fields.append(("rft.jtitle", "arXiv"))
    fields += [("rft.au", name) for name in [name for name in authors_of(page) if name][:COINS_AUTHORS]]
    published = as_date(page.meta.get("published"))
    if published:
        fields.append(("rft.date", published.isoformat()))
    if arxiv_id:
        fields += [("rft_id", f"info:arxiv/{arxiv_id}"), ("rft_id", abs_url(arxiv_id))]
    elif url_of(page):
        fields.append(("rft_id", str(url_of(page))))
    doi = doi_of(page)
    if doi:
        fields.append(("rft_id", f"info:doi/{doi}"))
    return [(name, _one_line(value)) for name, value in fields if _one_line(value)]


# page file -> (page text, span): a rebuild in the same process (make serve) encodes only the pages that changed
_SPANS: dict[str, tuple[str, str]] = {}


def coins_span(page: Page) -> str:
    """An empty ``<span class="Z3988">`` whose title is the paper's ContextObject: reference managers pick the
    paper from a list. Percent-encoded (no '|', so it is safe in a Markdown table cell) and attribute-escaped."""
    text, span = _SPANS.get(str(page.path), ("", ""))
    if text != page.text or not span:
        span = f'<span class="Z3988" title="{html.escape(urlencode(coins_fields(page)), quote=True)}"></span>'
        _SPANS[str(page.path)] = (page.text, span)
    return span
