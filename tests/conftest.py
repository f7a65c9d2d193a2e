"""Shared fixtures. Test servers (fake arXiv, fake Anthropic) live in tests/support/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# The arXiv fixtures (kb, arxiv_server), the module's Chromium (chromium) and the shared site build (shared_site) for
# every test module that asks for them by name: imported into a
# module instead, each use as a parameter would shadow the import (pyflakes' F811).
pytest_plugins = ["tests.support.arxiv_env", "tests.support.browser", "tests.support.shared_site"]


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the suite on every core with pytest-xdist's ``--dist loadgroup``: a test runs in its module's
    group, so a module's fixtures (most build a site) are made once, on one worker; a test that names a group of
    its own (the hostile-site crawl's shards) may run beside the rest of its module, on another worker."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__ if item.module else item.nodeid))
