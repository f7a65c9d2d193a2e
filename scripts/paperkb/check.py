"""``paperkb check``: validate every page and both vocabularies, report every problem with its line.

Each rule is a small function of one page (and the vocabularies); ``check_pages`` runs them all and the
cross-page rules (the same arXiv ID twice). Nothing here raises on bad content.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import importlib.util
import multiprocessing
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown

from paperkb.model import config, paths
from paperkb.model.articles import SOURCED_SECTIONS, PaperLookup, covered_papers, item_problem, missing_paper_sections, quote_problems, timeline_problems
from paperkb.model.arxiv_ids import digits_fit_year, parse_arxiv_id
from paperkb.model.content import content_problems
from paperkb.model.facts import is_web_url, title_of
from paperkb.model.links import link_problems
from paperkb.model.markdown_text import fenced_spans
from paperkb.model.pages import (
    GENERATED_FIELDS,
    PRIORITIES,
    REQUIRED_SECTIONS,
    SECTION_TITLES,
    STATUSES,
    InvalidDate,
    Page,
    PageError,
    item_lines,
    load_page,
    load_pages,
    real_path,
    scan_papers_dir,
)
from paperkb.model.syncs import load_sync_records
from paperkb.model.text import stray_dollars
from paperkb.model.vocab import Problem, Vocabulary, load_vocabulary
from paperkb.publish import in_articles
from paperkb.publish.articles import articles_by_paper
from paperkb.publish.bibtex import cite_footer
from paperkb.publish.discussion import links_footer
from paperkb.publish.markup import element_ids, unique_ids
from paperkb.publish.related import RelatedPapers, linked_from, similar_papers
from paperkb.publish.sanitize import sanitize_html


@dataclass(frozen=True)
class Key:
    kind: str  # str | list | date | int | map | url | enum | links
    required: bool = False
    choices: tuple[str, ...] = ()


#: The page schema. Keys of Material's own (template, hide, search, description) are allowed as well.
SCHEMA: dict[str, Key] = {
    "title": Key("str", required=True),
    "arxiv": Key("str"),
    "url": Key("url"),
    "version": Key("int"),
    "authors": Key("list"),
    "labs": Key("list"),
    "topics": Key("list"),
    "published": Key("date"),
    "updated": Key("date"),
    "added": Key("date"),  # when the page entered the knowledge base (feeds, "latest additions")
    "categories": Key("list"),
    "primary_category": Key("str"),
    "priority": Key("enum", choices=PRIORITIES),
    "status": Key("enum", required=True, choices=STATUSES),
    "abstract": Key("str"),
    "generated": Key("map"),
    "doi": Key("str"),
    "comment": Key("str"),
    "journal_ref": Key("str"),
    "links": Key("links"),  # code and discussion: paperkb.model.links, checked by rule_link_list
    "template": Key("str"),
    "hide": Key("list"),
    "search": Key("map"),
    "description": Key("str"),
}
#: An article's keys (paperkb.model.articles).
ARTICLE_SCHEMA: dict[str, Key] = {
    "title": Key("str", required=True),
    "byline": Key("str"),
    "papers": Key("papers", required=True),  # checked by rule_article_papers
    "topics": Key("list"),
    "status": Key("enum", required=True, choices=STATUSES),
    "updated": Key("date"),
    "generated": Key("map"),
    "description": Key("str"),
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# An inline link '[text](target "title")' or a link definition '[label]: target' on a line of its own. Linear
# time: the text holds no '[' (of '[[[…](x)' the last '[' starts the link), the target no '](' (where the next
# link starts) and is possessive, and a definition's indentation stays on its line; each was quadratic on 1 MB.
_LINK = re.compile(
    r"\[[^\[\]\n]*\]\(\s*<?((?:[^)\s>\]]|\](?!\())++)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)"
    r"|^[^\S\n]*\[[^\]\n]+\]:\s*<?(\S+?)>?\s*$",
    re.M,
)
#: At most this many link problems are reported for one page (then one line counts the rest): each costs a
#: filesystem look-up and a 'did you mean' search, and a page of 100,000 broken links must not stall check.
MAX_LINK_PROBLEMS = 50
_TYPE_NAMES = {"str": "text", "list": "a list", "date": "a date (YYYY-MM-DD)", "int": "a whole number", "map": "a mapping", "url": "an http(s) URL"}


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    folded = {c.casefold(): c for c in choices}
    if str(value).casefold() in folded:
        return f"; did you mean '{folded[str(value).casefold()]}'?"
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class PageChecker:
    """Runs the per-page rules; ``problems`` collects what they find."""

    schema = SCHEMA

    def __init__(self, page: Page, vocab: Vocabulary, content_dir: Path, site_paths: set[str], today: dt.date):
        self.page = page
        self.vocab = vocab
        self.content_dir = content_dir
        self.site_paths = site_paths
        self.today = today
        self.problems: list[Problem] = []
        self._neighbours: list[str] | None = None

    def report(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.page.path, line, message, severity))

    def at(self, key: str) -> int:
        return self.page.line_of(key)

    def neighbours(self) -> list[str]:
        """Link targets near the page, for 'did you mean' (listed once per page, not once per broken link)."""
        if self._neighbours is None:
            self._neighbours = _neighbours(self.page.path.parent, self.site_paths, self.content_dir)
        return self._neighbours

    def run(self) -> list[Problem]:
        for rule in RULES:
            rule(self)
        return self.problems


class ArticleChecker(PageChecker):
    """The rules for an article (paperkb.model.articles): its own keys, the papers it covers, sourced quotes, dated
    timeline entries, and the rules it shares with paper pages (slug, vocabulary, links, fences, math)."""

    schema = ARTICLE_SCHEMA

    def __init__(self, page: Page, vocab: Vocabulary, content_dir: Path, site_paths: set[str], today: dt.date, papers: PaperLookup):
        super().__init__(page, vocab, content_dir, site_paths, today)
        self.papers = papers

    def run(self) -> list[Problem]:
        for rule in ARTICLE_RULES:
            rule(self)
        return self.problems


# -- rules --------------------------------------------------------------------------------------------------
def rule_slug(c: PageChecker) -> None:
    if not SLUG.match(c.page.slug):
        c.report(1, f"file name '{c.page.path.name}' is not a slug; rename it to '{paths.slugify(c.page.slug) or 'paper'}.md'")


def rule_keys(c: PageChecker) -> None:
    meta = c.page.meta
    for key, line in c.page.duplicate_keys:
        c.report(line, f"key '{key}' appears twice (first on line {c.at(key)}); YAML keeps only the last, so remove one")
    for key, spec in c.schema.items():
        if spec.required and (key not in meta or meta[key] in (None, "")):
            c.report(c.at(key), f"missing required key '{key}'; add '{key}: ...' to the front matter")
    for key, value in meta.items():
        known = c.schema.get(key)
        if known is None:
            c.report(c.at(key), f"unknown key '{key}'{_did_you_mean(key, c.schema)}")
        elif value is not None and known.kind not in ("links", "papers") and key != "arxiv":
            _check_type(c, key, known, value)
    if c.schema is SCHEMA and "arxiv" not in meta and "url" not in meta:
        c.report(c.at("title"), "a paper needs 'arxiv' (its arXiv ID) or, if it is not on arXiv, 'url'")


def _check_type(c: PageChecker, key: str, spec: Key, value: Any) -> None:
    line = c.at(key)
    if spec.kind == "enum":
        if not isinstance(value, str) or value not in spec.choices:
            shown = "yes/no/on/off read as true/false by YAML" if isinstance(value, bool) else repr(value)
            c.report(line, f"'{key}' is {shown}; use one of {', '.join(spec.choices)}{_did_you_mean(str(value), spec.choices)}")
    elif spec.kind == "list":
        names = _mapping_keys(value)
        if names:  # 'topics:' followed by indented 'reasoning:' lines, or '[{reasoning: 1}]'
            c.report(line, f"'{key}' must be a list of names, not key: value pairs; write '{key}: [{', '.join(names)}]'")
        elif not isinstance(value, list):
            c.report(line, f"'{key}' must be a list, e.g. '{key}: [{value}]' or one '- item' per line")
        elif not all(isinstance(item, str) and item.strip() for item in value):
            c.report(line, f"every item of '{key}' must be non-empty text (quote numbers and yes/no)")
    elif spec.kind == "date":
        if isinstance(value, InvalidDate):
            c.report(line, f"'{key}' {value} is not a real date; use YYYY-MM-DD with a valid month and day")
        elif isinstance(value, str) and _is_iso_date(value):
            c.report(line, f"'{key}' is the text {value!r}, not a date; remove the quotes: '{key}: {value.strip()}'")
        elif not isinstance(value, dt.date):
            c.report(line, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
        elif (value.date() if isinstance(value, dt.datetime) else value) > c.today:
            c.report(line, f"'{key}' {value} is in the future; use the date of arXiv's first version")
        elif value.year < 1991:
            c.report(line, f"'{key}' {value} is before arXiv existed (1991); check the year")
    elif spec.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            c.report(line, f"'{key}' must be a whole number ≥ 1, e.g. '{key}: 2'")
    elif spec.kind == "map":
        if not isinstance(value, dict):
            c.report(line, f"'{key}' must be a mapping of keys")
    elif spec.kind == "url":
        if not is_web_url(value):
            c.report(line, f"'{key}' must be one http(s) URL on one line, with no space, line break or control character; percent-encode a space as %20")
    elif not isinstance(value, str) or not value.strip():
        hint = " (YAML read yes/no/on/off as true/false: quote it)" if isinstance(value, bool) else " (quote it)"
        c.report(line, f"'{key}' must be {_TYPE_NAMES[spec.kind]}{hint if not isinstance(value, (dict, list)) else ''}")


def _mapping_keys(value: Any) -> list[str]:
    """The names a person meant when writing a list as a mapping (or as a list of mappings)."""
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return [str(k) for item in value for k in (item if isinstance(item, dict) else [item])]
    return []


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def rule_link_list(c: PageChecker) -> None:
    """``links:`` items (paperkb.model.links): kinds, http(s) URLs, no link twice; each reported on its own line."""
    problems = link_problems(c.page.meta.get("links"))
    if not problems:
        return
    lines = item_lines(c.page, "links")
    for index, message in problems:
        if index is None:
            c.report(c.at("links"), message)
        else:
            line = lines[index] if index < len(lines) else c.at("links")
            c.report(line, f"link {index + 1}: {message}")


def rule_arxiv(c: PageChecker) -> None:
    value = c.page.meta.get("arxiv")
    if value is None and "arxiv" not in c.page.meta:
        return
    line = c.at("arxiv")
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        c.report(line, f"'arxiv' was read as the number {value!r}, not an ID; quote it: arxiv: \"{value}\" (and check trailing zeros)")
        return
    if not isinstance(value, str):
        c.report(line, f"'arxiv' must be a quoted ID such as \"2501.12948\", not {value!r}")
        return
    parsed = parse_arxiv_id(value)
    if parsed is None:
        c.report(line, f'\'{value}\' is not an arXiv ID; use new style YYMM.NNNNN ("2501.12948") or old style archive/YYMMNNN ("cs/9901001")')
    elif not digits_fit_year(parsed.id):
        c.report(line, f"'{value}' is not an arXiv ID: new-style IDs have 4 digits after the dot from 0704 to 1412 and 5 from 1501 on")
    elif parsed.id != value:
        if parsed.version is not None:
            c.report(line, f"'arxiv' must not carry a version; use \"{parsed.id}\" (put the version in 'version: {parsed.version}')")
        else:
            c.report(line, f"'arxiv' must be the bare ID; use \"{parsed.id}\"")


def _names_from(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def rule_vocabulary(c: PageChecker) -> None:
    for topic in _names_from(c.page.meta.get("topics")):
        if topic not in c.vocab.topics:
            c.report(c.at("topics"), f"unknown topic '{topic}'{_did_you_mean(topic, c.vocab.topics)} (topics are the ids in content/topics.yml)")
    for name in _names_from(c.page.meta.get("labs")):
        if name in c.vocab.labs:
            continue
        lab = c.vocab.lab_for(name)
        if lab is not None:
            c.report(c.at("labs"), f"lab '{name}' is an alias; use the canonical name '{lab.name}'")
        else:
            c.report(c.at("labs"), f"unknown lab '{name}'{_did_you_mean(name, c.vocab.labs)} (add it to content/labs.yml or fix the name)")


def rule_sections(c: PageChecker) -> None:
    page = c.page
    status = page.meta.get("status")
    missing = page.missing_sections()
    if status in ("draft", "reviewed") and missing:
        one = len(missing) == 1
        c.report(
            c.at("status"),
            f"status is '{status}' but {', '.join(missing)} {'is' if one else 'are'} missing; write {'it' if one else 'them'} or set status: todo",
        )
    elif status == "todo" and not missing:
        c.report(c.at("status"), "all required sections are written; set status: draft (or reviewed once a person checked it)", "warning")
    titles = [s.title for s in page.sections]
    order = [t for _, t in REQUIRED_SECTIONS if t in titles]
    if order != [t for t in titles if t in order]:
        section = page.section(order[0]) if order else None
        c.report(section.line if section else page.body_first_line, "required sections are out of order; use Summary, Key Insights, Why It Matters", "warning")
    first_seen: set[str] = set()
    reported: set[str] = set()
    for section in page.sections:  # one pass: counting each title again was quadratic on 100,000 sections
        if section.title not in first_seen:
            first_seen.add(section.title)
        elif section.title not in reported:
            reported.add(section.title)
            c.report(section.line, f"section '## {section.title}' appears twice; merge them")
    for line in page.title_heading_lines:
        c.report(
            line,
            "a '# ' heading in the body: the title (from the front matter) is the page's only h1, so the site shows this one as a section ('## ')",
            "warning",
        )
    insights = page.section_text("Key Insights")
    section = page.section("Key Insights")
    if section and insights and "Key Insights" not in missing and not _BULLET.search(insights):
        c.report(section.line, "Key Insights must be a bullet list ('- ...' per insight)")


# A bullet at the start of any line ('[^\S\n]*', not '\s*': from each of 100,000 blank lines '\s*' ran to the end).
_BULLET = re.compile(r"^[^\S\n]*[-*+] \S", re.M)


def rule_generated(c: PageChecker) -> None:
    generated = c.page.meta.get("generated")
    if not isinstance(generated, dict):
        return
    line = c.at("generated")
    for key, record in generated.items():
        title = SECTION_TITLES.get(str(key))
        if title is None:
            c.report(line, f"generated record '{key}' names no section{_did_you_mean(str(key), SECTION_TITLES)} (use summary, key_insights, why_it_matters)")
            continue
        if c.page.section(title) is None:
            c.report(line, f"generated record '{key}' but the page has no '## {title}' section; remove the record or restore the section")
        if not isinstance(record, dict):
            c.report(line, f"generated record '{key}' must be a mapping with model, date and sha256")
            continue
        absent = {"model", "date", "sha256"} - set(record)
        if absent:
            c.report(line, f"generated record '{key}' lacks {', '.join(sorted(absent))}")
        unknown = set(record) - GENERATED_FIELDS
        if unknown:
            c.report(line, f"generated record '{key}' has unknown field(s) {', '.join(sorted(unknown))}")


# Where a block ends, for code spans: a newline before a blank line, a heading, a list item or a quote.
_BLOCK_BREAK = re.compile(r"\n(?=[ \t]*(?:\n|#|[-*+][ \t]|\d+[.)][ \t]|>))")
_BACKTICKS = re.compile(r"`+")


def block_code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each code span: a run of backticks not preceded by a backslash, up to the next run of the
    same length in the same block (not across a blank line, a heading, a list item or a quote).

    What ``re.finditer`` gave for ``(?<![\\\\`])(`+)(?!`)(?:(?!BREAK).)*?(?<!`)\\1(?!`)``, in linear time: that
    pattern searched the rest of the block again for every unmatched run (720 KB of runs: 46 s). Hand-written
    because Python-Markdown's own finder is a method of its inline processor, not a function to call.
    """
    breaks = [match.start() for match in _BLOCK_BREAK.finditer(text)]
    runs = [(match.start(), match.end(), bisect.bisect_left(breaks, match.start())) for match in _BACKTICKS.finditer(text)]
    partner: list[int | None] = [None] * len(runs)
    later: dict[tuple[int, int], int] = {}  # (block, length) -> the nearest run after the current one
    for index in range(len(runs) - 1, -1, -1):
        start, end, block = runs[index]
        partner[index] = later.get((block, end - start))
        later[(block, end - start)] = index
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        start = runs[index][0]
        closing = partner[index]
        if closing is not None and (start == 0 or text[start - 1] != "\\"):
            spans.append((start, runs[closing][1]))
            index = closing + 1
        else:
            index += 1
    return spans


