"""Reading and writing paper pages: the one module that touches page files.

A page is Markdown with YAML front matter. Everything else in paperkb goes through this module:

- ``load_page`` / ``parse_page`` parse a file into a :class:`Page` (front matter values *and* the line each
  key stands on, body sections with their lines), or raise :class:`PageError` naming the file, the line and
  the fix.
- ``set_keys``, ``set_section`` and ``write_page`` edit a page's *text* in place, changing only the bytes
  they own: other keys keep their order, quoting and comments; line endings (LF or CRLF) and the trailing
  newline stay as they were. Pages are never round-tripped through a YAML dumper.
- ``atomic_write`` replaces a file by writing a temporary sibling and renaming it, so an interrupted run
  leaves every page either as it was or complete.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import yaml

from paperkb.model.limits import (
    MAX_FRONT_MATTER_CHARS,
    MAX_HEADINGS,
    MAX_PAGE_BYTES,
    MAX_YAML_DEPTH,
    ReadError,
    YamlLimitError,
    bound_numbers,
    depth_problem,
    long_line,
    long_line_message,
    read_regular_file,
    refuse_unbounded_yaml,
    size_text,
    yaml_depth_problem,
)
from paperkb.model.markdown_text import FENCE_LINE, render_cost_problem

# libyaml is ~10x faster than the pure-Python loader; `paperkb check` on 10,000 pages depends on it.
if TYPE_CHECKING:  # a base class chosen at run time is no type; both loaders have SafeLoader's interface
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InvalidDate(str):
    """A value YAML recognised as a date that is not on the calendar (2025-02-30); check reports it."""


class _Loader(_BaseLoader):
    """Safe loader that keeps impossible dates as InvalidDate instead of raising mid-document."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        # A scalar's tag depends only on these arguments (no path resolvers are registered), and resolving
        # it in Python took a third of the time of reading a page's front matter: remember the answers.
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < 200_000 and len(value) <= 200:  # long values rarely repeat: do not keep megabytes
                _RESOLVED[key] = tag
        return tag


_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return InvalidDate(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
bound_numbers(_Loader)  # 'version: 999…' (100,000 digits) is a line-numbered error, not a ValueError

#: Required body sections, in canonical order, with the key used for them in ``generated``.
REQUIRED_SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("key_insights", "Key Insights"),
    ("why_it_matters", "Why It Matters"),
)
SECTION_TITLES = {key: title for key, title in REQUIRED_SECTIONS}
SECTION_KEYS = {title: key for key, title in REQUIRED_SECTIONS}
#: Fields of a ``generated.<section>`` record: what wrote the section (provider, model, language), when, from
#: what (input; version: the arXiv version it was written from), the sha256 of the text as written, and
#: ``stale: true`` once arXiv has a newer version than the one it was written from.
GENERATED_FIELDS = frozenset({"model", "date", "sha256", "input", "provider", "language", "version", "stale"})

STATUSES = ("todo", "draft", "reviewed")
PRIORITIES = ("urgent", "high", "medium", "low")

# A section holding only one of these (any case, optional emphasis or punctuation) counts as missing.
_PLACEHOLDER = re.compile(
    r"^[\s*_`>\-\[\]()]*(todo|tbd|tba|tk|fixme|xxx|placeholder|coming soon|to be written|\.\.\.|…)[\s.!:*_`\]\)]*$",
    re.IGNORECASE,
)
BOM = "\ufeff"
# The start of an ATX heading; its title is the rest of the line without trailing spaces, tabs and '#'s. (The
# one-regex form '^(#{1,6})[ \t]+(.*?)[ \t#]*$' took quadratic time on a 64 KB line of ' #'.)
_HEADING_START = re.compile(r"(#{1,6})[ \t]+")


