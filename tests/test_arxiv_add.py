"""``paperkb add`` end to end: the real CLI and arxiv client against the fake arXiv server."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest

import paperkb.check as check
from paperkb.model import config
from paperkb.model.pages import load_page, parse_page, set_keys
from tests.support.arxiv_env import configure, paperkb_process, run_cli
from tests.support.fake_arxiv import FakeArxiv, synthetic_papers


def papers(root: Path) -> dict[str, bytes]:
    """Every page's bytes by file name (temporary files, which a running write may hold, left out)."""
    found = {}
    for path in sorted((root / "content" / "papers").glob("*.md")):
        if not path.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):
                found[path.name] = path.read_bytes()
    return found


def temporary_files(root: Path) -> list[str]:
    """Files other than pages in the papers folder: an interrupted atomic write must leave none.

    ``atomic_write`` names its temporary file first and creates it inside its ``try``, so a Ctrl-C at any
    moment either finds no file yet or is caught by the ``except`` that removes it.
    """
    return [p.name for p in (root / "content" / "papers").iterdir() if not p.name.endswith(".md") or p.name.startswith(".")]


def new_pages(root: Path, before: dict[str, bytes]) -> list[Path]:
    return [root / "content" / "papers" / name for name in papers(root) if name not in before]


def errors_in(root: Path, paths: list[Path]) -> list[str]:
    problems = check.check_pages(config.load(root), paths)
    return [f"{p.path.name}:{p.line}: {p.message}" for p in problems if p.severity == "error" and p.path in paths]


# -- every ID form --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argument, arxiv_id, version",
    [
        ("2611.04321", "2611.04321", 1),
        ("2611.04321v1", "2611.04321", 1),
        ("arXiv:2611.04321", "2611.04321", 1),
        ("https://arxiv.org/abs/2611.04321", "2611.04321", 1),
        ("https://arxiv.org/pdf/2611.04321v1", "2611.04321", 1),
        ("cs/9901001", "cs/9901001", 2),
        ("cs/9901001v2", "cs/9901001", 2),
        ("math.GT/0309136", "math/0309136", 1),
    ],
)
def test_every_id_form_makes_one_valid_page(kb: Path, arxiv_server: FakeArxiv, capsys, argument, arxiv_id, version):
    before = papers(kb)
    assert run_cli(kb, "add", argument) == 0
    created = new_pages(kb, before)
    assert len(created) == 1
    page = load_page(created[0])
    assert (page.meta["arxiv"], page.meta["version"], page.meta["status"]) == (arxiv_id, version, "todo")
    assert page.missing_sections() == ["Summary", "Key Insights", "Why It Matters"]
    assert errors_in(kb, created) == []
    assert f"content/papers/{created[0].name} ({arxiv_id}v{version}:" in capsys.readouterr().out


def test_a_new_page_has_the_fetched_metadata_topics_and_priority(kb: Path, arxiv_server: FakeArxiv):
    assert run_cli(kb, "add", "2611.04321", "--topic", "reasoning", "--priority", "high") == 0
    page = load_page(kb / "content" / "papers" / "sparse-reasoning-traces.md")
    assert list(page.meta) == [
        "title", "arxiv", "version", "authors", "labs", "topics", "priority", "published", "updated", "added",
        "categories", "primary_category", "comment", "status", "abstract",
    ]  # fmt: skip
    assert page.meta["topics"] == ["reasoning"] and page.meta["priority"] == "high"
    assert page.meta["labs"] == ["Peking University", "DeepSeek", "Google DeepMind"]
    assert page.text.startswith("---\ntitle: 'Sparse Reasoning Traces: Pruning Chain-of-Thought with Reinforcement Learning'\narxiv: '2611.04321'\n")
    assert "abstract: |\n  We prune the reasoning traces" in page.text
    assert errors_in(kb, [page.path]) == []


def test_an_unknown_topic_stops_before_any_request(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "add", "2611.04321", "--topic", "reasonin") == 2
    assert arxiv_server.requests == []
    assert "unknown topic(s) reasonin" in capsys.readouterr().err


# -- errors: malformed, unknown, duplicates ----------------------------------------------------------------------
def test_a_malformed_argument_is_named_and_never_sent_while_the_rest_are_added(kb: Path, arxiv_server: FakeArxiv, capsys):
    before = papers(kb)
    assert run_cli(kb, "add", "abc", "2611.04321", "https://example.org/abs/1") == 1
    err = capsys.readouterr().err
    assert "'abc' is not an arXiv ID or URL" in err and "'https://example.org/abs/1' is not an arXiv ID" in err
    assert [r.ids for r in arxiv_server.requests] == [["2611.04321"]]
    assert [p.name for p in new_pages(kb, before)] == ["sparse-reasoning-traces.md"]