def blank_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span's characters as spaces, newlines kept (so offsets still give the right line)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], re.sub(r"[^\n]", " ", text[start:end])]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def rule_links(c: PageChecker) -> None:
    if "](" not in c.page.body and "]:" not in c.page.body:
        return  # no inline link or link definition: nothing for the patterns below to find
    body = blank_spans(c.page.body, fenced_spans(c.page.body))
    body = blank_spans(body, block_code_spans(body))  # links in code are text
    page_dir = c.page.path.parent
    line, counted = c.page.body_first_line, 0
    reported = len(c.problems)
    for match in _LINK.finditer(body):
        line += body.count("\n", counted, match.start())  # counted from the last link: linear in the page
        counted = match.start()
        if len(c.problems) - reported >= MAX_LINK_PROBLEMS:
            rest = sum(1 for _ in _LINK.finditer(body, match.start()))
            c.report(line, f"{rest} more link(s) from here on not checked after {MAX_LINK_PROBLEMS} link problems; fix those first")
            return
        target = match.group(1) or match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or re.match(r"//[^/]", target):
            continue  # another site (scheme, or protocol-relative '//host/…')
        if target.startswith("/"):
            c.report(
                line,
                f"absolute link '{target}': MkDocs leaves it as is and it breaks when the site is not at the root of its domain; "
                f"link relative to this page{_relative_hint(c, target)}",
            )
            continue
        address, _, anchor = target.partition("#")
        path = address.split("?", 1)[0]
        if not path:
            _check_anchor(c, line, target, c.page.path, anchor)
            continue
        resolved = real_path(page_dir / path)
        try:
            relative = resolved.relative_to(real_path(c.content_dir)).as_posix()
        except ValueError:
            c.report(line, f"link '{target}' points outside the site")
            continue
        if resolved.is_file():
            _check_anchor(c, line, target, resolved, anchor)
            continue
        if resolved.exists() or relative in c.site_paths or (relative.endswith("/") and relative + "index.md" in c.site_paths):
            continue
        c.report(line, f"link to '{target}', which does not exist{_did_you_mean(path, c.neighbours())}")


