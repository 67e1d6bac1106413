"""Record the whole-debate cassettes, tests/cassettes/debate_<provider>.yaml.

    .venv/bin/python -m bench.record_debate_cassettes openai anthropic gemini

    OPENAI_API_KEY=... ANTHROPIC_API_KEY=... GEMINI_API_KEY=... \\
        .venv/bin/python -m bench.record_debate_cassettes --real openai anthropic gemini

Each named provider's debate (DEBATES below: three seats, one rebuttal round, one judge, a
chair, all on that provider) runs through DebatePipeline and the real SDK adapter while vcrpy
records every call (record_mode "all", into a fresh file). The test that replays them,
debates/tests/test_engine_cassettes.py, imports the debates and the matcher from here.

Offline (the default) the calls go to a local server on 127.0.0.1: bench.fakellm for OpenAI and
Anthropic, and for Gemini a small Gemini-protocol responder defined here (the response shapes of
tests/cassettes/gemini_*.yaml, the text from the demo generator, like fakellm). The bytes are
what the real SDK sent and what a protocol-faithful server answered; the recorded URL is
rewritten to the real API's host, auth headers are never written, and the answers keep their
`server: fakellm` header as a mark of where they came from.

`--real` runs the same debates against the real APIs (paid: a few cents). Keys live only in
that one command's environment; auth headers, the `key` query parameter and account headers
are scrubbed before anything is written. Then check the files as docs/TESTING.md says.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import vcr
from vcr.request import Request as VcrRequest

from bench.fakellm import FakeLLM, FakeLLMServer
from bench.fakellm.http import ChunkedWriter, Request, send_body
from debates.providers.base import Message, Provider, estimate_tokens
from debates.providers.demo import demo_reply, split_tokens

if TYPE_CHECKING:
    from debates.models import Debate

CASSETTES = Path(__file__).resolve().parents[1] / "tests" / "cassettes"
QUESTION = "Should a 20-person startup move its product to Kubernetes this year?"


@dataclass(frozen=True)
class DebateSpec:
    """One recorded debate: seats (catalog key, role), judges and chair, all on `provider`."""

    provider: str
    seats: tuple[tuple[str, str], ...]
    judges: tuple[str, ...]
    chair: str
    rounds: int = 1

    @property
    def cassette(self) -> str:
        return f"debate_{self.provider}.yaml"

    @property
    def calls(self) -> int:
        """Model calls of a clean run: every seat every round, each judge once, the chair."""
        return len(self.seats) * (self.rounds + 1) + len(self.judges) + 1


DEBATES: dict[str, DebateSpec] = {
    "openai": DebateSpec(
        "openai",
        seats=(
            ("openai:gpt-5-mini", "proponent"),
            ("openai:gpt-4.1-mini", "skeptic"),
            ("openai:gpt-5-mini", "pragmatist"),
        ),
        judges=("openai:gpt-4.1",),
        chair="openai:gpt-4.1",
    ),
    "anthropic": DebateSpec(
        "anthropic",
        seats=(
            ("anthropic:claude-sonnet-4-6", "proponent"),
            ("anthropic:claude-haiku-4-5", "skeptic"),
            ("anthropic:claude-sonnet-4-6", "pragmatist"),
        ),
        judges=("anthropic:claude-opus-4-6",),
        chair="anthropic:claude-opus-4-6",
    ),
    "gemini": DebateSpec(
        "gemini",
        seats=(
            ("gemini:gemini-2.5-flash", "proponent"),
            ("gemini:gemini-2.5-pro", "skeptic"),
            ("gemini:gemini-2.5-flash", "pragmatist"),
        ),
        judges=("gemini:gemini-2.5-pro",),
        chair="gemini:gemini-2.5-pro",
    ),
}

REAL_HOSTS = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
}
KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}


# --- Matching a replayed call to its recording --------------------------------------------

# The prompt tags every pipeline call carries (debates/prompts.py): the task, and for a seat's
# turn "[round:N] You are Seat X." Seats of a stage call concurrently, so the order of their
# requests differs from run to run; matching on these tags (and the model) instead of the order
# gives each seat its own recorded answer, whatever the order, and keeps real recordings (where
# a rebuttal names the other seats) coherent on replay. The rest of the body is not compared.
_TASK = re.compile(r"\[task:(\w+)\]")
_SPEAKER = re.compile(r"\[round:(\d+)\] You are (Seat [A-Z])\.")
_MODEL = re.compile(r'"model":\s*"([^"]+)"')


def call_key(body: bytes | str | None) -> tuple[str, str, str]:
    """(task, "[round:N] Seat X" or "", model or "") of a pipeline call's request body.
    Gemini names the model in the URL path, which the path matcher compares."""
    text = body.decode() if isinstance(body, bytes) else body or ""
    task = _TASK.search(text)
    speaker = _SPEAKER.search(text)
    model = _MODEL.search(text)
    return (
        task.group(1) if task else "",
        f"[round:{speaker.group(1)}] {speaker.group(2)}" if speaker else "",
        model.group(1) if model else "",
    )


def debate_call(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher: the same call of the debate (see call_key)."""
    if call_key(r1.body) != call_key(r2.body):
        raise AssertionError(f"{call_key(r1.body)} != {call_key(r2.body)}")


