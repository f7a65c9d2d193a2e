"""Shared fixtures. Test servers (fake arXiv, fake Anthropic) live in tests/support/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# The arXiv fixtures (kb, arxiv_server) for every test module that asks for them by name: imported into a
# module instead, each use as a parameter would shadow the import (pyflakes' F811).
pytest_plugins = ["tests.support.arxiv_env"]


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped knowledge base (content, config, overrides) to modify freely."""
    root = tmp_path / "kb"
    root.mkdir()
    for name in ("pyproject.toml", "mkdocs.yml"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, root / name)
    for name in ("content", "overrides", "scripts"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return root