_INDENTED_FENCE = re.compile(r"^[ \t]+(?:```|~~~)", re.M)


def rule_indented_fences(c: PageChecker) -> None:
    """Python-Markdown reads a code fence only at the start of a line: one in a list item or an admonition
    shows as text, not code (the site has no superfences: it cost every page of the build)."""
    body = c.page.body
    if "```" not in body and "~~~" not in body:
        return
    match = _INDENTED_FENCE.search(blank_spans(body, fenced_spans(body)))
    if match:
        c.report(
            c.page.body_first_line + body.count("\n", 0, match.start()),
            "an indented code fence (in a list item or admonition) shows as plain text on this site; "
            "put the code block at the start of a line, outside the list",
            "warning",
        )


_DOLLAR_FIX = "close the math with a matching '$' (no space just inside it) or write '\\$' for a dollar sign"


def rule_math_dollars(c: PageChecker) -> None:
    """A '$' that opens or closes no math (model.text reads math as arithmatex does on the site): the site shows it
    as a dollar today, but a second one later in the paragraph would turn the text between them into math."""
    abstract = c.page.meta.get("abstract")
    if isinstance(abstract, str) and "$" in abstract and stray_dollars(abstract):
        c.report(c.at("abstract"), f"unbalanced '$' in the abstract: {_DOLLAR_FIX}")
    if "$" not in c.page.body:
        return
    body = blank_spans(c.page.body, fenced_spans(c.page.body))
    body = blank_spans(body, block_code_spans(body))  # a '$' in code is code
    for line in sorted({c.page.body_first_line + body.count("\n", 0, offset) for offset in stray_dollars(body)}):
        c.report(line, f"unbalanced '$': {_DOLLAR_FIX}")


