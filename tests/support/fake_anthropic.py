"""A local stand-in for the Anthropic API: the Messages API and the Message Batches endpoints, over real HTTP.

The real ``anthropic`` SDK talks to it through ``base_url``. It answers like the API does: structured output as
a JSON text block after an (omitted) thinking block, or a ``tool_use`` block when asked for a tool; ``usage``
with prompt-cache fields (the first request with a ``cache_control`` prefix writes the cache, later ones read
it); error bodies ``{"type": "error", "error": {...}}`` with the status codes the SDK retries.

Answers are *faithful by construction*: sentences of the paper's abstract (for an article's section on a paper,
of that paper's abstract, or its summary when it has none), so they pass fill's validation,
unless a test scripts a behaviour for requests whose paper text contains some string::

    server.script("overloaded", "ok", match="DeepSeek-V3")   # 529 once, then a good answer

Behaviours: ok, tool_use, rate_limit (429 + retry-after), overloaded (529), server_error (500),
bad_request (400), malformed (broken JSON), refusal (stop_reason "refusal"), invented_number, html,
heading, few_insights, max_tokens, long_latency, from_body (adds the last sentence of the paper's full text that
states a number the abstract does not), from_other_paper (in an article, adds to the last paper's section a
sentence with a number that only the first paper's input states).

The ways a network or a proxy in front of the API misbehaves (:data:`NETWORK_FAULTS`): hang (read the
request, never answer), truncate (a Content-Length, then half the body, then hang up), drip (the body one
byte every 0.2 s), drip_headers (the status line and headers too), html_error (a 502 HTML page from a
gateway), not_json (200 with an HTML page), empty_body (200 with no body), rate_limit_hour and
rate_limit_date (429 with a Retry-After of an hour, in seconds or as an HTTP date). A port that accepts
connections and never reads them is :class:`tests.support.black_hole.BlackHole`.

Answers a validator must not let through: ``hidden_heading_<name>`` puts a heading behind each character
of :data:`LINE_BREAKS` that some reader takes for a line break, and bad_model answers with a model name
that is markup.

Every request is recorded (method, path, headers, JSON body) for tests to inspect, except the API key,
which is checked and never stored or logged.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.fake_server import FakeServer

TEST_KEY = "test-key-not-secret"
#: The answer keys of a paper's sections and triage; any other string property is an article's section on the
#: paper of that key, answered from the sentences of that paper's ``<paper key="...">`` block.
KNOWN_KEYS = {"summary", "key_insights", "why_it_matters", "priority", "topics", "labs"}
SECRET_HEADERS = {"x-api-key", "authorization"}

ERRORS = {
    "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "server_error": (500, "api_error", "Internal server error"),
    "bad_request": (400, "invalid_request_error", "messages: text content blocks must be non-empty"),
}
WHY = (
    "It gives readers a grounded account of what this work sets out to do and what it reports, so they can "
    "decide whether to study it in depth and how it relates to neighbouring work."
)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    had_api_key: bool


@dataclass
class Batch:
    id: str
    created_at: dt.datetime
    results: list[dict[str, Any]]
    polls: int = 0
    counts: dict[str, int] = field(default_factory=dict)


class FakeAnthropic(FakeServer):
    """Start with ``with FakeAnthropic() as server:``; point the SDK at ``server.base_url``."""

    name = "fake-anthropic"

    def __init__(self, api_key: str = TEST_KEY, latency: float = 0.0, retry_after: str = "0.05", batch_polls: int = 1):
        super().__init__()
        self.api_key = api_key
        self.drip_interval = 0.2  # seconds between the bytes of a dripped answer
        self.retrieve_fault: str | None = None  # a NETWORK_FAULTS behaviour for every batch retrieve ...
        self.results_fault: str | None = None  # ... and for every download of batch results
        self.latency = latency
        self.retry_after = retry_after
        self.batch_polls = batch_polls  # retrieves that still answer "in_progress"
        self.requests: list[Recorded] = []
        self.batches: dict[str, Batch] = {}
        self._scripts: list[tuple[str | None, list[str]]] = []
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.in_flight = 0  # Messages requests being answered now, and the most at once
        self.max_in_flight = 0

    @property
    def base_url(self) -> str:
        return self.origin

    # -- scripting and inspection --------------------------------------------------------------------------
    def script(self, *behaviours: str, match: str | None = None) -> None:
        """Queue behaviours for the next requests whose paper text contains ``match`` (any request if None)."""
        unknown = set(behaviours) - set(BEHAVIOURS) - set(NETWORK_FAULTS)
        assert not unknown, f"unknown behaviours {unknown}"
        with self._lock:
            self._scripts.append((match, list(behaviours)))

    def message_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    def requests_for(self, text: str) -> list[Recorded]:
        return [r for r in self.message_requests() if text in first_user_text(r.body)]

    def _behaviour(self, body: dict[str, Any]) -> str:
        text = first_user_text(body)
        with self._lock:
            for match, queue in self._scripts:
                if queue and (match is None or match in text):
                    return queue.pop(0)
        return "ok"

    def _record(self, handler: _Handler, body: Any) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items() if k.lower() not in SECRET_HEADERS}
        with self._lock:
            sent_key = bool(SECRET_HEADERS & {k.lower() for k in handler.headers})
            self.requests.append(Recorded(handler.command, handler.path, headers, body, sent_key))

    # -- answers ---------------------------------------------------------------------------------------------
    def message_reply(self, body: dict[str, Any], behaviour: str, batch: bool = False) -> tuple[int, dict[str, Any], dict[str, str]]:
        if behaviour in ERRORS:
            status, kind, message = ERRORS[behaviour]
            headers = {"retry-after": self.retry_after} if status == 429 else {}
            return status, error_body(kind, message), headers
        answer = compose_answer(body, behaviour)
        stop_reason = "end_turn"
        text = json.dumps(answer, ensure_ascii=False)
        content: list[dict[str, Any]] = [{"type": "thinking", "thinking": "", "signature": "c2lnbmF0dXJl"}]
        stop_details = None
        if behaviour == "malformed":
            content.append({"type": "text", "text": text[: len(text) // 2]})
        elif behaviour == "max_tokens":
            stop_reason = "max_tokens"
            content.append({"type": "text", "text": text[: len(text) // 3]})
        elif behaviour == "refusal":
            stop_reason = "refusal"
            stop_details = {"type": "refusal", "category": None, "explanation": "This request was declined."}
        elif behaviour == "tool_use" or body.get("tool_choice", {}).get("type") == "tool":
            name = (body.get("tools") or [{"name": "answer"}])[0]["name"]
            content.append({"type": "tool_use", "id": f"toolu_{next(self._ids):06d}", "name": name, "input": answer})
            stop_reason = "tool_use"
        else:
            content.append({"type": "text", "text": text})
        message = {
            "id": f"msg_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": BAD_MODEL if behaviour == "bad_model" else body.get("model", ""),
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "stop_details": stop_details,
            "usage": self.usage(body, text, batch),
        }
        return 200, message, {}

    def usage(self, body: dict[str, Any], text: str, batch: bool) -> dict[str, Any]:
        system = body.get("system") or []
        cached = isinstance(system, list) and any("cache_control" in block for block in system)
        prefix = "".join(block.get("text", "") for block in system) if isinstance(system, list) else str(system)
        read = write = 0
        if cached:
            key = body.get("model", "") + "\0" + prefix
            with self._lock:
                hit = key in self._cache
                self._cache.add(key)
            read, write = (len(prefix) // 4, 0) if hit else (0, len(prefix) // 4)
        rest = json.dumps(body.get("messages", [])) + json.dumps(body.get("output_config", {}))
        return {
            "input_tokens": len(rest) // 4 + (0 if cached else len(prefix) // 4),
            "output_tokens": len(text) // 4 + 30,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
            "service_tier": "batch" if batch else "standard",
        }

    def create_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        for request in body.get("requests", []):
            status, reply, _ = self.message_reply(request["params"], self._behaviour(request["params"]), batch=True)
            if status == 200:
                result = {"type": "succeeded", "message": reply}
            else:
                result = {"type": "errored", "error": reply}
            results.append({"custom_id": request["custom_id"], "result": result})
        batch = Batch(f"msgbatch_{next(self._ids):06d}", dt.datetime.now(dt.UTC), results)
        with self._lock:
            self.batches[batch.id] = batch
        return self.batch_json(batch)

    def batch_json(self, batch: Batch) -> dict[str, Any]:
        ended = batch.polls > self.batch_polls
        total = len(batch.results)
        kinds = [r["result"]["type"] for r in batch.results]
        counts = {"processing": 0 if ended else total, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for kind in ("succeeded", "errored", "canceled", "expired"):
                counts[kind] = kinds.count(kind)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": batch.created_at.isoformat(),
            "expires_at": (batch.created_at + dt.timedelta(hours=24)).isoformat(),
            "ended_at": dt.datetime.now(dt.UTC).isoformat() if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
        }


#: Every character Python's str.splitlines() breaks a line at, other than "\n" (by a short name).
LINE_BREAKS = {
    "cr": "\r", "vt": "\v", "ff": "\f", "fs": "\x1c", "gs": "\x1d", "rs": "\x1e",
    "nel": "\x85", "ls": "\u2028", "ps": "\u2029",
}  # fmt: skip
#: A model name no page should ever record.
BAD_MODEL = 'claude"\n## Injected <img src=x onerror=alert(1)>'

BEHAVIOURS = (
    "ok", "tool_use", "rate_limit", "overloaded", "server_error", "bad_request", "malformed", "refusal",
    "invented_number", "html", "heading", "few_insights", "max_tokens", "bad_model", "from_body",
    "from_other_paper",
    *(f"hidden_heading_{name}" for name in LINE_BREAKS),
)  # fmt: skip
NETWORK_FAULTS = (
    "hang", "truncate", "drip", "drip_headers", "html_error", "not_json", "empty_body", "rate_limit_hour", "rate_limit_date",
)  # fmt: skip
GATEWAY_PAGE = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n"


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}


def first_user_text(body: Any) -> str:
    messages = body.get("messages") if isinstance(body, dict) else None
    if not messages:
        return ""
    content = messages[0].get("content", "")
    if isinstance(content, list):
        return "".join(block.get("text", "") for block in content if isinstance(block, dict))
    return str(content)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(text.split())) if len(s.strip()) > 20]


def _shorten(sentence: str, limit: int) -> str:
    if len(sentence) <= limit:
        return sentence
    return sentence[: sentence.rfind(" ", 0, limit - 1)].rstrip(",;:") + "."


def _paper_block(text: str, key: str) -> str:
    """What an article's request says of the paper ``key`` (its ``<paper key="...">`` block), or ''."""
    block = re.search(rf'<paper key="{re.escape(key)}">\n(.*?)\n</paper>', text, re.S)
    return block.group(1) if block else ""


