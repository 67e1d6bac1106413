"""Each real SDK adapter parses recorded-shaped provider traffic (tests/cassettes/*.yaml) into the
right Completion. vcrpy replays the HTTP (it patches httpx2, which all three SDKs use)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from vcr.errors import CannotOverwriteExistingCassetteException

from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import (
    Completion,
    CompletionRequest,
    Message,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    TextDelta,
)
from debates.providers.gemini import GeminiProvider
from debates.providers.openai_compat import OpenAICompatProvider
from debates.providers.tests.conftest import provider_vcr

Adapter = OpenAICompatProvider | AnthropicProvider | GeminiProvider


def _request(model: str, *, json_mode: bool = False) -> CompletionRequest:
    return CompletionRequest(
        model=model,
        messages=(
            Message("system", "[task:turn] [role:skeptic] You are Seat B."),
            Message("user", "<question>Should a 20-person startup move to Kubernetes?</question>"),
        ),
        response_format_json=json_mode,
    )


async def _collect(stream: AsyncIterator[object]) -> tuple[list[str], Completion]:
    deltas: list[str] = []
    final = None
    async for event in stream:
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        elif isinstance(event, Completion):
            final = event
    assert final is not None
    return deltas, final


@pytest.fixture
async def openai() -> AsyncIterator[OpenAICompatProvider]:
    provider = OpenAICompatProvider("openai", "sk-test")
    yield provider
    await provider.aclose()


@pytest.fixture
async def anthropic() -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider("sk-ant-test")
    yield provider
    await provider.aclose()


@pytest.fixture
async def gemini() -> AsyncIterator[GeminiProvider]:
    provider = GeminiProvider("AIza-test")
    yield provider
    await provider.aclose()


async def test_openai_complete_cassette(openai: OpenAICompatProvider) -> None:
    with provider_vcr.use_cassette("openai_complete.yaml"):
        completion = await openai.complete(_request("gpt-4.1-mini", json_mode=True))

    assert completion.text.startswith('{"content": "**Not this year.**')
    assert (completion.input_tokens, completion.output_tokens) == (71, 142)
    assert completion.finish_reason == "stop"
    assert completion.model == "gpt-4.1-mini-2025-04-14"
    assert completion.provider == "openai"
    assert completion.raw_id == "chatcmpl-CWq3ZpL8yQe1rT4sVnB0xK7mJd2Ha"


async def test_openai_stream_cassette(openai: OpenAICompatProvider) -> None:
    with provider_vcr.use_cassette("openai_stream.yaml"):
        deltas, final = await _collect(openai.stream(_request("gpt-4.1-mini")))

    # A replayed body arrives in one read: its 37 chunks are one delta (see openai_compat).
    assert deltas == [final.text]
    assert final.text.startswith("Short answer: not yet. Kubernetes pays off")
    assert (final.input_tokens, final.output_tokens) == (38, 37)
    assert final.finish_reason == "stop"
    assert final.raw_id == "chatcmpl-CWq4AbX2nR7tYp9LmQ3cV8sKe1Zo"


async def test_anthropic_complete_cassette(anthropic: AnthropicProvider) -> None:
    with provider_vcr.use_cassette("anthropic_complete.yaml"):
        completion = await anthropic.complete(_request("claude-sonnet-5-5"))

    assert completion.text.startswith("Kubernetes is the wrong first move")
    assert (completion.input_tokens, completion.output_tokens) == (64, 73)
    assert completion.finish_reason == "stop"
    assert completion.model == "claude-sonnet-5-5"
    assert completion.raw_id == "msg_01KqZ7vRt3YwB9nXs2LhD4aF"


async def test_anthropic_stream_cassette_stopped_by_max_tokens(
    anthropic: AnthropicProvider,
) -> None:
    with provider_vcr.use_cassette("anthropic_stream.yaml"):
        deltas, final = await _collect(anthropic.stream(_request("claude-sonnet-5-5")))

    assert len(deltas) == 15
    assert "".join(deltas) == final.text
    assert final.text.endswith("is an hour not spent on")
    assert (final.input_tokens, final.output_tokens) == (57, 40)
    assert final.finish_reason == "length"
    assert final.raw_id == "msg_01Hb3Xq9TzPn4WcK7yRm2JsE"


async def test_gemini_complete_cassette_counts_thinking_as_output(gemini: GeminiProvider) -> None:
    with provider_vcr.use_cassette("gemini_complete.yaml"):
        completion = await gemini.complete(_request("gemini-2.5-flash"))

    assert completion.text.startswith("Yes, but only as managed Kubernetes")
    # 58 answer tokens + 205 thinking tokens: Gemini bills both as output.
    assert (completion.input_tokens, completion.output_tokens) == (49, 263)
    assert completion.finish_reason == "stop"
    assert completion.model == "gemini-2.5-flash"
    assert completion.raw_id == "wq8FacnPBfOm1dkPq4ir8A8"


async def test_gemini_stream_cassette(gemini: GeminiProvider) -> None:
    with provider_vcr.use_cassette("gemini_stream.yaml"):
        deltas, final = await _collect(gemini.stream(_request("gemini-2.5-flash")))

    assert len(deltas) == 4
    assert "".join(deltas) == final.text
    assert final.text.startswith("Probably not this year. At twenty people")
    assert (final.input_tokens, final.output_tokens) == (44, 171)
    assert final.finish_reason == "stop"


async def test_gemini_errors_cassette_maps_each_failure(gemini: GeminiProvider) -> None:
    expected: list[type[ProviderError]] = [
        ProviderRateLimitedError,  # 429 RESOURCE_EXHAUSTED with RetryInfo 17s
        ProviderAuthError,  # 400 INVALID_ARGUMENT, reason API_KEY_INVALID
        ProviderAuthError,  # 403 PERMISSION_DENIED
        ProviderUnavailableError,  # 500 INTERNAL
        ProviderUnavailableError,  # 503 UNAVAILABLE (overloaded)
        ProviderTimeoutError,  # 504 DEADLINE_EXCEEDED
        ProviderBadRequestError,  # 400 INVALID_ARGUMENT
        ProviderContentFilteredError,  # 200, promptFeedback.blockReason
        ProviderContentFilteredError,  # 200, finishReason SAFETY
    ]
    raised: list[ProviderError] = []
    with provider_vcr.use_cassette("gemini_errors.yaml"):
        for _ in expected:
            try:
                await gemini.complete(_request("gemini-2.5-flash"))
            except ProviderError as exc:
                raised.append(exc)

    assert [type(e) for e in raised] == expected
    rate_limited = raised[0]
    assert isinstance(rate_limited, ProviderRateLimitedError)
    assert rate_limited.retry_after_s == 17.0
    assert [e.retryable for e in raised] == [True, False, False, True, True, True] + [False] * 3


async def test_unrecorded_request_fails_instead_of_reaching_the_network(
    openai: OpenAICompatProvider,
) -> None:
    with provider_vcr.use_cassette("openai_complete.yaml"):
        await openai.complete(_request("gpt-4.1-mini"))
        # The cassette holds one answer; a second call is not recorded, so it must fail here.
        with pytest.raises(CannotOverwriteExistingCassetteException):
            await openai.complete(_request("gpt-4.1-mini"))