def _relative_hint(c: PageChecker, target: str) -> str:
    try:
        here = real_path(c.page.path).parent.relative_to(real_path(c.content_dir)).as_posix()
    except ValueError:
        return ""
    return f", e.g. '{posixpath.relpath(target.lstrip('/') or '.', here)}'"


def _check_anchor(c: PageChecker, line: int, target: str, path: Path, anchor: str) -> None:
    """An anchor into a paper page must be an id on that page (MkDocs' strict build checks them)."""
    if not anchor or path.suffix != ".md" or real_path(path).parent != real_path(c.content_dir / "papers"):
        return  # generated pages' anchors are checked by the build
    try:
        target_page = c.page if real_path(path) == real_path(c.page.path) else load_page(path)
    except PageError:
        return  # reported on that page
    ids = anchor_ids(target_page)
    if anchor not in ids and anchor in WHOLE_SITE_FOOTERS:  # rare, and costly: the whole knowledge base says
        ids = anchor_ids(target_page, c.content_dir, similar=anchor == "related-papers")
        if anchor not in ids:
            c.report(line, f"link '{target}': the page has no '#{anchor}' section: the site shows one only when {WHOLE_SITE_FOOTERS[anchor]}")
        return
    if anchor not in ids:
        near = _did_you_mean(anchor, ids)
        c.report(line, f"link '{target}': the page has no heading with the id '{anchor}'{near or ' (ids: ' + ', '.join(ids) + ')'}")