def compose_answer(body: dict[str, Any], behaviour: str) -> dict[str, Any]:
    """An answer to the schema in the request, written from the paper's own sentences."""
    fmt = (body.get("output_config") or {}).get("format") or {}
    schema = fmt.get("schema") or ((body.get("tools") or [{}])[0].get("input_schema") or {})
    properties = schema.get("properties", {})
    text = first_user_text(body)
    source = re.search(r"<abstract>\n(.*?)\n</abstract>", text, re.S) or re.search(r"<notes>\n(.*?)\n</notes>", text, re.S)
    title = re.search(r"^title: (.*)$", text, re.M)
    sentences = _sentences(source.group(1) if source else "") or [f"The paper is titled {title.group(1) if title else 'untitled'}."]
    answer: dict[str, Any] = {}
    if "summary" in properties:
        summary = _shorten(" ".join(sentences[:3]), 1400)
        if len(summary) < 100:
            summary += " " + WHY
        answer["summary"] = summary
    if "key_insights" in properties:
        pool = sentences[3:6] if len(sentences) >= 5 else sentences[:3]
        insights = [_shorten(s, 380) for s in pool]
        while len(insights) < 2:
            insights.append("The work is summarised from its abstract, which states its aims and findings.")
        answer["key_insights"] = insights[:1] if behaviour == "few_insights" else insights
    if "why_it_matters" in properties:
        answer["why_it_matters"] = WHY
    if "priority" in properties:
        answer["priority"] = "medium"
    if "topics" in properties:
        ids = properties["topics"]["items"]["enum"]
        named = [i for i in ids if i.replace("-", " ") in text.lower()]
        answer["topics"] = (named or ids)[:2]
    if "labs" in properties:
        names = properties["labs"]["items"]["enum"]
        answer["labs"] = [n for n in names if n.lower() in text.lower()][:2]
    for name, spec in properties.items():  # an article's section on one paper: from that paper's own input
        if name in answer or spec.get("type") != "string":
            continue
        part = _paper_block(text, name)
        own = re.search(r"<abstract>\n(.*?)\n</abstract>", part, re.S) or re.search(r"<summary>\n(.*?)\n</summary>", part, re.S)
        answer[name] = _shorten(" ".join(_sentences(own.group(1) if own else "")[:4]), 2000) or f"The input holds nothing on {name}."
    articles = [name for name in answer if name not in KNOWN_KEYS]
    target = "summary" if "summary" in answer else ("why_it_matters" if "why_it_matters" in answer else (articles[0] if articles else None))
    body = re.search(r"<full_text[^>]*>\n(.*?)\n</full_text>", text, re.S)
    if target and behaviour == "from_body":  # a sentence with a number that only the paper's body states
        abstract = source.group(1) if source else ""
        stated = [s for s in _sentences(re.sub(r"^#+ .*$", "", body.group(1) if body else "", flags=re.M))
                  if re.search(r"\d", s) and s not in abstract]  # fmt: skip
        answer[target] += " " + (stated[-1] if stated else "The body states no number.")
    if behaviour == "from_other_paper" and len(articles) >= 2:  # a number only the first paper's input states
        first, last = (_paper_block(text, name) for name in (articles[0], articles[-1]))
        stated = re.search(r"<abstract>\n(.*?)\n</abstract>", first, re.S)
        other = [s for s in _sentences(stated.group(1) if stated else "") if re.search(r"\d", s) and s not in last]
        answer[articles[-1]] += " " + (other[-1] if other else "The first paper states no number.")
    if target and behaviour == "invented_number":
        answer[target] += " It improves accuracy by 42.7% over the strongest baseline."
    elif target and behaviour == "html":
        answer[target] += ' <script>alert("xss")</script><img src=x onerror=alert(1)>'
    elif target and behaviour == "heading":
        answer[target] += "\n\n## Injected heading\n\nMore text."
    elif target and behaviour.startswith("hidden_heading_"):
        sep = LINE_BREAKS[behaviour.removeprefix("hidden_heading_")]
        answer[target] += f"{sep}## Injected heading{sep}More text."
        if answer.get("key_insights"):
            answer["key_insights"][0] += f"{sep}# Injected title"
    return answer


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without TCP_NODELAY, Nagle's algorithm and delayed ACKs
        # add ~40 ms to every keep-alive request, which would swamp the benchmark's fixed latency.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silent: nothing (no key) is logged
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _misbehave(self, fault: str, data: bytes, content_type: str = "application/json") -> None:
        """Answer the way a broken network, gateway or server would; ``data`` is what a good answer would be."""
        self.close_connection = True
        stopping = self.fake.stopping
        if fault == "hang":
            stopping.wait(600)  # never answers; the client must give up on its own
            return
        if fault in ("rate_limit_hour", "rate_limit_date"):
            later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), usegmt=True)
            kind, message = ERRORS["rate_limit"][1:]
            self._send(429, error_body(kind, message), {"retry-after": "3600" if fault == "rate_limit_hour" else later})
            return
        if fault == "html_error":
            self._send(502, GATEWAY_PAGE, content_type="text/html")
            return
        if fault == "not_json":
            self._send(200, b"<!DOCTYPE html><html><body>Please sign in to continue</body></html>", content_type="text/html; charset=utf-8")
            return
        if fault == "empty_body":
            self._send(200, b"")
            return
        head = f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {len(data)}\r\nrequest-id: req_fake\r\n\r\n"
        if fault == "truncate":
            self.wfile.write(head.encode() + data[: len(data) // 2])
        elif fault == "drip":
            self.wfile.write(head.encode())
            drip(self.wfile, data, self.fake.drip_interval, stopping)
        elif fault == "drip_headers":
            drip(self.wfile, head.encode() + data, self.fake.drip_interval, stopping)

    def _body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except json.JSONDecodeError:
            return None

    def _authorised(self) -> bool:
        # The 2.x SDK sends the key as "Authorization: Bearer ..."; the API also takes "x-api-key".
        if self.fake.api_key in (self.headers.get("x-api-key"), (self.headers.get("authorization") or "").removeprefix("Bearer ")):
            return True
        self._send(401, error_body("authentication_error", "invalid x-api-key"))
        return False

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self._body()
        self.fake._record(self, body)
        if not self._authorised():
            return
        if self.path == "/v1/messages":
            with self.fake._lock:
                self.fake.in_flight += 1
                self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
            try:
                if self.fake.latency:
                    time.sleep(self.fake.latency)
                behaviour = self.fake._behaviour(body)
                if behaviour in NETWORK_FAULTS:
                    self._misbehave(behaviour, json.dumps(self.fake.message_reply(body, "ok")[1]).encode())
                    return
                status, reply, headers = self.fake.message_reply(body, behaviour)
            finally:
                with self.fake._lock:
                    self.fake.in_flight -= 1
            self._send(status, reply, headers)
        elif self.path == "/v1/messages/batches":
            self._send(200, self.fake.create_batch(body))
        else:
            self._send(404, error_body("not_found_error", f"no route {self.path}"))

    def do_GET(self) -> None:  # noqa: N802
        self.fake._record(self, None)
        if not self._authorised():
            return
        match = re.fullmatch(r"/v1/messages/batches/([\w-]+)(/results)?", self.path.split("?")[0])
        batch = self.fake.batches.get(match.group(1)) if match else None
        if batch is None:
            self._send(404, error_body("not_found_error", "batch not found"))
        elif match.group(2):
            if batch.polls <= self.fake.batch_polls:
                self._send(404, error_body("not_found_error", "results are not ready"))
                return
            lines = "".join(json.dumps(item) + "\n" for item in batch.results).encode()
            if self.fake.results_fault:
                self._misbehave(self.fake.results_fault, lines, "application/binary")
                return
            self._send(200, lines, content_type="application/binary")
        else:
            batch.polls += 1
            if self.fake.retrieve_fault:
                self._misbehave(self.fake.retrieve_fault, json.dumps(self.fake.batch_json(batch)).encode())
                return
            self._send(200, self.fake.batch_json(batch))


def drip(out: Any, data: bytes, interval: float, stopping: threading.Event) -> None:
    """Write ``data`` one byte every ``interval`` seconds until done, the client hangs up or the server stops."""
    for index in range(len(data)):
        try:
            out.write(data[index : index + 1])
            out.flush()
        except OSError:  # the client gave up, as a bounded client does
            return
        if stopping.wait(interval):
            return


FakeAnthropic.handler = _Handler  # defined after the fake, which its methods name
