"""Machine-written sections go stale when arXiv posts a newer version (``add --refresh``, ``sync``), the site says
so, and ``fill --stale`` rewrites them from the new version, never a section a person edited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from paperkb.cli import main as cli
from paperkb.model import config
from paperkb.model.pages import load_page
from paperkb.model.site_input import load_site_input
from paperkb.publish import indexes
from paperkb.publish.paper import body_with_notes
from tests.support.arxiv_env import TEST_SETTINGS, configure
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_arxiv import FakeArxiv, FakePaper, Version
from tests.support.fill_kb import PAGE, add_page, configure_fill, kb_talking_to, run_fill
from tests.support.paper_documents import BODY_SENTENCE, HTML

ARXIV_ID = "2401.06066"
V1_PAGE = PAGE.replace("arxiv: '2401.06066'\n", "arxiv: '2401.06066'\nversion: 1\n")
V2_SENTENCE = "In the second version the router also balances load across devices with 3 auxiliary losses."
WHEN = dt.datetime(2024, 1, 11, 12, tzinfo=dt.UTC)
ABSTRACT_V1 = " ".join(PAGE.split("abstract: |\n", 1)[1].split("---", 1)[0].split())


@pytest.fixture
def server():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def arxiv(monkeypatch):
    paper = FakePaper(ARXIV_ID, WHEN, [Version("SparseMix: Routing   Experts", ABSTRACT_V1, WHEN)], [], ["cs.CL"], "cs.CL")
    with FakeArxiv([paper]) as fake:
        monkeypatch.setenv("PAPERKB_ARXIV_API", fake.url)
        monkeypatch.setenv("PAPERKB_ARXIV_SITE", fake.site)
        fake.serve_html(f"{ARXIV_ID}v1", HTML)
        fake.serve_html(f"{ARXIV_ID}v2", HTML.replace(BODY_SENTENCE, V2_SENTENCE))
        yield fake


@pytest.fixture
def kb(tmp_path: Path, server: FakeAnthropic, arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = kb_talking_to(server, tmp_path / "kb", monkeypatch)
    configure(root, **TEST_SETTINGS)
    configure_fill(root, full_text=True)
    return root


def _filled_then_v2(kb: Path, arxiv: FakeArxiv) -> Path:
    path = add_page(kb, "sparsemix", V1_PAGE)
    assert run_fill(kb) == 0
    assert load_page(path).generated_record("summary")["version"] == 1
    arxiv.add_version(ARXIV_ID, summary=ABSTRACT_V1 + " Version 2 adds device-level load balancing.", updated=WHEN + dt.timedelta(days=30))
    return path


def test_add_refresh_marks_the_machine_written_sections_stale(kb, server, arxiv, capsys):
    path = _filled_then_v2(kb, arxiv)
    before = load_page(path)
    capsys.readouterr()
    assert cli.main(["--root", str(kb), "add", "--refresh", ARXIV_ID]) == 0
    out = capsys.readouterr().out
    assert "stale content/papers/sparsemix.md: Summary, Key Insights, Why It Matters written from an older version" in out
    page = load_page(path)
    assert page.meta["version"] == 2
    for key in ("summary", "key_insights", "why_it_matters"):
        record = page.generated_record(key)
        assert (record["version"], record["stale"]) == (1, 2)  # written from v1; v2 is out
        assert record["sha256"] == before.generated_record(key)["sha256"]
        assert page.is_machine_written(key)
    for title in ("Summary", "Key Insights", "Why It Matters", "Notes"):
        assert page.section_text(title) == before.section_text(title)
    # the site: a note on the paper page, a section of the status board
    notes: list[str] = []
    body_with_notes(page, notes)
    assert all("Written from v1; v2 is out." in note for note in notes) and len(notes) == 3
    board = indexes.index_files(load_site_input(config.load(kb)))["status.md"]
    assert "## Stale { #stale }" in board and "SparseMix" in board.split("## Stale", 1)[1]


def test_a_second_refresh_marks_nothing_again(kb, server, arxiv):
    path = _filled_then_v2(kb, arxiv)
    assert cli.main(["--root", str(kb), "add", "--refresh", ARXIV_ID]) == 0
    once = path.read_text()
    assert cli.main(["--root", str(kb), "add", "--refresh", ARXIV_ID]) == 0
    assert path.read_text() == once


def test_fill_stale_rewrites_only_the_stale_sections_from_the_new_version(kb, server, arxiv, capsys):
    path = _filled_then_v2(kb, arxiv)
    assert cli.main(["--root", str(kb), "add", "--refresh", ARXIV_ID]) == 0
    old = load_page(path)
    requests = len(server.message_requests())
    assert run_fill(kb) == 0  # without --stale: nothing is missing, nothing is sent
    assert len(server.message_requests()) == requests
    assert run_fill(kb, "--stale") == 0
    request = server.message_requests()[-1]
    sent = request.body["messages"][0]["content"]
    assert V2_SENTENCE in sent and BODY_SENTENCE not in sent  # v2's full text
    assert "<sections_already_written>" not in sent  # the stale text is not offered as context
    assert "Version 2 adds device-level load balancing." in sent  # v2's abstract (the refresh took it)
    assert set(request.body["output_config"]["format"]["schema"]["properties"]) == {"summary", "key_insights", "why_it_matters"}
    page = load_page(path)
    for key in ("summary", "key_insights", "why_it_matters"):
        record = page.generated_record(key)
        assert record["version"] == 2 and "stale" not in record
        assert page.is_machine_written(key)
    assert page.section_text("Notes") == old.section_text("Notes")
    assert run_fill(kb, "--stale") == 0  # nothing stale any more
    assert server.message_requests()[-1] is request


def test_an_edited_stale_section_is_left_alone_and_reported(kb, server, arxiv, capsys):
    path = _filled_then_v2(kb, arxiv)
    assert cli.main(["--root", str(kb), "add", "--refresh", ARXIV_ID]) == 0
    page = load_page(path)
    mine = "My own summary of SparseMix, which I checked against the paper."
    path.write_text(page.text.replace(page.section_text("Summary"), mine))
    capsys.readouterr()
    assert run_fill(kb, "--stale") == 0
    out = capsys.readouterr().out
    assert "Summary was written from an older version (v2 is out) but a person has edited it since" in out
    after = load_page(path)
    assert after.section_text("Summary") == mine
    assert after.generated_record("summary")["stale"] == 2  # still says what it was written from
    schema = server.message_requests()[-1].body["output_config"]["format"]["schema"]
    assert set(schema["properties"]) == {"key_insights", "why_it_matters"}
    assert "stale" not in after.generated_record("key_insights")


def test_sync_marks_a_known_paper_stale_when_it_finds_a_newer_version(kb, server, arxiv, capsys):
    path = add_page(kb, "sparsemix", V1_PAGE.replace("We present SparseMix", "We present SparseMix (DeepSeek)"))
    arxiv.papers[ARXIV_ID].versions[0].summary = arxiv.papers[ARXIV_ID].versions[0].summary.replace(
        "We present SparseMix", "We present SparseMix (DeepSeek)")  # fmt: skip
    assert run_fill(kb) == 0
    arxiv.add_version(ARXIV_ID, updated=WHEN + dt.timedelta(days=30))
    capsys.readouterr()
    assert cli.main(["--root", str(kb), "sync", "--since", "2024-01-01", "--until", "2024-01-31"]) == 0
    assert "stale content/papers/sparsemix.md: Summary, Key Insights, Why It Matters" in capsys.readouterr().out
    page = load_page(path)
    assert page.meta["version"] == 1  # sync changes nothing else of the page
    assert page.generated_record("summary")["stale"] == 2
    assert run_fill(kb, "--stale") == 0  # from v2's full text, although the page still says v1
    assert load_page(path).generated_record("summary")["version"] == 2


def test_a_person_written_section_is_never_marked(kb, server, arxiv):
    human = "A person's own summary of SparseMix with 16B parameters."
    path = add_page(kb, "sparsemix", V1_PAGE.replace("## Summary\n\nTODO\n", f"## Summary\n\n{human}\n"))
    assert run_fill(kb) == 0
    arxiv.add_version(ARXIV_ID, updated=WHEN + dt.timedelta(days=30))
    assert cli.main(["--root", str(kb), "add", "--refresh", ARXIV_ID]) == 0
    page = load_page(path)
    assert page.generated_record("summary") is None and page.section_text("Summary") == human
    assert page.generated_record("key_insights")["stale"] == 2
