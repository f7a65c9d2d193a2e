"""The model behind ``paperkb fill``: Anthropic's Messages API, or any server speaking OpenAI's chat completions.

A request is planned once, in the Messages API's form (:func:`paperkb.fill.llm.request_params`: a system
prefix, the paper as the user turn, the answer's JSON schema); a backend sends it its own way and reads the
answer back into a :class:`~paperkb.fill.llm.Reply` and a :class:`~paperkb.fill.llm.Usage`, so validation, the
numbers guard, the one retry, concurrency, ``--max-cost`` and the report are the same whichever model answers.

- :class:`AnthropicBackend`: the ``anthropic`` SDK (prompt caching, Message Batches for ``--batch``).
- :class:`OpenAIBackend`: the ``openai`` SDK with ``base_url``: Ollama, vLLM, llama.cpp's server, LM Studio, a
  hosted router or OpenAI itself. The schema goes as ``response_format={"type": "json_schema", ...}`` with
  ``strict``; the key comes from ``OPENAI_API_KEY`` only, and a local server needs none.

Both SDKs are built on httpx2 and bounded the same way (:class:`paperkb.fill.llm.RequestGuard`): the Anthropic
SDK through its client middleware; the OpenAI SDK has none, so a :class:`GuardedTransport` (httpx's transport
interface, the supported extension point) wraps each attempt. The guard's own errors are not httpx errors, so
the OpenAI SDK lets them through unretried, as the Anthropic middleware's are.
"""

from __future__ import annotations

import os
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import httpx2

from paperkb.fill import llm
from paperkb.fill.llm import FillSettings, Refused, Reply, RequestGuard, Usage
from paperkb.model.deadline import excerpt

OPENAI_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"  # the SDK's own default
OPENAI_BASE_URL_ENV = "OPENAI_BASE_URL"  # the SDK's own variable; [tool.paperkb.fill] base_url wins over it
#: The name OpenAI's structured outputs require for a schema (^[a-zA-Z0-9_-]{1,64}$).
SCHEMA_NAME = "paperkb_sections"


class AnthropicBackend:
    """Claude through the Messages API."""

    provider = "anthropic"
    key_env = llm.API_KEY_ENV
    base_url_env = "ANTHROPIC_BASE_URL"

    def __init__(self, settings: FillSettings, api_key: str, guard: RequestGuard):
        self.client = llm.make_client(settings, api_key, guard)

    def send(self, params: dict[str, Any]) -> Any:
        return self.client.messages.create(**params)

    @staticmethod
    def usage(message: Any) -> Usage:
        return Usage.from_api(message.usage)

    @staticmethod
    def read(message: Any) -> Reply:
        return llm.read_reply(message)

    def describe_error(self, exc: Exception) -> tuple[str, bool]:
        """(one line, whether no other request of the run can do better)."""
        import anthropic

        return _describe(exc, anthropic, self.key_env, self.base_url_env)


class OpenAIBackend:
    """Any OpenAI-compatible ``/v1/chat/completions`` with JSON-schema structured output."""

    provider = "openai"
    key_env = OPENAI_KEY_ENV
    base_url_env = OPENAI_BASE_URL_ENV

    def __init__(self, settings: FillSettings, api_key: str, guard: RequestGuard):
        import openai  # imported here: --dry-run and the Anthropic backend do not pay for the SDK's import

        seconds = settings.timeout_seconds
        timeout = openai.Timeout(connect=min(seconds, 10.0), read=seconds, write=seconds, pool=seconds)
        base_url = openai_base_url(settings)
        # No keep-alive: each attempt opens its own connection, so the guard's deadline can watch its socket. A
        # proxy from the environment goes into this (guarded) transport: left to the client (trust_env), it
        # would get a transport of its own that the guard never sees.
        inner = httpx2.HTTPTransport(
            limits=httpx2.Limits(max_connections=64, max_keepalive_connections=0), proxy=environment_proxy(base_url or DEFAULT_OPENAI_URL)
        )
        http_client = openai.DefaultHttpxClient(timeout=timeout, transport=GuardedTransport(guard, inner), trust_env=False)
        self.extra_headers: dict[str, Any] = {} if api_key else {"Authorization": openai.Omit()}
        self.client = openai.OpenAI(
            # No key (a local server): a key provider giving "" (the SDK refuses "" itself as a key), and each
            # request omits the Authorization header explicitly (see send), as the SDK asks.
            api_key=api_key or (lambda: ""),
            base_url=base_url,
            max_retries=settings.max_retries,
            timeout=timeout,
            http_client=http_client,
        )

    def send(self, params: dict[str, Any]) -> Any:
        return self.client.chat.completions.create(**chat_params(params), extra_headers=self.extra_headers)

    @staticmethod
    def usage(completion: Any) -> Usage:
        """Prompt tokens the server read from its cache count as cache reads (OpenAI bills them lower)."""
        usage = getattr(completion, "usage", None)
        if usage is None:  # some local servers report none
            return Usage(requests=1)
        prompt = getattr(usage, "prompt_tokens", 0) or 0
        details = getattr(usage, "prompt_tokens_details", None)
        cached = min(getattr(details, "cached_tokens", 0) or 0, prompt)
        return Usage(input=prompt - cached, output=getattr(usage, "completion_tokens", 0) or 0, cache_read=cached, requests=1)

    @staticmethod
    def read(completion: Any) -> Reply:
        model = getattr(completion, "model", "") or ""
        choices = getattr(completion, "choices", None) or []
        if not choices:
            return Reply("", None, ["the server sent no answer (no choices)"], model)
        choice = choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            raise Refused(f"the model declined to answer ({excerpt(str(message.refusal).encode(), 200)})")
        if choice.finish_reason == "content_filter":
            raise Refused("the model declined to answer (content_filter)")
        text = message.content or ""
        if choice.finish_reason == "length":
            return Reply(text, None, ["the answer was cut off at max_tokens; raise [tool.paperkb.fill] max_tokens"], model, truncated=True)
        return llm.reply_from_text(text, model)

    def describe_error(self, exc: Exception) -> tuple[str, bool]:
        import openai

        return _describe(exc, openai, self.key_env, self.base_url_env)


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (http_proxy / https_proxy / all_proxy, minus no_proxy)."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