def test_an_id_arxiv_does_not_know_is_reported_and_the_others_added(kb: Path, arxiv_server: FakeArxiv, capsys):
    before = papers(kb)
    assert run_cli(kb, "add", "2511.99999", "2611.05555") == 1
    assert "not found on arXiv: 2511.99999" in capsys.readouterr().err
    assert [p.name for p in new_pages(kb, before)] == ["measuring-alignment-faking-under-distribution-shift.md"]


def test_a_paper_already_present_is_not_duplicated_and_its_page_named(kb: Path, arxiv_server: FakeArxiv, capsys):
    before = papers(kb)
    assert run_cli(kb, "add", "2501.12948v2", "arXiv:2611.06666", "2611.06666") == 0
    out = capsys.readouterr().out
    assert "already in the knowledge base: 2501.12948 is content/papers/deepseek-r1.md" in out.replace(str(kb) + "/", "")
    assert [r.ids for r in arxiv_server.requests] == [["2611.06666"]]  # asked once, the present one not at all
    assert papers(kb).keys() - before.keys() == {"deepseek-v4-lite.md"}
    assert run_cli(kb, "add", "2611.06666") == 0  # a second add finds the new page
    assert papers(kb).keys() - before.keys() == {"deepseek-v4-lite.md"}


def test_a_title_slug_already_taken_gets_the_id_appended(kb: Path, arxiv_server: FakeArxiv):
    arxiv_server.papers["2611.06666"].versions[0].title = "DeepSeek-R1: Another Paper With the Same Short Title"
    assert run_cli(kb, "add", "2611.06666") == 0
    assert load_page(kb / "content" / "papers" / "deepseek-r1-2611-06666.md").meta["arxiv"] == "2611.06666"


def test_json_output(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "add", "--json", "2611.04321", "2501.12948", "2511.99999", "nope") == 1
    result = json.loads(capsys.readouterr().out)
    assert [a["arxiv"] for a in result["added"]] == ["2611.04321"]
    assert result["added"][0]["path"].endswith("content/papers/sparse-reasoning-traces.md")
    assert [p["arxiv"] for p in result["already_present"]] == ["2501.12948"]
    assert result["not_found"] == ["2511.99999"] and result["invalid"][0]["argument"] == "nope"
    assert result["requests"] == 1


# -- batching through the CLI ----------------------------------------------------------------------------------
def test_ids_are_fetched_in_batches_of_a_hundred(kb: Path, arxiv_server: FakeArxiv, capsys):
    """101 IDs prove the batching (100 + 1 requests) that bench_add measures at 1,000."""
    for paper in synthetic_papers(101):
        arxiv_server.add(paper)
    ids = [f"2509.{n:05d}" for n in range(1, 102)]
    before = papers(kb)
    assert run_cli(kb, "add", *ids) == 0
    assert len(arxiv_server.requests) == 2
    created = new_pages(kb, before)
    assert len(created) == 101
    assert errors_in(kb, created[:50]) == []
    assert "101 added" in capsys.readouterr().err


# -- arXiv unavailable --------------------------------------------------------------------------------------------
def test_when_arxiv_stays_down_the_error_names_what_was_not_fetched(kb: Path, arxiv_server: FakeArxiv, capsys):
    from tests.support.fake_arxiv import Fault

    arxiv_server.fail_next(*[Fault(status=503)] * 3)
    before = papers(kb)
    assert run_cli(kb, "add", "2611.04321", "2611.05555") == 1
    err = capsys.readouterr().err
    assert "no usable answer from arXiv after 3 tries (last: arXiv answered 503 text/plain: 503 fake arXiv fault)" in err
    assert "not fetched: 2611.04321, 2611.05555" in err
    assert "Traceback" not in err and papers(kb) == before


# -- --refresh ----------------------------------------------------------------------------------------------------
def body(text: bytes) -> bytes:
    """Everything from the closing '---' of the front matter on."""
    return text[text.index(b"\n---", 3) :]


