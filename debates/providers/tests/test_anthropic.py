"""AnthropicProvider details the fake server cannot provoke: request shape (system parameter,
no sampling parameters under API 2026-10-21) and error mapping by error type."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

from debates.prompts import judgment_schema
from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import (
    Message,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderUnavailableError,
)
from debates.providers.tests.conftest import turn_request


@pytest.fixture
def provider() -> AnthropicProvider:
    return AnthropicProvider("sk-ant")


def status_error(status: int, kind: str) -> anthropic.APIStatusError:
    request = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")
    response = httpx2.Response(status, request=request, headers={"retry-after": "7"})
    body = {"type": "error", "error": {"type": kind, "message": f"{kind} happened"}}
    return anthropic.APIStatusError(f"Error code: {status}", response=response, body=body)


def test_system_messages_go_to_the_system_parameter(provider: AnthropicProvider) -> None:
    request = turn_request(
        messages=(
            Message("system", "charter"),
            Message("user", "question"),
            Message("system", "role"),
            Message("assistant", "earlier answer"),
        )
    )

    params = provider._params(request)

    assert params["system"] == "charter\n\nrole"
    assert [m["role"] for m in params["messages"]] == ["user", "assistant"]
    assert params["max_tokens"] == 1024
    # API version 2026-10-21 rejects every sampling parameter, even at its default.
    assert "temperature" not in params


@pytest.mark.parametrize(
    ("status", "kind", "error"),
    [
        (429, "rate_limit_error", ProviderRateLimitedError),
        (529, "overloaded_error", ProviderUnavailableError),
        (500, "api_error", ProviderUnavailableError),
        (401, "authentication_error", ProviderAuthError),
        (403, "permission_error", ProviderAuthError),
        (400, "invalid_request_error", ProviderBadRequestError),
        (404, "not_found_error", ProviderBadRequestError),
        (413, "request_too_large", ProviderBadRequestError),
        # An error event inside a stream arrives with the stream's 200.
        (200, "overloaded_error", ProviderUnavailableError),
        (200, "rate_limit_error", ProviderRateLimitedError),
    ],
)
def test_errors_map_by_type_then_status(
    provider: AnthropicProvider, status: int, kind: str, error: type[ProviderError]
) -> None:
    mapped = provider._map_error(status_error(status, kind), "claude")

    assert type(mapped) is error
    assert mapped.message == f"{kind} happened"
    if isinstance(mapped, ProviderRateLimitedError):
        assert mapped.retry_after_s == 7.0


def test_refusal_is_content_filtered(provider: AnthropicProvider) -> None:
    with pytest.raises(ProviderContentFilteredError):
        provider._finish("refusal", "claude")
    assert provider._finish("max_tokens", "claude") == "length"
    assert provider._finish("end_turn", "claude") == "stop"


def test_a_structured_request_asks_for_claude_structured_output() -> None:
    schema = judgment_schema(["Seat A"])

    params = AnthropicProvider("sk-ant")._params(turn_request(structured=schema))

    assert params["output_config"] == {"format": {"type": "json_schema", "schema": schema.schema}}
    assert "output_config" not in AnthropicProvider("sk-ant")._params(turn_request())
