"""OpenAICompatProvider details the fake server cannot provoke: request shape and the mapping
of every status code and finish reason."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import httpx2
import openai
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debates.prompts import judgment_schema
from debates.providers._common import PerLoop
from debates.providers.base import (
    Completion,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderMalformedResponseError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    TextDelta,
)
from debates.providers.openai_compat import OpenAICompatProvider
from debates.providers.tests.conftest import turn_request


@pytest.fixture
def provider() -> OpenAICompatProvider:
    return OpenAICompatProvider("openrouter", "sk-or", "https://openrouter.ai/api/v1")


def status_error(
    status: int, body: object, headers: dict[str, str] | None = None
) -> openai.APIStatusError:
    request = httpx2.Request("POST", "https://openrouter.ai/api/v1/chat/completions")
    response = httpx2.Response(status, request=request, headers=headers or {})
    return openai.APIStatusError(f"Error code: {status}", response=response, body=body)


def test_request_carries_the_call_settings(provider: OpenAICompatProvider) -> None:
    params = provider._params(turn_request(response_format_json=True, max_output_tokens=321))

    assert params["model"] == "fake-model"
    assert params["messages"][0]["role"] == "system"
    assert params["temperature"] == 0.7
    assert params["max_tokens"] == 321
    assert params["timeout"] == 5.0
    assert params["response_format"] == {"type": "json_object"}


def test_openai_itself_gets_max_completion_tokens() -> None:
    params = OpenAICompatProvider("openai", "sk")._params(turn_request())

    assert "max_completion_tokens" in params
    assert "max_tokens" not in params
    assert "response_format" not in params


@pytest.mark.parametrize(
    ("model", "sends_temperature"),
    [
        ("gpt-5-mini", False),
        ("gpt-5", False),
        ("gpt-5-nano-2025-08-07", False),
        ("o4-mini", False),
        ("gpt-4.1-mini", True),
        ("gpt-5-chat-latest", True),
    ],
)
def test_reasoning_models_get_no_temperature(model: str, sends_temperature: bool) -> None:
    # OpenAI answers 400 "Unsupported value: 'temperature'" for any non-default value there.
    params = OpenAICompatProvider("openai", "sk")._params(turn_request(model=model))

    assert ("temperature" in params) is sends_temperature


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, {"error": {"message": "slow down"}}, ProviderRateLimitedError),
        (401, {"error": {"message": "bad key"}}, ProviderAuthError),
        (403, {"error": {"message": "region"}}, ProviderAuthError),
        (400, {"error": {"message": "bad", "code": "invalid_value"}}, ProviderBadRequestError),
        (
            400,
            {"error": {"message": "filtered", "code": "content_filter"}},
            ProviderContentFilteredError,
        ),
        (404, {"error": {"message": "no such model"}}, ProviderBadRequestError),
        (408, {"error": {"message": "timeout"}}, ProviderTimeoutError),
        (409, {"error": {"message": "lock"}}, ProviderUnavailableError),
        (422, {"error": {"message": "unprocessable"}}, ProviderBadRequestError),
        (500, {"error": {"message": "oops"}}, ProviderUnavailableError),
        (502, "<html>bad gateway</html>", ProviderUnavailableError),
        (503, {"error": {"message": "overloaded"}}, ProviderUnavailableError),
    ],
)
def test_status_codes_map_to_typed_errors(
    provider: OpenAICompatProvider, status: int, body: object, error: type[ProviderError]
) -> None:
    mapped = provider._map_error(status_error(status, body), "m")

    assert type(mapped) is error
    assert mapped.provider == "openrouter"


def test_rate_limit_reads_retry_after_as_an_http_date(provider: OpenAICompatProvider) -> None:
    mapped = provider._map_error(
        status_error(429, {}, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}), "m"
    )

    assert isinstance(mapped, ProviderRateLimitedError)
    assert mapped.retry_after_s == 0.0  # a date in the past means "now"


def test_error_event_inside_a_stream_is_retryable(provider: OpenAICompatProvider) -> None:
    request = httpx2.Request("POST", "https://openrouter.ai/api/v1/chat/completions")
    error = openai.APIError("upstream overloaded", request, body={"message": "overloaded"})

    assert type(provider._map_error(error, "m")) is ProviderUnavailableError


def test_content_filter_finish_is_an_error(provider: OpenAICompatProvider) -> None:
    with pytest.raises(ProviderContentFilteredError):
        provider._finish("content_filter", "m")
    assert provider._finish("length", "m") == "length"
    assert provider._finish("tool_calls", "m") == "stop"
    assert provider._finish(None, "m") == "stop"


def test_undecodable_body_is_malformed(provider: OpenAICompatProvider) -> None:
    assert type(provider._map_error(ValueError("bad json"), "m")) is ProviderMalformedResponseError


def test_unknown_exceptions_are_not_disguised(provider: OpenAICompatProvider) -> None:
    with pytest.raises(KeyError):
        provider._map_error(KeyError("bug"), "m")


# --- the stream's SSE lines, read from the body's bytes ---------------------------------------


class ChunkedBody(httpx2.AsyncByteStream):
    """A streamed body in the given pieces; remembers whether it was closed."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece

    async def aclose(self) -> None:
        self.closed = True


