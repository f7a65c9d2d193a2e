"""A local stand-in for an OpenAI-compatible server (Ollama, vLLM, llama.cpp, OpenAI): ``/v1/chat/completions``
with JSON-schema structured output, over real HTTP on 127.0.0.1.

The real ``openai`` SDK talks to it through ``base_url``. Like the real endpoint it checks the request before
answering and refuses what it would refuse, with a 400 ``invalid_request_error`` naming the problem: messages
that are not role/content turns, a ``response_format`` that is not ``json_schema``, a schema name outside
``^[a-zA-Z0-9_-]{1,64}$``, and (with ``strict``) a schema strict mode rejects: a root that is not an object, an
object without ``additionalProperties: false`` or whose ``required`` is not every property, a keyword outside
the supported subset, an array without ``items``. The answer is checked against the schema before it is sent.

Answers are the fake Messages API's (:func:`tests.support.fake_anthropic.compose_answer`): sentences of the
paper's own input, so the two backends write the same sections for the same page. Behaviours are scripted as
there (``server.script("rate_limit", "ok", match="SparseMix")``): ok, invented_number, malformed, refusal,
max_tokens, rate_limit (429 + retry-after), rate_limit_hour (Retry-After: 3600), server_error, bad_request,
not_json (200 with an HTML page) and hang (never answers).

``usage`` mimics OpenAI's automatic prompt caching: a request whose system prompt was seen before reports it
as ``prompt_tokens_details.cached_tokens``. A server started with ``api_key=None`` needs no key (a local
server); otherwise a wrong or missing key is a 401. Keys are checked, never stored.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.fake_anthropic import TEST_KEY, compose_answer
from tests.support.fake_server import FakeServer

SCHEMA_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
#: Keywords OpenAI's strict structured outputs accept (per type), and the ones any schema may carry.
STRICT_KEYWORDS = {
    "any": {"type", "description", "enum", "const", "anyOf", "title", "default"},
    "object": {"properties", "required", "additionalProperties"},
    "array": {"items", "minItems", "maxItems"},
    "string": {"pattern", "format"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
}
BEHAVIOURS = ("ok", "invented_number", "malformed", "refusal", "max_tokens", "rate_limit", "rate_limit_hour", "server_error", "bad_request", "not_json", "hang")


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any
    had_authorization: bool


class FakeOpenAI(FakeServer):
    """``with FakeOpenAI() as server:``; point the SDK (or ``[tool.paperkb.fill] base_url``) at ``server.base_url``."""

    name = "fake-openai"

    def __init__(self, api_key: str | None = None, latency: float = 0.0, retry_after: str = "0.05"):
        super().__init__()
        self.api_key = api_key
        self.latency = latency
        self.retry_after = retry_after
        self.requests: list[Recorded] = []
        self.rejected: list[str] = []  # why requests were refused (400), in order
        self.in_flight = 0
        self.max_in_flight = 0
        self._scripts: list[tuple[str | None, list[str]]] = []
        self._cache: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    def script(self, *behaviours: str, match: str | None = None) -> None:
        unknown = set(behaviours) - set(BEHAVIOURS)
        assert not unknown, f"unknown behaviours {unknown}"
        with self._lock:
            self._scripts.append((match, list(behaviours)))

    def completion_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def _behaviour(self, text: str) -> str:
        with self._lock:
            for match, queue in self._scripts:
                if queue and (match is None or match in text):
                    return queue.pop(0)
        return "ok"

    # -- answers ---------------------------------------------------------------------------------------------
    def reply(self, body: dict[str, Any], behaviour: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if behaviour in ("rate_limit", "rate_limit_hour"):
            wait = "3600" if behaviour == "rate_limit_hour" else self.retry_after
            return 429, error_body("Rate limit reached for requests", "rate_limit_exceeded"), {"retry-after": wait}
        if behaviour == "server_error":
            return 500, error_body("The server had an error while processing your request.", "server_error"), {}
        if behaviour == "bad_request":
            return 400, error_body("Invalid 'messages': empty content.", "invalid_request_error"), {}
        schema = body["response_format"]["json_schema"]["schema"]
        answer = compose_answer(anthropic_form(body), "invented_number" if behaviour == "invented_number" else "ok")
        problem = conformance_problem(answer, schema)
        assert problem is None, f"the fake's own answer breaks the schema: {problem}"
        text = json.dumps(answer, ensure_ascii=False)
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        finish = "stop"
        if behaviour == "malformed":
            message["content"] = text[: len(text) // 2]
        elif behaviour == "max_tokens":
            message["content"], finish = text[: len(text) // 3], "length"
        elif behaviour == "refusal":
            message["content"], message["refusal"] = None, "I'm sorry, I can't help with that."
        system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
        key = body["model"] + "\0" + system
        with self._lock:
            cached = len(system) // 4 if key in self._cache else 0
            self._cache.add(key)
        prompt = len(json.dumps(body["messages"])) // 4
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": len(text) // 4 + 10,
            "total_tokens": prompt + len(text) // 4 + 10,
            "prompt_tokens_details": {"cached_tokens": cached},
        }
        completion = {
            "id": f"chatcmpl-{next(self._ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        }
        return 200, completion, {}


def anthropic_form(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of a chat request the fake Messages API composes its answer from: the first user turn and the schema."""
    user = next(m for m in body["messages"] if m["role"] == "user")
    return {"messages": [user], "output_config": {"format": {"schema": body["response_format"]["json_schema"]["schema"]}}}


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def request_problem(body: Any) -> str | None:
    """Why the real endpoint would refuse this chat completion request (None: it would accept it)."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "'model' is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for number, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "developer", "user", "assistant"):
            return f"messages[{number}]: unknown role"
        if not isinstance(message.get("content"), str) or not message["content"]:
            return f"messages[{number}].content must be a non-empty string"
        if set(message) - {"role", "content", "name"}:
            return f"messages[{number}]: unknown field(s) {sorted(set(message) - {'role', 'content', 'name'})}"
    if not any(m["role"] == "user" for m in messages):
        return "'messages' has no user turn"
    if "max_tokens" in body and (not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1):
        return "'max_tokens' must be a positive integer"
    fmt = body.get("response_format")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return "response_format must be {'type': 'json_schema', ...} for structured output"
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not SCHEMA_NAME.fullmatch(spec["name"]):
        return "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$"
    schema = spec.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return "response_format.json_schema.schema must be an object schema"
    if spec.get("strict") is True:
        return strict_problem(schema, "schema")
    return None


def strict_problem(schema: Any, where: str) -> str | None:
    """Why strict structured outputs would refuse ``schema`` (None when they accept it)."""
    if not isinstance(schema, dict):
        return f"{where}: must be a JSON object"
    kind = schema.get("type")
    allowed = STRICT_KEYWORDS["any"] | STRICT_KEYWORDS.get(kind if isinstance(kind, str) else "", set())
    unknown = set(schema) - allowed
    if unknown:
        return f"{where}: keyword(s) {sorted(unknown)} not permitted in strict mode"
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        return f"{where}: 'enum' must be a non-empty array"
    if kind is None and "enum" not in schema and "anyOf" not in schema and "const" not in schema:
        return f"{where}: a schema must have a 'type'"
    if kind == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"{where}: 'additionalProperties' is required to be supplied and to be false"
        if sorted(schema.get("required", [])) != sorted(properties):
            return f"{where}: 'required' is required to be supplied and to be an array including every key in properties"
        for name, sub in properties.items():
            problem = strict_problem(sub, f"{where}.properties.{name}")
            if problem:
                return problem
    if kind == "array":
        if "items" not in schema:
            return f"{where}: an array must have 'items'"
        return strict_problem(schema["items"], f"{where}.items")
    return None


def conformance_problem(value: Any, schema: dict[str, Any], where: str = "answer") -> str | None:
    """Why ``value`` does not conform to ``schema`` (the subset above), or None."""
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: {value!r} is not one of the enum"
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    if kind is not None and not isinstance(value, types[kind]):
        return f"{where}: not a {kind}"
    if kind == "object":
        if set(value) != set(schema.get("required", [])) or set(value) - set(schema.get("properties", {})):
            return f"{where}: keys {sorted(value)} are not exactly {sorted(schema.get('required', []))}"
        for name, sub in schema.get("properties", {}).items():
            problem = conformance_problem(value[name], sub, f"{where}.{name}")
            if problem:
                return problem
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            return f"{where}: fewer than {schema['minItems']} items"
        for number, item in enumerate(value):
            problem = conformance_problem(item, schema["items"], f"{where}[{number}]")
            if problem:
                return problem
    return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silent: nothing (no key) is logged
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            body = None
        authorization = self.headers.get("authorization")
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        with fake._lock:
            fake.requests.append(Recorded(self.path, headers, body, authorization is not None))
        if self.path != "/v1/chat/completions":
            self._send(404, error_body(f"Unknown request URL: POST {self.path}", "invalid_request_error"))
            return
        if fake.api_key is not None and authorization != f"Bearer {fake.api_key}":
            self._send(401, error_body("Incorrect API key provided.", "invalid_request_error"))
            return
        problem = request_problem(body)
        if problem is not None:
            with fake._lock:
                fake.rejected.append(problem)
            self._send(400, error_body(f"Invalid request: {problem}", "invalid_request_error"))
            return
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        with fake._lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            if fake.latency:
                time.sleep(fake.latency)
            behaviour = fake._behaviour(user)
            if behaviour == "hang":
                self.close_connection = True
                fake.stopping.wait(600)
                return
            if behaviour == "not_json":
                self._send(200, b"<!DOCTYPE html><html><body>Please sign in</body></html>", content_type="text/html")
                return
            status, reply, extra = fake.reply(body, behaviour)
        finally:
            with fake._lock:
                fake.in_flight -= 1
        self._send(status, reply, extra)


__all__ = ["TEST_KEY", "FakeOpenAI", "request_problem", "strict_problem"]


FakeOpenAI.handler = _Handler  # defined after the fake, which its methods name
