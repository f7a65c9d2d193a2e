"""The "In articles" footer of a paper page: the articles that cover the paper (``paper.paper_footers``).

Which articles cover which paper is computed once per build over every article (``articles.articles_by_paper``)
and shared here by scripts/gen_pages.py, as the related papers are (``related.share``); outside a build there are
none. Kept apart from ``publish.articles``, which uses the paper page's badges, so that ``publish.paper`` can list
this footer without a cycle.
"""

from __future__ import annotations

from paperkb.model import paths
from paperkb.model.pages import Page
from paperkb.publish.markup import docs_a, section_heading

TITLE, ANCHOR = "In articles", "in-articles"

_shared: dict[str, list[tuple[str, str]]] = {}


def share(by_paper: dict[str, list[tuple[str, str]]]) -> None:
    _shared.clear()
    _shared.update(by_paper)


def footer(page: Page) -> str:
    """A heading and a list of the articles covering ``page``, escaped (nothing when none does)."""
    return articles_footer(page, _shared.get(page.slug, []))


def articles_footer(page: Page, articles: list[tuple[str, str]]) -> str:
    """The footer of ``page`` listing ``articles`` (title, article docs path): nothing when there are none."""
    if not articles:
        return ""
    here = paths.paper_path(page.slug)
    items = "\n".join(f"<li>{docs_a(title, here, path)}</li>" for title, path in articles)
    return section_heading(TITLE, ANCHOR) + f'\n<ul class="pkb-in-articles">\n{items}\n</ul>'