def sse(*events: object) -> bytes:
    return b"".join(b"data: " + orjson.dumps(event) + b"\r\n\r\n" for event in events)


def delta_event(text: str, finish: str | None = None) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "model": "fake-model",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }


CHUNK_TEXTS = ["Kubernetes ", "maybe: çok ", "iyi ✓"]
BODY = (
    sse(
        delta_event(CHUNK_TEXTS[0]),
        delta_event(CHUNK_TEXTS[1]),
        delta_event(CHUNK_TEXTS[2], "stop"),
        {"choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": 6}},
    )
    + b"data: [DONE]"  # the last line need not end with a newline
)


def provider_serving(body: ChunkedBody) -> OpenAICompatProvider:
    def reply(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    provider = OpenAICompatProvider("openrouter", "sk-or", "https://openrouter.ai/api/v1")
    provider._clients = PerLoop(
        lambda: openai.AsyncOpenAI(
            api_key="sk-or",
            base_url=provider.base_url,
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(reply)),
        )
    )
    return provider


async def read_stream(provider: OpenAICompatProvider) -> tuple[list[str], Completion]:
    deltas: list[str] = []
    async for event in provider.stream(turn_request()):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            return deltas, event
    raise AssertionError("the stream ended without its completion")


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(BODY) - 1), max_size=12))
def test_sse_lines_are_whole_however_the_body_is_cut(cuts: list[int]) -> None:
    """Chunks may end anywhere: inside a line, between \\r and \\n, inside a UTF-8 character."""
    points = [0, *sorted(set(cuts)), len(BODY)]
    body = ChunkedBody([BODY[a:b] for a, b in itertools.pairwise(points)])

    deltas, completion = asyncio.run(read_stream(provider_serving(body)))

    # What one read brings goes on as one delta: never an empty one, never part of a chunk.
    assert "".join(deltas) == completion.text == "Kubernetes maybe: çok iyi ✓"
    assert all(deltas)
    ends = set(itertools.accumulate(len(delta) for delta in deltas))
    assert ends <= set(itertools.accumulate(len(text) for text in CHUNK_TEXTS))
    assert (completion.input_tokens, completion.output_tokens) == (21, 6)
    assert completion.finish_reason == "stop"
    assert body.closed


BAD_EVENT = b"data: {not json\n\n"


@pytest.mark.parametrize(
    "pieces",
    [
        [sse(delta_event("Half an ")), BAD_EVENT, sse(delta_event("x"))],
        # Text before a bad event of the same read still goes first.
        [sse(delta_event("Half an ")) + BAD_EVENT],
    ],
    ids=["reads-of-their-own", "one-read"],
)
async def test_a_bad_event_mid_stream_closes_the_body_before_it_is_raised(
    pieces: list[bytes],
) -> None:
    body = ChunkedBody(pieces)
    provider = provider_serving(body)
    stream = provider.stream(turn_request())

    assert await anext(stream) == TextDelta("Half an ")
    with pytest.raises(ProviderMalformedResponseError):
        await anext(stream)
    assert body.closed
    await provider.aclose()


def in_two_reads() -> ChunkedBody:
    """BODY with its first chunk in a read of its own, the rest in a second."""
    first = sse(delta_event(CHUNK_TEXTS[0]))
    return ChunkedBody([first, BODY[len(first) :]])


def test_the_chunks_of_one_read_are_one_delta_and_each_read_its_own() -> None:
    in_one = asyncio.run(read_stream(provider_serving(ChunkedBody([BODY]))))[0]
    in_two = asyncio.run(read_stream(provider_serving(in_two_reads())))

    assert in_one == ["Kubernetes maybe: çok iyi ✓"]
    assert in_two[0] == ["Kubernetes ", "maybe: çok iyi ✓"]


async def test_a_consumer_that_stops_early_closes_the_body() -> None:
    body = in_two_reads()
    provider = provider_serving(body)
    stream = provider.stream(turn_request())

    assert await anext(stream) == TextDelta("Kubernetes ")
    await stream.aclose()  # type: ignore[attr-defined]
    assert body.closed
    await provider.aclose()


def test_a_structured_request_asks_for_its_json_schema_strictly() -> None:
    schema = judgment_schema(["Seat A", "Seat B"])
    request = turn_request(response_format_json=True, structured=schema)

    params = OpenAICompatProvider("openai", "sk")._params(request)

    assert params["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "seat_scores", "schema": dict(schema.schema), "strict": True},
    }
    plain = OpenAICompatProvider("openai", "sk")._params(turn_request(response_format_json=True))
    assert plain["response_format"] == {"type": "json_object"}
