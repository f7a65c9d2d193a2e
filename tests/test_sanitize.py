"""The one sanitizer (nh3 underneath) against hostile HTML and Markdown: nothing that runs, loads or clobbers
survives, in what a page body renders to (the site) and in what e-mail and feeds get."""

from __future__ import annotations

import html
import re

import pytest

from paperkb.publish.sanitize import EMAIL_TAGS, markdown_to_safe_html, sanitize_html
from tests.support.golden import Elements, to_html
from tests.support.hostile import HTML_VECTORS, MARKDOWN_VECTORS

DANGEROUS_TAGS = set("script svg math iframe object embed form base meta link style input button template video source body noscript textarea".split())
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "srcdoc")


def _scheme(url: str) -> str:
    """A URL's scheme as a browser sees it: entities decoded, tabs, newlines and control characters dropped."""
    decoded = re.sub(r"[\x00-\x20]", "", html.unescape(url or "")).lower()
    return decoded.split(":", 1)[0] if ":" in decoded.split("/", 1)[0] else ""


def assert_inert(safe: str, styles: set[str] = frozenset({"text-align: right;", "text-align: left;", "text-align: center;"})) -> None:
    elements = Elements(safe)
    assert not DANGEROUS_TAGS & elements.names(), safe
    for tag, attrs in elements.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, safe)
            assert name not in ("name", "form", "srcdoc"), (tag, name, safe)
            assert name != "style" or value in styles, (tag, value)  # only the styles we write
            if name == "id":
                assert not value.startswith("__"), (tag, value)  # Material's own element ids
            if name in URL_ATTRIBUTES:
                assert _scheme(value) in ("", "http", "https", "mailto"), (tag, name, value)


@pytest.mark.parametrize("vector", HTML_VECTORS)
def test_raw_html_in_a_page_body_is_defused(vector):
    for source in (vector, f"Text before.\n\n{vector}\n\nText after."):
        safe = sanitize_html(to_html(source))
        assert_inert(safe)
        assert sanitize_html(safe) == safe  # stable: nothing re-forms when sanitized again


@pytest.mark.parametrize("vector", MARKDOWN_VECTORS)
def test_markdown_links_headings_and_attributes_are_defused(vector):
    assert_inert(sanitize_html(to_html(vector)))


@pytest.mark.parametrize("vector", HTML_VECTORS + MARKDOWN_VECTORS)
def test_email_and_feed_html_keep_only_text_tags_and_accepted_links(vector):
    safe = markdown_to_safe_html(vector, lambda href: href if href.startswith("https://arxiv.org/") else None)
    assert_inert(safe, set(EMAIL_TAGS.values()))
    assert {name for name, _ in Elements(safe).tags} <= {"p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "h4", "br", "blockquote", "i", "b"}


def test_unknown_tags_show_as_text_and_known_markup_survives():
    safe = sanitize_html(to_html("A <think>step</think> and <b>bold</b> and `<code>`.\n\n| a |\n|--:|\n| 1 |"))
    assert "&lt;think&gt;step&lt;/think&gt;" in safe and "<b>bold</b>" in safe
    assert '<td style="text-align: right;">1</td>' in safe
    assert sanitize_html('<h2 id="key-insights">Key Insights</h2>') == '<h2 id="key-insights">Key Insights</h2>'
