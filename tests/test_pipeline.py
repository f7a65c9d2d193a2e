"""The scheduled sync's pull-request logic, run for real: the workflow's own shell steps, real git with a
local bare repository as origin, the real `paperkb sync --json` (against the fake arXiv) and `paperkb check`,
the real fill report format, and a recording stand-in for the `gh` command line.

Guards: one pull request opened, then updated (never a second); the branch is paperkb/sync and main is never
pushed; no page change means no pull request; the body says what was added, filled, failed and what it cost.
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import markdown
import pytest

from paperkb.cli import fill, pipeline
from paperkb.fill import filler
from paperkb.fill.llm import FillSettings, Ledger, Usage
from paperkb.model import config
from paperkb.model.pages import load_page, set_keys, set_section, write_page
from tests.support.arxiv_env import run_cli
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.workflow_steps import StepRunner, git, workflow_step

REPO = Path(__file__).resolve().parent.parent
SYNC_YML = REPO / ".github" / "workflows" / "sync.yml"
WINDOW = ("--since", "2026-11-15", "--until", "2026-11-21")
BRANCH = "paperkb/sync"


def step(name: str) -> dict:
    return workflow_step(SYNC_YML, name)


@pytest.fixture
def repo(kb: Path, tmp_path: Path, arxiv_server, monkeypatch) -> dict:
    """The knowledge base as a clone of a bare 'origin' whose main holds it; a runner for the workflow's steps."""
    monkeypatch.chdir(kb)  # the runner's working directory is the repository: commands print paths relative to it
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(kb, "init", "--quiet", "--initial-branch=main")
    (kb / ".gitignore").write_text(".venv\n", "utf-8")
    git(kb, "add", "-A")
    git(kb, "commit", "--quiet", "-m", "the knowledge base")
    git(kb, "remote", "add", "origin", str(origin))
    git(kb, "push", "--quiet", "origin", "main")
    (kb / ".venv").symlink_to(REPO / ".venv")  # the steps call .venv/bin/... like on the runner
    runner = StepRunner(kb, tmp_path, {"BRANCH": BRANCH, "MAX_COST": "2.00", "PAPERKB_ARXIV_API": arxiv_server.url})
    return {"kb": kb, "origin": origin, "runner": runner}


def fake_sync(kb: Path, runner: StepRunner, capsys) -> dict:
    """What the 'Sync new papers' step leaves: new pages, a record, and the --json output in RUNNER_TEMP."""
    capsys.readouterr()
    assert run_cli(kb, "sync", "--json", *WINDOW) == 0
    out = capsys.readouterr().out
    (runner.temp / "sync.json").write_text(out, "utf-8")
    return json.loads(out)