def openai_base_url(settings: FillSettings) -> str | None:
    """[tool.paperkb.fill] base_url, else OPENAI_BASE_URL, else the SDK's default (OpenAI's API)."""
    return settings.base_url or os.environ.get(OPENAI_BASE_URL_ENV, "").strip() or None


def chat_params(params: dict[str, Any]) -> dict[str, Any]:
    """A planned (Messages API) request as chat completion arguments: the same prefix, turns and schema."""
    system = "\n".join(block["text"] for block in params["system"])
    return {
        "model": params["model"],
        "max_tokens": params["max_tokens"],
        "messages": [{"role": "system", "content": system}, *params["messages"]],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": params["output_config"]["format"]["schema"]},
        },
    }


class GuardedTransport(httpx2.BaseTransport):
    """Every attempt the OpenAI SDK sends, bounded by the guard: a deadline on its sockets for the whole answer
    (read here, inside the deadline), a refused long ``Retry-After`` and a retried answer that is not JSON."""

    def __init__(self, guard: RequestGuard, inner: httpx2.BaseTransport):
        self.guard = guard
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = self.guard.begin()
        try:
            request.extensions["trace"] = deadline.trace
            response = self.inner.handle_request(request)
            response.read()  # the complete body, within the deadline
        except httpx2.RequestError:
            problem = self.guard.cut_off(deadline)
            if problem is not None:
                raise problem from None
            raise
        finally:
            self.guard.end(deadline)
        # A broken answer is a DecodingError: an httpx error the SDK retries, then reports with this message.
        self.guard.check(response, lambda problem: httpx2.DecodingError(problem, request=request))
        return response

    def close(self) -> None:
        self.inner.close()


def _describe(exc: Exception, sdk: Any, key_env: str, base_url_env: str) -> tuple[str, bool]:
    """What went wrong, on one line, for either SDK (their error classes have the same names and fields)."""
    if isinstance(exc, (sdk.AuthenticationError, sdk.PermissionDeniedError)):
        return f"the API refused the key ({exc.status_code}); check {key_env}", True
    if isinstance(exc, sdk.APIStatusError):
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        nested = body.get("error")
        error: dict[str, Any] = nested if isinstance(nested, dict) else body
        if isinstance(error.get("message"), str):
            kind = error.get("type") if isinstance(error.get("type"), str) else ""
            return " ".join(f"API error {exc.status_code} {kind}: {error['message']}".split()), False
        return f"the API answered {llm.describe_answer(exc.response)}", False
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__
        detail = f"{type(cause).__name__}: {excerpt(str(cause).encode(), 200)}" if cause is not None and str(cause) else exc.__class__.__name__
        return f"could not reach the API ({detail}); check the network or {base_url_env}", True
    if isinstance(exc, (*llm.RUN_STOPPERS, *_retryable(sdk))):  # the guard's errors say what happened
        return excerpt(str(exc).encode(), 300), True
    return excerpt(f"{exc.__class__.__name__}: {exc}".encode(), 300), False


def _retryable(sdk: Any) -> tuple[type[Exception], ...]:
    """The SDK's error for an answer the guard found broken after every retry (the Anthropic SDK has one)."""
    kind = getattr(sdk, "RetryableError", None)
    return (kind,) if isinstance(kind, type) else ()


#: Either backend (they share send, usage, read and describe_error).
Backend = AnthropicBackend | OpenAIBackend


def make_backend(settings: FillSettings, api_key: str, guard: RequestGuard) -> Backend:
    return OpenAIBackend(settings, api_key, guard) if settings.provider == "openai" else AnthropicBackend(settings, api_key, guard)


def api_key(settings: FillSettings) -> str:
    """The key for the configured provider, from the environment only. Anthropic's is required; an
    OpenAI-compatible server may need none (a local one), so its key may be empty."""
    if settings.provider == "openai":
        return os.environ.get(OPENAI_KEY_ENV, "").strip()
    return llm.api_key_from_env()
