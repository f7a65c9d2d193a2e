"""``paperkb fill --batch``: Message Batches, applied with the same validation, resumable without paying twice."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from paperkb.model.pages import load_page
from tests.support.fake_anthropic import TEST_KEY, FakeAnthropic
from tests.support.fill_kb import REPO, add_page, kb_talking_to, run_fill, variant

STATE = Path(".paperkb-state/fill-batch.json")


@pytest.fixture
def server():
    with FakeAnthropic(batch_polls=2) as fake:
        yield fake


@pytest.fixture
def kb(tmp_path: Path, server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Path:
    return kb_talking_to(server, tmp_path / "kb", monkeypatch)


def batch_creates(server: FakeAnthropic) -> list:
    return [r for r in server.requests if r.method == "POST" and r.path == "/v1/messages/batches"]


def three_pages(kb: Path) -> list[Path]:
    return [add_page(kb, f"p{n}", variant(f"Paper {n}", f"2405.0000{n}")) for n in range(3)]


def test_a_batch_is_submitted_once_polled_and_applied(kb, server, capsys):
    paths = three_pages(kb)
    assert run_fill(kb, "--batch", "--poll-seconds", "0.01") == 0
    out = capsys.readouterr().out
    (create,) = batch_creates(server)
    requests = create.body["requests"]
    assert len(requests) == 3 and len({r["custom_id"] for r in requests}) == 3
    params = requests[0]["params"]
    assert params["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert params["output_config"]["format"]["type"] == "json_schema"
    assert server.message_requests() == []  # everything went through the batch
    assert sum(r.path.endswith("/results") for r in server.requests) == 1
    for path in paths:
        page = load_page(path)
        assert page.missing_sections() == [] and page.meta["status"] == "draft"
    assert not (kb / STATE).exists()
    assert "submitted batch msgbatch_" in out and "in_progress" in out
    tokens = [int(v.replace(",", "")) for v in re.search(r"tokens: ([\d,]+) input, ([\d,]+) output, ([\d,]+) cache read, ([\d,]+) cache write", out).groups()]
    p = tomllib.loads((kb / "pyproject.toml").read_text())["tool"]["paperkb"]["fill"]
    prices = ("price_input_per_mtok", "price_output_per_mtok", "price_cache_read_per_mtok", "price_cache_write_per_mtok")
    full = sum(t * p[k] for t, k in zip(tokens, prices, strict=True)) / 1e6
    assert float(re.search(r"cost: \$([\d.]+)", out).group(1)) == pytest.approx(full / 2, abs=1e-4)  # half price


def test_batch_results_get_the_same_validation_and_one_direct_retry(kb, server, capsys):
    errored = add_page(kb, "errored", variant("Errored", "2405.00011"))
    invented = add_page(kb, "invented", variant("Invented", "2405.00012"))
    refused = add_page(kb, "refused", variant("Refused", "2405.00013"))
    good = add_page(kb, "good", variant("Good", "2405.00014"))
    before = {p: p.read_text() for p in (errored, refused)}
    server.script("overloaded", match="title: Errored")
    server.script("invented_number", match="title: Invented")
    server.script("refusal", match="title: Refused")
    assert run_fill(kb, "--batch", "--poll-seconds", "0.01") == 1
    out = capsys.readouterr().out
    assert "failed  content/papers/errored.md: batch request errored: overloaded_error" in out
    assert "failed  content/papers/refused.md: the model declined" in out
    (retry,) = server.message_requests()  # the invalid answer was retried once, directly
    assert "numbers not in the paper input: 42.7%" in retry.body["messages"][-1]["content"]
    assert load_page(invented).missing_sections() == [] and "42.7" not in invented.read_text()
    assert load_page(good).missing_sections() == []
    assert all(p.read_text() == text for p, text in before.items())
    assert not (kb / STATE).exists()


def test_max_cost_limits_what_a_batch_submits(kb, server, capsys):
    three_pages(kb)
    assert run_fill(kb, "--batch", "--poll-seconds", "0.01", "--max-cost", "0.012") == 0
    (create,) = batch_creates(server)
    assert 1 <= len(create.body["requests"]) < 3
    assert "--max-cost 0.012 reached" in capsys.readouterr().out


def test_an_interrupted_batch_run_resumes_polling_instead_of_paying_twice(kb, server, capsys):
    paths = three_pages(kb)
    before = {p: p.read_bytes() for p in paths}
    server.batch_polls = 10**6  # the batch stays in progress until the test says otherwise
    env = dict(os.environ, PYTHONPATH=str(REPO / "scripts"))
    process = subprocess.Popen(
        [sys.executable, "-m", "paperkb", "--root", str(kb), "fill", "--batch", "--poll-seconds", "0.05"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not any(b.polls >= 2 for b in list(server.batches.values())):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the batch was never polled"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # Ctrl-C while polling
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "still pending; run 'paperkb fill --batch' again" in err
    state = json.loads((kb / STATE).read_text())
    assert state["id"] in server.batches and len(state["requests"]) == 3
    assert TEST_KEY not in (kb / STATE).read_text()
    assert {p: p.read_bytes() for p in paths} == before  # nothing was written

    # A normal run meanwhile does not send those pages again.
    assert run_fill(kb) == 0
    assert server.message_requests() == []
    assert capsys.readouterr().out.count("waiting in a pending batch") == 3

    server.batch_polls = 0  # the batch has ended
    assert run_fill(kb, "--batch", "--poll-seconds", "0.01") == 0
    assert "resuming batch " + state["id"] in capsys.readouterr().out
    assert len(batch_creates(server)) == 1  # never submitted twice
    assert all(load_page(p).missing_sections() == [] for p in paths)
    assert not (kb / STATE).exists()

    requests = len(server.requests)
    assert run_fill(kb, "--batch") == 0  # nothing missing, nothing pending: no calls at all
    assert len(server.requests) == requests


def test_an_unreadable_state_file_is_a_clear_error(kb, server, capsys):
    three_pages(kb)
    (kb / STATE).parent.mkdir()
    (kb / STATE).write_text("{not json")
    assert run_fill(kb, "--batch") == 2
    err = capsys.readouterr().err
    assert "fill-batch.json: unreadable batch state" in err and "delete the file" in err
    assert server.requests == []


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_batch_with_an_unreachable_api_is_one_line_not_a_traceback(kb, monkeypatch, capsys):
    three_pages(kb)
    with (kb / "pyproject.toml").open("a") as file:
        file.write("max_retries = 0\n")  # [tool.paperkb.fill] is the last table: no slow SDK retries
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    assert run_fill(kb, "--batch", "--poll-seconds", "0.01") == 1
    err = capsys.readouterr().err
    assert err.startswith("paperkb fill: could not reach the API at " + url) and err.count("\n") == 1
    assert not (kb / STATE).exists()


def test_a_batch_with_a_refused_key_is_one_line_not_a_traceback(kb, server, monkeypatch, capsys):
    three_pages(kb)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-the-right-key")
    assert run_fill(kb, "--batch", "--poll-seconds", "0.01") == 1
    err = capsys.readouterr().err
    assert err == "paperkb fill: the API refused the key (401); check ANTHROPIC_API_KEY\n"
    assert batch_creates(server) and not (kb / STATE).exists()


@pytest.mark.parametrize(
    "state",
    ['{"id": "b", "requests": {"x": {}}}', '{"id": "b", "requests": {"x": {"path": 3}}}', "[1]", '{"id": "b", "requests": []}'],
)
def test_a_state_file_of_the_wrong_shape_is_a_clear_error(kb, server, capsys, state):
    three_pages(kb)
    (kb / STATE).parent.mkdir()
    (kb / STATE).write_text(state)
    assert run_fill(kb, "--dry-run") == 2
    err = capsys.readouterr().err
    assert err.startswith("paperkb: ") and "fill-batch.json: not a fill batch state (" in err and "delete it" in err
    assert err.count("\n") == 1 and server.requests == []
