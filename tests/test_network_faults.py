"""Networks that misbehave: `paperkb add` (arXiv) and `paperkb fill` (the Messages API) against local servers that
hang, half-open, cut answers off, drip them a byte at a time, ask to wait an hour, or answer with a proxy's HTML.

Every case must end in bounded time with one clear line that says what the server did, and write nothing. The
per-read timeouts are set well above the drip interval, so only the whole-request deadline can end a drip.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from pathlib import Path

import anthropic  # noqa: F401 - imported before any clock starts: its first import alone takes seconds
import pytest

from paperkb.ingest.arxiv_client import ArxivSettings, ArxivSource, ArxivUnavailable, FetchError
from paperkb.model.deadline import Deadline
from paperkb.model.pages import load_page
from tests.support.arxiv_env import configure, run_cli
from tests.support.black_hole import BlackHole
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.fake_arxiv import FakeArxiv, Fault, load_table
from tests.support.fill_kb import add_page, kb_talking_to, run_fill, variant

TIMEOUT = 0.6  # seconds, the whole-request deadline in these tests
DRIP = 0.05  # seconds between dripped bytes: far inside every per-read timeout


def an_hour_from_now() -> str:
    return email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), usegmt=True)


GATEWAY = b"<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>"

#: fault -> (what the fake arXiv does on every request, what the one-line error must say)
ARXIV_FAULTS = {
    "hang": (lambda: Fault(stall=60), rf"no complete answer within {TIMEOUT:g} s \(timeout\)"),
    "drip": (lambda: Fault(drip=DRIP), rf"no complete answer within {TIMEOUT:g} s \(timeout\)"),
    "drip_headers": (lambda: Fault(drip_headers=DRIP), rf"no complete answer within {TIMEOUT:g} s \(timeout\)"),
    "truncate": (
        lambda: Fault(truncate=True),
        r"connection failed \(RemoteProtocolError: peer closed connection without sending complete message body \(received \d+ bytes, expected \d+\)\)",
    ),
    "cut": (
        lambda: Fault(cut=True),
        r"arXiv answered 200 application/atom\+xml \([\d,]+ bytes\), which is not a complete Atom feed: not well-formed XML: .*line \d+",
    ),
    "empty_body": (lambda: Fault(empty_body=True), r"arXiv answered 200 application/atom\+xml with an empty body, which is not a complete Atom feed"),
    "not_xml": (lambda: Fault(not_xml=True), r"which is not a complete Atom feed: the document is <html>, not an Atom <feed>"),
    "html_503": (
        lambda: Fault(status=503, body=GATEWAY, content_type="text/html"),
        r"arXiv answered 503 text/html: <html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body><…\)",
    ),
    "retry_after_hour": (
        lambda: Fault(status=429, retry_after="3600"),
        r"arXiv asked to wait 3600 s \(arXiv answered 429 text/plain: .*\), longer than max_wait_seconds=5",
    ),
    "retry_after_date": (
        lambda: Fault(status=503, retry_after=an_hour_from_now()),
        r"arXiv asked to wait 3[56]\d\d s \(arXiv answered 503 .*longer than max_wait_seconds=5",
    ),
}


def settings_for(url: str, **overrides) -> ArxivSettings:
    values = {"api": url, "delay_seconds": 0.0, "backoff_seconds": 0.01, "timeout_seconds": TIMEOUT, "max_retries": 1, "max_wait_seconds": 5}
    values.update(overrides)
    return ArxivSettings(**values)


# -- the arXiv client ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", list(ARXIV_FAULTS))
def test_add_against_a_misbehaving_arxiv_ends_in_bounded_time_with_one_clear_line(kb: Path, fault: str, monkeypatch, capsys):
    make, message = ARXIV_FAULTS[fault]
    configure(kb, timeout_seconds=TIMEOUT, max_retries=1, max_wait_seconds=5)
    pages = sorted((kb / "content" / "papers").iterdir())
    with FakeArxiv(load_table()) as server:
        server.fail_next(*[make() for _ in range(5)])
        monkeypatch.setenv("PAPERKB_ARXIV_API", server.url)
        started = time.monotonic()
        assert run_cli(kb, "add", "2611.04321", "2611.05555") == 1
        elapsed = time.monotonic() - started
    # Two tries at most TIMEOUT each (a drip that never finishes would run for minutes).
    assert elapsed < 2 * TIMEOUT + 3, f"{fault}: {elapsed:.1f} s"
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "Traceback" not in "\n".join(err), err
    assert re.search(message, err[0]), err[0]
    assert err[0].endswith("not fetched: 2611.04321, 2611.05555")
    assert sorted((kb / "content" / "papers").iterdir()) == pages  # nothing written, nothing reported "not found"
    assert "not found" not in err[1]


def test_a_half_open_arxiv_is_a_timeout_too(kb: Path, monkeypatch, capsys):
    configure(kb, timeout_seconds=TIMEOUT, max_retries=1)
    with BlackHole("/api/query") as hole:
        monkeypatch.setenv("PAPERKB_ARXIV_API", hole.url)
        started = time.monotonic()
        assert run_cli(kb, "add", "2611.04321") == 1
        elapsed = time.monotonic() - started
    assert elapsed < 2 * TIMEOUT + 3
    err = capsys.readouterr().err
    assert f"no usable answer from arXiv after 2 tries (last: no complete answer within {TIMEOUT:g} s (timeout))" in err


def test_a_cut_off_feed_is_asked_again_not_read_as_fewer_papers():
    with FakeArxiv(load_table()) as server:
        server.fail_next(Fault(cut=True), Fault(truncate=True))
        batches = list(ArxivSource(settings_for(server.url, max_retries=2)).fetch_batches(["2611.04321", "2611.05555"]))
    assert sorted(batches[0].found) == ["2611.04321", "2611.05555"] and batches[0].missing == []
    assert [r.fault for r in server.requests] == ["cut", "truncate", None]


def test_a_drip_is_cut_at_the_deadline_not_at_the_read_timeout():
    """The deadline is what ends a drip: each attempt lasts TIMEOUT, not the minutes the whole drip would take."""
    with FakeArxiv(load_table()) as server:
        server.fail_next(Fault(drip=DRIP), Fault(drip_headers=DRIP))
        source = ArxivSource(settings_for(server.url, max_retries=2))
        started = time.monotonic()
        batches = list(source.fetch_batches(["2611.04321"]))
        elapsed = time.monotonic() - started
    assert list(batches[0].found) == ["2611.04321"]
    assert 2 * TIMEOUT <= elapsed < 2 * TIMEOUT + 2


def test_an_answer_over_the_size_cap_is_refused_while_it_arrives():
    with FakeArxiv(load_table()) as server:
        source = ArxivSource(settings_for(server.url, max_answer_bytes=2000))
        with pytest.raises(FetchError, match=r"arXiv's answer is larger than max_answer_bytes=2000 .*not fetched: 2611\.04321"):
            list(source.fetch_batches(["2611.04321"]))
    assert len(server.requests) == 1  # not retried: the same answer would be as large


def test_the_run_budget_stops_waits_and_requests_that_would_overrun_it():
    with FakeArxiv(load_table()) as server:
        server.fail_next(Fault(status=503, retry_after="2"), Fault(status=503, retry_after="2"))
        source = ArxivSource(settings_for(server.url, max_retries=3, budget_seconds=3))
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"waiting 2 s for a retry after arXiv answered 503 .* would run past this run's budget of 3 s"):
            list(source.fetch_batches(["2611.04321"]))
        assert time.monotonic() - started < 3
    assert len(server.requests) == 2


@pytest.mark.parametrize("value", ["3600", "99999999999999999999999999", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_every_form_of_a_long_retry_after_is_capped(value: str):
    with FakeArxiv(load_table()) as server:
        server.fail_next(Fault(status=429, retry_after=value))
        started = time.monotonic()
        with pytest.raises(ArxivUnavailable, match=r"longer than max_wait_seconds=5; try again later"):
            ArxivSource(settings_for(server.url)).client.feed({"id_list": "2611.04321"}, 0, first_page=True)
        assert time.monotonic() - started < 1


@pytest.mark.parametrize("value", ["soon", "-5", "1e9", ""])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(value: str):
    with FakeArxiv(load_table()) as server:
        server.fail_next(Fault(status=503, retry_after=value))
        feed = ArxivSource(settings_for(server.url)).client.feed({"id_list": "2611.04321"}, 0, first_page=True)
    assert len(feed.results) == 1 and len(server.requests) == 2


# -- the deadline itself ----------------------------------------------------------------------------------------------
def test_cancel_ends_a_request_blocked_in_a_read_at_once():
    """What Ctrl-C relies on in fill: a request in flight on another thread ends now, not at its deadline."""
    import threading

    import httpx2

    with BlackHole() as hole, httpx2.Client(timeout=30) as client:
        deadline = Deadline(30)
        outcome: list[BaseException] = []

        def request() -> None:
            try:
                client.get(hole.url, extensions={"trace": deadline.trace})
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome.append(exc)

        with deadline:
            worker = threading.Thread(target=request)
            worker.start()
            time.sleep(0.3)
            started = time.monotonic()
            deadline.cancel()
            worker.join(5)
    assert not worker.is_alive() and time.monotonic() - started < 1
    assert deadline.cancelled and not deadline.expired
    assert isinstance(outcome[0], httpx2.TransportError)


# -- fill against the Messages API ----------------------------------------------------------------------------------
def configure_fill(root: Path, **settings) -> None:
    """Set keys of [tool.paperkb.fill] in the knowledge base's pyproject.toml (replacing or adding lines)."""
    pyproject = root / "pyproject.toml"
    head, sep, rest = pyproject.read_text("utf-8").partition("[tool.paperkb.fill]\n")
    assert sep, "no [tool.paperkb.fill] table"
    end = re.search(r"^\[", rest, re.M)
    section, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    for name, value in settings.items():
        section = re.sub(rf"^{name}\s*=.*\n", "", section, flags=re.M)
        section = f"{name} = {value!r}\n" + section
    pyproject.write_text(head + sep + section + tail, "utf-8")


