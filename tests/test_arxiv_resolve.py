"""``paperkb resolve``: pages without an arXiv ID get one only when exactly one title matches."""

from __future__ import annotations

import json
from pathlib import Path

import paperkb.check as check
from paperkb.model import config
from paperkb.model.pages import load_page
from tests.support.arxiv_env import run_cli
from tests.support.fake_arxiv import FakeArxiv


def write_page(root: Path, name: str, title: str) -> Path:
    path = root / "content" / "papers" / name
    path.write_text(
        f"---\ntitle: '{title}'\nurl: https://example.org/paper\nauthors:\n- Pat Kumar  # as the PDF spells it\n"
        "topics:\n- reasoning\nstatus: todo\n---\n\n## Summary\n\nTODO\n\n## Notes\n\nRead it on the train.\n",
        "utf-8",
    )
    return path


def test_exactly_one_matching_title_fills_the_id_and_missing_metadata(kb: Path, arxiv_server: FakeArxiv, capsys):
    # Case, punctuation and spacing differ from arXiv's title; they do not matter.
    path = write_page(kb, "tsd.md", "tree search distillation for small language-models")
    before = path.read_text("utf-8")
    assert run_cli(kb, "resolve", str(path)) == 0
    page = load_page(path)
    assert page.meta["arxiv"] == "2504.33333" and page.meta["version"] == 1
    assert str(page.meta["published"]) == "2025-04-30" and page.meta["categories"] == ["cs.CL"]
    assert page.meta["title"] == "tree search distillation for small language-models"  # kept as the person wrote it
    assert page.text.startswith(before.split("---\n\n")[0])  # every existing line kept, new keys appended
    assert page.text.endswith(before.split("\n---\n", 1)[1])  # body unchanged
    assert arxiv_server.requests[0].params["search_query"] == 'ti:"tree search distillation for small language models"'
    assert "resolved content/papers/tsd.md: arxiv 2504.33333" in capsys.readouterr().out.replace(str(kb) + "/", "")
    problems = [p for p in check.check_pages(config.load(kb), [path]) if p.path == path and p.severity == "error"]
    assert problems == []


def test_several_matches_list_the_candidates_and_change_nothing(kb: Path, arxiv_server: FakeArxiv, capsys):
    path = write_page(kb, "calibration.md", "On the Calibration of Reward Models")
    before = path.read_bytes()
    assert run_cli(kb, "resolve", "--json", str(path)) == 1
    result = json.loads(capsys.readouterr().out)["pages"][0]
    assert result["status"] == "ambiguous"
    assert sorted(c["arxiv"] for c in result["candidates"]) == ["2503.11111", "2507.22222"]
    assert path.read_bytes() == before


def test_no_exact_match_lists_what_arxiv_found_and_changes_nothing(kb: Path, arxiv_server: FakeArxiv, capsys):
    path = write_page(kb, "survey.md", "Tree Search Distillation")  # only longer titles contain it
    before = path.read_bytes()
    assert run_cli(kb, "resolve", str(path)) == 1
    out = capsys.readouterr().out
    assert "no arXiv paper has exactly this title; candidates:" in out and "2504.33334" in out and "2504.33333" in out
    assert path.read_bytes() == before


def test_a_match_another_page_already_holds_is_not_duplicated(kb: Path, arxiv_server: FakeArxiv, capsys):
    path = write_page(kb, "r1-copy.md", "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning")
    before = path.read_bytes()
    assert run_cli(kb, "resolve", "--json", str(path)) == 1
    result = json.loads(capsys.readouterr().out)["pages"][0]
    assert result["status"] == "duplicate" and "deepseek-r1.md" in result["message"]
    assert path.read_bytes() == before


def test_without_paths_only_pages_lacking_an_id_are_searched(kb: Path, arxiv_server: FakeArxiv):
    write_page(kb, "tsd.md", "Tree Search Distillation for Small Language Models")
    assert run_cli(kb, "resolve") == 0
    assert len(arxiv_server.requests) == 1  # the 36 shipped pages all have an arXiv ID


def test_a_page_that_already_has_an_id_is_skipped(kb: Path, arxiv_server: FakeArxiv, capsys):
    path = kb / "content" / "papers" / "deepseek-r1.md"
    before = path.read_bytes()
    assert run_cli(kb, "resolve", str(path)) == 0
    assert arxiv_server.requests == [] and path.read_bytes() == before
    assert "already has an arXiv ID" in capsys.readouterr().out


def test_a_missing_path_is_one_clear_error(kb: Path, arxiv_server: FakeArxiv, capsys):
    assert run_cli(kb, "resolve", str(kb / "nope.md")) == 2
    assert "nope.md: no such file or folder" in capsys.readouterr().err


def test_a_folder_other_than_the_papers_holds_no_pages(kb: Path, arxiv_server: FakeArxiv, capsys):
    """`resolve .` at the root means every page, not README.md; another folder is an error, as in check."""
    (kb / "docs").mkdir()
    (kb / "docs" / "notes.md").write_text("# Not a page\n")
    assert run_cli(kb, "resolve", str(kb / "docs")) == 2
    assert "docs: no pages in this folder" in capsys.readouterr().err
    assert arxiv_server.requests == []
