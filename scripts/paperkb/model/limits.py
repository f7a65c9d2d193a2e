"""What paperkb will read from ``content/``, and how much of it: the limits that keep hostile input harmless.

Everything under ``content/`` may come from a pull request, a poisoned upstream feed or a model's answer. Reading
it must not hang (a FIFO named ``x.md``), exhaust memory (a symlink to ``/dev/zero``, a YAML alias bomb), crash the
interpreter (``[`` × 50,000 overflows the C stack of libyaml's composer) or leak the machine's files (a symlink to
``/proc/self/environ``). So every reader of content goes through here:

- :func:`read_regular_file` opens a file without following a symbolic link and without blocking, reads it only when
  it is a regular file, and never more than a given size; its errors name the file, the line and the fix.
- :func:`refuse_unbounded_yaml` refuses YAML anchors and aliases and nesting deeper than :data:`MAX_YAML_DEPTH`
  *before* a composer sees the text (decided exactly on libyaml's event stream, which needs no recursion), and
  :func:`yaml_depth_problem` checks a composed tree the same way without recursing.
- :func:`long_line` finds a line longer than :data:`MAX_LINE_CHARS`.

Each error is a :class:`yaml.MarkedYAMLError` (YAML limits) or a :class:`ReadError` (files), so the readers report
them as they report any other bad YAML or unreadable file: one ``path:line: message`` line, never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

#: A page (front matter and body) is at most this many bytes: the longest page of the knowledge base is ~10 KB.
MAX_PAGE_BYTES = 2 * 1024 * 1024
#: The front matter of a page, in characters: a long abstract and fifty authors take ~5 KB.
MAX_FRONT_MATTER_CHARS = 256 * 1024
#: One line of a page, vocabulary or sync record, in characters (a paragraph may be one line; 64 KB is a long one).
MAX_LINE_CHARS = 64 * 1024
#: Headings of one page, any level: a paper page has about ten. Python-Markdown spends ~0.15 ms on each and the
#: site's table of contents lists them all; 100,000 of them kept the build past 90 s.
MAX_HEADINGS = 1000
#: A vocabulary (topics.yml, labs.yml) or a sync record, in bytes.
MAX_YAML_FILE_BYTES = 2 * 1024 * 1024
#: Mappings and lists inside each other: a page needs three (generated: summary: model:), a sync record three.
MAX_YAML_DEPTH = 20
#: Characters of a YAML number. Python refuses to read an int of more than 4,300 digits (ValueError), and a long
#: sexagesimal one (1:2:3:…) costs quadratic time; no value paperkb reads is longer than a date.
MAX_NUMBER_CHARS = 64
#: Cheap upper bound of nesting below which libyaml's composer is surely safe (it crashed beyond ~30,000 levels):
#: the count of characters that can open a level ('[', '{', '-', '?'). Indentation alone cannot nest deeper than
#: ~2,000 levels in MAX_YAML_FILE_BYTES (level n costs n spaces). Above it, the exact event scan decides.
_SAFE_OPENERS = 1000

_KIND_NAMES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class ReadError(Exception):
    """A file under content/ that is not read: ``path:line: message``, the message ending in the fix."""

    def __init__(self, path: Path | str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = Path(path)
        self.line = line
        self.message = message


def file_kind(mode: int) -> str:
    """'a named pipe (FIFO)', 'a folder', …: what a file that is not a regular file is, for messages."""
    return next((name for test, name in _KIND_NAMES if test(mode)), "not a regular file")


def size_text(size: int) -> str:
    """1536 -> '1.5 KB', 3 * 2**20 -> '3.0 MB'."""
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def symlink_message(path: Path) -> str:
    """The error for a symbolic link under content/: where it points, and the fix."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (
        f"a symbolic link (to {target}); content/ holds only regular files, so a link cannot publish a file from "
        "elsewhere: replace the link with the file itself, or remove it"
    )


def read_regular_file(path: Path | str, max_bytes: int, fix_size: str = "split it into smaller files") -> str:
    """The text of a regular file of at most ``max_bytes`` bytes, line endings exactly as written.

    Refused with a :class:`ReadError`: a symbolic link (not followed: ``O_NOFOLLOW``), a FIFO, device, socket or
    folder (opened with ``O_NONBLOCK``, so a FIFO without a writer cannot block, then ``fstat``), a file larger
    than ``max_bytes`` (also one that grows while read, or claims size 0 like those in /proc), text that is not
    UTF-8 (with the line of the first bad byte).
    """
    path = Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if not hasattr(os, "O_NOFOLLOW") and path.is_symlink():  # no O_NOFOLLOW (Windows): the check-then-open is racy but rare
        raise ReadError(path, 1, symlink_message(path))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():  # O_NOFOLLOW on a link (a loop included): ELOOP
            raise ReadError(path, 1, symlink_message(path)) from None
        reason = exc.strerror or type(exc).__name__
        raise ReadError(path, 1, f"cannot be read ({reason}); make it a readable file or remove it") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(path, 1, f"{file_kind(info.st_mode)}, not a regular file; content/ holds only files: remove it")
        if info.st_size > max_bytes:
            raise ReadError(path, 1, f"{size_text(info.st_size)}, more than the {size_text(max_bytes)} a file here may have; {fix_size}")
        chunks: list[bytes] = []
        remaining = max_bytes + 1  # one byte more than allowed tells a file that grew (or lied about its size)
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ReadError(path, 1, f"more than the {size_text(max_bytes)} a file here may have; {fix_size}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReadError(path, line, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8") from None