class PageError(Exception):
    """A problem with one page, reported as ``path:line: error: message``."""

    def __init__(self, path: Path | str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = Path(path)
        self.line = line
        self.message = message


@dataclass
class Section:
    """A ``## Heading`` of the body and the text under it (up to the next ``##``)."""

    title: str
    line: int  # 1-based line of the heading in the file
    start: int  # offset in Page.text of the heading line
    body_start: int  # offset just after the heading line
    end: int  # offset where the next section (or the file) starts

    def body(self, text: str) -> str:
        return text[self.body_start : self.end]


@dataclass
class Page:
    path: Path
    text: str  # the file exactly as read (CRLF kept)
    meta: dict[str, Any]
    key_lines: dict[str, int]  # top-level key -> 1-based line in the file
    duplicate_keys: list[tuple[str, int]]
    fm_first_line: int  # 1-based line of the first front matter line after '---'
    fm_end: int  # offset in text just after the closing '---' line
    sections: list[Section] = field(default_factory=list)
    title_heading_lines: list[int] = field(default_factory=list)  # lines of `# ` headings in the body

    # -- convenience -------------------------------------------------------------------------------------
    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    @functools.cached_property
    def slug(self) -> str:  # computed once: the site generators ask hundreds of thousands of times at 10,000 pages
        return self.path.stem

    @property
    def body(self) -> str:
        return self.text[self.fm_end :]

    @property
    def body_first_line(self) -> int:
        return self.text.count("\n", 0, self.fm_end) + 1

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, max(self.fm_first_line - 1, 1))

    def section(self, title: str) -> Section | None:
        for section in self.sections:
            if section.title.casefold() == title.casefold():
                return section
        return None

    def section_text(self, title: str) -> str | None:
        """The section's text, stripped and with LF line endings, or None when absent."""
        section = self.section(title)
        if section is None:
            return None
        return normalize_section_text(section.body(self.text))

    def missing_sections(self) -> list[str]:
        """Titles of required sections that are absent, empty or only a placeholder."""
        return [title for _, title in REQUIRED_SECTIONS if is_missing(self.section_text(title))]

    def generated_record(self, key: str) -> dict[str, Any] | None:
        generated = self.meta.get("generated")
        if isinstance(generated, dict) and isinstance(generated.get(key), dict):
            return generated[key]
        return None

    def is_machine_written(self, key: str) -> bool:
        """True while a generated section still holds exactly the text the machine wrote."""
        record = self.generated_record(key)
        text = self.section_text(SECTION_TITLES[key])
        return bool(record and text is not None and record.get("sha256") == section_hash(text))


