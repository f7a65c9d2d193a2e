"""``paperkb fill`` through an OpenAI-compatible server: the real openai SDK over HTTP against a local fake
``/v1/chat/completions`` that checks each request the way the real endpoint does."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from paperkb.model import pages
from paperkb.model.pages import load_page
from tests.support.fake_anthropic import TEST_KEY, FakeAnthropic
from tests.support.fake_openai import FakeOpenAI, request_problem
from tests.support.fill_kb import PAGE, add_page, configure_fill, kb_talking_to_openai, run_fill, variant


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def kb(tmp_path: Path, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    return kb_talking_to_openai(server, tmp_path / "kb", monkeypatch)


def test_fill_writes_the_sections_and_records_provider_and_model(kb, server, capsys):
    path = add_page(kb, "sparsemix")
    assert run_fill(kb) == 0
    page = load_page(path)
    assert page.missing_sections() == []
    for key in ("summary", "key_insights", "why_it_matters"):
        record = page.generated_record(key)
        assert (record["provider"], record["model"]) == ("openai", "llama3.1:8b")
        assert page.is_machine_written(key)
    (request,) = server.completion_requests()
    assert server.rejected == []
    assert request_problem(request.body) is None
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"summary", "key_insights", "why_it_matters", "priority", "labs"}
    assert request.body["messages"][0]["role"] == "system" and "paperkb" in request.body["messages"][0]["content"]
    assert "SparseMix" in request.body["messages"][1]["content"]
    assert not request.had_authorization  # a local server: no key in the environment, none sent
    out = capsys.readouterr().out
    assert "no prices for llama3.1:8b in [tool.paperkb.fill.prices], counted as free" in out
    assert "cost: $0.0000" in out


def test_the_fake_endpoint_refuses_what_strict_mode_refuses():
    # The fake is only a check of fill's requests if it refuses what the real endpoint refuses.
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}
    good = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": schema}}}  # fmt: skip
    assert request_problem(good) is None
    loose = dict(schema, additionalProperties=True)
    partial = dict(schema, properties={"a": {"type": "string"}, "b": {"type": "string"}})
    unsupported = dict(schema, properties={"a": {"type": "string", "minLength": 3}})
    for bad in (loose, partial, unsupported):
        body = {**good, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": bad}}}
        assert request_problem(body) is not None, bad
    assert request_problem({**good, "response_format": {"type": "json_object"}}) is not None
    assert request_problem({**good, "response_format": {"type": "json_schema", "json_schema": {"name": "a b", "schema": schema}}}) is not None


def test_a_key_from_the_environment_is_sent_never_printed(tmp_path, monkeypatch, capsys):
    with FakeOpenAI(api_key=TEST_KEY) as server:
        root = kb_talking_to_openai(server, tmp_path / "kb", monkeypatch)
        add_page(root, "sparsemix")
        assert run_fill(root) == 1  # no key: the hosted server refuses it
        assert "the API refused the key (401); check OPENAI_API_KEY" in capsys.readouterr().out
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        assert run_fill(root) == 0
        assert server.completion_requests()[-1].had_authorization
        assert TEST_KEY not in capsys.readouterr().out


def test_an_invented_number_is_refused_and_asked_again_with_the_reason(kb, server):
    path = add_page(kb, "sparsemix")
    server.script("invented_number", match="SparseMix")
    assert run_fill(kb) == 0
    first, second = server.completion_requests()
    reasons = second.body["messages"][-1]["content"]
    assert "numbers not in the paper input: 42.7%" in reasons
    assert second.body["messages"][-2]["role"] == "assistant"
    assert "42.7" not in path.read_text()


@pytest.mark.parametrize(("behaviour", "reason"), [
    ("refusal", "the model declined to answer (I'm sorry, I can't help with that.)"),
    ("max_tokens", "the answer was cut off at max_tokens"),
    ("bad_request", "API error 400 invalid_request_error: Invalid 'messages': empty content."),
])  # fmt: skip
def test_an_answer_fill_cannot_use_fails_that_page_only(kb, server, capsys, behaviour, reason):
    bad = add_page(kb, "bad", variant("Broken Paper", "2401.00002"))
    good = add_page(kb, "good", variant("Fine Paper", "2401.00003"))
    server.script(behaviour, match="Broken Paper")
    assert run_fill(kb) == 1
    assert load_page(bad).missing_sections() and not load_page(good).missing_sections()
    assert reason in capsys.readouterr().out
    assert len([r for r in server.completion_requests() if "Broken Paper" in r.body["messages"][1]["content"]]) == 1


@pytest.mark.parametrize("behaviour", ["rate_limit", "server_error", "malformed", "not_json"])
def test_transient_failures_are_retried(kb, server, behaviour):
    path = add_page(kb, "sparsemix")
    server.script(behaviour, match="SparseMix")
    assert run_fill(kb) == 0
    assert load_page(path).missing_sections() == []
    assert len(server.completion_requests()) == 2


def test_a_retry_after_longer_than_max_wait_fails_at_once(kb, server, capsys):
    add_page(kb, "sparsemix")
    server.script("rate_limit_hour", match="SparseMix")
    started = time.monotonic()
    assert run_fill(kb) == 1
    assert time.monotonic() - started < 10
    assert "the API asked to wait 3600 s" in capsys.readouterr().out
    assert len(server.completion_requests()) == 1


def test_a_server_that_never_answers_is_given_up_on_after_timeout_seconds(kb, server, capsys):
    configure_fill(kb, timeout_seconds=1.0, max_retries=0)
    add_page(kb, "sparsemix")
    server.script("hang", match="SparseMix")
    started = time.monotonic()
    assert run_fill(kb) == 1
    assert time.monotonic() - started < 30  # the server never answers: without the bound this would not return; a loaded machine adds seconds of start-up
    assert "no complete answer within 1 s (timeout_seconds)" in capsys.readouterr().out


def test_concurrency_is_bounded(kb, server):
    server.latency = 0.2
    for number in range(8):
        add_page(kb, f"p{number}", variant(f"Paper {number}", f"2406.000{number:02d}"))
    configure_fill(kb, concurrency=3)
    assert run_fill(kb) == 0
    assert server.max_in_flight == 3


def test_prices_per_model_make_the_report_and_the_dry_run(kb, server, capsys):
    configure_fill(kb, extra_tables='\n[tool.paperkb.fill.prices."llama3.1:8b"]\ninput = 1.0\noutput = 2.0\ncache_read = 0.5\n')
    add_page(kb, "sparsemix")
    assert run_fill(kb, "--dry-run") == 0
    dry = capsys.readouterr().out
    estimate = float(re.search(r"estimated cost \$([\d.]+)", dry).group(1))
    assert estimate > 0 and server.requests == []
    assert run_fill(kb) == 0
    out = capsys.readouterr().out
    tokens = re.search(r"tokens: ([\d,]+) input, ([\d,]+) output, ([\d,]+) cache read", out)
    used = [int(n.replace(",", "")) for n in tokens.groups()]
    assert float(re.search(r"cost: \$([\d.]+)", out).group(1)) == pytest.approx((used[0] * 1.0 + used[1] * 2.0 + used[2] * 0.5) / 1e6, abs=1e-4)
    assert "counted as free" not in out


@pytest.mark.parametrize(("settings", "message"), [
    ({"provider": "mistral"}, "provider must be one of anthropic, openai, not 'mistral'"),
    ({"base_url": "localhost:11434"}, 'base_url must be an http(s) URL such as "http://127.0.0.1:11434/v1"'),
])  # fmt: skip
def test_a_wrong_backend_setting_is_one_line_naming_the_key(kb, server, capsys, settings, message):
    configure_fill(kb, **settings)
    add_page(kb, "sparsemix")
    assert run_fill(kb) == 2
    err = capsys.readouterr().err
    assert message in err and "[tool.paperkb.fill]" in err and "Traceback" not in err


def test_batch_is_for_the_anthropic_backend_only(kb, server, capsys):
    add_page(kb, "sparsemix")
    assert run_fill(kb, "--batch") == 2
    assert "--batch uses Anthropic's Message Batches API" in capsys.readouterr().err
    assert server.requests == []


def _provenance_free(text: str) -> str:
    return re.sub(r"^(\s+)(model|provider): .*$", r"\1\2: -", text, flags=re.M)


def test_both_backends_fill_the_shipped_pages_byte_for_byte_alike(kb_copy, tmp_path, monkeypatch):
    configure_fill(kb_copy, full_text=False)  # the backends are compared; full text has its own tests
    other = tmp_path / "other"
    shutil.copytree(kb_copy, other)
    monkeypatch.chdir(tmp_path)
    before = {p.name: p.read_text() for p in pages.iter_page_paths(kb_copy / "content/papers")}
    with FakeAnthropic() as anthropic_server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.base_url)
        assert run_fill(kb_copy) == 0
    with FakeOpenAI() as openai_server:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        configure_fill(other, provider="openai", base_url=openai_server.base_url, model="qwen2.5:7b")
        assert run_fill(other) == 0
        assert openai_server.rejected == []
    changed = 0
    for path in pages.iter_page_paths(kb_copy / "content/papers"):
        mine, theirs = path.read_text(), (other / "content/papers" / path.name).read_text()
        changed += mine != before[path.name]
        assert _provenance_free(mine) == _provenance_free(theirs), path.name
        if mine != before[path.name]:
            assert "provider: anthropic" in mine and "provider: openai" in theirs and "model: qwen2.5:7b" in theirs
    assert changed >= 3


def test_a_page_with_person_written_sections_is_left_to_them(kb, server):
    human = "A person's own summary of SparseMix with 16B parameters."
    path = add_page(kb, "partial", PAGE.replace("## Summary\n\nTODO\n", f"## Summary\n\n{human}\n"))
    assert run_fill(kb) == 0
    assert load_page(path).section_text("Summary") == human
    schema = server.completion_requests()[0].body["response_format"]["json_schema"]["schema"]
    assert "summary" not in schema["properties"]


def _proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: str, no_proxy: str = "") -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("http_proxy", proxy)
    if no_proxy:
        monkeypatch.setenv("no_proxy", no_proxy)


def test_a_proxy_from_the_environment_is_used_and_bounded_like_a_direct_connection(kb, server, monkeypatch, capsys):
    from tests.support.black_hole import BlackHole

    configure_fill(kb, timeout_seconds=1.0, max_retries=0)
    add_page(kb, "sparsemix")
    with BlackHole() as proxy:  # a proxy that never answers
        _proxy_env(monkeypatch, proxy.url)
        started = time.monotonic()
        assert run_fill(kb) == 1
    assert time.monotonic() - started < 8
    assert "no complete answer within 1 s (timeout_seconds)" in capsys.readouterr().out  # the guard's deadline, not a bare read timeout
    assert server.requests == []  # it went to the proxy


def test_no_proxy_is_honoured(kb, server, monkeypatch):
    from tests.support.black_hole import BlackHole

    path = add_page(kb, "sparsemix")
    with BlackHole() as proxy:
        _proxy_env(monkeypatch, proxy.url, no_proxy="127.0.0.1")
        assert run_fill(kb) == 0
    assert load_page(path).missing_sections() == []
