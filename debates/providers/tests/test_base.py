"""The provider contract: dataclasses, the error tree and the shared helpers."""

from __future__ import annotations

import asyncio
import pickle
from datetime import UTC, datetime

import pytest

from debates.providers._common import PerLoop, parse_retry_after
from debates.providers.base import (
    CompletionRequest,
    Message,
    Provider,
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderContentFilteredError,
    ProviderError,
    ProviderMalformedResponseError,
    ProviderNotConfiguredError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    estimate_input_tokens,
)
from debates.providers.demo import DemoProvider


def test_request_splits_system_text_from_the_conversation() -> None:
    request = CompletionRequest(
        model="m",
        messages=(
            Message("system", "charter"),
            Message("user", "question"),
            Message("system", "role"),
            Message("assistant", "answer"),
        ),
    )

    assert request.system_text == "charter\n\nrole"
    assert [m.role for m in request.conversation] == ["user", "assistant"]
    assert estimate_input_tokens(request) == 2 + 2 + 1 + 2


def test_request_defaults_match_the_contract() -> None:
    request = CompletionRequest(model="m", messages=())

    assert (request.temperature, request.max_output_tokens, request.timeout_s) == (0.7, 1024, 60)
    assert request.response_format_json is False


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (ProviderRateLimitedError("p", "m", "429"), True),
        (ProviderTimeoutError("p", "m", "slow"), True),
        (ProviderUnavailableError("p", "m", "503"), True),
        (ProviderMalformedResponseError("p", "m", "garbled"), True),
        (ProviderAuthError("p", "m", "401"), False),
        (ProviderBadRequestError("p", "m", "400"), False),
        (ProviderContentFilteredError("p", "m", "filtered"), False),
        (ProviderNotConfiguredError("p", "", "no key"), False),
    ],
)
def test_errors_say_whether_a_retry_can_help(error: ProviderError, retryable: bool) -> None:
    assert isinstance(error, ProviderError)
    assert error.retryable is retryable
    assert error.code.startswith("provider_")
    assert str(error).startswith("p/")


def test_errors_survive_pickling_with_their_fields() -> None:
    error = ProviderRateLimitedError("openai", "gpt-4.1", "slow down", retry_after_s=2.5)

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 -- our own object, in memory

    assert isinstance(copy, ProviderRateLimitedError)
    assert (copy.provider, copy.model, copy.message, copy.retry_after_s) == (
        "openai",
        "gpt-4.1",
        "slow down",
        2.5,
    )


def test_demo_provider_satisfies_the_protocol() -> None:
    assert isinstance(DemoProvider(), Provider)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:30 GMT"}, 30.0),
        ({"retry-after": "Wed, 21 Oct 2026 07:27:00 GMT"}, 0.0),  # in the past: go now
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-3"}, None),
        ({}, None),
    ],
)
def test_retry_after_parses_seconds_milliseconds_and_http_dates(
    headers: dict[str, str], expected: float | None
) -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)

    assert parse_retry_after(headers, now=now) == expected


def test_per_loop_keeps_one_client_per_event_loop() -> None:
    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    clients = PerLoop(factory)

    async def twice() -> tuple[object, object]:
        return clients.get(), clients.get()

    first = asyncio.run(twice())
    second = asyncio.run(twice())

    assert first[0] is first[1]
    assert second[0] is second[1]
    assert first[0] is not second[0]
    assert len(made) == 2
