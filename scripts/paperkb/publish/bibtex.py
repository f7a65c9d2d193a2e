"""BibTeX citations for paper pages: arXiv-style ``@misc`` entries with stable, unique keys.

Keys read like a person would write them: first author's last name + year + first significant title
word (``deepseekai2025deepseekr1``, ``greenblatt2024alignment``). When several papers share a key, the
oldest (by published date, then arXiv ID, then page name) keeps it and the others get ``b``, ``c``, ...
in the same order, so a key never changes when a newer paper joins the knowledge base.

Values are LaTeX-escaped (``& % $ # _ { } ~ ^ \\``); title words with inner capitals (``DeepSeek-R1``,
``LLMs``) are brace-protected against BibTeX's case folding; a one-word author (``DeepSeek-AI``) is
braced so BibTeX reads it as a corporate name, not as a last name.

No value can end its entry or start another (a page is outside text: a pull request can write any of it).
Every value is folded to one line (any Unicode line break or space becomes one space, other control
characters go), so no ``@`` ever starts a line; every brace and backslash of the text is escaped, so the
only braces in an entry are ours and balanced; a key is ASCII letters and digits only; ``url`` is written
only for a URL ``facts.is_web_url`` accepts (else left out) and ``eprint`` only for a valid arXiv ID.

The site publishes ``papers.bib`` (every paper) and ``bib/topics/<id>.bib`` (generator below), and each
paper page shows its entry under "Cite".
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from paperkb.model.arxiv_ids import abs_url
from paperkb.model.facts import arxiv_id_of, authors_of, pages_by_topic, url_of
from paperkb.model.pages import Page, as_date, load_pages
from paperkb.model.paths import ALL_PAPERS_BIB, topic_bib_path
from paperkb.publish.markup import section_heading

_STOPWORDS = frozenset(
    "a an the on of in for to and or with via from at by is are do does can what how why when towards toward".split()
)
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    # BibTeX counts braces even after a backslash: \{ would unbalance the entry, these do not.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_SPECIALS_RE = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")




# -- escaping ---------------------------------------------------------------------------------------------
def one_line(text: object) -> str:
    """``text`` on one line: every run of whitespace (str.split's: Unicode line and paragraph separators, NEL,
    vertical tab and form feed included) one space, every other control character (and lone surrogate) gone."""
    folded = " ".join(str(text).split())
    return _CONTROL.sub("", folded) if _CONTROL.search(folded) else folded


def latex_escape(text: str) -> str:
    """Text with every LaTeX special character escaped, on one line (:func:`one_line`)."""
    return _SPECIALS_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], one_line(text))


def _needs_case_protection(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return any(c.isupper() for c in letters[1:]) or (any(c.isdigit() for c in word) and bool(letters))


def bibtex_title(title: str) -> str:
    """The escaped title with acronyms and CamelCase words in braces: '{DeepSeek-R1}: ... {LLMs}'."""
    words = []
    for word in one_line(title).split(" "):
        escaped = latex_escape(word)
        words.append("{" + escaped + "}" if _needs_case_protection(word) else escaped)
    return " ".join(words)


def bibtex_author(name: str) -> str:
    name = one_line(name)
    if name.casefold().rstrip(".") in ("et al", "others"):
        return "others"
    escaped = latex_escape(name)
    # One word (a team such as DeepSeek-AI), a name containing 'and' or LaTeX specials ('AT&T Labs') is not a
    # person's name: braced, BibTeX takes it whole instead of splitting it into first and last names.
    if " " not in name or re.search(r"\band\b", name, re.IGNORECASE) or _SPECIALS_RE.search(name):
        return "{" + escaped + "}"
    return escaped


def bibtex_authors(authors: Iterable[Any]) -> str:
    return " and ".join(bibtex_author(a) for a in authors if one_line(a))


# -- keys -------------------------------------------------------------------------------------------------
def _ascii_alnum(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _last_name(author: str) -> str:
    author = re.sub(r"\bet al\.?$", "", str(author)).strip()
    if "," in author:  # 'Last, First'
        return author.split(",", 1)[0]
    tokens = author.split()
    while len(tokens) > 1 and tokens[-1].casefold() in _NAME_SUFFIXES:
        tokens.pop()
    return tokens[-1] if tokens else ""


def _first_title_word(title: str) -> str:
    for word in str(title).split():
        cleaned = _ascii_alnum(word)
        if cleaned and cleaned not in _STOPWORDS:
            return cleaned
    return ""


def paper_year(page: Page) -> int | None:
    """The published year, else the year an arXiv ID encodes (2502.14837 -> 2025, cs/9901001 -> 1999)."""
    published = as_date(page.meta.get("published"))
    if published:
        return published.year
    match = re.match(r"^(?:[a-z-]+(?:\.[A-Z]{2})?/)?(\d{2})(?:0[1-9]|1[0-2])", str(page.meta.get("arxiv") or ""))
    if not match:
        return None
    yy = int(match.group(1))
    return 1900 + yy if yy >= 91 else 2000 + yy  # arXiv began in 1991


def base_key(page: Page) -> str:
    authors = authors_of(page)
    author = _ascii_alnum(_last_name(authors[0])) if authors else ""
    year = paper_year(page) or "nd"
    # ASCII letters and digits only, whatever the title or the file name hold: a key cannot end its entry
    return f"{author or 'anon'}{year}{_first_title_word(page.meta.get('title', '')) or _ascii_alnum(page.slug) or 'paper'}"


def _age_order(page: Page) -> tuple:
    published = as_date(page.meta.get("published"))
    return (published.isoformat() if published else "9999", str(page.meta.get("arxiv") or "~"), page.slug)


def _suffixes():
    letter = "b"
    while True:
        yield letter
        # b..z, then ba, bb, ...: never ends, never repeats
        letter = letter[:-1] + chr(ord(letter[-1]) + 1) if letter[-1] != "z" else letter + "a"


def assign_keys(pages: Iterable[Page]) -> dict[str, str]:
    """Page slug -> citation key, unique across the pages given and independent of their order."""
    keys: dict[str, str] = {}
    used: set[str] = set()
    for page in sorted(pages, key=_age_order):
        base = base_key(page)
        candidate = base
        suffixes = _suffixes()
        while candidate in used:
            candidate = base + next(suffixes)
        used.add(candidate)
        keys[page.slug] = candidate
    return keys


# -- entries ----------------------------------------------------------------------------------------------
def entry_fields(page: Page) -> list[tuple[str, str]]:
    """The entry's fields in output order, values already escaped for BibTeX."""
    meta = page.meta
    fields = [("title", bibtex_title(meta.get("title", page.slug)))]
    authors = bibtex_authors(authors_of(page))
    if authors:
        fields.append(("author", authors))
    year = paper_year(page)
    if year:
        fields.append(("year", str(year)))
    arxiv_id = arxiv_id_of(page)  # a valid ID or None (`paperkb check` reports the others)
    url = abs_url(arxiv_id) if arxiv_id else url_of(page)  # one line, no whitespace, http(s) (facts.is_web_url)
    if arxiv_id:
        fields.append(("eprint", arxiv_id))
        fields.append(("archivePrefix", "arXiv"))
        primary = meta.get("primary_category") or (arxiv_id.split("/")[0] if "/" in arxiv_id else None)
        if primary and latex_escape(primary):
            fields.append(("primaryClass", latex_escape(primary)))
    if url:
        fields.append(("url", _escape_url(url)))
    if meta.get("doi") and latex_escape(meta["doi"]):
        fields.append(("doi", latex_escape(meta["doi"])))
    return fields