#: The site's Markdown extensions (mkdocs.yml's markdown_extensions, plus fenced_code, which MkDocs always
#: adds); tests/test_check.py keeps the two lists equal.
SITE_MARKDOWN_EXTENSIONS = ["admonition", "attr_list", "tables", "toc", "pymdownx.arithmatex", "fenced_code"]
SITE_EXTENSION_CONFIGS = {"pymdownx.arithmatex": {"generic": True}}
_anchor_cache: dict[tuple[str, str, str, bool], list[str]] = {}  # a page linked to many times renders once

#: The footers of a paper page that the rest of the knowledge base fills (``publish.paper.paper_footers``), by their
#: anchor: when the site shows each.
WHOLE_SITE_FOOTERS = {
    in_articles.ANCHOR: "an article covers the paper",
    "related-papers": "another paper shares words with it",
    "linked-from": "another paper page links to it",
}
_whole_site_cache: dict[tuple[str, bool], tuple[RelatedPapers, dict[str, list[tuple[str, str]]]]] = {}


def _whole_site_facts(content_dir: Path, similar: bool) -> tuple[RelatedPapers, dict[str, list[tuple[str, str]]]]:
    """The related papers (the similar ones only when ``similar``) and the articles covering each paper, as a build
    computes them from ``content_dir``."""
    key = (str(real_path(content_dir)), similar)
    if key not in _whole_site_cache:
        papers = load_pages(content_dir / "papers")[0]
        articles = load_pages(content_dir / "articles")[0]
        similar_to = similar_papers(papers) if similar else {}
        related = RelatedPapers(similar_to, linked_from(papers), {page.slug: title_of(page) for page in papers})
        _whole_site_cache[key] = (related, articles_by_paper(articles, PaperLookup(papers)))
    return _whole_site_cache[key]


