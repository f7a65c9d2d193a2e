"""The shared arXiv client against a fake arXiv on 127.0.0.1: batching, spacing, paging, faults, conversion."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from pathlib import Path

import arxiv
import pytest

from paperkb import __version__
from paperkb.ingest.arxiv_client import ArxivRejected, ArxivSettings, ArxivSource, FetchError, LabMatcher, paper_metadata, parse_feed
from paperkb.model import config
from paperkb.model.vocab import load_vocabulary
from tests.support.fake_arxiv import FIXTURES, FakeArxiv, Fault, load_table, synthetic_papers

REPO = Path(__file__).resolve().parent.parent


def settings_for(server: FakeArxiv, **overrides) -> ArxivSettings:
    values = {"api": server.url, "delay_seconds": 0.0, "backoff_seconds": 0.01, "timeout_seconds": 3.0, "max_retries": 2}
    values.update(overrides)
    return ArxivSettings(**values)


@pytest.fixture
def server():
    with FakeArxiv(load_table() + synthetic_papers(1000)) as fake:
        yield fake


@pytest.fixture
def labs() -> LabMatcher:
    return LabMatcher(load_vocabulary(REPO / "content" / "topics.yml", REPO / "content" / "labs.yml"))


def fetch_all(source: ArxivSource, ids: list[str]):
    batches = list(source.fetch_batches(ids))
    found = {k: v for b in batches for k, v in b.found.items()}
    missing = [i for b in batches for i in b.missing]
    return batches, found, missing


# -- the fake server speaks arXiv's format ---------------------------------------------------------------
def test_fake_server_writes_the_recorded_atom_format(server: FakeArxiv):
    """Our id_list answer equals the hand-written document in the recorded format, up to feed id and time."""
    import urllib.request

    query = "search_query=&id_list=0808.05394,2611.04321&sortBy=relevance&sortOrder=descending&start=0&max_results=100"
    with urllib.request.urlopen(f"{server.url}?{query}") as response:
        body = response.read().decode()
    expected = (FIXTURES / "idlist_two_ids_one_unknown.xml").read_text("utf-8")
    volatile = lambda text: re.sub(r"<updated>[^<]*</updated>\n  <link", "<updated/>\n  <link", re.sub(r"api/[A-Za-z0-9+/]{27}<", "api/ID<", text))  # noqa: E731
    assert volatile(body) == volatile(expected)
    feed = parse_feed(expected.encode())
    assert feed.total == 1 and [r.get_short_id() for r in feed.results] == ["2611.04321v1"]


def test_fake_server_error_entry_matches_the_recorded_400(server: FakeArxiv):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.url}?search_query=&id_list=abc&start=0&max_results=100")
    body = caught.value.read().decode()
    assert caught.value.code == 400
    assert "<id>https://arxiv.org/api/errors#incorrect_id_format_for_abc</id>" in body
    assert "<summary>incorrect id format for abc</summary>" in body and "<published>" not in body


# -- batching and spacing ----------------------------------------------------------------------------------
def test_a_thousand_ids_take_at_most_ten_requests(server: FakeArxiv):
    ids = [f"2509.{n:05d}" for n in range(1, 1001)]
    source = ArxivSource(settings_for(server))
    batches, found, missing = fetch_all(source, ids)
    assert len(server.requests) <= 10 and source.requests_made == len(server.requests)
    assert all(len(r.ids) <= 100 for r in server.requests)
    assert sorted(found) == sorted(ids) and missing == []
    # Results come back in arbitrary order; each is matched to its ID, not its position.
    assert all(found[i].get_short_id() == f"{i}v1" for i in ids)


def test_requests_are_spaced_and_one_at_a_time(server: FakeArxiv):
    delay = 0.2
    source = ArxivSource(settings_for(server, delay_seconds=delay))
    fetch_all(source, [f"2509.{n:05d}" for n in range(1, 351)])
    assert len(server.requests) == 4
    assert min(server.gaps()) >= delay  # measured by the server, on arrival
    assert server.max_concurrent == 1


def test_the_user_agent_names_paperkb_and_a_contact(server: FakeArxiv):
    fetch_all(ArxivSource(settings_for(server, contact="https://example.org/kb")), ["2611.04321"])
    agent = server.requests[0].user_agent
    assert agent.startswith(f"paperkb/{__version__} (+https://example.org/kb")


# -- paging, unknown IDs, malformed IDs, empty pages ----------------------------------------------------------
def test_search_pages_with_start_and_max_results(server: FakeArxiv):
    source = ArxivSource(settings_for(server, page_size=10))
    results = source.search("ti:synthetic AND ti:batched", 25, sort_by=arxiv.SortCriterion.SubmittedDate)
    assert len(results) == 25 and len({r.entry_id for r in results}) == 25
    assert [r.params["start"] for r in server.requests] == ["0", "10", "20"]
    assert all(r.params["max_results"] == "10" for r in server.requests)
    dates = [r.published for r in results]
    assert dates == sorted(dates, reverse=True)


def test_unknown_ids_are_reported_missing_and_the_others_found(server: FakeArxiv):
    source = ArxivSource(settings_for(server))
    _, found, missing = fetch_all(source, ["2611.04321", "2511.99999", "0808.05394"])
    assert list(found) == ["2611.04321"] and missing == ["2511.99999", "0808.05394"]
    assert len(server.requests) == 1


def test_an_all_unknown_batch_is_an_empty_feed_not_an_error(server: FakeArxiv):
    source = ArxivSource(settings_for(server))
    _, found, missing = fetch_all(source, ["2511.99999"])
    assert found == {} and missing == ["2511.99999"]
    assert len(server.requests) == 1  # an empty first page is an answer, not retried


def test_a_malformed_id_400_is_not_retried_and_the_rest_are_asked_again(server: FakeArxiv):
    source = ArxivSource(settings_for(server))
    batches = list(source.fetch_batches(["abc", "2611.04321"]))
    assert batches[0].rejected == {"abc": "arXiv rejected the request: incorrect id format for abc"}
    assert list(batches[0].found) == ["2611.04321"]
    assert [r.status for r in server.requests] == [400, 200]
    assert server.requests[1].ids == ["2611.04321"]


def test_a_400_without_an_id_to_drop_is_a_clear_error(server: FakeArxiv):
    source = ArxivSource(settings_for(server))
    with pytest.raises(ArxivRejected, match="incorrect id format for abc"):
        source.client.feed({"id_list": "abc"}, 0, first_page=True)
    assert len(server.requests) == 1


def test_an_unexpectedly_empty_page_mid_search_is_asked_again(server: FakeArxiv):
    source = ArxivSource(settings_for(server, page_size=10))
    first = list(source.search("ti:synthetic", 20, sort_by=arxiv.SortCriterion.SubmittedDate))
    server.requests.clear()
    server.fail_next(Fault(), Fault(empty=True))  # the second page comes back empty once
    again = source.search("ti:synthetic", 20, sort_by=arxiv.SortCriterion.SubmittedDate)
    assert [r.entry_id for r in again] == [r.entry_id for r in first]
    assert [r.params["start"] for r in server.requests] == ["0", "10", "10"]


# -- faults: 503, 429 with Retry-After, stalls ----------------------------------------------------------------
def test_503_then_success(server: FakeArxiv):
    server.fail_next(Fault(status=503))
    source = ArxivSource(settings_for(server))
    _, found, _ = fetch_all(source, ["2611.04321"])
    assert list(found) == ["2611.04321"]
    assert [r.status for r in server.requests] == [503, 200]


def test_429_waits_as_long_as_retry_after_says(server: FakeArxiv):
    server.fail_next(Fault(status=429, retry_after="1"))
    source = ArxivSource(settings_for(server, backoff_seconds=0.01))
    _, found, _ = fetch_all(source, ["2611.04321"])
    assert list(found) == ["2611.04321"]
    assert server.gaps()[0] >= 1.0


def test_retry_after_as_an_http_date(server: FakeArxiv):
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2), usegmt=True)
    server.fail_next(Fault(status=503, retry_after=when))
    _, found, _ = fetch_all(ArxivSource(settings_for(server)), ["2611.04321"])
    assert list(found) == ["2611.04321"] and server.gaps()[0] >= 0.9


def test_a_retry_after_beyond_the_cap_gives_up_at_once(server: FakeArxiv):
    server.fail_next(Fault(status=429, retry_after="3600"))
    source = ArxivSource(settings_for(server, max_wait_seconds=5))
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_all(source, ["2611.04321", "2611.05555"])
    assert time.monotonic() - started < 3
    assert "asked to wait 3600 s" in str(caught.value) and "not fetched: 2611.04321, 2611.05555" in str(caught.value)
    assert len(server.requests) == 1


def test_backoff_is_exponential_and_bounded_then_names_what_was_not_fetched(server: FakeArxiv):
    server.fail_next(*[Fault(status=503)] * 4)
    source = ArxivSource(settings_for(server, backoff_seconds=0.2, max_retries=3, max_wait_seconds=0.5))
    ids = [f"2509.{n:05d}" for n in range(1, 151)]
    with pytest.raises(FetchError) as caught:
        fetch_all(source, ids)
    gaps = server.gaps()
    assert len(server.requests) == 4  # the first try and three retries
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and 0.5 <= gaps[2] < 0.8  # 0.2, 0.4, then capped at 0.5
    assert caught.value.not_fetched == ids
    assert "no usable answer from arXiv after 4 tries (last: arXiv answered 503 text/plain: 503 fake arXiv fault)" in str(caught.value)


def test_a_stalled_connection_times_out_and_is_retried(server: FakeArxiv):
    server.fail_next(Fault(stall=30))
    source = ArxivSource(settings_for(server, timeout_seconds=0.5))
    _, found, _ = fetch_all(source, ["2611.04321"])
    assert list(found) == ["2611.04321"]
    assert len(server.requests) == 2 and 0.5 <= server.gaps()[0] < 5


def test_connections_that_keep_stalling_end_in_a_clear_error(server: FakeArxiv):
    server.fail_next(Fault(stall=30), Fault(stall=30))
    source = ArxivSource(settings_for(server, timeout_seconds=0.3, max_retries=1))
    with pytest.raises(FetchError) as caught:
        fetch_all(source, ["2611.04321"])
    assert "no complete answer within 0.3 s (timeout)" in str(caught.value) and caught.value.not_fetched == ["2611.04321"]


def test_a_refused_connection_is_retried_then_reported():
    with FakeArxiv() as gone:
        url = gone.url
    source = ArxivSource(ArxivSettings(api=url, delay_seconds=0, backoff_seconds=0.01, max_retries=1, timeout_seconds=1))
    with pytest.raises(FetchError, match=r"connection failed .*not fetched: 2611.04321"):
        list(source.fetch_batches(["2611.04321"]))


# -- settings ------------------------------------------------------------------------------------------------
def test_settings_come_from_pyproject_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "pyproject.toml").write_text('[tool.paperkb.arxiv]\napi = "http://127.0.0.1:9/api/query"\ndelay_seconds = 0.5\n')
    monkeypatch.delenv("PAPERKB_ARXIV_API", raising=False)
    settings = ArxivSettings.from_kb(config.load(tmp_path))
    assert settings.api == "http://127.0.0.1:9/api/query" and settings.delay_seconds == 0.5
    assert settings.backoff_seconds == 0.5  # defaults to the delay
    monkeypatch.setenv("PAPERKB_ARXIV_API", "http://127.0.0.1:8/proxy/query")
    settings = ArxivSettings.from_kb(config.load(tmp_path))
    assert settings.query_url_format == "http://127.0.0.1:8/proxy/query?{}"


def test_the_official_endpoint_never_goes_below_three_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PAPERKB_ARXIV_API", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb.arxiv]\ndelay_seconds = 0.1\n")
    settings = ArxivSettings.from_kb(config.load(tmp_path))
    assert settings.api == "https://export.arxiv.org/api/query" and settings.delay_seconds == 3.0


@pytest.mark.parametrize(
    "line",
    ['delay_seconds = "fast"', "max_retries = 1.5", "max_retries = inf", "max_retries = 4.0", "page_size = nan",
     "timeout_seconds = -1", "timeout_seconds = inf", 'api = "ftp://x"', 'api = "http://[::1"', "delay_secs = 3"],
)  # fmt: skip
def test_bad_settings_are_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str):
    monkeypatch.delenv("PAPERKB_ARXIV_API", raising=False)
    (tmp_path / "pyproject.toml").write_text(f"[tool.paperkb.arxiv]\n{line}\n")
    with pytest.raises(config.ConfigError, match=r"tool\.paperkb\.arxiv|PAPERKB_ARXIV_API"):
        ArxivSettings.from_kb(config.load(tmp_path))


# -- results as page metadata -----------------------------------------------------------------------------------
def test_conversion_normalises_whitespace_keeps_latex_and_finds_labs(server: FakeArxiv, labs: LabMatcher):
    _, found, _ = fetch_all(ArxivSource(settings_for(server)), ["2611.04321"])
    meta = paper_metadata(found["2611.04321"], labs)
    assert meta["title"] == "Sparse Reasoning Traces: Pruning Chain-of-Thought with Reinforcement Learning"
    assert meta["abstract"] == (
        "We prune the reasoning traces of DeepSeek-R1 style models with reinforcement learning. The cost falls from "
        "$\\mathcal{O}(n^2)$ to $\\mathcal{O}(n \\log n)$ while accuracy on MATH stays within $1\\%$ of the unpruned model.\n"
    )
    # 'Fair Isaac' is not FAIR (Meta AI): acronyms match in capitals only.
    assert meta["labs"] == ["Peking University", "DeepSeek", "Google DeepMind"]
    assert (meta["arxiv"], meta["version"], meta["published"]) == ("2611.04321", 1, dt.date(2026, 11, 18))
    assert meta["categories"] == ["cs.CL", "cs.LG"] and meta["primary_category"] == "cs.CL"


def test_conversion_of_an_author_alias_and_optional_fields(server: FakeArxiv, labs: LabMatcher):
    _, found, _ = fetch_all(ArxivSource(settings_for(server)), ["2611.06666", "2611.05555"])
    assert paper_metadata(found["2611.06666"], labs)["labs"] == ["DeepSeek"]  # author 'DeepSeek-AI'
    meta = paper_metadata(found["2611.05555"], labs)
    assert meta["labs"] == ["Anthropic", "Redwood Research", "New York University"]
    assert meta["doi"] == "10.1000/example.2026.5555" and meta["journal_ref"].startswith("Proceedings")
    assert "doi" not in paper_metadata(found["2611.06666"], labs)


def test_old_style_ids_and_versions(server: FakeArxiv, labs: LabMatcher):
    _, found, _ = fetch_all(ArxivSource(settings_for(server)), ["cs/9901001", "math.GT/0309136", "cs/9901001v1"])
    assert (paper_metadata(found["cs/9901001"], labs)["version"], paper_metadata(found["cs/9901001v1"], labs)["version"]) == (2, 1)
    assert paper_metadata(found["math.GT/0309136"], labs)["arxiv"] == "math/0309136"
    published = {paper_metadata(r, labs)["published"] for r in found.values() if "9901001" in r.entry_id}
    assert published == {dt.date(1999, 1, 5)}  # v1's date, whichever version was fetched


def test_the_user_agent_contact_defaults_to_the_repository_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PAPERKB_ARXIV_API", raising=False)
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://example.org/our/kb"\n[tool.paperkb.arxiv]\n')
    assert "(+https://example.org/our/kb; " in ArxivSettings.from_kb(config.load(tmp_path)).user_agent
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb.arxiv]\n")
    assert ArxivSettings.from_kb(config.load(tmp_path)).user_agent.startswith(f"paperkb/{__version__} (knowledge base")


def test_an_unknown_arxiv_key_names_the_key_it_resembles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PAPERKB_ARXIV_API", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb.arxiv]\nmax_retry = 2\n")
    with pytest.raises(config.ConfigError, match=r"pyproject\.toml: unknown key 'max_retry'; did you mean 'max_retries'\?"):
        ArxivSettings.from_kb(config.load(tmp_path))


def test_an_invalid_endpoint_url_in_the_environment_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PAPERKB_ARXIV_API", "http://[::1")
    (tmp_path / "pyproject.toml").write_text("[tool.paperkb.arxiv]\n")
    with pytest.raises(config.ConfigError, match=r"'http://\[::1' is not a valid URL .*; fix PAPERKB_ARXIV_API$"):
        ArxivSettings.from_kb(config.load(tmp_path))