# -- section text -----------------------------------------------------------------------------------------
def normalize_section_text(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def is_missing(text: str | None) -> bool:
    return text is None or not text.strip() or bool(_PLACEHOLDER.match(text.strip()))


def section_hash(text: str) -> str:
    """sha256 of a section as written (surrounding whitespace stripped, LF line endings)."""
    return hashlib.sha256(normalize_section_text(text).encode("utf-8")).hexdigest()


# -- parsing ----------------------------------------------------------------------------------------------
def read_text(path: Path | str) -> str:
    """Read a file keeping its line endings exactly (no universal-newline translation)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


_PAGE_TOO_BIG = "split it, or move long material out of the page"


def read_page_text(path: Path | str) -> str:
    """A page's text, line endings kept. Only a regular file of at most MAX_PAGE_BYTES is read: a symbolic link
    (to /dev/zero, /proc/self/environ, itself), a FIFO, a folder or a file that is not UTF-8 is a PageError.
    (``read_text`` is for files a person names on the command line, where a pipe is fine.)"""
    try:
        return read_regular_file(path, MAX_PAGE_BYTES, _PAGE_TOO_BIG)
    except ReadError as exc:
        raise PageError(path, exc.line, exc.message) from None


def load_page(path: Path | str) -> Page:
    path = Path(path)
    return parse_page(path, read_page_text(path))


def _split_front_matter(path: Path, text: str) -> tuple[str, int, int, int]:
    """Return (front matter text, offset where it starts, offset after the closing line, its first line)."""
    lines = text.splitlines(keepends=True)
    # A UTF-8 byte order mark is allowed (MkDocs reads pages as utf-8-sig); it stays in Page.text, so every
    # offset counts it and edits keep it.
    if not lines or lines[0].lstrip(BOM).rstrip("\r\n").rstrip() != "---":
        raise PageError(path, 1, "no front matter: a page starts with a line '---', then YAML keys, then '---'")
    offset = len(lines[0])
    start = offset
    for line in lines[1:]:
        if line.rstrip("\r\n").rstrip() in ("---", "..."):
            return text[start:offset], start, offset + len(line), 2
        offset += len(line)
    raise PageError(path, 1, "unterminated front matter: the '---' on line 1 has no closing '---'; add a line '---' after the last key")


def _yaml_error(path: Path, exc: yaml.YAMLError, first_line: int, fm_text: str) -> PageError:
    fm_lines = fm_text.count("\n")
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    if mark is None or (context_mark is not None and mark.line >= fm_lines):
        mark = context_mark  # the problem is "end of front matter": where the unclosed thing began says more
    line = first_line + (mark.line if mark else 0)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}: {problem}" if context else problem
    hint = ""
    error_line = fm_text.splitlines()[mark.line] if mark and mark.line < fm_lines else ""
    if "\t" in error_line[: len(error_line) - len(error_line.lstrip())]:
        hint = " (use spaces, not tabs, for indentation)"
    elif "mapping values are not allowed" in detail or "found character" in detail or "could not find expected ':'" in detail:
        hint = " (quote values that contain ': ', '#' or start with a special character, e.g. title: \"A: B\")"
    return PageError(path, line, f"invalid YAML in front matter: {detail}{hint}")


class _NotPlain(Exception):
    """The front matter uses YAML beyond what pages need (merge keys, other tags)."""


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_PLAIN_SCALARS = frozenset("tag:yaml.org,2002:" + name for name in ("int", "float", "bool", "null", "timestamp"))


def _construct_plain(loader: _Loader, node: yaml.Node, depth: int) -> Any:
    """``depth``: how many lists and mappings hold this node (the document's own mapping is 1)."""
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag == _STR:
            return node.value
        if tag in _PLAIN_SCALARS:
            return loader.yaml_constructors[tag](loader, node)
        raise _NotPlain
    if depth > MAX_YAML_DEPTH:
        raise YamlLimitError(depth_problem(), node.start_mark)
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
        return [_construct_plain(loader, item, depth + 1) for item in node.value]
    elif isinstance(node, yaml.MappingNode) and tag == _MAP:
        mapping = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _NotPlain
            mapping[_construct_plain(loader, key_node, depth + 1)] = _construct_plain(loader, value_node, depth + 1)
        return mapping
    raise _NotPlain


def _construct_front_matter(loader: _Loader, node: yaml.Node) -> Any:
    """The front matter's Python values, as ``loader.construct_document(node)`` gives them.

    A page's front matter is plain YAML (mappings, lists, text, numbers, booleans, dates); that is built
    directly, several times faster than PyYAML's generic constructor (`paperkb check` reads 10,000 pages in
    its time budget), checking the depth on the way. Anything else (merge keys ``<<``, other tags) goes through
    PyYAML unchanged once the whole tree's depth is checked. Anchors and aliases never get here
    (:func:`paperkb.model.limits.refuse_unbounded_yaml`), so no node is shared.
    """
    try:
        return _construct_plain(loader, node, 1)
    except _NotPlain:
        problem = yaml_depth_problem(node)
        if problem:
            raise problem from None
        return loader.construct_document(node)


def _limit_error(path: Path, text: str) -> PageError | None:
    """The first size limit ``text`` breaks (the whole page, then its lines), as a PageError."""
    if len(text) > MAX_PAGE_BYTES:  # load_page counted bytes; text handed over directly (MkDocs' read) counts here
        return PageError(path, 1, f"the page has {size_text(len(text))}, more than {size_text(MAX_PAGE_BYTES)}; {_PAGE_TOO_BIG}")
    found = long_line(text)
    if found:
        return PageError(path, found[0], long_line_message(found[1]))
    return None


def parse_page(path: Path | str, text: str) -> Page:
    path = Path(path)
    problem = _limit_error(path, text)
    if problem:
        raise problem
    fm_text, fm_start, fm_end, first_line = _split_front_matter(path, text)
    if len(fm_text) > MAX_FRONT_MATTER_CHARS:
        raise PageError(
            path,
            first_line,
            f"front matter of {size_text(len(fm_text))}, more than {size_text(MAX_FRONT_MATTER_CHARS)}; shorten it (long text belongs in the body)",
        )
    try:
        refuse_unbounded_yaml(fm_text, _Loader)  # before composing: libyaml's composer recurses in C
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc, first_line, fm_text) from None
    loader = _Loader(fm_text)
    try:
        node = loader.get_single_node()
        meta = _construct_front_matter(loader, node) if node is not None else {}
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc, first_line, fm_text) from None
    finally:
        loader.dispose()
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise PageError(path, first_line, "front matter must be YAML keys ('title: ...'), not a list or a single value")
    key_lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    for key_node, _ in node.value if node is not None else ():
        key = str(key_node.value)
        line = first_line + key_node.start_mark.line
        if key in key_lines:
            duplicates.append((key, line))
        key_lines.setdefault(key, line)
    meta = {str(k): v for k, v in meta.items()}
    costly = render_cost_problem(text, fm_end)  # Python-Markdown's super-linear paths (paperkb.model.markdown_text)
    if costly:
        offset, why = costly
        raise PageError(path, text.count("\n", 0, offset) + 1, f"this paragraph would keep the site's Markdown renderer busy: {why}")
    page = Page(path, text, meta, key_lines, duplicates, first_line, fm_end)
    page.sections = _find_sections(path, text, fm_end, page.title_heading_lines)
    return page


