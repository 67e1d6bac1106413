"""Re-record the provider cassettes against the real APIs: a deliberate, manual, paid step.

    DEBUG=1 OPENAI_API_KEY=... ANTHROPIC_API_KEY=... GEMINI_API_KEY=... \\
        .venv/bin/python -m debates.providers.tests.record_cassettes openai anthropic gemini

Keys live only in that one command's environment and reach the tool through Django settings,
like everything else. Each named provider's `<name>_complete.yaml` and
`<name>_stream.yaml` are deleted and recorded anew with record_mode "once"; auth headers and
account identifiers are scrubbed before anything is written. Then follow docs/TESTING.md:
check the files for secrets and update the expected values in test_cassettes.py.
`gemini_errors.yaml` is hand-written (failures cannot be recorded on demand) and stays as is.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import vcr

from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import CompletionRequest, Message, Provider, TextDelta
from debates.providers.gemini import GeminiProvider
from debates.providers.openai_compat import OpenAICompatProvider
from debates.providers.tests.conftest import CASSETTES

MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-sonnet-5-5", "gemini": "gemini-2.5-flash"}
KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}
# Response headers that identify our account rather than describe the protocol.
SCRUB = {"set-cookie", "openai-organization", "openai-project", "anthropic-organization-id"}
QUESTION = (
    "<question>Should a 20-person startup move its product to Kubernetes this year?</question>"
)


def _scrub(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SCRUB:
            del headers[name]
    return response


recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="once",
    filter_headers=["authorization", "x-api-key", "x-goog-api-key", "cookie"],
    filter_query_parameters=["key"],
    decode_compressed_response=True,
    before_record_response=_scrub,
)


def _build(name: str, key: str) -> Provider:
    if name == "openai":
        return OpenAICompatProvider("openai", key)
    if name == "anthropic":
        return AnthropicProvider(key)
    return GeminiProvider(key)


async def record(name: str, key: str) -> None:
    provider = _build(name, key)
    system = "[task:turn] [role:skeptic] You are Seat B in a panel debate. Argue your role."
    request = CompletionRequest(
        model=MODELS[name],
        messages=(Message("system", system), Message("user", f"{QUESTION}\n[round:0]")),
        max_output_tokens=400,
        response_format_json=name == "openai",
    )
    for kind in ("complete", "stream"):
        path = CASSETTES / f"{name}_{kind}.yaml"
        path.unlink(missing_ok=True)
        with recorder.use_cassette(path.name):
            if kind == "complete":
                completion = await provider.complete(request)
            else:
                async for event in provider.stream(request):
                    if not isinstance(event, TextDelta):
                        completion = event
        sys.stdout.write(f"{path.name}: {completion.finish_reason}, {completion.output_tokens}\n")
    aclose = getattr(provider, "aclose", None)
    if aclose is not None:
        await aclose()


def main(names: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
    import django
    from django.conf import settings

    django.setup()
    credentials: dict[str, str] = settings.PROVIDER_CREDENTIALS
    unknown = [n for n in names if n not in MODELS]
    missing = [KEYS[n] for n in names if n in KEYS and not credentials.get(n)]
    if not names or unknown or missing:
        sys.stderr.write(f"{__doc__}\nunknown: {unknown}  missing keys: {missing}\n")
        return 2
    for name in names:
        asyncio.run(record(name, credentials[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
