"""BibTeX citations for paper pages: arXiv-style ``@misc`` entries with stable, unique keys.

Keys read like a person would write them: first author's last name + year + first significant title
word (``deepseekai2025deepseekr1``, ``greenblatt2024alignment``). When several papers share a key, the
oldest (by published date, then arXiv ID, then page name) keeps it and the others get ``b``, ``c``, ...
in the same order, so a key never changes when a newer paper joins the knowledge base.

Values are LaTeX-escaped (``& % $ # _ { } ~ ^ \\``, en and em dashes as ``--`` and ``---``). Titles: styles
such as plain lower-case every letter BibTeX may fold, so only what must keep its case is braced: acronyms and
words with inner capitals or digits (``{DeepSeek-R1}``, ``{LLMs}``), per part of a hyphenated word
(``Open-Source`` is not braced, ``{AI}-Based`` is; a word that starts with a name is one: ``{DeepSeek-Coder}``),
the proper nouns of :data:`PROPER_NOUNS` and the labs' names and aliases (content/labs.yml). Punctuation stays
outside the braces (``{DeepSeek-R1}:``), so BibTeX still sees the colon and keeps the next word's capital. A
one-word author (``DeepSeek-AI``) is braced so BibTeX reads it as a corporate name, not as a last name;
run-together initials get their space (``Y.K. Li`` -> ``Y. K. Li``: abbrv kept one letter, biblatex counted
"Z.Z. Ren" and "Z. Z. Ren" as two people).

Locators: ``@misc`` has no field the classic styles (plain, unsrt, abbrv, alpha, ieeetr) read for ``eprint`` or
``url``, so every entry also has ``howpublished`` (``arXiv:<id>``, or the URL) and, for an arXiv paper, ``note``
(its abstract URL). Styles that read ``eprint``/``url`` too (natbib's, biblatex) show the locator twice: the
price of one entry that every style prints a locator for.

No value can end its entry or start another (a page is outside text: a pull request can write any of it).
Every value is folded to one line (any Unicode line break or space becomes one space, other control
characters go), so no ``@`` ever starts a line; every brace and backslash of the text is escaped, so the
only braces in an entry are ours and balanced; a key is ASCII letters and digits only; ``url`` is written
only for a URL ``facts.is_web_url`` accepts (else left out) and ``eprint`` only for a valid arXiv ID.

The site publishes ``papers.bib`` (every paper) and ``bib/topics/<id>.bib`` (generator below), and each
paper page shows its entry under "Cite".
"""

from __future__ import annotations

import functools
import html
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from paperkb.model.arxiv_ids import abs_url
from paperkb.model.facts import arxiv_id_of, authors_of, pages_by_topic, url_of
from paperkb.model.pages import Page, PageMemo, as_date, load_pages
from paperkb.model.paths import ALL_PAPERS_BIB, topic_bib_path
from paperkb.model.vocab import Vocabulary, load_vocabulary
from paperkb.publish.markup import section_heading

_STOPWORDS = frozenset("a an the on of in for to and or with via from at by is are do does can what how why when towards toward".split())
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
    # TeX's own spelling of the dashes (model.text turned arXiv's '--' into them for display)
    "\u2013": "--",
    "\u2014": "---",
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


#: Proper nouns that keep their capital in a title although nothing else marks them (no inner capital, no digit):
#: model families, companies, languages and names. Maintained by hand: add a name when a title shows it
#: lower-cased (the labs of content/labs.yml are added from the vocabulary). A hyphenated word's parts are
#: looked up one by one ("Monte-Carlo", "Qwen-based").
PROPER_NOUNS = frozenset(
    """
    Alpaca Baichuan Bard Bing Claude ChatGLM Copilot Falcon Gemini Gemma Grok Haiku Janus Kimi Llama Mistral
    Mixtral Nemotron Olmo Opus Phi Pixtral Qwen Sonnet Vicuna Yi
    Alibaba Amazon Apple Baidu Google Huawei Meta Microsoft Nvidia Tencent Zhipu Moonshot
    Arabic Chinese English European French German Hindi Japanese Korean Russian Spanish
    Bayes Bayesian Bellman Carlo Euclidean Gaussian Hessian Lagrangian Markov Monte Nash Newton Turing Wikipedia
    """.split()
)
_OPENING = "\"'([\u201c\u2018"
_CLOSING = "\"')].,:;!?\u201d\u2019"
_PARTS = re.compile(r"([-/])")


