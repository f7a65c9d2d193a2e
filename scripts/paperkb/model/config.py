"""Where the knowledge base is, and its settings from ``[tool.paperkb]`` in pyproject.toml."""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """The repository or its configuration cannot be used; the message says how to fix it."""


@dataclass
class KnowledgeBase:
    root: Path
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def content_dir(self) -> Path:
        return self.root / self.settings.get("content_dir", "content")

    def require_content_dir(self) -> None:
        """Stop before any command reads or writes: a typo in content_dir would otherwise create a new tree."""
        if not self.root.is_dir():
            raise ConfigError(f"{self.root}: no such folder; pass --root the folder of the knowledge base")
        if not self.content_dir.is_dir():
            raise ConfigError(
                f"{self.content_dir}: no such folder; fix content_dir in [tool.paperkb] of {self.root / 'pyproject.toml'} "
                '(default "content") or run paperkb from (or --root) the knowledge base'
            )

    @property
    def papers_dir(self) -> Path:
        return self.content_dir / "papers"

    @property
    def articles_dir(self) -> Path:
        return self.content_dir / "articles"

    @property
    def topics_file(self) -> Path:
        return self.content_dir / "topics.yml"

    @property
    def labs_file(self) -> Path:
        return self.content_dir / "labs.yml"

    @property
    def syncs_dir(self) -> Path:
        return self.content_dir / "syncs"

    def section(self, name: str) -> dict[str, Any]:
        value = self.settings.get(name, {})
        return value if isinstance(value, dict) else {}

    def relative(self, path: Path) -> str:
        """A path as the user should see it: relative to the working directory when inside it. Only its folder is
        resolved: a symbolic link is named as itself, not as its target (nor followed round a loop)."""
        path = Path(path)
        try:
            return str((path.absolute().parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
        except (ValueError, OSError):
            return str(path)


# -- checking settings tables (each error names pyproject.toml, the key and the fix) ----------------------
def check_known_keys(table: dict[str, Any], known: Iterable[str], where: str) -> None:
    """A key we do not read is almost always a typo; say which key was probably meant."""
    known = sorted(known)
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise ConfigError(f"{where}: unknown key {key!r}; {hint}")


def whole_number(table: dict[str, Any], key: str, where: str, minimum: int, example: int) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: {key} must be a whole number ≥ {minimum}, not {value!r}; write e.g. {key} = {example}")
    return value


def non_negative_number(table: dict[str, Any], key: str, where: str, example: float) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: {key} must be a number ≥ 0, not {value!r}; write e.g. {key} = {example}")
    return float(value)


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding mkdocs.yml or a pyproject with [tool.paperkb]."""
    env = os.environ.get("PAPERKB_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "mkdocs.yml").is_file() or _has_paperkb_table(candidate / "pyproject.toml"):
            return candidate
    raise ConfigError(
        f"{here}: not inside a paperkb knowledge base (no mkdocs.yml or [tool.paperkb] in pyproject.toml above it); "
        "run paperkb from the repository, or pass --root"
    )


def _has_paperkb_table(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    try:
        return "paperkb" in tomllib.loads(pyproject.read_text("utf-8")).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def load(root: Path | None = None) -> KnowledgeBase:
    root = Path(root).resolve() if root else find_root()
    pyproject = root / "pyproject.toml"
    settings: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            settings = tomllib.loads(pyproject.read_text("utf-8")).get("tool", {}).get("paperkb", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{pyproject}: invalid TOML ({exc}); fix the file so that [tool.paperkb] can be read") from None
    content_dir = settings.get("content_dir", "content")
    if not isinstance(content_dir, str) or not content_dir.strip():
        raise ConfigError(f'{pyproject}: [tool.paperkb] content_dir must be a folder name (a string such as "content"), not {content_dir!r}')
    return KnowledgeBase(root, settings)


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose !!python/name and !ENV tags a safe loader would refuse."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def read_site_url(root: Path) -> str:
    """mkdocs.yml's site_url ('' when unset or unreadable), always ending in '/' when set."""
    try:
        config = yaml.load((Path(root) / "mkdocs.yml").read_text("utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError):
        return ""
    url = str((config or {}).get("site_url") or "").strip() if isinstance(config, dict) else ""
    return url if not url or url.endswith("/") else url + "/"
