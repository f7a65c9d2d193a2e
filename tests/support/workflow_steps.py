"""Run single `run:` steps of a GitHub workflow locally, the way the runner does, against real git.

The runner executes a step as ``bash --noprofile --norc -eo pipefail`` with the step's env, plus
GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / RUNNER_TEMP files. ``gh`` is replaced by a small program on PATH
that records its arguments (one JSON list per line) and answers ``gh pr list`` with a configured number,
so the pull-request logic is exercised without GitHub. Steps never contain ``${{ }}`` (a workflow test
asserts it), so the script is exactly what the runner would run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

FAKE_GH = """#!{python}
import json, os, sys
with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["pr", "list"]:
    print(os.environ.get("FAKE_GH_OPEN_PR", ""))
"""


def workflow_step(workflow: Path, name: str) -> dict:
    data = yaml.safe_load(workflow.read_text("utf-8"))
    for job in data["jobs"].values():
        for step in job.get("steps", []):
            if step.get("name") == name:
                return step
    raise KeyError(f"no step named {name!r} in {workflow}")


class StepRunner:
    def __init__(self, workspace: Path, tmp: Path, base_env: dict[str, str]):
        self.workspace = workspace
        self.temp = tmp / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.bin = tmp / "fake-bin"
        self.bin.mkdir(exist_ok=True)
        gh = self.bin / "gh"
        gh.write_text(FAKE_GH.format(python=sys.executable), "utf-8")
        gh.chmod(0o755)
        self.gh_log = tmp / "gh.log"
        self.home = tmp / "home"
        self.home.mkdir(exist_ok=True)
        self.base_env = base_env

    def run(self, step: dict, **env: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
        output = self.temp / "github-output"
        output.write_text("", "utf-8")
        full_env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.temp / "step-summary.md"),
            "GITHUB_REPOSITORY": "example/paperkb",
            "FAKE_GH_LOG": str(self.gh_log),
            **self.base_env,
            **step.get("env", {}),
            **env,
        }
        for key, value in full_env.items():
            assert "${{" not in str(value), f"set {key} in the test: the runner would have expanded it"
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.workspace,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result, parse_outputs(output.read_text("utf-8"))

    def gh_calls(self) -> list[list[str]]:
        if not self.gh_log.exists():
            return []
        return [json.loads(line) for line in self.gh_log.read_text("utf-8").splitlines()]


def parse_outputs(text: str) -> dict[str, str]:
    outputs = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()
