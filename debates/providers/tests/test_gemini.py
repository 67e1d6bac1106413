"""GeminiProvider request shape and client configuration (responses: see test_cassettes)."""

from __future__ import annotations

from debates.prompts import judgment_schema
from debates.providers.base import CompletionRequest, Message
from debates.providers.gemini import GeminiProvider


async def test_request_maps_roles_system_json_and_timeout() -> None:
    provider = GeminiProvider("AIza")
    request = CompletionRequest(
        model="gemini-2.5-flash",
        messages=(
            Message("system", "charter"),
            Message("user", "question"),
            Message("assistant", "earlier answer"),
        ),
        temperature=0.2,
        max_output_tokens=300,
        timeout_s=12.5,
        response_format_json=True,
    )

    call = provider._call(request)
    config = call["config"]

    assert [c.role for c in call["contents"]] == ["user", "model"]
    assert config.system_instruction == "charter"
    assert (config.temperature, config.max_output_tokens) == (0.2, 300)
    assert config.response_mime_type == "application/json"
    assert config.http_options.timeout == 12_500  # milliseconds
    await provider.aclose()


async def test_sdk_retries_are_off_and_backend_is_fixed() -> None:
    provider = GeminiProvider("AIza", base_url="http://127.0.0.1:9/")

    client = provider._clients.get()
    options = client._api_client._http_options

    assert options.retry_options is not None
    assert options.retry_options.attempts == 1
    assert options.base_url == "http://127.0.0.1:9/"
    assert options.api_version == "v1beta"
    assert client._api_client.vertexai is False
    await provider.aclose()


async def test_a_structured_request_gives_gemini_the_json_schema() -> None:
    provider = GeminiProvider("AIza", base_url="http://127.0.0.1:9/")
    schema = judgment_schema(["Seat A"])
    request = CompletionRequest(
        model="gemini-2.5-flash", messages=(Message("user", "q"),), structured=schema
    )

    config = provider._call(request)["config"]

    assert config.response_mime_type == "application/json"
    assert config.response_json_schema == schema.schema
    await provider.aclose()