def anchor_ids(page: Page, content_dir: Path | None = None, similar: bool = False) -> list[str]:
    """The ids a paper page has on the site: those of the elements Markdown (with the site's extensions)
    makes of its body and the sanitizer keeps, as the MkDocs hook sees them, then the footers' (the Cite
    block's 'cite', made unique the same way). Rendered, not guessed: the toc extension's slugs drop some
    characters and keep others. With ``content_dir``, also the footers the rest of that knowledge base fills
    (``WHOLE_SITE_FOOTERS``): that reads every page, as a build does. The similar papers' section only with
    ``similar``: it is the costly part (scikit-learn's TF-IDF) and adds its own id, 'related-papers', and no other."""
    key = (str(page.path), page.text, str(content_dir or ""), similar)
    if key not in _anchor_cache:
        body = sanitize_html(markdown.Markdown(extensions=SITE_MARKDOWN_EXTENSIONS, extension_configs=SITE_EXTENSION_CONFIGS).convert(page.text[page.fm_end :]))
        ids = list(dict.fromkeys(element_ids(body)))
        footers = [links_footer(page), cite_footer(page)]
        if content_dir is not None:  # in the build's order: links, in articles, related papers, cite
            related, by_paper = _whole_site_facts(content_dir, similar)
            footers[1:1] = [in_articles.articles_footer(page, by_paper.get(page.slug, [])), related.footer(page)]
        _anchor_cache[key] = ids + element_ids(unique_ids("\n".join(footer for footer in footers if footer), set(ids)))
    return _anchor_cache[key]


def _neighbours(page_dir: Path, site_paths: set[str], content_dir: Path) -> list[str]:
    """Link targets near the page, for 'did you mean'; none for a page outside content (a draft)."""
    try:
        rel_dir = real_path(page_dir).relative_to(real_path(content_dir)).as_posix()
    except ValueError:
        return []
    near = [paths.relative_link(f"{rel_dir}/x.md", p) for p in site_paths] + [p.name for p in page_dir.glob("*.md")]
    if rel_dir != "papers":  # an article links to paper pages
        near += [paths.relative_link(f"{rel_dir}/x.md", paths.paper_path(p.stem)) for p in (content_dir / "papers").glob("*.md")]
    return near


def rule_template(c: PageChecker) -> None:
    """``template:`` picks a theme template for the page; MkDocs stops the build when it does not exist."""
    name = c.page.meta.get("template")
    if not isinstance(name, str) or not name.strip():
        return
    if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
        c.report(c.at("template"), f"template '{name}' must be a name inside the theme (e.g. main.html), not a path out of it")
        return
    folders = [c.content_dir.parent / "overrides", _material_templates()]
    if not any(folder is not None and (folder / name).is_file() for folder in folders):
        c.report(
            c.at("template"),
            f"template '{name}' is neither in overrides/ nor one of Material's templates; fix the name or remove the key (the default is main.html)",
        )


def _material_templates() -> Path | None:
    spec = importlib.util.find_spec("material")
    return Path(spec.origin).parent / "templates" if spec and spec.origin else None


RULES: tuple[Callable[[PageChecker], None], ...] = (
    rule_slug,
    rule_keys,
    rule_template,
    rule_arxiv,
    rule_link_list,
    rule_vocabulary,
    rule_sections,
    rule_generated,
    rule_links,
    rule_indented_fences,
    rule_math_dollars,
)