@pytest.fixture
def server():
    with FakeAnthropic() as fake:
        fake.drip_interval = DRIP
        yield fake


@pytest.fixture
def fill_kb(tmp_path: Path, server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = kb_talking_to(server, tmp_path / "kb", monkeypatch)
    configure_fill(root, timeout_seconds=TIMEOUT, max_retries=1, max_wait_seconds=5, concurrency=1)
    return root


TIMED_OUT = rf"no complete answer within {TIMEOUT:g} s \(timeout_seconds\); the API or the network is not answering"
#: fault -> (the one-line reason the page failed, whether the run stops starting requests)
FILL_FAULTS = {
    "hang": (TIMED_OUT, True),
    "drip": (TIMED_OUT, True),
    "drip_headers": (TIMED_OUT, True),
    "truncate": (
        r"could not reach the API \(RemoteProtocolError: peer closed connection without sending complete message body "
        r"\(received \d+ bytes, expected \d+\)\); check the network or ANTHROPIC_BASE_URL",
        True,
    ),
    "rate_limit_hour": (
        r"the API asked to wait 3600 s \(429 rate_limit_error: Number of request tokens .*\), longer than max_wait_seconds=5; try again later",
        True,
    ),
    "rate_limit_date": (r"the API asked to wait 3[56]\d\d s \(429 rate_limit_error: .*\), longer than max_wait_seconds=5; try again later", True),
    "html_error": (r"the API answered 502 text/html: <html> <head><title>502 Bad Gateway</title></head> <body><center><h1>502 Bad Gateway</h1>.*", False),
    "not_json": (r"the API answered 200 text/html: <!DOCTYPE html><html><body>Please sign in to continue</body></html> instead of JSON", True),
    "empty_body": (r"the API answered 200 application/json with an empty body instead of JSON", True),
}


@pytest.mark.parametrize("fault", list(FILL_FAULTS))
def test_fill_against_a_misbehaving_api_fails_the_page_in_bounded_time_with_one_clear_line(fill_kb: Path, server, fault: str, capsys):
    reason, stops = FILL_FAULTS[fault]
    first = add_page(fill_kb, "a-first", variant("First paper", "2407.00001"))
    second = add_page(fill_kb, "b-second", variant("Second paper", "2407.00002"))
    before = {path: path.read_bytes() for path in (first, second)}
    server.script(*[fault] * (2 if stops else 4))
    started = time.monotonic()
    assert run_fill(fill_kb) == 1
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    failed = re.findall(r"^  failed  (\S+): (.*)$", out, re.M)
    assert failed and failed[0][0] == "content/papers/a-first.md"
    assert re.fullmatch(reason, failed[0][1]), failed[0][1]
    assert {path: path.read_bytes() for path in (first, second)} == before
    if stops:  # every other request would meet the same: none is started
        assert "fill: 0 filled, 1 failed, 0 skipped, 1 not started" in out and "  stopped: " in out
        assert len(server.requests_for("First paper")) <= 2 and server.requests_for("Second paper") == []
        assert elapsed < 2 * TIMEOUT + 3, f"{fault}: {elapsed:.1f} s"
    else:  # a gateway error may be one request's: the next page is still tried
        assert len(failed) == 2 and "stopped" not in out
        assert elapsed < 4 * TIMEOUT + 4, f"{fault}: {elapsed:.1f} s"


def test_fill_against_a_half_open_api_times_out_and_stops(fill_kb: Path, monkeypatch, capsys):
    for number in range(3):
        add_page(fill_kb, f"p{number}", variant(f"Paper {number}", f"2407.0001{number}"))
    with BlackHole() as hole:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", hole.url)
        started = time.monotonic()
        assert run_fill(fill_kb) == 1
        elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert re.search(rf"failed  content/papers/p0\.md: {TIMED_OUT}", out)
    assert "fill: 0 filled, 1 failed, 0 skipped, 2 not started" in out
    assert elapsed < TIMEOUT + 3


def test_a_dripped_answer_is_cut_while_fast_answers_around_it_are_written(fill_kb: Path, server, capsys):
    """The deadline belongs to one request: the pages answered in time are written; the dripped one fails."""
    configure_fill(fill_kb, concurrency=3)
    slow = add_page(fill_kb, "slow", variant("Slow paper", "2407.00021"))
    fast = [add_page(fill_kb, f"fast{n}", variant(f"Fast paper {n}", f"2407.0003{n}")) for n in range(2)]
    before = slow.read_bytes()
    server.script("drip", match="Slow paper")
    assert run_fill(fill_kb) == 1
    out = capsys.readouterr().out
    assert re.search(rf"failed  content/papers/slow\.md: {TIMED_OUT}", out)
    assert all(f"filled  content/papers/{path.name}" in out for path in fast)
    assert slow.read_bytes() == before


@pytest.mark.parametrize("line", ["timeout_seconds = 0", "timeout_seconds = -1", 'max_wait_seconds = "long"', "max_wait_seconds = inf"])
def test_bad_fill_network_settings_are_one_clear_error(fill_kb: Path, line: str, capsys):
    add_page(fill_kb, "one", variant("Paper One", "2407.00041"))
    key, value = line.split(" = ")
    text = (fill_kb / "pyproject.toml").read_text()
    (fill_kb / "pyproject.toml").write_text(re.sub(rf"^{key} = .*$", line, text, flags=re.M))
    assert run_fill(fill_kb) == 2
    err = capsys.readouterr().err
    assert f"[tool.paperkb.fill]: {key} must be" in err and "Traceback" not in err


# -- fill --batch -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "where, fault, reason",
    [
        ("retrieve", "hang", TIMED_OUT),
        ("retrieve", "drip", TIMED_OUT),
        ("retrieve", "not_json", r"the API answered 200 text/html: <!DOCTYPE html>.* instead of JSON"),
        ("results", "drip", r"the batch results broke off \(RemoteProtocolError: peer closed connection without sending complete message body .*\)"),
        ("results", "truncate", r"the batch results broke off \(RemoteProtocolError: peer closed connection without sending complete message body .*\)"),
    ],
)
def test_a_batch_whose_api_misbehaves_ends_in_bounded_time_and_stays_pending(fill_kb: Path, server, capsys, where: str, fault: str, reason: str):
    paths = [add_page(fill_kb, f"p{n}", variant(f"Batch paper {n}", f"2407.0005{n}")) for n in range(3)]
    before = {path: path.read_bytes() for path in paths}
    setattr(server, f"{where}_fault", fault)
    started = time.monotonic()
    assert run_fill(fill_kb, "--batch", "--poll-seconds", "0.01") == 1
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert re.fullmatch(rf"paperkb fill: {reason}; the batch is still pending: run 'paperkb fill --batch' again to collect it\n", err), err
    assert elapsed < 2 * TIMEOUT + 3, f"{where} {fault}: {elapsed:.1f} s"
    for path in paths:  # a result read before the answer broke off is applied, completely
        assert path.read_bytes() == before[path] or load_page(path).missing_sections() == []
    assert (fill_kb / ".paperkb-state" / "fill-batch.json").is_file()

    setattr(server, f"{where}_fault", None)  # the API is back: the same batch is collected, not submitted again
    assert run_fill(fill_kb, "--batch", "--poll-seconds", "0.01") == 0
    assert all(load_page(path).missing_sections() == [] for path in paths)
    assert len([r for r in server.requests if r.method == "POST" and r.path == "/v1/messages/batches"]) == 1
