"""Theme fragments rendered once per folder: a Jinja extension (the documented ``jinja2.ext.Extension`` API,
shaped like the fragment cache example of Jinja's extension docs) with one tag::

    {% memo key %}…{% endmemo %}

The body is rendered once per ``key`` (and place in the templates) and the text reused; a key that is None or
empty renders the body as usual. ``scripts/mkdocs_hooks.py`` adds the extension in ``on_env`` and gives the
key: the folder of a page outside the navigation (``memo_folder``), whose theme sidebar, palette,
footer, style and script tags are byte for byte those of every other such page of its folder.

Where the tag is: ``overrides/main.html`` wraps blocks of Material's ``base.html`` around ``{{ super() }}``;
the partials named in ``partials`` (included from blocks that also hold page-dependent parts, so main.html
cannot wrap them) are wrapped as they are loaded, by ``preprocess`` (the documented hook for rewriting a
template's source): one tag around the whole file, the partial itself untouched.

Disabled (``enabled = False``, set before the first template loads), the tag is its body and nothing is
wrapped: the templates render exactly as without the extension.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

#: How the wrapped partials name their key: a global the hook sets (``TemplateMemo.configure``).
KEY_FUNCTION = "paperkb_memo_key"


class TemplateMemo(Extension):
    tags = {"memo"}

    def __init__(self, environment) -> None:
        super().__init__(environment)
        self.enabled = True
        self.partials: frozenset[str] = frozenset()
        self.memo: dict[tuple[str, int, str], str] = {}  # (template, line, key) -> rendered text
        self.reused = 0

    def configure(self, enabled: bool, partials: Iterable[str], key: Callable[..., str | None]) -> None:
        """Before any template loads: on or off, the partials wrapped whole, the key function they call."""
        self.enabled = enabled
        self.partials = frozenset(partials)
        self.environment.globals[KEY_FUNCTION] = key

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if not self.enabled or name not in self.partials:
            return source
        if "{% extends" in source or "{% block" in source:  # a partial one tag cannot wrap: leave it alone
            return source
        # Jinja drops a template's one trailing newline; with the closing tag after it, it would be kept
        if not self.environment.keep_trailing_newline:
            for newline in ("\r\n", "\n", "\r"):
                if source.endswith(newline):
                    source = source[: -len(newline)]
                    break
        return f"{{% memo {KEY_FUNCTION}(page) %}}{source}{{% endmemo %}}"

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endmemo",), drop_needle=True)
        if not self.enabled:
            return body
        place = nodes.Const((parser.name or "", lineno))
        return nodes.CallBlock(self.call_method("_render", [place, key]), [], [], body).set_lineno(lineno)

    def _render(self, place: tuple[str, int], key: str | None, caller: Callable[[], str]) -> str:
        if not key:
            return caller()
        slot = (*place, key)
        text = self.memo.get(slot)
        if text is None:
            text = self.memo[slot] = caller()
        else:
            self.reused += 1
        return text


def memo_folder(page, nav_urls: Iterable[str], nav_uris: set[str] | frozenset[str]) -> str | None:
    """The folder whose pages outside the navigation share the memoized fragments with ``page``; None: render
    them for this page (a page in the nav marks its own item active; none at all: a theme-level template)."""
    if page is None or page.file.src_uri in nav_uris:
        return None
    url = page.url
    if not url or any(nav_url.startswith(url) for nav_url in nav_urls):
        return None  # a nav link inside the page's own folder would be relative to the page itself
    return posixpath.dirname(url.rstrip("/"))
