"""Math where readers see it: marked for the site's MathJax in the abstract (publish.math) and, through
pymdownx.arithmatex, in sections and digest pages; readable text in the Atom feeds (read back by feedparser)
and in the e-mail digest (HTML and plain text), where nothing runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import markdown

from paperkb.check import SITE_EXTENSION_CONFIGS, SITE_MARKDOWN_EXTENSIONS
from paperkb.model.pages import parse_page, render_new_page
from paperkb.publish import digest, feeds
from paperkb.publish.math import math_html, math_markdown, readable_markdown
from paperkb.publish.paper import abstract_html
from paperkb.publish.sanitize import sanitize_html

TODAY = dt.date(2026, 11, 22)
ABSTRACT = "We bound $\\max_\\theta <x>$ and $$a_i^2$$ at \\$5 & more."
SECTION = "The loss $x_i + y_j$ falls; costs \\$5.\n\n```\necho $HOME $x$\n```\n"


def page(status: str = "todo"):
    meta = {
        "title": "Bounds",
        "arxiv": "2511.00077",
        "status": status,
        "published": dt.date(2025, 11, 5),
        "added": dt.date(2026, 11, 20),
        "abstract": ABSTRACT + "\n",
    }
    sections = {"summary": SECTION, "key_insights": "- $\\alpha$ matters.", "why_it_matters": "It does."} if status != "todo" else {}
    return parse_page(Path("papers/bounds.md"), render_new_page(meta, sections))


def test_the_abstract_marks_math_for_mathjax_and_escapes_everything():
    assert math_html(ABSTRACT) == (
        'We bound <span class="arithmatex">\\(\\max_\\theta &lt;x&gt;\\)</span> and <span class="arithmatex">\\[a_i^2\\]</span> at $5 &amp; more.'
    )
    html = abstract_html(page())
    assert html.count('<span class="arithmatex">') == 2 and "<x>" not in html
    assert sanitize_html(html) == html  # what the sanitizer lets through on the site: nothing is lost


def test_sections_and_digest_pages_mark_math_with_the_sites_extensions():
    rendered = sanitize_html(markdown.Markdown(extensions=SITE_MARKDOWN_EXTENSIONS, extension_configs=SITE_EXTENSION_CONFIGS).convert(SECTION))
    assert '<span class="arithmatex">\\(x_i + y_j\\)</span>' in rendered and "costs $5." in rendered
    assert "echo $HOME $x$" in rendered  # code is code
    quoted = markdown.Markdown(extensions=SITE_MARKDOWN_EXTENSIONS, extension_configs=SITE_EXTENSION_CONFIGS).convert(math_markdown(ABSTRACT))
    assert '<span class="arithmatex">\\(\\max_\\theta &lt;x&gt;\\)</span>' in quoted and "at $5 &amp; more" in quoted


def test_feeds_show_math_as_readable_text():
    pending = feeds.build_feed(
        [page("todo")], feed_path="f.xml", title="t", subtitle="s", site_url="https://kb.example.org/", alternate_path="papers/index.md", topics={}, today=TODAY
    )
    filled = feeds.build_feed(
        [page("draft")],
        feed_path="f.xml",
        title="t",
        subtitle="s",
        site_url="https://kb.example.org/",
        alternate_path="papers/index.md",
        topics={},
        today=TODAY,
    )
    summary = feedparser.parse(pending).entries[0].summary
    assert "max_θ<x>" in summary and "a_i^2" in summary and "$5" in summary and "\\max" not in summary
    content = feedparser.parse(filled).entries[0].content[0].value
    assert "x_i + y_j" in content and "α" in content and "costs $5." in content and "\\alpha" not in content
    assert "<em>" not in content  # 'x_i + y_j' read as text, not as emphasis


def test_the_email_digest_shows_math_as_readable_text():
    links = digest.ExternalLinks("https://kb.example.org/")
    for status in ("todo", "draft"):
        shown = digest.rolling_digest([page(status)], TODAY, 7)
        html, text = digest.render_html(shown, links), digest.render_markdown(shown, links)
        for out in (html, text):
            assert "\\max" not in out and "\\alpha" not in out and "$x_i" not in out
    assert "max\\_θ" in digest.render_markdown(digest.rolling_digest([page("todo")], TODAY, 7), links)  # literal Markdown
    # on the site the digest keeps the TeX for MathJax
    site_text = digest.render_markdown(digest.rolling_digest([page("todo")], TODAY, 7), digest.SiteLinks("digests/x.md"))
    assert "$\\max_\\theta <x>$" in site_text or "$\\max_\\theta &lt;x&gt;$" in site_text


def test_readable_markdown_leaves_code_alone():
    assert readable_markdown("a $\\alpha$ b\n```\n$\\alpha$\n```\n") == "a α b\n```\n$\\alpha$\n```\n"