def _escape_url(url: str) -> str:
    # url fields are read verbatim (biblatex, the url package), so they are not LaTeX-escaped: only what breaks
    # BibTeX's brace matching is percent-encoded. facts.is_web_url has already refused whitespace and controls.
    return "".join({"{": "%7B", "}": "%7D", "\\": "%5C"}.get(c, c) for c in url)


def format_entry(page: Page, key: str) -> str:
    fields = entry_fields(page)
    width = max(len(name) for name, _ in fields)
    lines = [f"@misc{{{key},"]
    lines += [f"  {name.ljust(width)} = {{{value}}}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_bibliography(pages: Iterable[Page], keys: dict[str, str], cache: dict[str, str] | None = None) -> str:
    """Entries of the given pages, sorted by key, separated by blank lines (``cache``: slug -> entry text)."""
    cache = {} if cache is None else cache
    entries = []
    for page in sorted(pages, key=lambda p: keys[p.slug]):
        if page.slug not in cache:
            cache[page.slug] = format_entry(page, keys[page.slug])
        entries.append(cache[page.slug])
    return "\n".join(entries)


# -- site ---------------------------------------------------------------------------------------------------
# Keys depend on every page, but a paper page's footer sees one page: the generator, which runs first in a
# build, remembers the keys per papers folder; outside a build they are computed from the folder once.
_KEYS_BY_FOLDER: dict[str, dict[str, str]] = {}
# (folder, slug) -> (page text, key, entry) as generate() formatted it; reused only for the same text and key
_ENTRIES: dict[tuple[str, str], tuple[str, str, str]] = {}


def _folder(page: Page) -> str:
    return os.path.abspath(page.path.parent)


def keys_for_site(site) -> dict[str, str]:
    """Keys over the whole knowledge base; remembered for the paper pages' "Cite" footers."""
    keys = assign_keys(site.pages)
    for folder in {_folder(page) for page in site.pages}:
        _KEYS_BY_FOLDER[folder] = keys
    return keys


def key_for_page(page: Page) -> str:
    keys = _KEYS_BY_FOLDER.get(_folder(page))
    if keys is None or page.slug not in keys:
        pages, _errors = load_pages(page.path.parent)
        keys = assign_keys([p for p in pages if p.slug != page.slug] + [page])
        _KEYS_BY_FOLDER[_folder(page)] = keys
    return keys[page.slug]




def generate(site) -> dict[str, str]:
    """papers.bib for the whole knowledge base and bib/topics/<id>.bib for each topic."""
    keys = keys_for_site(site)
    entries: dict[str, str] = {}  # each paper's entry, formatted once for papers.bib, its topics and its page
    files = {ALL_PAPERS_BIB: format_bibliography(site.pages, keys, entries)}
    for topic_id, members in pages_by_topic(site.pages, site.vocab.topics).items():
        files[topic_bib_path(topic_id)] = format_bibliography(members, keys, entries)
    _ENTRIES.clear()
    _ENTRIES.update(((_folder(p), p.slug), (p.text, keys[p.slug], entries[p.slug])) for p in site.pages)
    return files


def cite_footer(page: Page) -> str:
    """HTML appended to a paper page: a "Cite" heading and its BibTeX entry in ``<pre><code>`` (Material gives
    it a copy button; no Markdown or highlighting pass over it)."""
    key = key_for_page(page)
    text, cached_key, entry = _ENTRIES.get((_folder(page), page.slug), (None, None, ""))
    if text != page.text or cached_key != key:
        entry = format_entry(page, key)
    code = html.escape(entry.rstrip("\n"), quote=False)
    return section_heading("Cite", "cite", search=False) + f'\n<pre class="bibtex" data-search-exclude><code>{code}</code></pre>'