def test_refresh_updates_fetched_keys_keeps_people_s_and_reports_the_new_version(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "add", "2611.04321", "--topic", "reasoning") == 0
    path = kb / "content" / "papers" / "sparse-reasoning-traces.md"
    page = load_page(path)
    # A person rates it, edits the author list, writes a summary and notes (CRLF editor, comments kept).
    text = set_keys(page, {"priority": "urgent", "authors": ["Lin Wei", "Chen Hao", "Maria Rossi", "T. Fair"]})
    text = text.replace("## Summary\n\nTODO", "## Summary\n\nA person's summary.") + "\n## Notes\n\nMine. # not a key\n"
    text = text.replace("\n", "\r\n").replace("status: todo", "status: todo  # still to review")
    path.write_bytes(text.encode())
    before = path.read_bytes()
    arxiv_server.add_version("2611.04321", title="Sparse Reasoning Traces (Extended)", summary="A revised   abstract with $x^2$.")
    arxiv_server.requests.clear()
    capsys.readouterr()
    assert run_cli(kb, "add", "--refresh", "--json", "2611.04321") == 0
    result = json.loads(capsys.readouterr().out)["refreshed"][0]
    assert result["newer_version"] == {"from": 1, "to": 2}
    assert result["kept"] == ["authors"] and result["updated"] == ["abstract", "title", "updated", "version"]
    after = path.read_bytes()
    assert body(after) == body(before)  # the body, byte for byte
    page = load_page(path)
    assert page.meta["title"] == "Sparse Reasoning Traces (Extended)" and page.meta["version"] == 2
    assert page.meta["abstract"] == "A revised abstract with $x^2$.\n"
    assert page.meta["authors"][-1] == "T. Fair" and page.meta["priority"] == "urgent" and page.meta["topics"] == ["reasoning"]
    assert b"status: todo  # still to review\r\n" in after and b"\n" not in after.replace(b"\r\n", b"")
    # Only the changed keys' lines differ.
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert all(line.startswith((b"title:", b"version:", b"updated:", b"  A revised")) for line in changed)
    assert [r.ids for r in arxiv_server.requests] == [["2611.04321"], ["2611.04321v1"]]  # latest, then v1 to compare


def test_refresh_of_a_hand_written_page_only_fills_absent_keys(kb: Path, arxiv_server: FakeArxiv, capsys):
    path = kb / "content" / "papers" / "deepseek-r1.md"
    before = path.read_bytes()
    assert run_cli(kb, "add", "--refresh", "2501.12948") == 0
    after = path.read_bytes()
    assert body(after) == body(before)
    for line in before.split(b"\n---")[0].splitlines():
        assert line in after.splitlines()  # every line the person wrote is still there
    page = load_page(path)
    assert page.meta["authors"] == ["DeepSeek-AI"]  # arXiv lists three; the page's list was set by a person
    assert page.meta["version"] == 1 and page.meta["categories"] == ["cs.CL", "cs.AI", "cs.LG"]
    assert "kept (set by a person): authors" in capsys.readouterr().out
    assert errors_in(kb, [path]) == []


def test_refresh_with_nothing_new_changes_nothing(kb: Path, arxiv_server: FakeArxiv):
    assert run_cli(kb, "add", "2611.05555") == 0
    path = kb / "content" / "papers" / "measuring-alignment-faking-under-distribution-shift.md"
    page = load_page(path)
    path.write_text(set_keys(page, {"title": "Alignment Faking Under Shift"}), "utf-8")  # a person shortens it
    before = path.read_bytes()
    assert run_cli(kb, "add", "--refresh", "2611.05555") == 0
    assert path.read_bytes() == before


def test_refresh_names_a_page_whose_front_matter_does_not_parse_and_refreshes_the_others(kb: Path, arxiv_server: FakeArxiv, capsys, monkeypatch):
    monkeypatch.chdir(kb)
    assert run_cli(kb, "add", "2611.04321", "2611.05555") == 0
    broken = kb / "content" / "papers" / "sparse-reasoning-traces.md"
    lines = broken.read_text("utf-8").splitlines(keepends=True)
    line = lines.index("status: todo\n") + 1
    lines[line - 1] = "status: todo: reviewing\n"  # a person's half-done edit
    broken.write_text("".join(lines), "utf-8")
    before = papers(kb)
    for arxiv_id in ("2611.04321", "2611.05555"):
        arxiv_server.add_version(arxiv_id, title=f"Revised {arxiv_id}")
    capsys.readouterr()
    assert run_cli(kb, "add", "--refresh", "2611.04321", "2611.05555") == 1
    out, err = capsys.readouterr()
    assert f"content/papers/sparse-reasoning-traces.md:{line}: invalid YAML in front matter" in err and "(not refreshed)" in err
    assert "Traceback" not in err
    after = papers(kb)
    assert after["sparse-reasoning-traces.md"] == before["sparse-reasoning-traces.md"]  # left as the person has it
    assert set(after) == set(before)  # and not duplicated
    other = "measuring-alignment-faking-under-distribution-shift.md"
    assert "refreshed content/papers/" + other in out
    assert load_page(kb / "content" / "papers" / other).meta["title"] == "Revised 2611.05555"