def _needs_case_protection(part: str, proper_nouns: frozenset[str] = PROPER_NOUNS) -> bool:
    """An acronym or a word with an inner capital ('LLMs', 'DeepSeek'), letters with digits ('R1', 'o3'), or a
    proper noun (possessive 's allowed)."""
    letters = [c for c in part if c.isalpha()]
    if not letters:
        return False
    if any(c.isupper() for c in letters[1:]) or any(c.isdigit() for c in part):
        return True
    return part in proper_nouns or re.sub(r"['\u2019]s$", "", part) in proper_nouns


def _is_name(part: str, proper_nouns: frozenset[str]) -> bool:
    """A name rather than an acronym: lower-case letters with an inner capital or a digit ('DeepSeek', 'Qwen2.5',
    'o3'), or a proper noun. 'AI-Based' is an acronym and a word; 'DeepSeek-Coder' one name."""
    letters = [c for c in part if c.isalpha()]
    has_lower = any(c.islower() for c in letters)
    inner = any(c.isupper() for c in letters[1:]) or any(c.isdigit() for c in part)
    return bool(letters) and ((has_lower and inner) or part in proper_nouns)


@functools.lru_cache(maxsize=1 << 16)  # titles share most words: 10,000 titles took 2.3 s word by word, 0.4 s so
def _protect(core: str, proper_nouns: frozenset[str]) -> str:
    """``core`` escaped, its parts that must keep their case in braces (neighbouring ones in one pair)."""
    parts = _PARTS.split(core)  # words at even indexes, '-' and '/' between them
    if len(parts) > 1 and _is_name(parts[0], proper_nouns):  # a product name: DeepSeek-Coder, Qwen2.5-VL-Instruct
        return _braced(core)
    keep = [i % 2 == 0 and _needs_case_protection(p, proper_nouns) for i, p in enumerate(parts)]
    for i in range(1, len(parts) - 1, 2):  # a hyphen between two kept parts stays inside their braces
        keep[i] = keep[i - 1] and keep[i + 1]
    out, run = [], []
    for part, kept in zip(parts, keep, strict=True):
        if kept:
            run.append(part)
            continue
        if run:
            out.append(_braced("".join(run)))
            run = []
        out.append(latex_escape(part))
    if run:
        out.append(_braced("".join(run)))
    return "".join(out)


def _braced(text: str) -> str:
    escaped = latex_escape(text)
    # BibTeX takes a brace group that starts with a backslash for one accented letter and folds its case: a
    # second pair keeps it whole
    return "{{" + escaped + "}}" if escaped.startswith("\\") else "{" + escaped + "}"


