"""Every GitHub workflow: actionlint and zizmor (offline) clean, and the security properties asserted on
the parsed files: per-job least-privilege permissions, no pull_request_target, every action pinned to a
commit SHA with its release in a comment, checkout never persisting credentials, no ${{ }} expanded inside
a shell script, secrets only in sync.yml's fill step and digest-mail.yml's SMTP steps, and the sync pipeline
never pushing to main."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

#: The only permissions a workflow may write with, and why.
ALLOWED_WRITES = {
    "ci.yml": set(),
    "deploy.yml": {"pages", "id-token"},  # publish to GitHub Pages
    "sync.yml": {"contents", "pull-requests", "actions"},  # push its branch, open the PR, start CI on it
    "digest-mail.yml": set(),
}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text("utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; run `make dev` (it comes with the dev extras)")
    return found


def test_there_are_workflows_to_check():
    assert {p.name for p in FILES} >= {"ci.yml", "deploy.yml", "sync.yml"}


# -- the linters ------------------------------------------------------------------------------------------------
def test_actionlint_is_clean():
    result = subprocess.run([tool("actionlint"), "-no-color", *map(str, FILES)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_offline_is_clean():
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_zizmor_would_catch_a_bad_workflow(tmp_path: Path):
    """The audit is live: an unpinned action, pull_request_target and template injection are all reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n"
        "      - run: echo '${{ github.event.pull_request.title }}'\n",
        "utf-8",
    )
    result = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0
    for audit in ("dangerous-triggers", "template-injection", "unpinned-uses"):
        assert audit in result.stdout


# -- properties, per workflow ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_pull_request_target(path: Path):
    triggers = load(path)["on"]
    names = [triggers] if isinstance(triggers, str) else list(triggers)
    assert "pull_request_target" not in names and "workflow_run" not in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_permissions_are_set_per_job_and_least_privilege(path: Path):
    workflow = load(path)
    top = workflow.get("permissions")
    assert top is not None, "set a top-level default (permissions: {} or read-only)"
    assert top == {} or all(v in ("read", "none") for v in top.values()), "write access belongs on the job that needs it"
    allowed = ALLOWED_WRITES.get(path.name, set())
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{job_id}: declare its permissions"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= allowed, f"{job_id} writes {writes - allowed}"
        assert "write-all" not in str(permissions) and "read-all" not in str(permissions)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_release_named(path: Path):
    lines = path.read_text("utf-8").splitlines()
    uses = [line for line in lines if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses, "expected at least one action"
    for line in uses:
        reference = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        if reference.startswith("./"):
            continue  # a local action is pinned by the repository itself
        assert SHA_PIN.match(reference), f"{path.name}: {reference} is not pinned to a full commit SHA"
        assert re.search(r"#\s*v\d+(\.\d+)*", line), f"{path.name}: name the release next to {reference}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_checkout_never_persists_credentials(path: Path):
    for job_id, step in steps(load(path)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{job_id}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_script(path: Path):
    """${{ }} in `run:` is pasted into the script before bash sees it: values go through env instead."""
    for job_id, step in steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{path.name}:{job_id}: {step.get('name')}"


#: Where each workflow may name a secret: step id -> the secrets that step may name.
SECRET_STEPS = {
    "sync.yml": {"fill": ["ANTHROPIC_API_KEY"]},
    # `setup` only asks whether the password is set (a boolean); the send step gets the login in its env
    "digest-mail.yml": {"setup": ["PAPERKB_SMTP_PASSWORD"], "send": ["PAPERKB_SMTP_PASSWORD", "PAPERKB_SMTP_USER"]},
}


def test_secrets_appear_only_in_the_steps_that_need_them():
    for path in FILES:
        workflow = load(path)
        text = path.read_text("utf-8")
        allowed = SECRET_STEPS.get(path.name)
        if allowed is None:
            assert "secrets." not in text, path.name
            continue
        seen = []
        for job_id, step in steps(workflow):
            mentions = re.findall(r"secrets\.(\w+)", yaml.safe_dump(step))
            if not mentions:
                continue
            key = step.get("id")
            assert key in allowed and sorted(mentions) == allowed[key], f"{path.name}:{job_id}: {step.get('name')} names {mentions}"
            assert "secrets." not in step.get("run", ""), "secrets stay in the step's environment, never in its script"
            seen.append(key)
        assert sorted(seen) == sorted(allowed), path.name
        assert "env" not in workflow or "secrets." not in yaml.safe_dump(workflow.get("env"))
        for job in workflow["jobs"].values():
            assert "secrets." not in yaml.safe_dump(job.get("env", {})), "job-wide env would hand the key to every step"


def test_the_digest_is_mailed_after_a_merged_sync_and_skipped_without_a_login():
    workflow = load(WORKFLOWS / "digest-mail.yml")
    assert workflow["on"]["push"] == {"branches": ["main"], "paths": ["content/syncs/**"]}
    runs = {step.get("name"): step for _, step in steps(workflow)}
    assert runs["Send the digest"]["run"] == ".venv/bin/paperkb digest --sync latest --send"
    gated = [name for name, step in runs.items() if name not in ("Check out", "Is e-mail set up?")]
    assert all(runs[name]["if"].endswith("steps.setup.outputs.enabled == 'true'") for name in gated)


# -- the sync pipeline ------------------------------------------------------------------------------------------
def sync_workflow() -> dict:
    return load(WORKFLOWS / "sync.yml")


def test_sync_runs_on_a_schedule_and_on_dispatch_with_a_cost_cap():
    workflow = sync_workflow()
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"]
    max_cost = workflow["on"]["workflow_dispatch"]["inputs"]["max_cost"]
    assert 0 < float(max_cost["default"]) <= 20
    job = workflow["jobs"]["sync"]
    assert max_cost["default"] in job["env"]["MAX_COST"]  # scheduled runs get the same default


def test_sync_runs_sync_then_fill_with_the_cap_then_check():
    runs = [step.get("run", "") for _, step in steps(sync_workflow())]
    order = [
        next(i for i, run in enumerate(runs) if command in run)
        for command in ("paperkb sync --json", 'paperkb fill --max-cost "$MAX_COST"', "paperkb check", "python -m paperkb.cli.pipeline")
    ]
    assert order == sorted(order)


def test_sync_never_pushes_to_main():
    workflow = sync_workflow()
    branch = workflow["jobs"]["sync"]["env"]["BRANCH"]
    assert branch not in ("main", "master") and "/" in branch
    pushes = [line.strip() for _, step in steps(workflow) for line in step.get("run", "").splitlines() if "git push" in line]
    assert pushes, "the pull request branch must be pushed somewhere"
    for line in pushes:
        assert line.endswith('"HEAD:refs/heads/$BRANCH"'), line  # an explicit refspec, to the sync branch only
    text = (WORKFLOWS / "sync.yml").read_text("utf-8")
    assert not re.search(r"git push[^\n]*\b(main|master)\b", text)
    assert "gh pr merge" not in text and "--admin" not in text


def test_sync_opens_a_pull_request_only_when_pages_changed():
    for _, step in steps(sync_workflow()):
        if "gh pr create" in step.get("run", ""):
            assert step["if"] == "steps.summary.outputs.changed == 'true'"
            assert "gh pr edit" in step["run"]  # an open one is updated, never a second one opened
            break
    else:
        pytest.fail("no step opens the pull request")
