"""``paperkb fill`` end to end: the real anthropic SDK over HTTP against a local fake Messages API."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

import paperkb.check as check
from paperkb.model import config, pages
from paperkb.model.pages import load_page, section_hash
from paperkb.model.vocab import load_vocabulary
from tests.support.arxiv_env import TEST_SETTINGS, configure
from tests.support.fake_anthropic import LINE_BREAKS, TEST_KEY, FakeAnthropic
from tests.support.fake_arxiv import FakeArxiv, load_table, paper_from_dict
from tests.support.fill_kb import PAGE, add_page, kb_talking_to, run_fill, variant


@pytest.fixture
def server():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def kb(tmp_path: Path, server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Path:
    return kb_talking_to(server, tmp_path / "kb", monkeypatch)


def prices(root: Path) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text())["tool"]["paperkb"]["fill"]


def report_numbers(out: str) -> tuple[dict[str, int], float]:
    tokens = re.search(r"tokens: ([\d,]+) input, ([\d,]+) output, ([\d,]+) cache read, ([\d,]+) cache write", out)
    assert tokens, out
    names = ("input", "output", "cache_read", "cache_write")
    counts = {name: int(value.replace(",", "")) for name, value in zip(names, tokens.groups(), strict=True)}
    return counts, float(re.search(r"cost: \$([\d.]+)", out).group(1))


# -- writing ----------------------------------------------------------------------------------------------------
def test_fill_writes_the_missing_sections_and_only_the_keys_it_owns(kb, server, capsys):
    path = add_page(kb, "sparsemix")
    assert run_fill(kb) == 0
    page = load_page(path)
    assert page.missing_sections() == []
    for key in ("summary", "key_insights", "why_it_matters"):
        record = page.generated_record(key)
        assert record["model"] == "claude-sonnet-5-5"
        assert record["input"] == "abstract+notes"
        assert page.is_machine_written(key)
    assert page.meta["status"] == "draft"
    assert page.meta["priority"] == "medium"  # lacked: proposed
    assert page.meta["labs"] == ["DeepSeek"]  # lacked: proposed, canonical name of "DeepSeek-AI"
    assert page.meta["topics"] == ["mixture-of-experts"]  # the page had topics: untouched
    assert page.section_text("Key Insights").startswith("- ")
    text = path.read_text()
    # Everything a person wrote is where it was, byte for byte.
    assert text.startswith(PAGE[: PAGE.index("status:")])
    assert "status:   draft   # flip to draft when done\n" in text
    assert text.endswith("## Notes\n\nMy notes: compare with GShard (600B), which routes to the top-2 experts.\n")
    assert "TODO" not in text and "TBD" not in text
    assert "filled  " in capsys.readouterr().out
    problems = check.check_pages(config.load(kb))
    assert [p for p in problems if p.severity == "error"] == []


def test_fill_keeps_crlf_line_endings_and_a_missing_final_newline(kb, server):
    path = add_page(kb, "sparsemix", PAGE.rstrip("\n"), newline="\r\n")
    assert run_fill(kb) == 0
    raw = path.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert not raw.endswith(b"\n")
    assert load_page(path).missing_sections() == []


def test_a_partly_written_page_gets_only_what_is_missing(kb, server):
    human = "A person's own summary of SparseMix with 16B parameters."
    text = PAGE.replace("## Summary\n\nTODO\n", f"## Summary\n\n{human}\n").replace(
        "status:   todo",
        "priority: high\nlabs: [DeepSeek]\ngenerated:\n  # kept as written\n"
        "  summary: {model: m, date: 2026-01-02, input: abstract, sha256: '" + section_hash(human) + "'}\nstatus:   todo",
    )
    path = add_page(kb, "partial", text)
    before = load_page(path)
    assert run_fill(kb) == 0
    after = load_page(path)
    assert after.section_text("Summary") == human
    assert after.generated_record("summary") == before.generated_record("summary")
    assert "  # kept as written\n  summary: {model: m, date: 2026-01-02, input: abstract, sha256: '" in path.read_text()
    assert set(after.meta["generated"]) == {"summary", "key_insights", "why_it_matters"}
    assert after.generated_record("key_insights")["input"] == "abstract+notes+sections"
    (request,) = server.message_requests()
    schema = request.body["output_config"]["format"]["schema"]
    assert set(schema["properties"]) == {"key_insights", "why_it_matters"}  # priority, topics, labs: present
    assert human in request.body["messages"][0]["content"]


def test_a_section_a_person_changed_after_generation_is_never_rewritten(kb, server, capsys):
    machine = "The machine's summary of SparseMix."
    person = "TBD"  # the person blanked it on purpose; the record no longer matches
    text = PAGE.replace("## Summary\n\nTODO\n", f"## Summary\n\n{person}\n").replace(
        "status:   todo",
        f"generated:\n  summary:\n    model: m\n    date: 2026-01-02\n    input: abstract\n    sha256: {section_hash(machine)}\nstatus:   todo",
    )
    path = add_page(kb, "edited", text)
    assert run_fill(kb) == 0
    after = load_page(path)
    assert after.section_text("Summary") == "TBD"
    assert after.generated_record("summary")["sha256"] == section_hash(machine)
    assert after.missing_sections() == ["Summary"]
    assert after.meta["status"] == "todo"  # something required is still missing
    schema = server.message_requests()[0].body["output_config"]["format"]["schema"]
    assert "summary" not in schema["properties"]
    assert "changed after it was generated" in capsys.readouterr().out


def test_pages_without_an_abstract_or_notes_are_skipped_with_the_fix(kb, server, capsys):
    text = re.sub(r"abstract: \|\n(  .*\n)+", "", PAGE).replace("## Notes\n\nMy notes: compare with GShard (600B), which routes to the top-2 experts.\n", "")
    path = add_page(kb, "bare", text)
    assert run_fill(kb) == 0
    assert path.read_text() == text
    assert server.message_requests() == []
    assert "add 'abstract: |' to the front matter" in capsys.readouterr().out


# -- requests -----------------------------------------------------------------------------------------------------
def test_requests_share_a_cached_prefix_and_constrain_triage_to_the_vocabularies(kb, server, capsys):
    add_page(kb, "one", variant("Paper One", "2401.00001"))
    add_page(kb, "two", variant("Paper Two", "2401.00002").replace("topics:\n  - mixture-of-experts\n", ""))
    assert run_fill(kb, "--concurrency", "1") == 0
    first, second = server.message_requests()
    assert first.body["system"] == second.body["system"]  # byte-identical prefix
    assert first.body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "mixture-of-experts" in first.body["system"][-1]["text"]  # the vocabularies are in the prefix
    assert "Paper One" not in json.dumps(first.body["system"])  # the paper is not
    assert "temperature" not in first.body and "tool_choice" not in first.body
    vocab = load_vocabulary(kb / "content" / "topics.yml", kb / "content" / "labs.yml")
    props = {r.body["messages"][0]["content"].split("\n")[1]: r.body["output_config"]["format"]["schema"]["properties"] for r in (first, second)}
    one, two = props["title: Paper One"], props["title: Paper Two"]
    assert "topics" not in one and two["topics"]["items"]["enum"] == list(vocab.topics)
    assert one["labs"]["items"]["enum"] == two["labs"]["items"]["enum"] == list(vocab.labs)
    assert one["priority"]["enum"] == ["urgent", "high", "medium", "low"]
    counts, cost = report_numbers(capsys.readouterr().out)
    assert counts["cache_write"] > 0 and counts["cache_read"] > 0  # first request writes, the second reads
    p = prices(kb)
    expected = (
        counts["input"] * p["price_input_per_mtok"] + counts["output"] * p["price_output_per_mtok"]
        + counts["cache_read"] * p["price_cache_read_per_mtok"] + counts["cache_write"] * p["price_cache_write_per_mtok"]
    ) / 1e6  # fmt: skip
    assert cost == pytest.approx(expected, abs=1e-4)


def test_model_comes_from_config_and_model_flag_overrides_it(kb, server):
    add_page(kb, "one", variant("Paper One", "2401.00001"))
    add_page(kb, "two", variant("Paper Two", "2401.00002"))
    assert run_fill(kb, "content/papers/one.md") == 0
    assert run_fill(kb, "--model", "claude-haiku-5-5") == 0
    models = [r.body["model"] for r in server.message_requests()]
    assert models == ["claude-sonnet-5-5", "claude-haiku-5-5"]
    assert load_page(kb / "content/papers/two.md").generated_record("summary")["model"] == "claude-haiku-5-5"


def test_a_second_run_with_nothing_missing_makes_no_requests(kb, server):
    for number in range(3):
        add_page(kb, f"p{number}", variant(f"Paper {number}", f"2401.0000{number}"))
    assert run_fill(kb) == 0
    assert len(server.message_requests()) == 3
    snapshot = {p: p.read_bytes() for p in (kb / "content/papers").iterdir()}
    assert run_fill(kb) == 0
    assert len(server.message_requests()) == 3
    assert {p: p.read_bytes() for p in (kb / "content/papers").iterdir()} == snapshot


def test_limit_fills_at_most_n_pages(kb, server, capsys):
    for number in range(4):
        add_page(kb, f"p{number}", variant(f"Paper {number}", f"2401.0000{number}"))
    assert run_fill(kb, "--limit", "2") == 0
    assert len(server.message_requests()) == 2
    assert "2 not started" in capsys.readouterr().out


def test_concurrency_is_bounded(kb, server):
    server.latency = 0.2
    for number in range(8):
        add_page(kb, f"p{number}", variant(f"Paper {number}", f"2401.0000{number}"))
    assert run_fill(kb, "--concurrency", "3") == 0
    assert 2 <= server.max_in_flight <= 3
    assert len(server.message_requests()) == 8


def test_max_cost_stops_starting_new_requests(kb, server, capsys):
    paths = [add_page(kb, f"p{number}", variant(f"Paper {number}", f"2401.0000{number}")) for number in range(5)]
    before = {p: p.read_bytes() for p in paths}
    # Calibrated at $15/MTok output (a cap that affords a few of these requests); scaled to the configured prices.
    cap = round(0.03 * prices(kb)["price_output_per_mtok"] / 15.0, 4)
    assert run_fill(kb, "--concurrency", "1", "--max-cost", str(cap)) == 0
    out = capsys.readouterr().out
    requests = len(server.message_requests())
    assert 1 <= requests < 5
    assert f"--max-cost {cap:g} reached" in out
    _, cost = report_numbers(out)
    assert cost <= cap
    untouched = [p for p in paths if p.read_bytes() == before[p]]
    assert len(untouched) == 5 - requests


# -- keys and secrets ------------------------------------------------------------------------------------------------
def test_missing_api_key_stops_before_any_work(kb, server, monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    path = add_page(kb, "sparsemix")
    assert run_fill(kb) == 2
    err = capsys.readouterr().err
    assert "ANTHROPIC_API_KEY is not set" in err and "--dry-run" in err
    assert len(err.strip().splitlines()) == 1
    assert server.requests == []
    assert path.read_text() == PAGE


def test_dry_run_needs_no_key_and_estimates_tokens_and_cost(kb, server, monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    path = add_page(kb, "sparsemix")
    assert run_fill(kb, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would fill content/papers/sparsemix.md: Summary, Key Insights, Why It Matters + priority, labs" in out
    assert re.search(r"1 page\(s\) to fill with claude-sonnet-5-5: ~[\d,]+ input tokens .* estimated cost \$0\.0\d+", out)
    assert server.requests == []
    assert path.read_text() == PAGE


def test_the_api_key_is_sent_but_never_recorded_or_printed(kb, server, capsys):
    add_page(kb, "sparsemix")
    assert run_fill(kb) == 0
    captured = capsys.readouterr()
    assert TEST_KEY not in captured.out + captured.err
    assert all(r.had_api_key for r in server.requests)
    assert TEST_KEY not in json.dumps([(r.headers, r.body) for r in server.requests])


def test_a_rejected_key_stops_starting_requests(kb, server, monkeypatch, capsys):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "wrong-key")
    for number in range(6):
        add_page(kb, f"p{number}", variant(f"Paper {number}", f"2401.0000{number}"))
    assert run_fill(kb, "--concurrency", "1") == 1
    out = capsys.readouterr().out
    assert "the API refused the key (401); check ANTHROPIC_API_KEY" in out
    assert len(server.message_requests()) == 1
    assert "wrong-key" not in out


# -- failures ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("behaviour", ["rate_limit", "overloaded", "server_error"])
def test_transient_errors_are_retried_by_the_sdk(kb, server, behaviour):
    path = add_page(kb, "sparsemix")
    server.script(behaviour)
    assert run_fill(kb) == 0
    assert len(server.message_requests()) == 2
    assert load_page(path).missing_sections() == []


def test_one_paper_failing_never_stops_the_others(kb, server, capsys):
    cases = {
        "refusal": ("refusal",),
        "bad-request": ("bad_request",),
        "malformed": ("malformed", "malformed"),
        "invented": ("invented_number", "invented_number"),
        "html": ("html", "html"),
        "few": ("few_insights", "few_insights"),
        "cut-off": ("max_tokens",),
    }
    paths, originals = {}, {}
    for number, (slug, behaviours) in enumerate(cases.items()):
        originals[slug] = variant(f"Case {slug}", f"2402.0000{number}")
        paths[slug] = add_page(kb, slug, originals[slug])
        server.script(*behaviours, match=f"title: Case {slug}")
    good = add_page(kb, "good", variant("Good paper", "2402.00009"))
    assert run_fill(kb) == 1
    out = capsys.readouterr().out
    assert load_page(good).missing_sections() == []
    for slug, path in paths.items():
        assert path.read_text() == originals[slug], slug
    failed = dict(re.findall(r"  failed  content/papers/(\S+)\.md: (.*)", out))
    assert set(failed) == set(cases)
    assert "declined" in failed["refusal"]
    assert "400 invalid_request_error" in failed["bad-request"]
    assert "not valid JSON" in failed["malformed"]
    assert "numbers not in the paper input: 42.7%" in failed["invented"]
    assert "raw HTML" in failed["html"]
    assert "key_insights has 1 insight(s)" in failed["few"]
    assert "max_tokens" in failed["cut-off"]
    assert len(server.requests_for("title: Case cut-off")) == 1  # a cut-off answer is not retried as is
    assert len(server.requests_for("title: Case refusal")) == 1


def test_an_invalid_answer_is_retried_once_with_the_reason(kb, server):
    path = add_page(kb, "sparsemix")
    server.script("invented_number")
    assert run_fill(kb) == 0
    first, retry = server.message_requests()
    assert [m["role"] for m in retry.body["messages"]] == ["user", "assistant", "user"]
    assert "42.7%" in retry.body["messages"][1]["content"]
    assert "numbers not in the paper input: 42.7%" in retry.body["messages"][2]["content"]
    assert retry.body["system"] == first.body["system"]
    assert "42.7" not in path.read_text()


def test_model_output_can_never_put_markup_or_headings_into_a_page(kb, server):
    html = add_page(kb, "html", variant("Html", "2403.00001"))
    heading = add_page(kb, "heading", variant("Heading", "2403.00002"))
    server.script("html", "html", match="title: Html")
    server.script("heading", "heading", match="title: Heading")
    assert run_fill(kb) == 1
    for path in (html, heading):
        text = path.read_text()
        assert "<script" not in text and "onerror" not in text and "Injected heading" not in text
        assert load_page(path).missing_sections() == ["Summary", "Key Insights", "Why It Matters"]


@pytest.mark.parametrize("name", list(LINE_BREAKS))
def test_a_heading_hidden_behind_any_line_break_never_reaches_a_page(kb, server, capsys, name):
    """The page reader breaks lines where str.splitlines() does (U+2028, U+0085, \\v, ...); so must the validator,
    or a heading it did not see would split the section and the page would no longer match its record."""
    path = add_page(kb, "hidden", variant("Hidden", "2403.00003"))
    before = path.read_bytes()
    server.script(f"hidden_heading_{name}", f"hidden_heading_{name}")
    assert run_fill(kb) == 1
    out = capsys.readouterr().out
    reason = re.search(r"^  failed  content/papers/hidden\.md: (.*)$", out, re.M).group(1)
    assert reason.startswith("invalid answer after one retry: ") and "a heading (a line starting with '#')" in reason
    assert "insight 1 spans several lines" in reason
    assert path.read_bytes() == before


def test_the_model_name_recorded_is_a_model_id_never_what_the_api_sent_as_markup(kb, server):
    path = add_page(kb, "sparsemix")
    server.script("bad_model")
    assert run_fill(kb) == 0
    page = load_page(path)
    assert {record["model"] for record in page.meta["generated"].values()} == {"claude-sonnet-5-5"}  # the one asked for
    assert "onerror" not in path.read_text() and "Injected" not in path.read_text()


def test_an_answer_given_as_tool_use_is_read_too(kb, server):
    path = add_page(kb, "sparsemix")
    server.script("tool_use")
    assert run_fill(kb) == 0
    assert load_page(path).missing_sections() == []


def test_a_broken_page_is_reported_with_its_line_and_does_not_stop_the_others(kb, server, capsys):
    add_page(kb, "broken", "---\ntitle: [unclosed\n---\n\n## Summary\n\nTODO\n")
    good = add_page(kb, "good")
    assert run_fill(kb) == 1
    out = capsys.readouterr().out
    assert re.search(r"failed  content/papers/broken\.md: line \d+: invalid YAML", out)
    assert load_page(good).missing_sections() == []


def test_unknown_path_is_a_usage_error(kb, server, capsys):
    assert run_fill(kb, "content/papers/nope.md") == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_folder_other_than_the_papers_is_a_usage_error_not_its_markdown_files(kb, server, capsys):
    (kb / "docs").mkdir()
    (kb / "docs" / "README.md").write_text("# Not a page\n")
    assert run_fill(kb, "docs") == 2
    assert "paperkb fill: docs: no pages in this folder (pages are the .md files in content/papers)" in capsys.readouterr().err
    assert server.requests == []


# -- the shipped knowledge base -----------------------------------------------------------------------------------------
PHI_4 = {
    "id": "2412.08905", "published": "2024-12-12T19:00:00Z", "primary_category": "cs.CL", "authors": ["Marah Abdin"],
    "versions": [{"title": "Phi-4 Technical Report", "summary": (
        "We present phi-4, a 14-billion parameter language model developed with a training recipe that is centrally "
        "focused on data quality. Unlike most language models, where pre-training is based primarily on organic data "
        "sources such as web content or code, phi-4 strategically incorporates synthetic data throughout the training "
        "process. While previous models in the Phi family largely distill the capabilities of a teacher model, phi-4 "
        "substantially surpasses its teacher model on STEM-focused QA capabilities.")}],
}  # fmt: skip


def _fill_shipped(kb_copy: Path, server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fill the shipped pages; arXiv (a fake: no HTML or PDF of any paper) gives the abstract Phi-4's page lacks."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    configure(kb_copy, **TEST_SETTINGS)
    todo = [p for p in pages.iter_page_paths(kb_copy / "content/papers") if load_page(p).missing_sections()]
    with FakeArxiv([*load_table(), paper_from_dict(PHI_4)]) as arxiv:
        monkeypatch.setenv("PAPERKB_ARXIV_API", arxiv.url)
        monkeypatch.setenv("PAPERKB_ARXIV_SITE", arxiv.site)
        assert run_fill(kb_copy) == 0
    still = [p.name for p in todo if load_page(p).missing_sections()]
    assert still == []  # Phi-4's page had no abstract: it got arXiv's, then its sections
    phi = load_page(kb_copy / "content/papers/phi-4-technical-report.md")
    assert phi.meta["abstract"].startswith("We present phi-4, a 14-billion parameter language model")
    assert phi.generated_record("summary")["input"] == "abstract"  # no full text served: the abstract, as recorded
    problems = check.check_pages(config.load(kb_copy))
    assert [f"{p.path.name}:{p.line}: {p.message}" for p in problems if p.severity == "error"] == []


def test_fill_on_the_shipped_knowledge_base_then_check_passes(kb_copy, server, monkeypatch):
    _fill_shipped(kb_copy, server, monkeypatch)


@pytest.mark.build
def test_fill_on_the_shipped_knowledge_base_then_a_strict_build_passes(kb_copy, server, monkeypatch, tmp_path):
    if not (kb_copy / "mkdocs.yml").exists():
        pytest.skip("mkdocs.yml is not in the repository yet")
    import subprocess
    import sys

    _fill_shipped(kb_copy, server, monkeypatch)
    mkdocs = Path(sys.executable).with_name("mkdocs")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "-f", str(kb_copy / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        cwd=kb_copy, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    html = (tmp_path / "site" / "papers" / "deepseekmoe" / "index.html").read_text()
    assert "claude-sonnet-5-5" in html  # the machine-written note names the model


def test_a_page_named_twice_is_filled_once(kb, server):
    add_page(kb, "sparsemix")
    assert run_fill(kb, "content/papers", "content/papers/sparsemix.md") == 0
    assert len(server.message_requests()) == 1


def test_ctrl_c_leaves_every_page_untouched_or_complete(kb, server):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.support.fill_kb import REPO

    # Slow enough that the pages left after the fifth request take seconds: under the suite's load the signal can
    # come a second late, and with 12 pages at 0.3 s every page was complete once when it landed
    server.latency = 0.5
    originals = {}
    for number in range(16):
        text = variant(f"Paper {number}", f"2406.000{number:02d}")
        originals[add_page(kb, f"p{number:02d}", text)] = text
    env = dict(os.environ, PYTHONPATH=str(REPO / "scripts"))
    process = subprocess.Popen(
        [sys.executable, "-m", "paperkb", "--root", str(kb), "fill", "--concurrency", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(server.message_requests()) < 5:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "interrupted" in err
    states = []
    for path, text in originals.items():
        now = path.read_text()
        if now == text:
            states.append("untouched")
        else:
            page = load_page(path)
            assert page.missing_sections() == [] and page.meta["status"] == "draft", path
            states.append("complete")
    assert "untouched" in states and "complete" in states
    leftovers = [p.name for p in (kb / "content/papers").iterdir() if p.suffix != ".md"]
    assert leftovers == []  # atomic_write removes its temporary file whenever the signal lands


@pytest.mark.parametrize("value", ["0", "-1", "17"])
def test_a_concurrency_out_of_range_is_rejected_not_replaced_by_the_config(kb, server, capsys, value):
    add_page(kb, "one", variant("Paper One", "2401.00001"))
    assert run_fill(kb, "--dry-run", "--concurrency", value) == 2
    assert f"--concurrency must be between 1 and 16, not {value}" in capsys.readouterr().err