def headings(text: str, start: int = 0) -> Iterator[tuple[int, str, int, int, int]]:
    """The ATX headings of ``text`` from offset ``start``, outside code fences, as Markdown sees them:
    (level, title, line number, offset of the line, length of the line)."""
    offset = start
    line_number = text.count("\n", 0, start) + 1
    fence: str | None = None
    for line in text[start:].splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        fence_match = FENCE_LINE.match(stripped)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif stripped.rstrip(" \t") == fence:
                fence = None
        elif fence is None:
            heading = _HEADING_START.match(stripped)
            if heading:
                yield len(heading.group(1)), stripped[heading.end() :].rstrip(" \t#"), line_number, offset, len(line)
        offset += len(line)
        line_number += 1


def _find_sections(path: Path, text: str, start: int, title_lines: list[int] | None = None) -> list[Section]:
    """The ``## `` sections of the body (outside code fences); lines of ``# `` headings go to ``title_lines``.
    More than MAX_HEADINGS headings are a PageError at the first one too many."""
    sections: list[Section] = []
    for count, (level, title, line_number, offset, length) in enumerate(headings(text, start), 1):
        if count > MAX_HEADINGS:
            raise PageError(path, line_number, f"more than {MAX_HEADINGS:,} headings in one page; split it, or make the extra headings plain text")
        if level == 1 and title_lines is not None:
            title_lines.append(line_number)
        elif level == 2:
            if sections:
                sections[-1].end = offset
            sections.append(Section(title, line_number, offset, offset + length, len(text)))
    return sections


def scan_papers_dir(papers_dir: Path) -> tuple[list[Path], list[Path]]:
    """(page paths, folders named like pages) in the papers folder, each sorted.

    Symbolic links are not followed: a link (to a file, a folder, nowhere or itself), a FIFO or a device named
    ``*.md`` counts as a page, so loading it reports the error. ``os.scandir`` knows from the directory listing
    which entries are folders, so this costs no extra I/O per page.
    """
    pages: list[Path] = []
    folders: list[Path] = []
    if os.path.islink(papers_dir):  # a linked folder is not read (paperkb.model.content reports it)
        return [], []
    try:
        entries = list(os.scandir(papers_dir))
    except OSError:  # missing, not a folder, unreadable: no pages (paperkb.model.content reports the last two)
        return [], []
    for entry in entries:
        if not entry.name.endswith(".md") or entry.name.startswith(("_", ".")):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        (folders if is_dir else pages).append(papers_dir / entry.name)
    return sorted(pages), sorted(folders)


