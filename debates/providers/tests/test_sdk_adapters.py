"""OpenAICompatProvider and AnthropicProvider against the fake provider server: the real SDKs,
real HTTP on 127.0.0.1, and every fault the server can inject."""

from __future__ import annotations

import json

import pytest

from bench.fakellm import FakeLLMServer, Fault
from debates.providers.base import (
    Completion,
    CompletionRequest,
    Message,
    ProviderAuthError,
    ProviderError,
    ProviderMalformedResponseError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    TextDelta,
)
from debates.providers.openai_compat import OpenAICompatProvider
from debates.providers.tests.conftest import SdkProvider, turn_request


async def _stream(provider: SdkProvider, request: CompletionRequest) -> tuple[str, Completion]:
    deltas: list[str] = []
    final: Completion | None = None
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            assert final is None, "no text may follow the final Completion"
            deltas.append(event.text)
        else:
            final = event
    assert final is not None
    return "".join(deltas), final


async def test_complete_returns_the_answer_with_usage(sdk_provider: SdkProvider) -> None:
    completion = await sdk_provider.complete(turn_request())

    assert completion.text.startswith('{"content": "[demo]')
    assert completion.finish_reason == "stop"
    assert completion.provider == sdk_provider.name
    assert completion.model == "fake-model"
    assert completion.input_tokens > 0
    assert completion.output_tokens > 10
    assert completion.raw_id
    assert completion.latency_ms >= 0
    assert completion.demo is False


async def test_complete_in_json_mode_returns_parseable_json(sdk_provider: SdkProvider) -> None:
    completion = await sdk_provider.complete(turn_request(response_format_json=True))

    payload = json.loads(completion.text)
    assert set(payload) == {"content", "stance", "confidence", "key_claims"}


async def test_stream_deltas_add_up_to_the_final_text(sdk_provider: SdkProvider) -> None:
    text, final = await _stream(sdk_provider, turn_request())

    assert text == final.text
    assert final.finish_reason == "stop"
    assert final.output_tokens > 10
    assert final.input_tokens > 0
    assert final.raw_id


async def test_stream_stopped_early_by_the_caller_closes_quietly(
    sdk_provider: SdkProvider, fake_llm: FakeLLMServer
) -> None:
    stream = sdk_provider.stream(turn_request())
    first = await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]

    assert isinstance(first, TextDelta)
    # The connection is usable again right away.
    assert (await sdk_provider.complete(turn_request())).text


async def test_answer_cut_at_max_tokens_reports_length(sdk_provider: SdkProvider) -> None:
    request = turn_request(
        messages=(Message("user", "<question>Is tea better than coffee?</question>"),),
        max_output_tokens=5,
    )

    completion = await sdk_provider.complete(request)
    _, streamed = await _stream(sdk_provider, request)

    assert completion.finish_reason == streamed.finish_reason == "length"
    assert completion.output_tokens == streamed.output_tokens == 5


@pytest.mark.parametrize("streaming", [False, True], ids=["complete", "stream"])
async def test_rate_limit_carries_retry_after(
    sdk_provider: SdkProvider, fake_llm: FakeLLMServer, streaming: bool
) -> None:
    fake_llm.inject("rate_limit")

    with pytest.raises(ProviderRateLimitedError) as caught:
        await _call(sdk_provider, turn_request(), streaming=streaming)

    assert caught.value.retry_after_s == 2.0
    assert caught.value.retryable


EXPECTED: list[tuple[Fault, type[ProviderError], bool]] = [
    ("error", ProviderUnavailableError, True),
    ("malformed", ProviderMalformedResponseError, True),
    ("truncate", ProviderMalformedResponseError, True),
    ("auth", ProviderAuthError, False),
]


@pytest.mark.parametrize("streaming", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(("fault", "error", "retryable"), EXPECTED)
async def test_fault_maps_to_typed_error(
    sdk_provider: SdkProvider,
    fake_llm: FakeLLMServer,
    streaming: bool,
    fault: Fault,
    error: type[ProviderError],
    retryable: bool,
) -> None:
    fake_llm.inject(fault)

    with pytest.raises(error) as caught:
        await _call(sdk_provider, turn_request(), streaming=streaming)

    assert caught.value.retryable is retryable
    assert caught.value.provider == sdk_provider.name
    assert caught.value.model == "fake-model"


@pytest.mark.parametrize("streaming", [False, True], ids=["complete", "stream"])
async def test_truncated_answer_is_never_returned_short(
    sdk_provider: SdkProvider, fake_llm: FakeLLMServer, streaming: bool
) -> None:
    fake_llm.inject("truncate")
    events: list[object] = []

    async def consume() -> None:
        if streaming:
            async for event in sdk_provider.stream(turn_request()):
                events.append(event)
        else:
            events.append(await sdk_provider.complete(turn_request()))

    with pytest.raises((ProviderMalformedResponseError, ProviderUnavailableError)):
        await consume()

    assert not any(isinstance(e, Completion) for e in events)
    assert fake_llm.counters.truncated == 1


@pytest.mark.parametrize("streaming", [False, True], ids=["complete", "stream"])
async def test_server_slower_than_the_timeout_raises_provider_timeout(
    sdk_provider: SdkProvider, fake_llm: FakeLLMServer, streaming: bool
) -> None:
    fake_llm.inject("timeout")

    with pytest.raises(ProviderTimeoutError) as caught:
        await _call(sdk_provider, turn_request(timeout_s=0.3), streaming=streaming)

    assert caught.value.retryable


async def test_nobody_listening_raises_provider_unavailable(fake_llm: FakeLLMServer) -> None:
    port = fake_llm.core.port
    fake_llm.stop()
    provider = OpenAICompatProvider("openai_compat", "k", f"http://127.0.0.1:{port}/v1")

    with pytest.raises(ProviderUnavailableError):
        await provider.complete(turn_request())
    await provider.aclose()


async def test_concurrent_streams_of_a_five_seat_stage_all_complete(
    sdk_provider: SdkProvider, fake_llm: FakeLLMServer
) -> None:
    import asyncio

    roles = ["proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"]
    requests = [
        turn_request(messages=(Message("system", f"[task:turn] [role:{r}]"), Message("user", "q")))
        for r in roles
    ]

    results = await asyncio.gather(*(_stream(sdk_provider, r) for r in requests))

    assert all(text == final.text for text, final in results)
    assert len({final.text for _, final in results}) == 5
    assert fake_llm.counters.streamed == 5


async def _call(provider: SdkProvider, request: CompletionRequest, *, streaming: bool) -> None:
    if streaming:
        await _stream(provider, request)
    else:
        await provider.complete(request)