@functools.lru_cache(maxsize=8)  # one vocabulary per build: indexed once, not once per title
def _lab_phrases(lab_names: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """Each name as its casefolded words, by first word, longest first (a title is matched in any case: 'Deepseek'
    is DeepSeek)."""
    phrases = sorted({tuple(one_line(name).casefold().split()) for name in lab_names if one_line(name)}, key=len, reverse=True)
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return index


def bibtex_title(title: str, lab_names: Iterable[str] = ()) -> str:
    """The escaped title, braces around what must keep its case ('{DeepSeek-R1}: Incentivizing … in {LLMs}')
    and nothing else, punctuation outside them; ``lab_names``: the labs' names and aliases, kept as written
    (in any case) where a title holds one whole."""
    words = one_line(title).split(" ")
    cores: list[tuple[str, str, str]] = []
    for word in words:
        start, end = 0, len(word)
        while start < end and word[start] in _OPENING:
            start += 1
        while end > start and word[end - 1] in _CLOSING:
            end -= 1
        cores.append((word[:start], word[start:end], word[end:]))
    labs = [False] * len(cores)
    phrases = _lab_phrases(tuple(lab_names))
    folded = [core.casefold() for _lead, core, _trail in cores]
    for i, first in enumerate(folded):
        for phrase in phrases.get(first, ()):
            end = i + len(phrase)
            # the words in a row, no punctuation between them ('Google, DeepMind' is two names)
            if tuple(folded[i:end]) == phrase and not any(cores[j][2] for j in range(i, end - 1)):
                labs[i:end] = [True] * len(phrase)
                break
    out = []
    for (lead, core, trail), lab in zip(cores, labs, strict=True):
        body = _braced(core) if lab and core else _protect(core, PROPER_NOUNS)
        out.append(latex_escape(lead) + body + latex_escape(trail))
    return " ".join(out)


_RUN_TOGETHER_INITIAL = re.compile(r"(?<![^\W\d_])([^\W\d_]\.)(?=[^\W\d_]\.|[^\W\d_]\b)")


def normalise_initials(name: str) -> str:
    """'Y.K. Li' -> 'Y. K. Li' (and 'Z.Z. Ren' the same person as 'Z. Z. Ren'); 'Y.-K. Li' stays."""
    return _RUN_TOGETHER_INITIAL.sub(r"\1 ", name)


@functools.lru_cache(maxsize=1 << 16)  # the same people write many papers
def bibtex_author(name: str) -> str:
    name = normalise_initials(one_line(name))
    if name.casefold().rstrip(".") in ("et al", "others"):
        return "others"
    escaped = latex_escape(name)
    # One word (a team such as DeepSeek-AI), a name containing 'and' or LaTeX specials ('AT&T Labs') is not a
    # person's name: braced, BibTeX takes it whole instead of splitting it into first and last names.
    if " " not in name or re.search(r"\band\b", name, re.IGNORECASE) or _SPECIALS_RE.search(name):
        return "{" + escaped + "}"
    return escaped


def bibtex_authors(authors: Iterable[Any]) -> str:
    names = [one_line(author) for author in authors]  # strings (hashable for the cache) whatever YAML held
    return " and ".join(bibtex_author(name) for name in names if name)


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


def _key_parts(page: Page) -> tuple[tuple, str]:
    """What a page's key is made from: its age order and its base key (from its file name and text only)."""
    return _age_order(page), base_key(page)


def assign_keys(pages: Iterable[Page], kept: PageMemo[tuple[tuple, str]] | None = None) -> dict[str, str]:
    """Page slug -> citation key, unique across the pages given and independent of their order. ``kept``: the key
    parts of the last call (``generate`` keeps them for the next build in the process), updated in place."""
    kept = PageMemo() if kept is None else kept
    ordered = [(*kept.get(page, _key_parts), page) for page in pages]
    ordered.sort(key=lambda item: item[0])
    keys: dict[str, str] = {}
    used: set[str] = set()
    suffixes_of: dict[str, Iterator[str]] = {}  # each base's suffixes go on from the last one it took: with many
    # papers of one author and year (and first title word) a search from 'b' each time took quadratic time
    for _age, base, page in ordered:
        candidate = base
        suffixes = suffixes_of.setdefault(base, _suffixes())
        while candidate in used:
            candidate = base + next(suffixes)
        used.add(candidate)
        keys[page.slug] = candidate
    return keys


# -- entries ----------------------------------------------------------------------------------------------
def entry_fields(page: Page, lab_names: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """The entry's fields in output order, values already escaped for BibTeX (``lab_names``: every lab name and
    alias of the vocabulary; by default those of the labs.yml beside the page's folder)."""
    meta = page.meta
    names = lab_names_for(page) if lab_names is None else lab_names
    fields = [("title", bibtex_title(meta.get("title", page.slug), names))]
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
    # What the classic styles print for @misc: the arXiv ID (or the URL) and, for arXiv, the abstract's URL as text
    if arxiv_id:
        fields.append(("howpublished", f"arXiv:{latex_escape(arxiv_id)}"))
        fields.append(("note", latex_escape(abs_url(arxiv_id))))
    elif url:
        fields.append(("howpublished", latex_escape(url)))
    if url:
        fields.append(("url", _escape_url(url)))
    if meta.get("doi") and latex_escape(meta["doi"]):
        fields.append(("doi", latex_escape(meta["doi"])))
    return fields


def _escape_url(url: str) -> str:
    # url fields are read verbatim (biblatex, the url package), so they are not LaTeX-escaped: only what breaks
    # BibTeX's brace matching is percent-encoded. facts.is_web_url has already refused whitespace and controls.
    return "".join({"{": "%7B", "}": "%7D", "\\": "%5C"}.get(c, c) for c in url)


def format_entry(page: Page, key: str, lab_names: Iterable[str] | None = None) -> str:
    fields = entry_fields(page, lab_names)
    width = max(len(name) for name, _ in fields)
    lines = [f"@misc{{{key},"]
    lines += [f"  {name.ljust(width)} = {{{value}}}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_bibliography(pages: Iterable[Page], keys: dict[str, str], cache: dict[str, str] | None = None, lab_names: Iterable[str] | None = None) -> str:
    """Entries of the given pages, sorted by key, separated by blank lines (``cache``: slug -> entry text)."""
    cache = {} if cache is None else cache
    entries = []
    for page in sorted(pages, key=lambda p: keys[p.slug]):
        if page.slug not in cache:
            cache[page.slug] = format_entry(page, keys[page.slug], lab_names)
        entries.append(cache[page.slug])
    return "\n".join(entries)


# -- site ---------------------------------------------------------------------------------------------------
# Keys depend on every page, but a paper page's footer sees one page: the generator, which runs first in a
# build, remembers the keys per papers folder; outside a build they are computed from the folder once.
_KEYS_BY_FOLDER: dict[str, dict[str, str]] = {}
_LAB_NAMES_BY_FOLDER: dict[str, tuple[str, ...]] = {}
# (folder, slug) -> (page text, key, entry) as generate() formatted it; reused only for the same text and key, by
# the page's Cite footer and by the next build in this process (a rebuild under `make serve`) with the same labs
_ENTRIES: dict[tuple[str, str], tuple[str, str, str]] = {}
_ENTRIES_LAB_NAMES: list[tuple[str, ...]] = []
_KEY_PARTS: PageMemo[tuple[tuple, str]] = PageMemo()  # what generate() made the keys from, for the next build in this process


def _folder(page: Page) -> str:
    return os.path.abspath(page.path.parent)


def keys_for_site(site) -> dict[str, str]:
    """Keys over the whole knowledge base; remembered for the paper pages' "Cite" footers (with the lab names)."""
    keys = assign_keys(site.pages, _KEY_PARTS)
    _KEY_PARTS.keep_only(site.pages)  # pages deleted or renamed since the last build
    names = vocabulary_lab_names(site.vocab)
    for folder in {os.path.abspath(parent) for parent in {page.path.parent for page in site.pages}}:
        _KEYS_BY_FOLDER[folder] = keys
        _LAB_NAMES_BY_FOLDER[folder] = names
    return keys


def vocabulary_lab_names(vocab: Vocabulary) -> tuple[str, ...]:
    return tuple(name for lab in vocab.labs.values() for name in (lab.name, *lab.aliases))


def lab_names_for(page: Page) -> tuple[str, ...]:
    """The lab names and aliases a page's entry keeps as written: the build's vocabulary, else (outside a build)
    the labs.yml of the content folder the page's papers folder is in (model.config's layout), read once."""
    folder = _folder(page)
    names = _LAB_NAMES_BY_FOLDER.get(folder)
    if names is None:
        labs_file = page.path.parent.parent / "labs.yml"
        names = vocabulary_lab_names(load_vocabulary(labs_file.with_name("topics.yml"), labs_file)) if labs_file.is_file() else ()
        _LAB_NAMES_BY_FOLDER[folder] = names
    return names


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
    names = vocabulary_lab_names(site.vocab)
    entries: dict[str, str] = {}  # each paper's entry, formatted once for papers.bib, its topics and its page
    folders = {parent: os.path.abspath(parent) for parent in {page.path.parent for page in site.pages}}  # _folder's, once each
    if [names] == _ENTRIES_LAB_NAMES:  # the last build's entries of the pages that did not change (make serve)
        for page in site.pages:
            text, key, entry = _ENTRIES.get((folders[page.path.parent], page.slug), (None, None, ""))
            if text == page.text and key == keys[page.slug]:
                entries[page.slug] = entry
    ordered = sorted(site.pages, key=lambda page: keys[page.slug])  # once: each topic's pages are taken from it in order
    files = {ALL_PAPERS_BIB: format_bibliography(ordered, keys, entries, names)}
    for topic_id, members in pages_by_topic(ordered, site.vocab.topics).items():
        files[topic_bib_path(topic_id)] = format_bibliography(members, keys, entries, names)
    _ENTRIES.clear()
    _ENTRIES.update(((folders[p.path.parent], p.slug), (p.text, keys[p.slug], entries[p.slug])) for p in site.pages)
    _ENTRIES_LAB_NAMES[:] = [names]
    return files


def cite_footer(page: Page) -> str:
    """HTML appended to a paper page: a "Cite" heading and its BibTeX entry in ``<pre><code>`` (Material gives
    it a copy button; no Markdown or highlighting pass over it)."""
    key = key_for_page(page)
    text, cached_key, entry = _ENTRIES.get((_folder(page), page.slug), (None, None, ""))
    if text != page.text or cached_key != key:
        entry = format_entry(page, key)
    code = html.escape(entry.rstrip("\n"), quote=False)
    return section_heading("Cite", "cite") + f'\n<pre class="bibtex"><code>{code}</code></pre>'