def iter_page_paths(papers_dir: Path) -> list[Path]:
    return scan_papers_dir(papers_dir)[0]


@dataclass
class PageArguments:
    """What the PATH arguments of a command name: each page once, in the order named."""

    pages: list[Path]
    missing: list[str]  # names that do not exist
    empty: list[str]  # folders that hold no page

    def problems(self, papers_folder: str) -> list[str]:
        """One message per bad argument (a command prints them and exits 2)."""
        return [f"{name}: no such file or folder" for name in self.missing] + [
            f"{name}: no pages in this folder (pages are the .md files in {papers_folder})" for name in self.empty
        ]


def page_arguments(names: Iterable[str], papers_dir: Path) -> PageArguments:
    """Expand file and folder arguments into pages. A folder means every page when it is (or holds) the
    papers folder: ``content`` or ``.`` must not take README.md or CONTRIBUTING.md for pages; any other
    folder holds none."""
    found = PageArguments([], [], [])
    seen: set[Path] = set()
    papers = real_path(papers_dir)
    for name in names:
        path = Path(name)
        if not path.exists() and not path.is_symlink():  # a link that loads nowhere is a page to report, not a typo
            found.missing.append(name)
            continue
        if path.is_dir():
            folder = real_path(path)
            pages = iter_page_paths(papers_dir) if folder == papers or folder in papers.parents else []
            if not pages:
                found.empty.append(name)
        else:
            pages = [path]
        for page in pages:
            if real_path(page) not in seen:
                seen.add(real_path(page))
                found.pages.append(page)
    return found


def real_path(path: Path | str) -> Path:
    """The absolute path with symbolic links resolved where they resolve; never raises (``Path.resolve`` raises
    RuntimeError on a link loop in Python 3.11)."""
    return Path(os.path.realpath(path))


T = TypeVar("T")


class PageMemo(Generic[T]):
    """A value made from each page's file name and text, made again only when the page's text changes: what a
    rebuild under ``mkdocs serve`` keeps from the last one (index rows, feed entries, BibTeX key parts). ``built``
    counts the values made since the memo was created."""

    def __init__(self) -> None:
        self._kept: dict[Path, tuple[str, T]] = {}
        self.built = 0

    def get(self, page: Page, make: Callable[[Page], T]) -> T:
        found = self._kept.get(page.path)
        if found is None or found[0] != page.text:
            found = self._kept[page.path] = (page.text, make(page))
            self.built += 1
        return found[1]

    def keep_only(self, pages: Iterable[Page]) -> bool:
        """Forget the values of pages not among ``pages`` (deleted or renamed); whether any was forgotten."""
        wanted = {page.path for page in pages}
        gone = [path for path in self._kept if path not in wanted]
        for path in gone:
            del self._kept[path]
        return bool(gone)

    def clear(self) -> None:
        self._kept.clear()


class PageCache:
    """Pages parsed earlier in this process, reused while their file is unchanged (same size, modification time in
    nanoseconds and inode): under ``mkdocs serve`` a rebuild parses only the pages edited since the last one.
    A page that failed to parse is not kept (the next load reads it again), nor a page no longer loaded."""

    def __init__(self) -> None:
        self._pages: dict[Path, tuple[tuple[int, int, int], Page]] = {}

    def load(self, path: Path) -> Page:
        try:
            info = os.stat(path, follow_symlinks=False)
        except OSError:
            return load_page(path)  # which reports it
        key = (info.st_size, info.st_mtime_ns, info.st_ino)
        cached = self._pages.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        page = load_page(path)  # a write between the stat and this read is seen by the next load (newer time)
        self._pages[path] = (key, page)
        return page

    def keep_only(self, paths: Iterable[Path]) -> None:
        """Forget every page but those at ``paths`` (deleted and renamed pages)."""
        wanted = set(paths)
        for path in [path for path in self._pages if path not in wanted]:
            del self._pages[path]


