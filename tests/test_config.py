"""Settings from pyproject.toml are checked when loaded: one ConfigError naming the file, the key and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paperkb.fill import llm
from paperkb.model import config
from tests.support.fill_kb import make_kb


def fill_table(text: str) -> dict:
    import tomllib

    return tomllib.loads(f"[tool.paperkb.fill]\n{text}\n")["tool"]["paperkb"]["fill"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('concurrency = "x"', r"concurrency must be a whole number ≥ 1, not 'x'; write e\.g\. concurrency = 4"),
        ('max_tokens = "8192"', r"max_tokens must be a whole number ≥ 1, not '8192'"),
        ("max_tokens = -5", r"max_tokens must be a whole number ≥ 1, not -5"),
        ("concurrency = 0", r"concurrency must be a whole number ≥ 1, not 0"),
        ("concurrency = 2.5", r"concurrency must be a whole number"),
        ("concurrency = true", r"concurrency must be a whole number"),
        ("price_input_per_mtok = -1", r"price_input_per_mtok must be a number ≥ 0"),
        ('price_output_per_mtok = "10"', r"price_output_per_mtok must be a number ≥ 0"),
        ("price_cache_read_per_mtok = nan", r"price_cache_read_per_mtok must be a number ≥ 0"),
        ('model = ""', r"model must be a non-empty string"),
        ("model = 5", r"model must be a non-empty string"),
        ('effort = "max"', r"effort must be one of low, medium, high, not 'max'"),
        ("concurency = 4", r"unknown key 'concurency'; did you mean 'concurrency'\?"),
    ],
)
def test_bad_fill_settings_are_one_clear_error(line: str, message: str):
    with pytest.raises(config.ConfigError, match=r"^pyproject\.toml \[tool\.paperkb\.fill\]: " + message):
        llm.FillSettings.from_table(fill_table(line))


def test_good_fill_settings_are_read():
    settings = llm.FillSettings.from_table(fill_table('model = "m"\nconcurrency = 2\nmax_tokens = 100\neffort = "high"\nprice_input_per_mtok = 1'))
    assert (settings.model, settings.concurrency, settings.max_tokens, settings.effort) == ("m", 2, 100, "high")
    assert settings.price_input_per_mtok == 1.0


def paperkb(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paperkb", "--root", str(root), *args], capture_output=True, text=True)


def test_the_command_prints_the_fill_setting_error_as_one_line(tmp_path: Path):
    root = make_kb(tmp_path / "kb")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("concurrency = 4", 'concurrency = "x"'))
    result = paperkb(root, "fill", "--dry-run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "pyproject.toml [tool.paperkb.fill]: concurrency must be" in result.stderr


def test_a_content_dir_that_is_not_a_string_is_one_clear_error(tmp_path: Path):
    root = make_kb(tmp_path / "kb")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('content_dir = "content"', "content_dir = 5"))
    with pytest.raises(config.ConfigError, match=r"pyproject\.toml: \[tool\.paperkb\] content_dir must be a folder name .*not 5$"):
        config.load(root)
    result = paperkb(root, "check")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "must be a folder name" in result.stderr


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if "__pycache__" not in path.parts)


@pytest.mark.parametrize("command", [["check"], ["import-digest", "digest.md"], ["fill", "--dry-run"], ["digest"], ["add", "2502.00001"]])
def test_a_missing_content_dir_stops_every_command_before_it_writes(tmp_path: Path, command: list[str]):
    root = make_kb(tmp_path / "kb")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('content_dir = "content"', 'content_dir = "contnet"'))
    (root / "digest.md").write_text("# Digest\n\n- [A paper](https://arxiv.org/abs/2502.00001)\n")
    before = tree(root)
    result = paperkb(root, *command)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr == f"paperkb: {root / 'contnet'}: no such folder; fix content_dir in [tool.paperkb] of {pyproject} "
        '(default "content") or run paperkb from (or --root) the knowledge base\n'
    )
    assert tree(root) == before


def test_a_root_that_does_not_exist_is_one_clear_error(tmp_path: Path):
    result = paperkb(tmp_path / "nonexistent", "check")
    assert result.returncode == 2 and result.stderr == f"paperkb: {tmp_path / 'nonexistent'}: no such folder; pass --root the folder of the knowledge base\n"
