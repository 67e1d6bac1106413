"""Fixtures for the provider tests: the fake provider server, SDK adapters pointed at it, and
the VCR configuration for the recorded-HTTP tests. Nothing here touches the network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import vcr

from bench.fakellm import FakeLLMConfig, FakeLLMServer
from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import CompletionRequest, Message
from debates.providers.openai_compat import OpenAICompatProvider

CASSETTES = Path(__file__).resolve().parents[3] / "tests" / "cassettes"

# record_mode "none": a request the cassette does not hold fails instead of going out.
provider_vcr = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization", "x-api-key", "x-goog-api-key"],
    decode_compressed_response=True,
)

SdkProvider = OpenAICompatProvider | AnthropicProvider


def turn_request(**overrides: object) -> CompletionRequest:
    """A seat's opening turn as the pipeline would send it."""
    fields: dict[str, object] = {
        "model": "fake-model",
        "messages": (
            Message("system", "[task:turn] [role:skeptic] You are Seat B. Answer in JSON."),
            Message("user", "<question>Should we adopt Kubernetes?</question>\n[round:0]"),
        ),
        "timeout_s": 5.0,
    }
    fields.update(overrides)
    return CompletionRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    # hang_s is moot: stopping the server wakes hung handlers at once.
    with FakeLLMServer(FakeLLMConfig(hang_s=30)) as server:
        yield server


@pytest.fixture(params=["openai_compat", "anthropic"])
async def sdk_provider(
    request: pytest.FixtureRequest, fake_llm: FakeLLMServer
) -> AsyncIterator[SdkProvider]:
    """Each SDK adapter that the fake server can answer, pointed at it."""
    provider: SdkProvider
    if request.param == "openai_compat":
        provider = OpenAICompatProvider("openai_compat", "test-key", fake_llm.openai_base_url)
    else:
        provider = AnthropicProvider("test-key", fake_llm.anthropic_base_url)
    yield provider
    await provider.aclose()
