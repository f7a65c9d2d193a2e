"""Fixtures for the arXiv tests: a fake arXiv server and a knowledge base copy configured to use it.

tests/conftest.py registers this module as a plugin, so a test asks for ``kb`` or ``arxiv_server`` by name
(a module's own fixture of the same name wins). Delays are lowered through the copy's ``[tool.paperkb.arxiv]``,
never in the code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from paperkb.cli import main as cli
from paperkb.model import config
from tests.support.fake_arxiv import FakeArxiv, load_table

#: Fast but real: every wait still happens, only shorter.
TEST_SETTINGS = {"delay_seconds": 0.01, "backoff_seconds": 0.01, "timeout_seconds": 3.0, "max_retries": 2}


def configure(root: Path, **settings: Any) -> None:
    """Set keys of [tool.paperkb.arxiv] in the copy's pyproject.toml (replacing or adding lines)."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    head, sep, rest = text.partition("[tool.paperkb.arxiv]\n")
    assert sep, "the copied pyproject.toml has no [tool.paperkb.arxiv] table"
    section_end = re.search(r"^\[", rest, re.M)
    section, tail = (rest[: section_end.start()], rest[section_end.start() :]) if section_end else (rest, "")
    for name, value in settings.items():
        line = f"{name} = {value!r}" if not isinstance(value, str) else f'{name} = "{value}"'
        if re.search(rf"^{name}\s*=", section, re.M):
            section = re.sub(rf"^{name}\s*=.*$", line, section, flags=re.M)
        else:
            section = line + "\n" + section
    pyproject.write_text(head + sep + section + tail, "utf-8")


@pytest.fixture
def arxiv_server(monkeypatch: pytest.MonkeyPatch):
    """The fake arXiv with the fixture table, and PAPERKB_ARXIV_API pointing at it."""
    with FakeArxiv(load_table()) as server:
        monkeypatch.setenv("PAPERKB_ARXIV_API", server.url)
        yield server


@pytest.fixture
def kb(kb_copy: Path) -> Path:
    """A copy of the shipped knowledge base whose arXiv settings make tests fast."""
    configure(kb_copy, **TEST_SETTINGS)
    return kb_copy


def knowledge_base(root: Path) -> config.KnowledgeBase:
    return config.load(root)


def run_cli(root: Path, *args: str) -> int:
    return cli.main(["--root", str(root), *args])


def paperkb_process(root: Path, *args: str, env: dict[str, str], **popen: Any) -> subprocess.Popen:
    """``python -m paperkb`` in a child process (for signals and terminals)."""
    return subprocess.Popen([sys.executable, "-m", "paperkb", "--root", str(root), *args], env=env, **popen)
