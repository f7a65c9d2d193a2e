"""`make build`/`make serve` and CI run MkDocs without Material's and properdocs' MkDocs 2 notices: the project pins
mkdocs<2 on purpose, and the red banner on every run hid real warnings. The environment comes from the Makefile
itself (GNU make prints what it exports); a tiny real build shows the banners with and without it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SWITCHES = ("NO_MKDOCS_2_WARNING", "DISABLE_MKDOCS_2_WARNING")
BANNERS = ("Material for MkDocs reaches end of life", "MkDocs may break support")


def makefile_environment() -> dict[str, str]:
    probe = "pkb-env: ; @" + " ".join(f'echo "{name}=$${name}";' for name in SWITCHES)
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile", f"--eval={probe}", "pkb-env"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def tiny_build(tmp_path: Path, env: dict[str, str]) -> str:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "index.md").write_text("# Hello\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ntheme:\n  name: material\nplugins:\n  - gen-files:\n      scripts: []\n")
    base = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    result = subprocess.run([str(Path(sys.executable).with_name("mkdocs")), "build", "-q"], cwd=tmp_path, env={**base, **env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.build
def test_the_makefiles_environment_silences_both_notices(tmp_path):
    env = makefile_environment()
    assert env == {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    loud = tiny_build(tmp_path, {})
    assert all(banner in loud for banner in BANNERS), loud[-2000:]  # what the switches are for
    quiet = tiny_build(tmp_path, env)
    assert not any(banner in quiet for banner in BANNERS), quiet[-2000:]


def test_ci_sets_the_same_switches():
    script = (REPO / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^export NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true$", script, re.M)
