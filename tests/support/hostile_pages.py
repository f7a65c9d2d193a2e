"""Hostile paper pages for what the site publishes beyond its pages: papers.bib, the Atom feeds, Markdown digests
and the e-mail digest. Each vector goes through every channel a page offers those outputs (title, authors, labs,
topics, abstract, each section, url, doi, primary category, links), one page per vector, so a test can ask each output's
own third-party reader whether anything was injected: an extra BibTeX entry, a link off arXiv and the site, a
script URL, an element that runs code.

``__pwned`` is what every script payload sets (as in tests/support/hostile.py, whose HTML and Markdown vectors are
reused here)."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

from paperkb.model.pages import render_new_page
from tests.support.hostile import HTML_VECTORS, MARKDOWN_VECTORS, SCHEMES

# What could end a BibTeX entry or start another: a line-leading '@' behind every kind of line break Python or a
# BibTeX reader knows, closing braces, parenthesised entries, @comment/@string/@preamble, backslash sequences.
BIBTEX_BREAKERS = [
    "}\n@misc{evil2025, title={Injected}}\n",
    '\n@misc(evil2025, title="Injected")\n',
    "}},\n@misc{evil2025,\n  title = {Injected},\n}\n@misc{tail,",
    "\r@misc{evil2025,}",
    "\r\n@misc{evil2025,}",
    "\x0b@misc{evil2025,}",
    "\x0c@misc{evil2025,}",
    "\x1c@misc{evil2025,}",
    "\x1d@misc{evil2025,}",
    "\x1e@misc{evil2025,}",
    "\x85@misc{evil2025,}",
    "\u2028@misc{evil2025,}",
    "\u2029@misc{evil2025,}",
    "@comment{",
    '@string{evil = "x"}',
    '@preamble{"\\input{/etc/passwd}"}',
    "@misc{",
    "}}}}},\n  title = {x",
    "{{{{ unbalanced",
    "\\",
    "\\}",
    "\\{",
    "\\end{document}",
    "\\input{/etc/passwd}",
    "\\immediate\\write18{touch /tmp/pwned}",
    "\\def\\title{x}",
    "$\\alpha$ % the rest is a comment\n@misc{evil2025,}",
    '# concatenation " quote = {x}',
    "Alice and Bob and others",
    "\x00\x01\x1b[31m\x7f\x9b",
]

# The page's own `url`: line breaks and spaces that would end a BibTeX value or a Markdown link target, parentheses
# that would close a link and open another, script schemes, things that are no URL at all.
URL_VECTORS = [
    'https://example.org/\n@misc(evil2025, title="Injected")\n',
    "https://example.org/}\n@misc{evil2025,",
    "https://example.org/ @misc{evil2025,}",
    "https://example.org/a)[x](javascript:window.__pwned=1)",
    "https://example.org/a>[x](javascript:window.__pwned=1)",
    'https://example.org/"onmouseover="window.__pwned=1',
    "https://example.org/\u2028@misc{evil2025,}",
    "https://example.org/\x85@misc{evil2025,}",
    "https://exa\u200bmple.org/",
    "https://example.org/\u202egpj.exe",
    "https://example.org/\t",
    "javascript:window.__pwned=1",
    "JAVASCRIPT:window.__pwned=1",
    " javascript:window.__pwned=1",
    "data:text/html,<script>window.__pwned=1</script>",
    "vbscript:msgbox(1)",
    "https://",
    "http://[::1",
    "//evil.example/x",
    "ftp://evil.example/",
]

# Markdown links in a section whose target is a script URL, in every form Python-Markdown accepts: inline, image,
# reference definitions (with a title, on the next line, inside a quote or a list), targets split by a line break
# or spaces, escaped, entity-encoded.
LINK_VECTORS = [
    *(f"[inline {i}]({url})" for i, url in enumerate(SCHEMES)),
    *(f"![image {i}]({url})" for i, url in enumerate(SCHEMES[:6])),
    *(f"[ref {i}][r{i}]\n\n[r{i}]: {url}" for i, url in enumerate(SCHEMES)),
    '[y][r]\n\n[r]: javascript:window.__pwned=1 "title"',
    "[y][r]\n\n[r]:\n  javascript:window.__pwned=1",
    "[y][r]\n\n   [r]: <javascript:window.__pwned=1>",
    "> [y][r]\n>\n> [r]: javascript:window.__pwned=1",
    "- [r]: javascript:window.__pwned=1\n\n[y][r]",
    "[x](java\nscript:window.__pwned=1)",
    "[x](java script:window.__pwned=1)",
    "[x](<java\nscript:window.__pwned=1>)",
    "[x]( <javascript:window.__pwned=1> )",
    "[x](javascript\\:window.__pwned=1)",
    "[x](&#106;avascript:window.__pwned=1)",
    '[x](  javascript:window.__pwned=1  "t")',
    "[x](JaVaScRiPt:window.__pwned=1)",
    "[x](javascript&amp;#58;window.__pwned=1)",
    "[x](\x01javascript:window.__pwned=1)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)",
    "[x](https://evil.example/login)",
    "[split](https://arxiv.org/abs/2501.\n12948)",
    "<javascript:window.__pwned=1>",
]

VECTORS = [*BIBTEX_BREAKERS, *URL_VECTORS, *LINK_VECTORS, *HTML_VECTORS, *MARKDOWN_VECTORS]
ADDED = dt.date(2026, 11, 20)
SCHEME_PAYLOAD = re.compile(r"^(javascript|vbscript|data):")


def hostile_pages(papers_dir: Path) -> list[str]:
    """One page per vector in ``papers_dir`` (``hostile-<n>.md``), the vector in every channel; two of every three
    pages are filled (their sections are quoted), the third is pending (its abstract is). Even pages have an arXiv
    ID (``2611.<n>``), the others only their hostile ``url``. Returns the arXiv IDs, for a sync record."""
    ids = []
    for n, vector in enumerate(VECTORS):
        meta = {
            "title": f"Hostile {n} {vector}",
            "authors": [vector, "Ada Lovelace"],
            "labs": [vector],
            "topics": ["reasoning", vector],
            "published": dt.date(2025, 1, 1),
            "added": ADDED,
            "status": "draft",
            "priority": "high",
            "abstract": vector,
            "doi": vector,
            "primary_category": vector,
            "url": URL_VECTORS[n % len(URL_VECTORS)] if n % 2 else vector,
            # the links channel (issue 13): every text of a link, and a hostile address
            "links": [
                {"kind": "blog", "title": vector, "url": URL_VECTORS[(n + 1) % len(URL_VECTORS)] if n % 2 else vector, "author": vector, "where": vector}
            ],
        }
        if n % 2 == 0:
            meta["arxiv"] = f"2611.{n:05d}"
            ids.append(meta["arxiv"])
        sections = None if n % 3 == 2 else {"summary": vector, "key_insights": f"- {vector}\n- second", "why_it_matters": vector}
        (papers_dir / f"hostile-{n}.md").write_text(render_new_page(meta, sections), "utf-8")
    return ids


def sync_record(ids: list[str], date: str = "2026-11-21") -> str:
    return (
        f"date: {date}\nwindow: {{since: 2026-11-14, until: {date}}}\nqueries: []\n"
        f"added: [{', '.join(repr(i) for i in ids)}]\ncounts: {{found: {len(ids)}, added: {len(ids)}, already_present: 0}}\n"
    )


def browser_url(value: str) -> str:
    """A URL attribute as a browser reads it: entities decoded, tabs and line breaks removed, C0 and spaces stripped
    from the ends, lower-cased (for comparing schemes)."""
    return (
        re.sub(r"[\t\n\r]", "", html.unescape(value))
        .strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
        .lower()
    )


def runs_script(url: str) -> bool:
    return bool(SCHEME_PAYLOAD.match(browser_url(url)))