def load_pages(papers_dir: Path, cache: PageCache | None = None) -> tuple[list[Page], list[PageError]]:
    """Load every page; pages that fail to parse are returned as errors instead. With a ``cache``, a page whose
    file has not changed since the cache last read it is not read again."""
    pages: list[Page] = []
    errors: list[PageError] = []
    paths = iter_page_paths(papers_dir)
    load = cache.load if cache is not None else load_page
    # Every page kept adds a few hundred objects that all outlive the loop, and each full collection would
    # walk all of them again: a third of the time for 1,000 pages. Parsing makes no reference cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path in paths:
            try:
                pages.append(load(path))
            except PageError as exc:
                errors.append(exc)
    finally:
        if collecting:
            gc.enable()
    if cache is not None:
        cache.keep_only(page.path for page in pages)
    return pages, errors


# -- value helpers ----------------------------------------------------------------------------------------
def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# -- writing ----------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    """Dumps single keys the way a person would write them: block lists, `|` for multi-line text."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a shared date object must not become '&id001' / '*id001' in a hand-edited page


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value.rstrip("\n") + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump_key(key: str, value: Any) -> str:
    """YAML text for one top-level key, LF line endings, ending in a newline."""
    return yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def _key_spans(fm_text: str) -> dict[str, tuple[int, int]]:
    """Offsets (start, end) in the front matter text of each top-level key with its value.

    The span ends after the value's last line (see :func:`_node_end`), not at the next key: a comment line
    after a block list, map or ``|`` text belongs to no key and must survive replacing or removing it.
    """
    loader = _Loader(fm_text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    spans: dict[str, tuple[int, int]] = {}
    if node is None:
        return spans
    line_starts = _line_starts(fm_text)
    for key_node, value_node in node.value:
        start = line_starts[key_node.start_mark.line]
        spans.setdefault(str(key_node.value), (start, _node_end(value_node, line_starts, len(fm_text))))
    return spans


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def set_keys(page: Page, updates: dict[str, Any], remove: Iterable[str] = ()) -> str:
    """Return the page text with top-level keys set (in place, or appended) or removed.

    Only the lines of the keys named change; everything else is kept byte for byte.
    """
    lf_text = _front_matter_lf(page)
    spans = _key_spans(lf_text)
    edits: list[tuple[int, int, str]] = []
    for key, value in updates.items():
        block = dump_key(key, value)
        if key in spans:
            edits.append((*spans[key], block))
        else:
            prefix = "" if not lf_text or lf_text.endswith("\n") else "\n"
            edits.append((len(lf_text), len(lf_text), prefix + block))
    for key in remove:
        if key in spans and key not in updates:
            edits.append((*spans[key], ""))
    return _apply_front_matter_edits(page, lf_text, edits)


def _front_matter_bounds(page: Page) -> tuple[int, int]:
    """(offset where the front matter text starts, offset of the closing '---' line)."""
    text = page.text
    return text.index("\n") + 1, text.rfind("\n", 0, page.fm_end - 1) + 1


def _front_matter_lf(page: Page) -> str:
    """The front matter text with LF endings: YAML marks and the edits below count in it."""
    fm_start, closing_start = _front_matter_bounds(page)
    return page.text[fm_start:closing_start].replace("\r\n", "\n")


def _apply_front_matter_edits(page: Page, lf_text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply (start, end, replacement) edits, given as offsets in the LF text, to the page's real text.

    Only the replacements get the page's line ending; every other line keeps its own (a page mixing CRLF
    and LF lines stays mixed). Applied from the end so earlier offsets stay valid; replacements inserted
    at one offset keep the order given (the last given is inserted first).
    """
    fm_start, closing_start = _front_matter_bounds(page)
    fm_text = page.text[fm_start:closing_start]
    lf_starts, real_starts = _line_starts(lf_text), _line_starts(fm_text)

    def real(offset: int) -> int:
        line = bisect.bisect_right(lf_starts, offset) - 1
        return real_starts[line] + offset - lf_starts[line]

    newline = page.newline
    for _, (start, end, replacement) in sorted(enumerate(edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True):
        fm_text = fm_text[: real(start)] + replacement.replace("\n", newline) + fm_text[real(end) :]
    return page.text[:fm_start] + fm_text + page.text[closing_start:]


def _top_level_value_node(lf_text: str, key: str, loader: type = _Loader) -> yaml.Node | None:
    parser = loader(lf_text)
    try:
        node = parser.get_single_node()
    finally:
        parser.dispose()
    for key_node, value_node in node.value if isinstance(node, yaml.MappingNode) else ():
        if str(key_node.value) == key:
            return value_node
    return None


def _node_end(node: yaml.Node, line_starts: list[int], text_length: int) -> int:
    """Offset just after the last line of a value; for block collections, the end of their last item.

    A block mapping's own end mark sits on the *next* sibling key, so it cannot be used directly.
    """
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _node_end(last[1] if isinstance(node, yaml.MappingNode) else last, line_starts, text_length)
    mark = node.end_mark
    if mark.column == 0 and mark.line > node.start_mark.line:
        line = mark.line
    else:
        line = mark.line + 1
    return line_starts[line] if line < len(line_starts) else text_length


def set_map_entries(page: Page, key: str, entries: dict[str, Any]) -> str:
    """Return the page text with entries set inside the top-level mapping ``key`` (``generated``).

    Entries named are replaced in place or appended after the last one; the other entries of the map keep
    their bytes (comments, quoting, order). A key that is absent, empty or written in flow style
    (``{...}``) is written whole with its existing entries merged in.
    """
    current = page.meta.get(key)
    lf_text = _front_matter_lf(page)
    node = _top_level_value_node(lf_text, key)
    if not (isinstance(current, dict) and isinstance(node, yaml.MappingNode) and not node.flow_style and node.value):
        merged = dict(current) if isinstance(current, dict) else {}
        merged.update(entries)
        return set_keys(page, {key: merged})
    line_starts = _line_starts(lf_text)
    indent = " " * node.value[0][0].start_mark.column
    spans = {str(k.value): (line_starts[k.start_mark.line], _node_end(v, line_starts, len(lf_text))) for k, v in node.value}
    append_at = max(end for _, end in spans.values())
    edits: list[tuple[int, int, str]] = []
    for name, value in entries.items():
        block = "".join(indent + line if line.strip() else line for line in dump_key(name, value).splitlines(True))
        edits.append((*spans[name], block) if name in spans else (append_at, append_at, block))
    return _apply_front_matter_edits(page, lf_text, edits)


def item_lines(page: Page, key: str) -> list[int]:
    """The 1-based line of each item of the top-level list ``key`` (none when it is not a list), for messages."""
    node = _top_level_value_node(_front_matter_lf(page), key)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [page.fm_first_line + item.start_mark.line for item in node.value]


def append_list_items(page: Page, key: str, items: list[Any]) -> str:
    """Return the page text with ``items`` appended to the top-level block list ``key`` (``links``).

    The new items go after the last one, indented as the first one is; every existing item keeps its bytes and
    its place. A key that is absent, empty or written in flow style (``[...]``) is written whole, its existing
    items first.
    """
    current = page.meta.get(key)
    lf_text = _front_matter_lf(page)
    node = _top_level_value_node(lf_text, key)
    if not (isinstance(current, list) and isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value):
        return set_keys(page, {key: [*(current if isinstance(current, list) else []), *items]})
    line_starts = _line_starts(lf_text)
    first_line = lf_text[line_starts[node.value[0].start_mark.line] :]
    indent = first_line[: len(first_line) - len(first_line.lstrip(" "))]
    # dump_key writes '<key>:' and then the items at column 0; only the item lines are kept, re-indented
    block = "".join(indent + line if line.strip() else line for line in dump_key(key, items).splitlines(True)[1:])
    end = _node_end(node, line_starts, len(lf_text))
    return _apply_front_matter_edits(page, lf_text, [(end, end, block)])


def set_scalar(page: Page, key: str, value: str) -> str:
    """Return the page text with a one-line scalar value replaced, keeping the rest of its line.

    ``status: todo  # flip when done`` becomes ``status: draft  # flip when done``. A key that is absent or
    not a one-line scalar is handed to :func:`set_keys`.
    """
    lf_text = _front_matter_lf(page)
    # The pure-Python loader: its marks count characters, which the offsets below rely on.
    node = _top_level_value_node(lf_text, key, loader=yaml.SafeLoader)
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">") or node.start_mark.line != node.end_mark.line:
        return set_keys(page, {key: value})
    rendered = dump_key(key, value)[len(key) + 1 :].strip()
    start, end = node.start_mark.index, node.end_mark.index
    if start == end and not lf_text[start - 1].isspace():
        rendered = " " + rendered  # an empty value ('priority:') is marked right after the colon
    return _apply_front_matter_edits(page, lf_text, [(start, end, rendered)])


def set_section(page: Page, title: str, content: str) -> str:
    """Return the page text with one ``## title`` section's content replaced, or the section inserted.

    A new required section goes in canonical order (Summary, Key Insights, Why It Matters) before any
    section a person added. Headings, other sections, line endings and the presence or absence of a
    final newline are kept as they were.
    """
    text = page.text
    nl = page.newline
    content = content.strip().replace("\r\n", "\n").replace("\n", nl)
    ends_with_newline = text.endswith("\n")
    section = page.section(title)
    if section is not None:
        if section.end < len(text):
            body = nl + content + nl + nl
        else:
            body = nl + content + (nl if ends_with_newline else "")
        return text[: section.body_start] + body + text[section.end :]
    block = f"## {title}{nl}{nl}{content}{nl}"
    insert_at = _insertion_point(page, title)
    if insert_at < len(text):
        return text[:insert_at] + block + nl + text[insert_at:]
    head = text if ends_with_newline else text + nl
    if head[page.fm_end :].strip() and not head.endswith(nl + nl):
        head += nl
    return head + (block if ends_with_newline else block[: -len(nl)])


def _insertion_point(page: Page, title: str) -> int:
    # Titles compare casefolded, as Page.section does: '## summary' is the Summary section.
    order = [t.casefold() for _, t in REQUIRED_SECTIONS]
    wanted = title.casefold()
    if wanted in order:
        later = set(order[order.index(wanted) + 1 :])
        earlier = set(order[: order.index(wanted)])
        for section in page.sections:
            found = section.title.casefold()
            if found in later or (found not in earlier and found not in order):
                return section.start
    return len(page.text)


def temporary_name(path: Path) -> Path:
    """Where atomic_write puts the new text first: ``.<name>.<pid>.<8 hex digits>.tmp`` beside ``path``.

    Hidden (MkDocs skips dotfiles, the papers folder scan skips them too) and matched by a pattern in
    .gitignore, so the one a SIGKILL or a power cut can leave behind is never committed nor read as a page;
    :func:`is_temporary` tells a check that lists files under content/ to leave it alone too.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


_TEMPORARY_NAME = re.compile(r"\..+\.[0-9]+\.[0-9a-f]{8}\.tmp")


def is_temporary(name: str) -> bool:
    """Whether a file name is one :func:`temporary_name` chooses (a leftover of an interrupted write)."""
    return _TEMPORARY_NAME.fullmatch(name) is not None


def atomic_write(path: Path | str, text: str) -> None:
    """Write text to path via a temporary file in the same directory and an atomic rename.

    The temporary name is chosen before anything is created, and created inside the ``try``, so a Ctrl-C
    at any point leaves either the old file or the new one, and no stray temporary file.
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_page(page: Page, text: str) -> Page:
    """Atomically replace the page's file with new text and return the re-parsed page."""
    if text != page.text:
        atomic_write(page.path, text)
    return parse_page(page.path, text)


def render_new_page(meta: dict[str, Any], sections: dict[str, str] | None = None) -> str:
    """Text of a brand-new page: front matter keys in the order given, then the required sections."""
    front = "".join(dump_key(key, value) for key, value in meta.items() if value is not None)
    sections = sections or {}
    body = "".join(f"\n## {title}\n\n{sections.get(key, 'TODO').strip()}\n" for key, title in REQUIRED_SECTIONS)
    return f"---\n{front}---\n{body}"