# -- article rules --------------------------------------------------------------------------------------------
def rule_article_papers(c: PageChecker) -> None:
    """Every item of 'papers:' names a paper page (by slug or arXiv ID), once; each has its section."""
    assert isinstance(c, ArticleChecker)
    value = c.page.meta.get("papers")
    if value is None:
        return  # rule_keys reports a missing required key
    if not isinstance(value, list) or not value:
        c.report(c.at("papers"), "'papers' must be a list of the papers the article covers, each a paper page's slug or an arXiv ID")
        return
    lines = item_lines(c.page, "papers")
    for index, item in enumerate(value):
        problem = item_problem(item)
        if problem:
            c.report(lines[index] if index < len(lines) else c.at("papers"), f"paper {index + 1}: {problem}")
    seen: dict[str, str] = {}
    for covered in covered_papers(c.page, c.papers):
        line = lines[covered.index] if covered.index < len(lines) else c.at("papers")
        if covered.page is None:
            c.report(line, f"no paper page is '{covered.ref}'{_did_you_mean(covered.ref, c.papers.by_slug)} (a slug of content/papers/ or an arXiv ID)")
            continue
        if covered.page.slug in seen:
            c.report(line, f"'{covered.ref}' is the paper '{seen[covered.page.slug]}' again; cover each paper once")
            continue
        seen[covered.page.slug] = covered.ref
        if c.page.section(covered.section) is None:
            c.report(line, f"no '## {covered.section}' section for '{covered.ref}'; add it (write 'todo' under it until it is written)")


def rule_article_sections(c: PageChecker) -> None:
    """The status agrees with the per-paper sections; no section twice; no '# ' heading in the body."""
    assert isinstance(c, ArticleChecker)
    covered = [paper for paper in covered_papers(c.page, c.papers) if paper.page is not None]
    missing = missing_paper_sections(c.page, covered)
    status = c.page.meta.get("status")
    if status in ("draft", "reviewed") and missing:
        verb = "is" if len(missing) == 1 else "are"
        c.report(c.at("status"), f"status is '{status}' but {', '.join(missing)} {verb} still todo; write them or set status: todo")
    elif status == "todo" and covered and not missing:
        c.report(c.at("status"), "every paper's section is written; set status: draft (or reviewed once a person checked it)", "warning")
    seen: set[str] = set()
    for section in c.page.sections:
        if section.title in seen:
            c.report(section.line, f"section '## {section.title}' appears twice; merge them")
        seen.add(section.title)
    for line in c.page.title_heading_lines:
        c.report(line, "a '# ' heading in the body: the title (from the front matter) is the article's only h1; make it a section ('## ')", "warning")


def rule_article_sources(c: PageChecker) -> None:
    """Quotes and commentary carry their source; timeline entries carry a date."""
    for title in SOURCED_SECTIONS:
        for line, message in quote_problems(c.page, title):
            c.report(line, message)
    for line, severity, message in timeline_problems(c.page):
        c.report(line, message, severity)


ARTICLE_RULES: tuple[Callable[[PageChecker], None], ...] = (
    rule_slug,
    rule_keys,
    rule_article_papers,
    rule_vocabulary,
    rule_article_sections,
    rule_article_sources,
    rule_links,
    rule_indented_fences,
    rule_math_dollars,
)


def check_articles(kb: config.KnowledgeBase, vocab: Vocabulary, known: set[str], today: dt.date, wanted: set[Path] | None) -> list[Problem]:
    """Every problem of the articles (all, or those in ``wanted``): a page that does not read is one problem."""
    paths = [path for path in scan_papers_dir(kb.articles_dir)[0] if wanted is None or real_path(path) in wanted]
    if not paths:
        return []
    lookup = PaperLookup(load_pages(kb.papers_dir)[0])
    problems: list[Problem] = []
    for path in paths:
        try:
            article = load_page(path)
        except PageError as exc:
            problems.append(Problem(exc.path, exc.line, exc.message))
            continue
        problems += ArticleChecker(article, vocab, kb.content_dir, known, today, lookup).run()
    return problems


# -- running --------------------------------------------------------------------------------------------------
def site_paths(vocab: Vocabulary) -> set[str]:
    """Docs paths that exist only once the site is generated (index pages), valid as link targets."""
    return paths.generated_paths(vocab.topics, [lab.name for lab in vocab.labs.values()])


#: Below this many pages one process is fastest; above it, pages are checked on every core.
PARALLEL_FROM = 2000


@dataclass
class _PageResult:
    path: Path
    arxiv_id: str | None
    arxiv_line: int
    problems: list[Problem]


