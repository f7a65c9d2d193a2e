"""``paperkb sync``: watch queries over a date window, sync records, dry runs."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

import paperkb.check as check
from paperkb.model import config
from paperkb.model.syncs import load_sync_records
from tests.support.arxiv_env import run_cli
from tests.support.fake_arxiv import Author, FakeArxiv, FakePaper, Fault, Version

WINDOW = ("--since", "2026-11-15", "--until", "2026-11-21")


def records_of(kb: Path) -> list:
    """The knowledge base's sync records, asserting that every one of them reads."""
    records, errors = load_sync_records(config.load(kb).syncs_dir)
    assert errors == []
    return records


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "content").rglob("*")) if p.is_file()}


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def test_sync_adds_the_window_s_papers_and_records_the_run(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "sync", *WINDOW) == 0
    queries = [r.params["search_query"] for r in arxiv_server.requests]
    assert queries == [
        "(abs:DeepSeek) AND submittedDate:[202611150000 TO 202611212359]",
        '(cat:cs.CL AND abs:"reinforcement learning" AND abs:reasoning) AND submittedDate:[202611150000 TO 202611212359]',
        '(cat:cs.AI AND abs:"alignment faking") AND submittedDate:[202611150000 TO 202611212359]',
    ]
    assert [r.params["sortBy"] for r in arxiv_server.requests] == ["submittedDate"] * 3
    record = (kb / "content" / "syncs" / f"{utc_today()}.yml").read_text("utf-8")
    assert record == (
        f"date: {utc_today()}\n"
        "window: {since: 2026-11-15, until: 2026-11-21}\n"
        "queries:\n"
        '  - {name: deepseek, query: "abs:DeepSeek", max_results: 50, found: 2}\n'
        '  - {name: rl-reasoning, query: "cat:cs.CL AND abs:\\"reinforcement learning\\" AND abs:reasoning", max_results: 50, found: 1}\n'
        '  - {name: alignment, query: "cat:cs.AI AND abs:\\"alignment faking\\"", max_results: 25, found: 1}\n'
        'added: ["2611.06666", "2611.04321", "2611.05555"]\n'
        "counts: {found: 3, added: 3, already_present: 0}\n"
    )
    papers = kb / "content" / "papers"
    created = [papers / n for n in ("deepseek-v4-lite.md", "sparse-reasoning-traces.md", "measuring-alignment-faking-under-distribution-shift.md")]
    assert all(p.exists() for p in created) and not any("2610-01111" in p.name or "early-look" in p.name for p in papers.iterdir())
    problems = [p for p in check.check_pages(config.load(kb), created) if p.path in created and p.severity == "error"]
    assert problems == []
    assert "3 found, 3 added, 0 already present" in capsys.readouterr().err


def test_a_second_run_over_the_same_window_adds_nothing(kb: Path, arxiv_server: FakeArxiv):
    assert run_cli(kb, "sync", *WINDOW) == 0
    pages_after_first = sorted((kb / "content" / "papers").iterdir())
    assert run_cli(kb, "sync", *WINDOW) == 0
    assert sorted((kb / "content" / "papers").iterdir()) == pages_after_first
    records = records_of(kb)
    assert [r["path"].name for r in records] == [f"{utc_today()}.yml", f"{utc_today()}-2.yml"]
    assert records[1]["added"] == [] and records[1]["counts"] == {"found": 3, "added": 0, "already_present": 3}


def test_dry_run_lists_what_it_would_add_and_writes_nothing(kb: Path, arxiv_server: FakeArxiv, capsys):
    before = tree(kb)
    assert run_cli(kb, "sync", "--dry-run", *WINDOW) == 0
    assert tree(kb) == before
    out = capsys.readouterr().out
    assert "would add content/papers/deepseek-v4-lite.md (2611.06666v1" in out.replace(str(kb) + "/", "")
    assert out.count("would add") == 3


def test_json_output(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "sync", "--json", *WINDOW) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["record"]["counts"] == {"found": 3, "added": 3, "already_present": 0}
    assert result["record_path"].endswith(f"content/syncs/{utc_today()}.yml")
    assert [a["arxiv"] for a in result["added"]] == result["record"]["added"]


def test_the_default_window_starts_where_the_last_sync_ended(kb: Path, arxiv_server: FakeArxiv):
    today = utc_today()
    recent = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(6), dt.UTC)
    arxiv_server.add(FakePaper("2611.07777", recent, [Version("DeepSeek Today", "About DeepSeek.", recent)], [Author("A B")], ["cs.CL"], "cs.CL"))
    assert run_cli(kb, "sync") == 0  # no record yet: the last 7 days
    first = arxiv_server.requests[0].params["search_query"]
    assert first.endswith(f"submittedDate:[{today - dt.timedelta(days=7):%Y%m%d}0000 TO {today:%Y%m%d}2359]")
    assert "2611.07777" in records_of(kb)[-1]["added"]
    syncs = kb / "content" / "syncs"
    (syncs / "2026-11-01.yml").write_text(
        "date: 2026-11-01\nwindow: {since: 2026-10-25, until: 2026-11-01}\nqueries: []\nadded: []\ncounts: {found: 0, added: 0, already_present: 0}\n"
    )
    arxiv_server.requests.clear()
    assert run_cli(kb, "sync", "--dry-run") == 0  # the newest record's until, not the file written last
    assert arxiv_server.requests[0].params["search_query"].endswith(f"submittedDate:[{today:%Y%m%d}0000 TO {today:%Y%m%d}2359]")


