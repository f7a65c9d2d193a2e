"""Sync records (``content/syncs/<date>.yml``): what one ``paperkb sync`` run found and added.

One format, one loader (:func:`load_sync_records`), one error type (:class:`SyncRecordError`, naming the file,
the line and the fix). ``paperkb sync`` writes them; digests, the site and ``paperkb check`` read them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import yaml

from paperkb.model import config
from paperkb.model.arxiv_ids import parse_arxiv_id
from paperkb.model.limits import MAX_YAML_FILE_BYTES, ReadError, YamlLimitError, load_bounded_yaml, long_line, long_line_message, read_regular_file
from paperkb.model.pages import as_date, as_list, atomic_write

#: The file name of a sync record: <date>.yml, or <date>-<n>.yml for the n-th run of a day.
RECORD_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.yml$")


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


class SyncRecordError(Exception):
    """A sync record that cannot be used; the message names the file, the line and the fix."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = Path(path), line, message

    def report_line(self) -> str:
        """'path:line: error: message', as `paperkb check` and the build's warnings print it."""
        return f"{self.path}:{self.line}: error: {self.message}"


def load_sync_records(syncs_dir: Path) -> tuple[list[dict[str, Any]], list[SyncRecordError]]:
    """Every sync record (``<date>.yml``, ``<date>-2.yml`` …) oldest first, each with its ``path``; and the
    error of each record that does not read. The one walk over ``content/syncs`` that sync, check, the
    digests and the site share."""
    found: list[tuple[dt.date, int, dict[str, Any]]] = []
    errors: list[SyncRecordError] = []
    directory = Path(syncs_dir)
    # A linked folder is not read (paperkb.model.content reports it); each record is read only if a regular file.
    for path in sorted(directory.glob("*.yml")) if directory.is_dir() and not directory.is_symlink() else []:
        match = RECORD_NAME.match(path.name)
        if not match:
            continue
        try:
            record = read_record(path)
        except SyncRecordError as exc:
            errors.append(exc)
            continue
        record["path"] = path
        found.append((record["date"], int(match.group(2) or 1), record))
    found.sort(key=lambda item: item[:2])
    return [record for _, _, record in found], errors


def read_record(path: Path) -> dict[str, Any]:
    try:
        # A regular file only (no link, FIFO or device), and bounded: see paperkb.model.limits.
        text = read_regular_file(path, MAX_YAML_FILE_BYTES)
    except ReadError as exc:
        raise SyncRecordError(path, exc.line, f"cannot read sync record: {exc.message}") from None
    found = long_line(text)
    if found:
        raise SyncRecordError(path, found[0], long_line_message(found[1]))
    try:
        # No anchors or aliases (an alias bomb), at most 20 levels (libyaml's composer recurses in C), short numbers.
        data = load_bounded_yaml(text)[1]
    except YamlLimitError as exc:
        mark = exc.problem_mark
        raise SyncRecordError(path, mark.line + 1 if mark else 1, f"invalid YAML in sync record: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SyncRecordError(path, mark.line + 1 if mark else 1, "invalid YAML in sync record; fix it or delete the file") from None
    except ValueError:  # PyYAML builds dates with datetime.date, which rejects 2025-02-30 with ValueError
        line, key, value = _impossible_date(text) or (1, "date", "a date")
        raise SyncRecordError(path, line, f"'{key}' {value} is not a real date; fix the day or month (YYYY-MM-DD)") from None
    problem = _record_problem(data)
    if problem:
        raise SyncRecordError(path, 1, f"{problem}; see the sync record format in the README")
    return data


def _impossible_date(text: str) -> tuple[int, str, str] | None:
    """(line, key, value) of the first date-looking scalar that is not a real date, found on the node tree."""
    constructor = yaml.constructor.SafeConstructor()
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # only for text load_bounded_yaml composed (no alias, not deep)
    if root is None:  # an empty document has no dates
        return None
    pending: list[tuple[str, yaml.nodes.Node]] = [("date", root)]
    while pending:
        key, node = pending.pop(0)
        if isinstance(node, yaml.MappingNode):
            pending += [(str(k.value), v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            pending += [(key, item) for item in node.value]
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                constructor.construct_yaml_timestamp(node)
            except ValueError:
                return node.start_mark.line + 1, key, node.value
    return None


def _record_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "a sync record is a mapping with date, window, queries, added, counts"
    if not isinstance(data.get("date"), dt.date):
        return "'date' must be a date (YYYY-MM-DD)"
    window = data.get("window")
    if not isinstance(window, dict) or not all(isinstance(window.get(k), dt.date) for k in ("since", "until")):
        return "'window' must be {since: YYYY-MM-DD, until: YYYY-MM-DD}"
    if not isinstance(data.get("queries", []), list):
        return "'queries' must be a list"
    added = data.get("added", [])
    if not isinstance(added, list) or not all(isinstance(i, str) for i in added):
        return "'added' must be a list of quoted arXiv IDs"
    counts = data.get("counts", {})
    if not isinstance(counts, dict) or not all(is_count(value) for value in counts.values()):
        return "'counts' must be a mapping {found, added, already_present} of whole numbers ≥ 0 (digests print them as they are)"
    return None


def is_count(value: Any) -> bool:
    """A count of a sync record: a whole number ≥ 0 (YAML's true/false are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _scalar(value: str) -> str:
    """A YAML scalar: plain when unambiguous, else double-quoted (JSON strings are valid YAML)."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def render_record(record: dict[str, Any]) -> str:
    """The record file, in the documented layout (flow mappings, one query per line)."""
    window, counts = record["window"], record["counts"]
    lines = [
        f"date: {record['date'].isoformat()}",
        f"window: {{since: {window['since'].isoformat()}, until: {window['until'].isoformat()}}}",
        "queries:" if record["queries"] else "queries: []",
    ]
    lines += [
        f"  - {{name: {_scalar(q['name'])}, query: {json.dumps(q['query'], ensure_ascii=False)}, max_results: {q['max_results']}, found: {q['found']}}}"
        for q in record["queries"]
    ]
    lines.append(f"added: [{', '.join(json.dumps(i) for i in record['added'])}]")
    lines.append(f"counts: {{found: {counts['found']}, added: {counts['added']}, already_present: {counts['already_present']}}}")
    return "\n".join(lines) + "\n"


def record_path(kb: config.KnowledgeBase, date: dt.date) -> Path:
    """content/syncs/<date>.yml, or <date>-2.yml, -3 … when taken."""
    candidate = kb.syncs_dir / f"{date.isoformat()}.yml"
    number = 1
    while candidate.exists():
        number += 1
        candidate = kb.syncs_dir / f"{date.isoformat()}-{number}.yml"
    return candidate


def write_record(kb: config.KnowledgeBase, record: dict[str, Any]) -> Path:
    kb.syncs_dir.mkdir(parents=True, exist_ok=True)
    path = record_path(kb, record["date"])
    atomic_write(path, render_record(record))
    return path


def _record_ids(record: dict[str, Any]) -> list[str]:
    ids = []
    for value in as_list(record.get("added")):
        parsed = parse_arxiv_id(str(value))
        ids.append(parsed.id if parsed else str(value))
    return ids


def record_date(record: dict[str, Any]) -> dt.date | None:
    return as_date(record.get("date"))


def record_window(record: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    window = record.get("window")
    if not isinstance(window, dict):
        return None, None
    return as_date(window.get("since")), as_date(window.get("until"))
