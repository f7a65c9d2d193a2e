"""The two vocabularies contributors edit: ``content/topics.yml`` and ``content/labs.yml``.

topics.yml is a list of ``{id, title, description}``; labs.yml a list of ``{name, aliases, homepage}``.
Loading never raises on bad content: problems are collected with their lines for ``paperkb check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from paperkb.model.limits import MAX_YAML_FILE_BYTES, ReadError, load_bounded_yaml, long_line, long_line_message, read_regular_file
from paperkb.model.paths import lab_path, slugify

#: Slugs the site's own pages use in topics/ and labs/ (the index of each); a topic or lab must not take them.
RESERVED_SLUGS = frozenset({"index"})
TOPIC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Topic:
    id: str
    title: str
    description: str
    line: int = 0


@dataclass
class Lab:
    name: str
    aliases: list[str] = field(default_factory=list)
    homepage: str | None = None
    line: int = 0

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass
class Problem:
    path: Path
    line: int
    message: str
    severity: str = "error"


@dataclass
class Vocabulary:
    topics: dict[str, Topic] = field(default_factory=dict)
    labs: dict[str, Lab] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def lab_for(self, name: str) -> Lab | None:
        """The lab a name or alias refers to (case-insensitive), if any."""
        key = _fold(name)
        return self._lab_index().get(key)

    def _lab_index(self) -> dict[str, Lab]:
        index = getattr(self, "_index", None)
        if index is None:
            index = {}
            for lab in self.labs.values():
                for alias in (lab.name, *lab.aliases):
                    index.setdefault(_fold(alias), lab)
            self._index = index
        return index


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-.]+", " ", str(name)).strip().casefold()


def _load_list(path: Path, what: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    if not path.exists() and not path.is_symlink():
        problems.append(Problem(path, 1, f"{what} vocabulary is missing; create {path.name} (see CONTRIBUTING.md)"))
        return []
    try:
        # A regular file only (no link, FIFO or device), and bounded: see paperkb.model.limits.
        text = read_regular_file(path, MAX_YAML_FILE_BYTES)
    except ReadError as exc:
        problems.append(Problem(path, exc.line, exc.message.replace("save the file as", f"save {path.name} as")))
        return []
    found = long_line(text)
    if found:
        problems.append(Problem(path, found[0], long_line_message(found[1])))
        return []
    try:
        # No anchors or aliases (an alias bomb), at most 20 levels (libyaml's composer recurses in C), short numbers.
        node, data = load_bounded_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path, (mark.line + 1) if mark else 1, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
        return []
    except ValueError as exc:  # PyYAML builds dates with datetime.date, which rejects 2025-02-30
        problems.append(Problem(path, 1, f"invalid value in {path.name} ({exc}); fix the date or quote the value"))
        return []
    if node is None:  # empty, or only comments
        problems.append(Problem(path, 1, f"{path.name} has no {what} entries; add '- ...' entries (see CONTRIBUTING.md)", "warning"))
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(path, 1, f"{path.name} must be a YAML list of {what} entries ('- ...')"))
        return []
    entries = []
    for item_node, item in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(Problem(path, line, f"each {what} entry must be a mapping of keys"))
            continue
        entries.append((line, item))
    return entries


def _load_topics(path: Path, vocab: Vocabulary) -> None:
    for line, item in _load_list(path, "topic", vocab.problems):
        unknown = set(item) - {"id", "title", "description"}
        if unknown:
            vocab.problems.append(Problem(path, line, f"unknown key(s) {sorted(unknown)}; a topic has id, title, description"))
        topic_id, title = item.get("id"), item.get("title")
        if not isinstance(topic_id, str) or not TOPIC_ID.match(topic_id):
            vocab.problems.append(Problem(path, line, f"topic id {topic_id!r} must be lowercase words joined by '-', e.g. 'reinforcement-learning'"))
            continue
        if topic_id in RESERVED_SLUGS:
            vocab.problems.append(Problem(path, line, f"topic id '{topic_id}' is reserved: topics/{topic_id}.md is the list of all topics; choose another id"))
            continue
        if not isinstance(title, str) or not title.strip():
            vocab.problems.append(Problem(path, line, f"topic '{topic_id}' needs a title"))
            continue
        description = item.get("description") or ""
        if not isinstance(description, str) or not description.strip():
            vocab.problems.append(Problem(path, line, f"topic '{topic_id}' needs a one-paragraph description", "warning"))
            description = ""
        if topic_id in vocab.topics:
            vocab.problems.append(Problem(path, line, f"topic id '{topic_id}' is defined twice (first on line {vocab.topics[topic_id].line})"))
            continue
        vocab.topics[topic_id] = Topic(topic_id, title.strip(), description.strip(), line)


def _load_labs(path: Path, vocab: Vocabulary) -> None:
    seen: dict[str, tuple[str, int]] = {}
    pages: dict[str, tuple[str, int]] = {}  # slug -> the lab that has labs/<slug>.md, and its line
    for line, item in _load_list(path, "lab", vocab.problems):
        unknown = set(item) - {"name", "aliases", "homepage"}
        if unknown:
            vocab.problems.append(Problem(path, line, f"unknown key(s) {sorted(unknown)}; a lab has name, aliases, homepage"))
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            vocab.problems.append(Problem(path, line, "each lab needs a name"))
            continue
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            vocab.problems.append(Problem(path, line, f"aliases of lab '{name}' must be a list of strings"))
            aliases = []
        homepage = item.get("homepage")
        if homepage is not None and not (isinstance(homepage, str) and homepage.startswith(("https://", "http://"))):
            vocab.problems.append(Problem(path, line, f"homepage of lab '{name}' must be an http(s) URL"))
            homepage = None
        slug = slugify(name)
        if not slug:
            vocab.problems.append(
                Problem(
                    path,
                    line,
                    f"lab name '{name}' has no letter or digit a page name can use (a-z, 0-9), so its page would be labs/.md; "
                    f"give the lab a name in Latin letters (e.g. its English name) and keep '{name}' as an alias",
                )
            )
            continue
        if slug in RESERVED_SLUGS:
            vocab.problems.append(Problem(path, line, f"lab name '{name}' is reserved: labs/{slug}.md is the list of all labs; choose another name"))
            continue
        owner = pages.get(slug)
        if owner and owner[0] != name:
            vocab.problems.append(
                Problem(
                    path,
                    line,
                    f"lab '{name}' would have the page {lab_path(name)}, which is lab '{owner[0]}' (line {owner[1]}): names must differ in "
                    "letters or digits, not only in case, accents or punctuation; rename one, or make it an alias of the other",
                )
            )
            continue
        pages.setdefault(slug, (name, line))
        clash = False
        for alias in (name, *aliases):
            other = seen.get(_fold(alias))
            if other and other[0] != name:
                vocab.problems.append(Problem(path, line, f"'{alias}' already names lab '{other[0]}' (line {other[1]}); a name or alias may name one lab only"))
                clash = True
            seen.setdefault(_fold(alias), (name, line))
        if name in vocab.labs or clash:
            if name in vocab.labs:
                vocab.problems.append(Problem(path, line, f"lab '{name}' is defined twice"))
            continue
        vocab.labs[name] = Lab(name.strip(), [a.strip() for a in aliases], homepage, line)


def load_vocabulary(topics_file: Path, labs_file: Path) -> Vocabulary:
    vocab = Vocabulary()
    _load_topics(topics_file, vocab)
    _load_labs(labs_file, vocab)
    return vocab