def long_line(text: str, limit: int = MAX_LINE_CHARS) -> tuple[int, int] | None:
    """(1-based line, length) of the first line longer than ``limit`` characters, or None."""
    if len(text) <= limit:
        return None
    start = 0
    line = 1
    while True:
        end = text.find("\n", start)
        stop = len(text) if end < 0 else end
        if stop - start > limit:
            return line, stop - start
        if end < 0:
            return None
        start = end + 1
        line += 1


def long_line_message(length: int) -> str:
    return f"a line of {length:,} characters, more than {MAX_LINE_CHARS:,}; break it into shorter lines"


# -- YAML ---------------------------------------------------------------------------------------------------------
class YamlLimitError(yaml.MarkedYAMLError):
    """YAML that is refused before it is built (an anchor, an alias, too deep, a huge number): a marked error, so
    it is reported like any other bad YAML, at its line."""

    def __init__(self, problem: str, mark: Any):  # a yaml.Mark, or the C parser's own mark type
        super().__init__(problem=problem, problem_mark=mark)


ANCHOR_PROBLEM = "YAML anchors and aliases ('&name', '*name') are not allowed here: a few lines of them can expand to gigabytes; write the value out in full"


def depth_problem(limit: int = MAX_YAML_DEPTH) -> str:
    return f"lists and mappings nested more than {limit} levels deep; flatten the value (no key here needs more than 3 levels)"


def refuse_unbounded_yaml(text: str, loader: type, always: bool = False) -> None:
    """Raise :class:`YamlLimitError` at the first anchor, alias or level of nesting beyond :data:`MAX_YAML_DEPTH`.

    Decided on libyaml's event stream (``yaml.parse``): the parser keeps its own stack, so ``[`` × 50,000 costs
    linear time here instead of crashing the composer. Text that holds no ``&`` (so no anchor, so no alias that
    resolves) and few characters that can open a level is skipped unless ``always``: the composer is safe for it,
    and :func:`yaml_depth_problem` checks its depth after composing, at no extra parse.
    """
    if not always and "&" not in text and _openers(text) <= _SAFE_OPENERS:
        return
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlLimitError(ANCHOR_PROBLEM, event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlLimitError(depth_problem(), event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _openers(text: str) -> int:
    return text.count("[") + text.count("{") + text.count("-") + text.count("?")


def yaml_depth_problem(node: yaml.Node | None) -> YamlLimitError | None:
    """The error for the first node nested deeper than :data:`MAX_YAML_DEPTH` in a composed tree (no recursion)."""
    pending: list[tuple[yaml.Node, int]] = [(node, 1)] if node is not None else []
    while pending:
        current, depth = pending.pop()
        if isinstance(current, yaml.SequenceNode):
            children = current.value
        elif isinstance(current, yaml.MappingNode):
            children = [child for pair in current.value for child in pair]
        else:
            continue
        if depth > MAX_YAML_DEPTH:
            return YamlLimitError(depth_problem(), current.start_mark)
        pending += [(child, depth + 1) for child in children]
    return None


def number_problem(node: yaml.ScalarNode) -> YamlLimitError | None:
    """A number too long to read safely (see :data:`MAX_NUMBER_CHARS`)."""
    if len(node.value) <= MAX_NUMBER_CHARS:
        return None
    return YamlLimitError(
        f"a number of {len(node.value):,} characters, more than {MAX_NUMBER_CHARS}; write a real number, or quote the value if it is text",
        node.start_mark,
    )


def _construct_bounded_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    problem = number_problem(node)
    if problem:
        raise problem
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def bound_numbers(loader: type[yaml.SafeLoader]) -> None:
    """Make ``loader`` (a SafeLoader or CSafeLoader subclass) refuse numbers longer than MAX_NUMBER_CHARS."""
    loader.add_constructor("tag:yaml.org,2002:int", _construct_bounded_int)


# libyaml's loader when PyYAML has it (10x faster), else the pure-Python one; both have SafeLoader's interface.
if TYPE_CHECKING:  # a base class chosen at run time is no type
    FastSafeLoader = yaml.SafeLoader
else:
    FastSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class BoundedLoader(FastSafeLoader):
    """A safe loader for vocabularies and sync records; numbers bounded. Use :func:`load_bounded_yaml`."""


bound_numbers(BoundedLoader)


def load_bounded_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """(root node, Python value) of a small YAML file: anchors, aliases, deep nesting and huge numbers refused
    (:class:`YamlLimitError`), syntax errors raised as PyYAML's."""
    refuse_unbounded_yaml(text, BoundedLoader, always=True)
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()