# What every worker checks against; set once before the workers fork, so nothing is pickled per page.
_context: tuple[Vocabulary, Path, set[str], dt.date] | None = None


def _check_path(item: tuple[Path, bool]) -> _PageResult:
    path, wanted = item
    if _context is None:
        raise RuntimeError("check_pages sets the context before it checks any page")
    vocab, content_dir, known, today = _context
    try:
        page = load_page(path)
    except PageError as exc:
        return _PageResult(path, None, 0, [Problem(exc.path, exc.line, exc.message)] if wanted else [])
    arxiv_id = page.meta.get("arxiv")
    problems = PageChecker(page, vocab, content_dir, known, today).run() if wanted else []
    return _PageResult(path, arxiv_id if isinstance(arxiv_id, str) else None, page.line_of("arxiv"), problems)


def _jobs(pages: int) -> int:
    requested = os.environ.get("PAPERKB_JOBS", "")
    if requested.isdigit() and int(requested) > 0:
        return int(requested)
    return min(os.cpu_count() or 1, 8) if pages >= PARALLEL_FROM else 1


def _check_all(items: list[tuple[Path, bool]]) -> list[_PageResult]:
    jobs = _jobs(len(items))
    if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_check_path, items, chunksize=max(1, len(items) // (jobs * 4)))
    return [_check_path(item) for item in items]


def check_pages(kb: config.KnowledgeBase, paths: list[Path] | None = None, today: dt.date | None = None) -> list[Problem]:
    """Every problem of the pages and articles (all of them, or ``paths``) and of the vocabularies.

    The arXiv-ID rule needs every page (a duplicate may sit in a page not asked about), so all pages are
    read; the other rules run only on the pages asked for.
    """
    global _context
    _anchor_cache.clear()  # the pages may have changed since the last run (a long-lived process: tests, a server)
    _whole_site_cache.clear()
    vocab = load_vocabulary(kb.topics_file, kb.labs_file)
    _context = (vocab, kb.content_dir, site_paths(vocab), today or dt.date.today())
    articles_dir = real_path(kb.articles_dir)
    named_articles = {real_path(p) for p in paths or [] if real_path(p).parent == articles_dir}
    article_problems = check_articles(kb, vocab, _context[2], _context[3], None if paths is None else named_articles) if paths is None or named_articles else []
    if paths is not None and named_articles:
        paths = [p for p in paths if real_path(p) not in named_articles]
        if not paths:
            return list(vocab.problems) + article_problems
    all_paths, folders = scan_papers_dir(kb.papers_dir)
    known_paths = {real_path(p) for p in all_paths}
    extra = [p for p in (paths or []) if real_path(p) not in known_paths]
    selected = {real_path(p) for p in paths} if paths else None
    items = [(path, selected is None or real_path(path) in selected) for path in all_paths + extra]
    problems = list(vocab.problems)
    if paths is None:
        problems += [
            Problem(folder, 1, "a folder named like a page; MkDocs and paperkb read *.md files as pages, so rename or remove it") for folder in folders
        ]
    seen_ids: dict[str, Path] = {}
    for (path, wanted), result in zip(items, _check_all(items), strict=True):
        problems.extend(result.problems)
        if result.arxiv_id is None:
            continue
        first = seen_ids.setdefault(result.arxiv_id, path)
        if first != path and wanted:
            problems.append(Problem(path, result.arxiv_line, f"arXiv ID {result.arxiv_id} is already the page {first.name}; keep one page per paper"))
    problems += article_problems
    if paths is None:
        problems = _with_content_problems(kb, problems)
    return problems


def _with_content_problems(kb: config.KnowledgeBase, problems: list[Problem]) -> list[Problem]:
    """``problems`` and the files content/ may not hold (links, FIFOs, .html, stray Markdown …). A file that is
    refused there is never read, so its own reading errors would say the same again: they are dropped."""
    refused = content_problems(kb.content_dir)
    paths = {str(problem.path) for problem in refused}
    return [problem for problem in problems if str(problem.path) not in paths] + refused


def check_sync_records(kb: config.KnowledgeBase) -> list[Problem]:
    """Sync records feed the digests; one that does not read would silently drop its digest. A record that is a
    link or not a regular file is reported by ``check_pages`` (content problems) instead."""
    refused = {str(problem.path) for problem in content_problems(kb.syncs_dir.parent)} if kb.syncs_dir.is_dir() else set()
    return [Problem(exc.path, exc.line, exc.message) for exc in load_sync_records(kb.syncs_dir)[1] if str(exc.path) not in refused]