def fake_fill(kb: Path, runner: StepRunner, filled: list[str], failed: list[tuple[str, str]], cost_tokens: int) -> None:
    """What 'Fill missing sections' leaves: sections written into pages, and fill's own text report."""
    for path in filled:
        for title in ("Summary", "Key Insights", "Why It Matters"):
            page = load_page(kb / path)
            write_page(page, set_section(page, title, "- One\n- Two" if title == "Key Insights" else f"{title} text."))
        page = load_page(kb / path)
        write_page(page, set_keys(page, {"status": "draft"}))
    report = filler.FillReport(filled=list(filled), failed=list(failed))
    settings = FillSettings()
    ledger = Ledger(settings, 2.0)
    ledger.add(Usage(input=cost_tokens, output=cost_tokens // 4, requests=len(filled) + len(failed)))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        fill.print_fill_report(config.load(kb), report, ledger, settings.model)
    (runner.temp / "fill.log").write_text(buffer.getvalue(), "utf-8")


def remote_heads(origin: Path) -> dict[str, str]:
    lines = git(origin, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads").splitlines()
    return dict(line.split() for line in lines)


def summarise(runner: StepRunner, fill_exit: str = "0", check_exit: str = "0"):
    result, outputs = runner.run(
        step("Summarise the run"), FILL_EXIT=fill_exit, CHECK_EXIT=check_exit, RUN_URL="https://github.com/example/paperkb/actions/runs/1"
    )
    assert result.returncode == 0, result.stderr
    return outputs


def open_or_update(runner: StepRunner, pr_number: str = ""):
    result, _ = runner.run(step("Open or update the pull request"), PR_NUMBER=pr_number, DEFAULT_BRANCH="main", GH_TOKEN="not-a-token")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# -- the whole round ------------------------------------------------------------------------------------------
def test_first_run_opens_one_pull_request_on_the_sync_branch(repo: dict, capsys):
    kb, origin, runner = repo["kb"], repo["origin"], repo["runner"]
    main_before = remote_heads(origin)["main"]
    synced = fake_sync(kb, runner, capsys)
    new_pages = [a["path"] for a in synced["added"]]
    assert len(new_pages) == 3
    fake_fill(kb, runner, filled=new_pages[:2], failed=[(new_pages[2], "output failed validation: an invented number 97.3%")], cost_tokens=40_000)

    result, outputs = runner.run(step("Check every page"))
    assert outputs["exit"] == "0", result.stdout
    outputs = summarise(runner, fill_exit="1", check_exit=outputs["exit"])
    assert outputs["changed"] == "true"

    title = (runner.temp / "title.txt").read_text("utf-8").strip()
    body = (runner.temp / "body.md").read_text("utf-8")
    assert title == f"Research sync {synced['record']['date']}: 3 added, 2 filled, 1 failed"
    assert "| Added by `paperkb sync` | 3 |" in body and "| Failed | 1 |" in body
    assert "| Cost | $0.2700 at the configured prices" in body and "(cap $2.00)" in body  # 40k in, 10k out at $3/$15
    assert "| `paperkb check` | passed |" in body
    for path in new_pages:
        assert f"`{path}`" in body
    assert "an invented number 97.3%" in body
    assert (runner.temp / "step-summary.md").read_text("utf-8") == body

    open_or_update(runner)
    heads = remote_heads(origin)
    assert heads["main"] == main_before  # main is never pushed
    assert set(heads) == {"main", BRANCH}
    assert git(kb, "log", "-1", "--format=%s", heads[BRANCH]) == title
    assert git(kb, "rev-parse", f"{heads[BRANCH]}^") == main_before  # one commit on top of main
    changed = git(kb, "diff", "--name-only", main_before, heads[BRANCH]).splitlines()
    assert set(new_pages) <= set(changed) and all(p.startswith("content/") for p in changed)

    calls = runner.gh_calls()
    assert ["auth", "setup-git"] in calls
    creates = [c for c in calls if c[:2] == ["pr", "create"]]
    assert len(creates) == 1
    create = creates[0]
    assert create[create.index("--base") + 1] == "main" and create[create.index("--head") + 1] == BRANCH
    assert create[create.index("--title") + 1] == title
    assert ["workflow", "run", "ci.yml", "--repo", "example/paperkb", "--ref", BRANCH] in calls
    assert not any(c[:2] == ["pr", "merge"] for c in calls)


def test_a_later_run_updates_the_open_pull_request_on_top_of_its_branch(repo: dict, capsys, tmp_path: Path):
    kb, origin, runner = repo["kb"], repo["origin"], repo["runner"]
    synced = fake_sync(kb, runner, capsys)
    fake_fill(kb, runner, filled=[synced["added"][0]["path"]], failed=[], cost_tokens=1000)
    summarise(runner)
    open_or_update(runner)
    first_commit = remote_heads(origin)[BRANCH]

    # Meanwhile a person changes main.
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    (other / "README-extra.md").write_text("a change on main\n", "utf-8")
    git(other, "add", "README-extra.md")
    git(other, "commit", "--quiet", "-m", "a change on main")
    git(other, "push", "--quiet", "origin", "main")
    main_now = remote_heads(origin)["main"]

    runner.gh_log.unlink()
    result, found = runner.run(step("Find the open sync pull request"), GH_TOKEN="not-a-token", DEFAULT_BRANCH="main", FAKE_GH_OPEN_PR="7")
    assert result.returncode == 0 and found == {"number": "7", "ref": BRANCH}
    git(kb, "fetch", "--quiet", "origin")  # what actions/checkout does with ref: paperkb/sync
    git(kb, "checkout", "--quiet", "-B", BRANCH, f"origin/{BRANCH}")
    result, _ = runner.run(step("Bring the branch up to date with the default branch"), DEFAULT_BRANCH="main")
    assert result.returncode == 0, result.stdout + result.stderr

    second = synced["added"][1]["path"]
    fake_fill(kb, runner, filled=[second], failed=[], cost_tokens=1000)
    (runner.temp / "sync.json").write_text(json.dumps({"record": {"date": "2026-11-29"}, "added": []}), "utf-8")
    outputs = summarise(runner)
    assert outputs["changed"] == "true"
    open_or_update(runner, pr_number="7")

    heads = remote_heads(origin)
    assert heads["main"] == main_now
    assert git(kb, "merge-base", "--is-ancestor", first_commit, heads[BRANCH]) == ""  # fast-forward: nothing lost
    assert git(kb, "merge-base", "--is-ancestor", main_now, heads[BRANCH]) == ""
    calls = runner.gh_calls()
    assert not any(c[:2] == ["pr", "create"] for c in calls)
    edit = next(c for c in calls if c[:2] == ["pr", "edit"])
    assert edit[2] == "7" and "--body-file" in edit


def test_the_branch_may_differ_from_main_only_in_content(repo: dict, capsys):
    kb, runner = repo["kb"], repo["runner"]
    git(kb, "checkout", "--quiet", "-B", BRANCH)
    (kb / "scripts" / "paperkb" / "__init__.py").write_text("import os  # someone's change\n", "utf-8")
    git(kb, "commit", "--quiet", "-am", "code on the sync branch")
    result, _ = runner.run(step("Bring the branch up to date with the default branch"), DEFAULT_BRANCH="main")
    assert result.returncode != 0
    assert "::error::paperkb/sync changes files outside content/" in result.stdout


def test_no_page_change_no_pull_request(repo: dict):
    runner = repo["runner"]
    (repo["kb"] / "content" / "syncs").mkdir(exist_ok=True)
    (repo["kb"] / "content" / "syncs" / "2026-11-22.yml").write_text(
        "date: 2026-11-22\nwindow: {since: 2026-11-15, until: 2026-11-22}\nqueries: []\nadded: []\ncounts: {found: 0, added: 0, already_present: 0}\n", "utf-8"
    )  # a run that found nothing
    (runner.temp / "sync.json").write_text(json.dumps({"record": {"date": "2026-11-22"}, "added": []}), "utf-8")
    (runner.temp / "fill.log").write_text("fill: 0 filled, 0 failed, 0 skipped, 0 not started\n", "utf-8")
    assert summarise(runner)["changed"] == "false"
    assert runner.gh_calls() == []


@pytest.mark.parametrize("value, ok", [("2.00", True), ("15", True), ("2; curl evil", False), ("-1", False), ("", False)])
def test_the_cost_cap_must_be_a_number(tmp_path: Path, value: str, ok: bool):
    result, _ = StepRunner(tmp_path, tmp_path, {}).run(step("Validate the cost cap"), MAX_COST=value)
    assert (result.returncode == 0) == ok
    if not ok:
        assert "::error::max_cost must be a number" in result.stdout


def test_the_fill_step_uses_the_key_from_its_env_and_never_prints_it(repo: dict, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    runner = repo["runner"]
    result, outputs = runner.run(step("Fill missing sections with Claude"), ANTHROPIC_API_KEY="")
    assert outputs["exit"] == "2"  # no key: fill stops before any work, and says why
    assert "ANTHROPIC_API_KEY" in (runner.temp / "fill.log").read_text("utf-8")

    secret = "sk-ant-test-never-shown-0123456789"
    with FakeAnthropic(api_key=secret) as server:
        result, outputs = runner.run(step("Fill missing sections with Claude"), ANTHROPIC_API_KEY=secret, ANTHROPIC_BASE_URL=server.base_url, MAX_COST="0.05")
    log = (runner.temp / "fill.log").read_text("utf-8")
    assert outputs["exit"] in ("0", "1"), log
    assert server.message_requests() and all(r.had_api_key for r in server.message_requests())
    assert re.search(r"^cost: \$0\.0[0-5]\d*", log, re.M), log  # the cap reached fill as --max-cost
    assert secret not in result.stdout + result.stderr + log


# -- the body's text ------------------------------------------------------------------------------------------
def test_outside_text_cannot_format_the_body_or_mention_anyone():
    facts = pipeline.RunFacts(
        date="2026-11-22",
        added=[{"path": "content/papers/x.md", "arxiv": "2511.00001", "title": "Hi @octocat <img src=x> **bold** [link](https://evil.example)"}],
    )
    text = pipeline.body(facts)
    rendered = markdown.markdown(text, extensions=["tables"])  # roughly what GitHub makes of it
    assert "@octocat" not in text and "&#64;octocat" in text
    assert "<img" not in rendered and "<strong>bold" not in rendered and 'href="https://evil.example' not in rendered
    assert "**bold**" in rendered.replace("\\", "")  # still readable as text


def test_fill_json_report_is_read_when_fill_gives_one():
    facts = pipeline.RunFacts()
    pipeline.read_fill(facts, json.dumps({"filled": ["content/papers/a.md"], "failed": [["content/papers/b.md", "refused"]], "cost": 0.5}))
    assert facts.filled == ["content/papers/a.md"] and facts.failed == [("content/papers/b.md", "refused")]
    assert facts.cost == "$0.5000"