MATCH_ON = ("method", "scheme", "host", "path", "debate_call")
FILTER_HEADERS = ["authorization", "x-api-key", "x-goog-api-key", "cookie"]


# --- A Gemini-protocol responder for offline recording ------------------------------------

_GEMINI_PATH = re.compile(r"/v1beta/models/([^/:]+):(generateContent|streamGenerateContent)")


class _GeminiFakeLLM(FakeLLM):
    """bench.fakellm plus Gemini's generateContent and streamGenerateContent (alt=sse)."""

    async def _route(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        match = _GEMINI_PATH.fullmatch(request.path)
        if request.method != "POST" or match is None:
            return await super()._route(request, writer)
        number, _fault = self._next(request)  # counted like every request; no faults here
        model, method = match.groups()
        chunks = _gemini_chunks(model, request.json(), number)
        if method == "generateContent":
            whole = _merge_chunks(chunks)
            body = json.dumps(whole, indent=2, ensure_ascii=False).encode()
            await send_body(writer, 200, body, content_type="application/json; charset=UTF-8")
        else:
            out = ChunkedWriter(writer)
            await out.start(200, {"content-type": "text/event-stream"})
            for chunk in chunks:
                data = json.dumps(chunk, separators=(",", ":"), ensure_ascii=False)
                await out.write(f"data: {data}\r\n\r\n".encode())
            await out.end()
        self._count("completed")
        return True


class _GeminiFakeServer(FakeLLMServer):
    def __init__(self) -> None:
        super().__init__()
        self.core = _GeminiFakeLLM(self.core.config)


def _gemini_chunks(model: str, body: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """The streamed answer as Gemini sends it: a few chunks of text, the last one with the
    finish reason and the full usage (thinking tokens counted apart, as 2.5 models report)."""
    system = "".join(p.get("text", "") for p in body.get("systemInstruction", {}).get("parts", []))
    messages = [Message("system", system)] + [
        Message(
            "assistant" if content.get("role") == "model" else "user",
            "".join(part.get("text", "") for part in content.get("parts", [])),
        )
        for content in body.get("contents", [])
    ]
    config = body.get("generationConfig", {})
    json_mode = config.get("responseMimeType") == "application/json" or "[task:" in system
    text = demo_reply(model, messages, float(config.get("temperature", 1.0)), json_mode=json_mode)
    tokens = split_tokens(text)
    prompt = sum(estimate_tokens(m.content) for m in messages)
    thoughts = 40 + len(tokens) // 2
    response_id = hashlib.sha256(f"{model}:{number}".encode()).hexdigest()[:22]
    size = max(1, -(-len(tokens) // 4))
    pieces = ["".join(tokens[i : i + size]) for i in range(0, len(tokens), size)]
    details = [{"modality": "TEXT", "tokenCount": prompt}]
    chunks: list[dict[str, Any]] = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": piece}], "role": "model"},
            "index": 0,
        }
        usage: dict[str, Any] = {
            "promptTokenCount": prompt,
            "totalTokenCount": prompt,
            "promptTokensDetails": details,
        }
        if index == 0:
            usage["thoughtsTokenCount"] = thoughts
        if last:
            candidate["finishReason"] = "STOP"
            usage = {
                "promptTokenCount": prompt,
                "candidatesTokenCount": len(tokens),
                "totalTokenCount": prompt + len(tokens) + thoughts,
                "promptTokensDetails": details,
                "thoughtsTokenCount": thoughts,
            }
        chunks.append(
            {
                "candidates": [candidate],
                "usageMetadata": usage,
                "modelVersion": model,
                "responseId": response_id,
            }
        )
    return chunks


def _merge_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """generateContent's answer: the streamed chunks as one response."""
    text = "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
    last = chunks[-1]
    return {
        "candidates": [
            {
                "content": {"parts": [{"text": text}], "role": "model"},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": last["usageMetadata"],
        "modelVersion": last["modelVersion"],
        "responseId": last["responseId"],
    }


# --- Recording ------------------------------------------------------------------------------

# Request headers worth keeping (the rest describe the recording machine); response headers
# that identify an account rather than describe the protocol.
_KEEP_REQUEST_HEADERS = {
    "accept",
    "content-type",
    "user-agent",
    "anthropic-version",
    "x-stainless-retry-count",
    "x-goog-api-client",
}
_SCRUB_RESPONSE_HEADERS = {
    "set-cookie",
    "openai-organization",
    "openai-project",
    "anthropic-organization-id",
}


def _request_hook(local: str | None, real: str) -> Callable[[VcrRequest], VcrRequest]:
    def hook(request: VcrRequest) -> VcrRequest:
        if local is not None and request.uri.startswith(local):
            request.uri = real + request.uri[len(local) :]
        request.headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in _KEEP_REQUEST_HEADERS
        }
        return request

    return hook


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _SCRUB_RESPONSE_HEADERS:
            del headers[name]
    return response


@contextmanager
def _local_server(provider: str) -> Iterator[FakeLLMServer]:
    server = _GeminiFakeServer() if provider == "gemini" else FakeLLMServer()
    with server:
        yield server


def _local_provider(provider: str, server: FakeLLMServer) -> Provider:
    from debates.providers.anthropic import AnthropicProvider
    from debates.providers.gemini import GeminiProvider
    from debates.providers.openai_compat import OpenAICompatProvider

    if provider == "openai":
        # The body OpenAI itself would get (max_completion_tokens), sent to the local server.
        return OpenAICompatProvider(
            "openai",
            "sk-offline",
            base_url=server.openai_base_url,
            max_tokens_field="max_completion_tokens",
        )
    if provider == "anthropic":
        return AnthropicProvider("sk-ant-offline", base_url=server.anthropic_base_url)
    return GeminiProvider("AIza-offline", base_url=f"{server.base_url}/")


def _real_provider(provider: str) -> Provider:
    from django.conf import settings

    from debates.providers.anthropic import AnthropicProvider
    from debates.providers.gemini import GeminiProvider
    from debates.providers.openai_compat import OpenAICompatProvider

    key = settings.PROVIDER_CREDENTIALS[provider]
    if provider == "openai":
        return OpenAICompatProvider("openai", key)
    if provider == "anthropic":
        return AnthropicProvider(key)
    return GeminiProvider(key)


def _create_debate(spec: DebateSpec) -> Debate:
    from accounts.models import User
    from accounts.selectors import active_team_for_user
    from accounts.services import user_create
    from debates.services.creation import SeatInput, debate_create

    email = "cassettes@example.com"
    user = User.objects.filter(email=email).first() or user_create(email=email, password=None)
    team = active_team_for_user(user=user)
    assert team is not None
    return debate_create(
        user=user,
        team=team,
        question=QUESTION,
        seats=[SeatInput(model, role) for model, role in spec.seats],
        rounds=spec.rounds,
        judges=spec.judges,
        chair=spec.chair,
        run_in_worker=False,
    )


def record(provider: str, *, real: bool) -> str:
    from asgiref.sync import async_to_sync

    from debates.orchestration.engine import DebatePipeline
    from debates.services.running import debate_run

    spec = DEBATES[provider]
    debate = _create_debate(spec)
    path = CASSETTES / spec.cassette
    path.unlink(missing_ok=True)
    with ExitStack() as stack:
        if real:
            local, built = None, _real_provider(provider)
        else:
            server = stack.enter_context(_local_server(provider))
            local, built = server.base_url, _local_provider(provider, server)
        recorder = vcr.VCR(
            cassette_library_dir=str(CASSETTES),
            record_mode="all",
            match_on=MATCH_ON,
            filter_headers=FILTER_HEADERS,
            filter_query_parameters=["key"],
            decode_compressed_response=True,
            before_record_request=_request_hook(local, REAL_HOSTS[provider]),
            before_record_response=_scrub_response,
        )
        recorder.register_matcher("debate_call", debate_call)
        with recorder.use_cassette(spec.cassette):
            pipeline = DebatePipeline(providers=lambda _name: built, heartbeat_s=3600)
            status = async_to_sync(debate_run)(debate.pk, pipeline=pipeline)
    debate.refresh_from_db()
    if real:
        source = "the real API"
    elif provider == "gemini":
        source = "its local Gemini-protocol responder (URLs rewritten to the real host)"
    else:
        source = "bench.fakellm on 127.0.0.1 (URLs rewritten to the real host)"
    header = (
        f"# A whole debate ({len(spec.seats)} seats, {spec.rounds} rebuttal round, a judge, "
        f"a chair) through the real {provider} SDK adapter,\n"
        f"# recorded by bench/record_debate_cassettes.py against {source}.\n"
        "# Replayed by debates/tests/test_engine_cassettes.py; see docs/TESTING.md.\n"
    )
    path.write_text(header + path.read_text())
    if status != "completed":
        # A debate that did not complete makes a cassette the test cannot replay.
        raise SystemExit(f"{path.name}: the debate ended {status} ({debate.failure_reason})")
    return (
        f"{path.name}: {status}, {spec.calls} calls, "
        f"{debate.input_tokens} in / {debate.output_tokens} out"
    )


def _setup_django(database: Path, providers: list[str]) -> None:
    """The test settings on a scratch SQLite file, with these providers enabled. Keys for
    `--real` come the usual way: the settings read OPENAI_API_KEY & co."""
    import django
    from django.conf import global_settings, settings
    from django.core.management import call_command

    from tests import settings as test_settings

    options = {name: getattr(test_settings, name) for name in dir(test_settings) if name.isupper()}
    options["DATABASES"] = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}
    }
    options["LLM_PROVIDERS"] = [*providers, "demo"]
    # Background work a finished debate enqueues (the ratings refit) is not this tool's job.
    options["TASKS"] = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.configure(global_settings, **options)
    django.setup()
    call_command("migrate", "--run-syncdb", verbosity=0)


def main(argv: list[str]) -> int:
    from django.conf import settings

    real = "--real" in argv
    names = [name for name in argv if name != "--real"] or list(DEBATES)
    unknown = [name for name in names if name not in DEBATES]
    if unknown:
        sys.stderr.write(f"{__doc__}\nunknown: {unknown}\n")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        _setup_django(Path(tmp) / "record.sqlite3", names)
        missing = [KEYS[n] for n in names if real and not settings.PROVIDER_CREDENTIALS.get(n)]
        if missing:
            sys.stderr.write(f"{__doc__}\nmissing keys: {missing}\n")
            return 2
        for name in names:
            sys.stdout.write(record(name, real=real) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
