"""The fake provider server on the wire: protocol shapes, fault injection, determinism,
counters and concurrent streams. Raw HTTP through httpx2 (the SDKs' own client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx2
import pytest

from bench.fakellm import FakeLLMConfig, FakeLLMServer
from bench.fakellm.__main__ import parse_args
from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import CompletionRequest, Message, TextDelta

TURN_SYSTEM = "[task:turn] [role:proponent] You are Seat A."


def openai_body(**extra: object) -> dict[str, object]:
    return {
        "model": "fake-gpt",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "<question>Should we hire a designer?</question>"},
        ],
        **extra,
    }


def anthropic_body(**extra: object) -> dict[str, object]:
    return {
        "model": "fake-claude",
        "max_tokens": 500,
        "system": TURN_SYSTEM,
        "messages": [{"role": "user", "content": "<question>Should we hire?</question>"}],
        **extra,
    }


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.fixture
def http(server: FakeLLMServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.base_url, timeout=5) as client:
        yield client


def sse_events(body: str) -> list[tuple[str | None, str]]:
    events = []
    for block in body.strip().split("\n\n"):
        name = None
        data = ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
        events.append((name, data))
    return events


def test_openai_completion_has_the_real_shape(http: httpx2.Client) -> None:
    response = http.post("/v1/chat/completions", json=openai_body(max_tokens=20))

    payload = response.json()
    assert response.status_code == 200
    assert response.headers["x-request-id"] == payload["id"]
    assert payload["object"] == "chat.completion"
    assert payload["choices"][0]["message"]["content"].startswith("[demo]")
    assert payload["choices"][0]["finish_reason"] == "length"
    assert payload["usage"]["completion_tokens"] == 20


def test_openai_json_mode_answers_json(http: httpx2.Client) -> None:
    response = http.post(
        "/v1/chat/completions", json=openai_body(response_format={"type": "json_object"})
    )

    content = json.loads(response.json()["choices"][0]["message"]["content"])
    assert {"content", "stance", "confidence", "key_claims"} <= set(content)


def test_openai_stream_ends_with_usage_and_done(http: httpx2.Client) -> None:
    body = openai_body(stream=True, stream_options={"include_usage": True})
    response = http.post("/v1/chat/completions", json=body)

    events = [data for _, data in sse_events(response.text)]
    assert response.headers["content-type"] == "text/event-stream"
    assert events[-1] == "[DONE]"
    usage_chunk = json.loads(events[-2])
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == len(events) - 4
    assert json.loads(events[-3])["choices"][0]["finish_reason"] == "stop"


def test_anthropic_stream_follows_the_real_event_sequence(http: httpx2.Client) -> None:
    response = http.post("/v1/messages", json=anthropic_body(stream=True))

    names = [name for name, _ in sse_events(response.text)]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]


def test_anthropic_task_prompt_gets_json(http: httpx2.Client) -> None:
    response = http.post("/v1/messages", json=anthropic_body())

    payload = response.json()
    assert payload["type"] == "message"
    assert payload["stop_reason"] == "end_turn"
    assert json.loads(payload["content"][0]["text"])["stance"] == "for"


def test_same_seed_same_faults_different_seed_different_faults() -> None:
    def faults(seed: int) -> list[int]:
        config = FakeLLMConfig(seed=seed, error_rate=0.3, malformed_rate=0.2)
        with FakeLLMServer(config) as server, httpx2.Client(base_url=server.base_url) as http:
            return [
                http.post("/v1/chat/completions", json=openai_body()).status_code for _ in range(20)
            ]

    assert faults(1) == faults(1)
    assert faults(1) != faults(2)
    assert 500 in faults(1)


def test_same_request_same_answer(http: httpx2.Client) -> None:
    first = http.post("/v1/messages", json=anthropic_body()).json()
    second = http.post("/v1/messages", json=anthropic_body()).json()

    assert first["content"] == second["content"]
    assert first["id"] != second["id"]


def test_rate_limit_every_nth_request_with_retry_after() -> None:
    config = FakeLLMConfig(rate_limit_every=3, retry_after=2)
    with FakeLLMServer(config) as server, httpx2.Client(base_url=server.base_url) as http:
        responses = [http.post("/v1/messages", json=anthropic_body()) for _ in range(6)]

    assert [r.status_code for r in responses] == [200, 200, 429, 200, 200, 429]
    assert responses[2].headers["retry-after"] == "2"
    assert responses[2].json()["error"]["type"] == "rate_limit_error"


def test_api_key_is_checked_in_both_header_styles() -> None:
    with (
        FakeLLMServer(FakeLLMConfig(api_key="secret")) as server,
        httpx2.Client(base_url=server.base_url) as http,
    ):
        wrong = http.post("/v1/messages", json=anthropic_body(), headers={"x-api-key": "nope"})
        bearer = http.post(
            "/v1/messages", json=anthropic_body(), headers={"authorization": "Bearer secret"}
        )
        legacy = http.post("/v1/messages", json=anthropic_body(), headers={"x-api-key": "secret"})

    assert [wrong.status_code, bearer.status_code, legacy.status_code] == [401, 200, 200]


def test_counters_and_stats_endpoint(server: FakeLLMServer, http: httpx2.Client) -> None:
    server.inject("error", "malformed")
    for _ in range(3):
        http.post("/v1/chat/completions", json=openai_body())
    http.post("/v1/chat/completions", json=openai_body(stream=True))

    stats = http.get("/stats").json()
    assert stats["requests"] == 4
    assert stats["completed"] == 2
    assert stats["streamed"] == 1
    assert stats["server_errors"] == stats["malformed"] == 1
    assert stats["errors_injected"] == 2
    assert server.counters.errors_injected == 2


def test_fault_can_be_forced_per_request(http: httpx2.Client) -> None:
    response = http.post(
        "/v1/chat/completions", json=openai_body(), headers={"x-fake-fault": "rate_limit"}
    )

    assert response.status_code == 429


def test_bad_requests_and_unknown_routes(http: httpx2.Client) -> None:
    bad = http.post("/v1/messages", content=b"{not json", headers={"content-type": "text/plain"})
    missing = http.get("/v1/nothing")

    assert bad.status_code == 400
    assert missing.status_code == 404
    assert http.get("/health").json() == {"status": "ok"}


async def test_five_concurrent_streams_interleave() -> None:
    """A five-seat stage streams at once: every stream starts before any one finishes."""
    order: list[str] = []
    config = FakeLLMConfig(tokens_per_second=500)
    with FakeLLMServer(config) as server:
        provider = AnthropicProvider("k", server.anthropic_base_url)

        async def seat(label: str) -> None:
            request = CompletionRequest(
                model="fake", messages=(Message("user", f"<question>{label}?</question>"),)
            )
            started = False
            async for event in provider.stream(request):
                if isinstance(event, TextDelta) and not started:
                    started = True
                    order.append(f"start {label}")
            order.append(f"end {label}")

        await asyncio.gather(*(seat(label) for label in "ABCDE"))
        await provider.aclose()

    first_end = next(i for i, entry in enumerate(order) if entry.startswith("end"))
    assert sum(entry.startswith("start") for entry in order[:first_end]) == 5


def test_cli_arguments_become_the_config() -> None:
    config = parse_args(
        ["--port", "9000", "--latency-ms", "50", "--error-rate", "0.1", "--rate-limit-every", "4"]
    )

    assert (config.port, config.latency_ms, config.error_rate) == (9000, 50, 0.1)
    assert config.rate_limit_every == 4
    assert config.tokens_per_second == 50.0
    assert config.host == "127.0.0.1"


@pytest.mark.parametrize(("fault", "text_sent"), [("stall_start", False), ("stall", True)])
def test_a_stalled_stream_opens_then_goes_silent(fault: str, text_sent: bool) -> None:
    with (
        FakeLLMServer(FakeLLMConfig(hang_s=5.0)) as server,
        httpx2.Client(base_url=server.base_url, timeout=httpx2.Timeout(5, read=0.3)) as client,
    ):
        server.inject(fault)  # type: ignore[arg-type]
        received: list[str] = []
        with client.stream("POST", "/v1/chat/completions", json=openai_body(stream=True)) as r:
            assert r.status_code == 200
            with pytest.raises(httpx2.ReadTimeout):
                received.extend(r.iter_lines())
        assert received, "the stream opened"
        assert "data: [DONE]" not in received
        assert any('"content": "' in line and '"content": ""' not in line for line in received) is (
            text_sent
        )
        assert server.counters.timeouts == 1
