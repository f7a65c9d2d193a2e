"""The architecture and the lint gates, as tests: a dependency that goes the wrong way between paperkb's
layers, a network client imported by the model or the site build, a ruff finding, an unformatted file or a mypy error fails the
suite (and so CI) with the tool's own report.

The contracts and the tools' settings live in pyproject.toml ([tool.importlinter], [tool.ruff], [tool.mypy]);
the tools come with the dev extra and run from the virtual environment that runs the tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    executable = BIN / name
    if not executable.exists():
        pytest.fail(f"{executable} is missing; install the dev extra: {BIN / 'pip'} install -c constraints.txt -e '.[dev]'")
    return subprocess.run([str(executable), *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n{result.stdout}{result.stderr}"


def test_import_contracts_are_kept():
    # No cache: the graph is built from the code as it is now.
    result = run_tool("lint-imports", "--no-cache", "--no-logo")
    assert result.returncode == 0, report(result)
    assert "0 broken" in result.stdout, report(result)


def test_ruff_check_passes():
    result = run_tool("ruff", "check", "scripts", "tests")
    assert result.returncode == 0, report(result)


def test_the_tree_is_formatted_as_ruff_format_writes_it():
    result = run_tool("ruff", "format", "--check", "scripts", "tests")
    assert result.returncode == 0, report(result)


def test_mypy_passes():
    result = run_tool("mypy")
    assert result.returncode == 0, report(result)
