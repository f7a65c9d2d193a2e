"""Articles as the site shows them (paperkb.model.articles): pure functions, articles and papers in, Markdown or
escaped HTML out.

- :func:`article_document`: an article page in the hook's form (``scripts/mkdocs_hooks.py``), as a paper page is:
  the body's Markdown for MkDocs to render (the hook sanitizes the result as it does a paper body), and the header
  built here, escaped: byline, last update, status, and every paper it covers linked with its badges.
- :func:`articles_index_page`: ``articles/index.md``, every article with its status and papers (in the nav).
- :func:`articles_by_paper`: for each paper page, the articles that cover it; the paper page lists them under
  "In articles" (``paperkb.publish.in_articles``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from paperkb.model import paths
from paperkb.model.articles import PaperLookup, covered_papers, missing_paper_sections
from paperkb.model.facts import status_of, title_of
from paperkb.model.pages import Page, as_date
from paperkb.model.site_input import SiteInput
from paperkb.publish.indexes import front_matter
from paperkb.publish.markup import docs_a, docs_link, html_text, md_text, raw_html
from paperkb.publish.paper import badges_html, meta_line


@dataclass
class ArticleDocument:
    """An article in the hook's form: the body's Markdown, and the header HTML that goes above it."""

    markdown: str
    header: str

    def html(self, body_html: str) -> str:
        """The page's HTML from the body's rendered and sanitized HTML."""
        return self.header + "\n" + body_html


def updated_text(article: Page) -> str | None:
    """The article's last update as written: a date, or a date and time in UTC ('2025-01-28 19:20 UTC')."""
    value = article.meta.get("updated")
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.tzinfo else "")
    date = as_date(value)
    return date.isoformat() if date else None


def covered_html(article: Page, papers: PaperLookup, docs_path: str) -> str:
    """The covered papers, each linked to its page with its priority and status badges."""
    items = []
    for covered in covered_papers(article, papers):
        if covered.page is None:
            items.append(f"<li>{html_text(covered.ref)}</li>")  # `paperkb check` reports it; the build shows it as text
            continue
        link = docs_a(title_of(covered.page), docs_path, paths.paper_path(covered.page.slug))
        items.append(f"<li>{link} {badges_html(covered.page, docs_path)}</li>")
    if not items:
        return ""
    return '<div class="pkb-meta pkb-covered"><span class="pkb-label">Papers</span>\n<ul>\n' + "\n".join(items) + "\n</ul>\n</div>"


def article_header(article: Page, papers: PaperLookup, docs_path: str) -> str:
    status = status_of(article)
    byline = article.meta.get("byline")
    updated = updated_text(article)
    lines = [
        '<div class="pkb-header">',
        '<p class="pkb-badges">' + docs_a(status, docs_path, paths.ARTICLES_INDEX, f"pkb-badge pkb-status pkb-status--{status}", "Status") + "</p>",
        meta_line("By", [html_text(byline)]) if isinstance(byline, str) and byline.strip() else "",
        meta_line("Updated", [html_text(updated)]) if updated else "",
        covered_html(article, papers, docs_path),
        "</div>",
    ]
    return "\n".join(line for line in lines if line)


def article_document(article: Page, papers: PaperLookup, docs_path: str | None = None) -> ArticleDocument:
    docs_path = docs_path or paths.article_path(article.slug)
    return ArticleDocument(article.body.lstrip("\r\n").rstrip() + "\n", article_header(article, papers, docs_path))


def article_markdown(article: Page, papers: PaperLookup) -> str:
    """The article as one Markdown document (header as a raw HTML block): what the golden files hold."""
    document = article_document(article, papers)
    return raw_html(document.header) + "\n" + document.markdown


def articles_index_page(articles: list[Page], papers: PaperLookup) -> str:
    here = paths.ARTICLES_INDEX
    rows = []
    for article in sorted(articles, key=lambda a: title_of(a).casefold()):
        covered = [c for c in covered_papers(article, papers) if c.page is not None]
        todo = len(missing_paper_sections(article, covered))
        papers_cell = ", ".join(docs_link(title_of(c.page), here, paths.paper_path(c.page.slug)) for c in covered if c.page) or "—"
        status = status_of(article) + (f" ({todo} section{'s' if todo != 1 else ''} to write)" if todo else "")
        rows.append(
            f"| {docs_link(title_of(article), here, paths.article_path(article.slug))} | {md_text(updated_text(article) or '—')} "
            f"| {md_text(status)} | {papers_cell} |"
        )
    about = (
        "Long-form articles across papers, in `content/articles/`: one section per paper they cover, quotes and commentary "
        "with their sources, timelines with dates."
    )
    table = ["| Article | Updated | Status | Papers |", "|---|---|---|---|", *rows] if rows else ["No articles yet."]
    return "\n".join([front_matter("Articles"), "# Articles", "", about, "", *table, ""])


def articles_by_paper(articles: list[Page], papers: PaperLookup) -> dict[str, list[tuple[str, str]]]:
    """Paper slug -> (article title, article docs path) of every article that covers it, by title."""
    found: dict[str, list[tuple[str, str]]] = {}
    for article in sorted(articles, key=lambda a: title_of(a).casefold()):
        for covered in covered_papers(article, papers):
            if covered.page is not None:
                entry = (title_of(article), paths.article_path(article.slug))
                if entry not in found.setdefault(covered.page.slug, []):
                    found[covered.page.slug].append(entry)
    return found


def generate(site: SiteInput) -> dict[str, str]:
    return {paths.ARTICLES_INDEX: articles_index_page(site.articles, PaperLookup(site.pages))}