def test_records_load_oldest_first_with_numbered_runs_in_order(kb: Path):
    syncs = kb / "content" / "syncs"
    syncs.mkdir(parents=True, exist_ok=True)
    body = "window: {since: 2026-11-01, until: 2026-11-02}\nqueries: []\nadded: []\ncounts: {found: 0, added: 0, already_present: 0}\n"
    for name in ("2026-11-03-10.yml", "2026-11-03.yml", "2026-11-03-2.yml", "2026-11-02.yml"):
        (syncs / name).write_text(f"date: {name[:10]}\n{body}")
    (syncs / "notes.txt").write_text("not a record")
    names = [r["path"].name for r in records_of(kb)]
    assert names == ["2026-11-02.yml", "2026-11-03.yml", "2026-11-03-2.yml", "2026-11-03-10.yml"]
    assert records_of(kb)[0]["window"]["until"] == dt.date(2026, 11, 2)


def test_a_broken_record_is_one_clear_error(kb: Path, arxiv_server: FakeArxiv, capsys):
    syncs = kb / "content" / "syncs"
    syncs.mkdir(parents=True, exist_ok=True)
    (syncs / "2026-11-02.yml").write_text("date: 2026-11-02\nwindow: {since: 2026-11-01\n")
    [error] = load_sync_records(config.load(kb).syncs_dir)[1]
    assert re.search(r"2026-11-02\.yml:\d+: invalid YAML", str(error))
    assert run_cli(kb, "sync") == 2
    assert "2026-11-02.yml" in capsys.readouterr().err and arxiv_server.requests == []
    assert run_cli(kb, "sync", "--since", "2026-11-15", "--until", "2026-11-21", "--dry-run") == 0  # --since needs no record


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("# run\ndate: 2025-02-30\nwindow: {since: 2025-01-01, until: 2025-01-02}\n", 2, "'date' 2025-02-30 is not a real date"),
        ("date: 2025-03-01\nwindow:\n  since: 2025-01-01\n  until: 2025-13-02\n", 4, "'until' 2025-13-02 is not a real date"),
    ],
)
def test_an_impossible_date_in_a_record_is_one_clear_error(kb: Path, arxiv_server: FakeArxiv, capsys, text, line, message):
    """PyYAML raises ValueError (not YAMLError) constructing 2025-02-30: check, sync and the build name the line."""
    syncs = kb / "content" / "syncs"
    syncs.mkdir(parents=True, exist_ok=True)
    (syncs / "2025-01-01.yml").write_text(text)
    records, [error] = load_sync_records(syncs)
    assert records == [] and (error.line, error.message.split(";")[0]) == (line, message)
    assert run_cli(kb, "sync", "--dry-run") == 2
    assert f"2025-01-01.yml:{line}: {message}" in capsys.readouterr().err and arxiv_server.requests == []
    assert [(p.line, p.message.split(";")[0]) for p in check.check_sync_records(config.load(kb))] == [(line, message)]
    assert error.report_line().startswith(f"{syncs / '2025-01-01.yml'}:{line}: error: {message}")


def test_when_arxiv_fails_nothing_is_added_and_no_record_written(kb: Path, arxiv_server: FakeArxiv, capsys):
    arxiv_server.fail_next(Fault(), *[Fault(status=503)] * 3)  # the second query never gets an answer
    before = tree(kb)
    assert run_cli(kb, "sync", *WINDOW) == 1
    assert tree(kb) == before
    assert "nothing was added and no record written" in capsys.readouterr().err


def test_a_window_in_the_wrong_order_and_bad_dates_are_refused(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "sync", "--since", "2026-11-21", "--until", "2026-11-15") == 2
    assert "starts (2026-11-21) after it ends (2026-11-15)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_cli(kb, "sync", "--since", "2026-02-30")
    assert "'2026-02-30' is not a date" in capsys.readouterr().err
    assert arxiv_server.requests == []


def test_paging_a_large_watch_query(kb: Path, arxiv_server: FakeArxiv):
    from tests.support.arxiv_env import configure
    from tests.support.fake_arxiv import synthetic_papers

    for paper in synthetic_papers(30, prefix="2611", published=dt.date(2026, 11, 16)):
        arxiv_server.add(paper)
    configure(kb, page_size=10)
    pyproject = kb / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    start = text.index("[[tool.paperkb.sync.queries]]")
    end = text.index("[tool.paperkb.fill]") if "[tool.paperkb.fill]" in text else len(text)
    pyproject.write_text(text[:start] + '[[tool.paperkb.sync.queries]]\nname = "synthetic"\nquery = "ti:synthetic"\nmax_results = 25\n\n' + text[end:])
    assert run_cli(kb, "sync", *WINDOW) == 0
    assert [r.params["start"] for r in arxiv_server.requests] == ["0", "10", "20"]
    assert records_of(kb)[0]["counts"] == {"found": 25, "added": 25, "already_present": 0}