# -- progress bar ------------------------------------------------------------------------------------------------
def test_no_progress_bar_when_stderr_is_not_a_terminal(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "add", "2611.04321") == 0
    assert "[#" not in capsys.readouterr().err


def test_a_progress_bar_on_a_terminal(kb: Path, arxiv_server: FakeArxiv):
    master, slave = pty.openpty()
    env = {**os.environ, "PAPERKB_ARXIV_API": arxiv_server.url}
    proc = paperkb_process(kb, "add", "2611.04321", "2611.05555", env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out, _ = proc.communicate(timeout=60)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    terminal = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "fetching from arXiv" in terminal and "2/2" in terminal  # tqdm draws on a terminal only
    assert b"[#" not in out  # stdout stays clean for pipes


# -- Ctrl-C ---------------------------------------------------------------------------------------------------------
def interrupt_when(proc: subprocess.Popen, ready, timeout: float = 30, pause: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(pause)
    proc.send_signal(signal.SIGINT)


@pytest.mark.parametrize("moment", ["while writing pages", "while waiting for arXiv"])
def test_ctrl_c_leaves_every_page_as_it_was_or_complete(kb: Path, arxiv_server: FakeArxiv, moment: str):
    for paper in synthetic_papers(300):
        arxiv_server.add(paper)
    # The wait must outlast writing 100 pages, so that there is a moment when the first batch is written
    # and the second request not yet made.
    configure(kb, delay_seconds=0.5 if moment == "while writing pages" else 2.5)
    before = papers(kb)
    env = {**os.environ, "PAPERKB_ARXIV_API": arxiv_server.url}
    proc = paperkb_process(kb, "add", *[f"2509.{n:05d}" for n in range(1, 301)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folder = kb / "content" / "papers"
    count = lambda: sum(1 for name in os.listdir(folder) if not name.startswith("."))  # noqa: E731 (cheap to poll)
    if moment == "while writing pages":
        interrupt_when(proc, lambda: count() > len(before))
    else:
        interrupt_when(proc, lambda: len(arxiv_server.requests) == 1 and count() == len(before) + 100)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err
    after = papers(kb)
    assert {k: v for k, v in after.items() if k in before} == before
    created = new_pages(kb, before)
    assert 0 < len(created) < 300 and temporary_files(kb) == []
    if moment == "while waiting for arXiv":
        assert len(created) == 100  # the first batch, complete; nothing of the second
    for path in created:
        page = parse_page(path, path.read_text("utf-8"))
        assert page.meta["status"] == "todo" and len(page.sections) == 3 and page.text.endswith("TODO\n")
    assert errors_in(kb, created) == []


def test_ctrl_c_during_refresh_leaves_each_page_old_or_new(kb: Path, arxiv_server: FakeArxiv):
    for paper in synthetic_papers(200):
        arxiv_server.add(paper)
    ids = [f"2509.{n:05d}" for n in range(1, 201)]
    assert run_cli(kb, "add", *ids) == 0
    old = papers(kb)
    for arxiv_id in ids:
        arxiv_server.add_version(arxiv_id, title=f"Revised {arxiv_id}")
    configure(kb, delay_seconds=0.3)
    env = {**os.environ, "PAPERKB_ARXIV_API": arxiv_server.url}
    first = kb / "content" / "papers" / "synthetic-paper-1.md"
    untouched = first.stat().st_ino
    proc = paperkb_process(kb, "add", "--refresh", *ids, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Interrupt as soon as the first page has been replaced (a rename gives it a new inode), i.e. after the
    # latest versions and the v1s were fetched, while the other 199 pages are being rewritten.
    interrupt_when(proc, lambda: first.stat().st_ino != untouched, pause=0.0005)
    proc.wait(timeout=30)
    assert proc.returncode == 130
    assert temporary_files(kb) == []
    rewritten = [name for name, data in papers(kb).items() if data != old[name]]
    assert rewritten
    for name in rewritten:
        data = (kb / "content" / "papers" / name).read_bytes()
        page = load_page(kb / "content" / "papers" / name)
        assert page.meta["version"] == 2 and page.meta["title"].startswith("Revised ")
        assert body(data) == body(old[name])


def test_a_page_with_broken_front_matter_still_counts_as_present(kb: Path, arxiv_server: FakeArxiv, capsys):
    broken = kb / "content" / "papers" / "half-edited.md"
    broken.write_text("---\ntitle: Sparse: Reasoning\narxiv: '2611.04321'\nstatus: todo\n---\n\n## Summary\n\nTODO\n", "utf-8")
    assert run_cli(kb, "add", "2611.04321") == 0
    assert "2611.04321 is" in capsys.readouterr().out and arxiv_server.requests == []
    assert not (kb / "content" / "papers" / "sparse-reasoning-traces.md").exists()


# -- code links and the venue ------------------------------------------------------------------------------------
CODE_PAPER = "2609.07777"
CODE_PAGE = "sparse-mixtures-at-small-scale.md"


def test_add_records_the_code_model_and_data_named_in_the_abstract_and_comment(kb: Path, arxiv_server: FakeArxiv):
    assert run_cli(kb, "add", CODE_PAPER) == 0
    path = kb / "content" / "papers" / CODE_PAGE
    page = load_page(path)
    assert page.meta["links"] == [
        {"kind": "code", "title": "example-lab/sparse-moe", "url": "https://github.com/example-lab/sparse-moe"},
        {"kind": "dataset", "title": "example-lab/moe-eval", "url": "https://huggingface.co/datasets/example-lab/moe-eval"},
        {"kind": "model", "title": "example-lab/SparseMoE-7B", "url": "https://huggingface.co/example-lab/SparseMoE-7B"},
    ]
    assert page.meta["journal_ref"] == "Transactions on Example Research, 2026"
    keys = list(page.meta)
    assert keys.index("comment") < keys.index("links") < keys.index("status")
    assert errors_in(kb, [path]) == []


def test_refresh_appends_new_code_links_after_a_person_s_and_never_restores_a_removed_one(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "add", CODE_PAPER) == 0
    path = kb / "content" / "papers" / CODE_PAGE
    # A person drops the data set, puts the model first, adds a talk; CRLF editor, comments kept
    text = path.read_text()
    start, end = text.index("links:\n"), text.index("status:")
    mine = (
        "links:\n"
        "- kind: model  # the weights first\n  title: example-lab/SparseMoE-7B\n  url: https://huggingface.co/example-lab/SparseMoE-7B\n"
        "- kind: code\n  title: example-lab/sparse-moe\n  url: https://github.com/example-lab/sparse-moe\n"
        "- kind: talk\n  title: Sparse mixtures, explained\n  author: Kim Sato\n"
    )
    path.write_bytes((text[:start] + mine + text[end:]).replace("\n", "\r\n").encode())
    before = path.read_bytes()
    arxiv_server.add_version(
        CODE_PAPER,
        summary="We train small sparse mixtures; see https://gitlab.com/example-lab/moe-tools/-/tree/main for tools.",
        comment="Code: https://github.com/example-lab/sparse-moe. Demo: https://huggingface.co/spaces/example-lab/moe-demo.",
    )
    capsys.readouterr()
    assert run_cli(kb, "add", "--refresh", "--json", CODE_PAPER) == 0
    result = json.loads(capsys.readouterr().out)["refreshed"][0]
    assert "links" in result["updated"]
    assert result["links_added"] == ["https://gitlab.com/example-lab/moe-tools", "https://huggingface.co/spaces/example-lab/moe-demo"]
    after = path.read_bytes().decode()
    added = (
        "- kind: code\r\n  title: example-lab/moe-tools\r\n  url: https://gitlab.com/example-lab/moe-tools\r\n"
        "- kind: project\r\n  title: example-lab/moe-demo\r\n  url: https://huggingface.co/spaces/example-lab/moe-demo\r\n"
    )
    assert mine.replace("\n", "\r\n") + added in after  # the person's three, as written and in their order, then the new two
    assert "moe-eval" not in after  # removed by the person: arXiv named it for v1 already, so it stays removed
    assert body(after.encode()) == body(before)
    assert errors_in(kb, [path]) == []
    capsys.readouterr()
    assert run_cli(kb, "add", "--refresh", CODE_PAPER) == 0  # again: nothing new
    assert path.read_bytes().decode() == after
