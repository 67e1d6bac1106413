"""Whole debates replayed through the real SDK adapters (OpenAI, Anthropic, Gemini).

Each tests/cassettes/debate_<provider>.yaml holds every call of one debate (three seats, one
rebuttal round, a judge, a chair), recorded by bench/record_debate_cassettes.py. vcrpy replays it
with record_mode "none" under the real SDK, so a call the cassette does not hold fails instead
of reaching the network. The expected values are read from the cassette's own bytes, so the
test holds for a re-recording too: every turn, score, synthesis field and token count the
database ends with must be exactly what the provider's wire format said.
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import vcr
import yaml
from asgiref.sync import async_to_sync
from vcr.request import Request as VcrRequest

from accounts.models import User
from bench.record_debate_cassettes import (
    CASSETTES,
    DEBATES,
    FILTER_HEADERS,
    MATCH_ON,
    QUESTION,
    DebateSpec,
    call_key,
    debate_call,
)
from debates.models import (
    DebateEvent,
    DebateStatus,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Turn,
    TurnStatus,
)
from debates.orchestration.engine import DebatePipeline
from debates.prompts import extract_json
from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import Provider
from debates.providers.gemini import GeminiProvider
from debates.providers.openai_compat import OpenAICompatProvider
from debates.rubric import RUBRIC
from debates.services.creation import SeatInput
from debates.services.running import debate_run
from debates.tests.factories import make_debate

# Every event these debates write is checked against its type (debates/tests/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("every_event_is_typed", "pro_by_default"),
]

replay_vcr = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=MATCH_ON,
    filter_headers=FILTER_HEADERS,
    decode_compressed_response=True,
)
replay_vcr.register_matcher("debate_call", debate_call)


@dataclass(frozen=True)
class RecordedCall:
    text: str
    input_tokens: int
    output_tokens: int


def _data_events(body: str) -> list[dict[str, Any]]:
    """The JSON payloads of an SSE body's `data:` lines (all three providers use them)."""
    payloads = (line.removeprefix("data: ") for line in body.splitlines())
    return [
        json.loads(payload)
        for line, payload in zip(body.splitlines(), payloads, strict=True)
        if line.startswith("data: ") and payload.strip() != "[DONE]"
    ]


def _openai(body: str, streamed: bool) -> RecordedCall:
    if not streamed:
        data = json.loads(body)
        usage = data["usage"]
        text = data["choices"][0]["message"]["content"]
    else:
        chunks = _data_events(body)
        text = "".join(
            chunk["choices"][0]["delta"].get("content") or ""
            for chunk in chunks
            if chunk["choices"]
        )
        usage = next(chunk["usage"] for chunk in chunks if chunk.get("usage"))
    return RecordedCall(text, usage["prompt_tokens"], usage["completion_tokens"])


def _anthropic(body: str, streamed: bool) -> RecordedCall:
    if not streamed:
        data = json.loads(body)
        text = "".join(block["text"] for block in data["content"] if block["type"] == "text")
        return RecordedCall(text, data["usage"]["input_tokens"], data["usage"]["output_tokens"])
    events = _data_events(body)
    start = next(e for e in events if e["type"] == "message_start")
    last_delta = [e for e in events if e["type"] == "message_delta"][-1]
    text = "".join(
        e["delta"]["text"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
    )
    return RecordedCall(
        text, start["message"]["usage"]["input_tokens"], last_delta["usage"]["output_tokens"]
    )


def _gemini(body: str, streamed: bool) -> RecordedCall:
    chunks = _data_events(body) if streamed else [json.loads(body)]
    text = "".join(
        part.get("text", "")
        for chunk in chunks
        for part in chunk["candidates"][0]["content"]["parts"]
        if not part.get("thought")
    )
    usage = chunks[-1]["usageMetadata"]
    # Gemini bills thinking tokens as output; the adapter counts them so.
    output = usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)
    return RecordedCall(text, usage["promptTokenCount"], output)


_PARSERS = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini}


def recorded_calls(spec: DebateSpec) -> dict[tuple[str, str, str], RecordedCall]:
    """Each recorded call of the cassette by (task, "[round:N] Seat X", model id)."""
    cassette = yaml.load((CASSETTES / spec.cassette).read_text(), Loader=yaml.CSafeLoader)
    calls: dict[tuple[str, str, str], RecordedCall] = {}
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        assert response["status"]["code"] == 200
        task, speaker, model = call_key(request["body"])
        if not model:  # Gemini names the model in the path
            found = re.search(r"/models/([^/:]+):", request["uri"])
            assert found is not None
            model = found.group(1)
        streamed = "streamGenerateContent" in request["uri"] or bool(
            json.loads(request["body"]).get("stream")
        )
        calls[(task, speaker, model)] = _PARSERS[spec.provider](
            response["body"]["string"], streamed
        )
    assert len(calls) == len(cassette["interactions"]), "one recording per call"
    return calls


def answer_of(call: RecordedCall) -> dict[str, Any]:
    """The JSON object of a recorded answer, found the way the pipeline finds it (a real model
    may wrap it in a code fence)."""
    answer = extract_json(call.text)
    assert isinstance(answer, dict), f"not a structured answer: {call.text[:80]!r}"
    return answer


def sdk_provider(name: str) -> Provider:
    """The real adapter with its real base URL and a fake key (vcrpy answers)."""
    if name == "openai":
        return OpenAICompatProvider("openai", "sk-test")
    if name == "anthropic":
        return AnthropicProvider("sk-ant-test")
    return GeminiProvider("AIza-test")


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(params=sorted(DEBATES))
def spec(request: pytest.FixtureRequest, settings: Any) -> DebateSpec:
    spec = DEBATES[request.param]
    settings.LLM_PROVIDERS = [spec.provider, "demo"]
    settings.LLM_RETRY_ATTEMPTS = 3
    settings.DEBATE_MAX_SEAT_FAIL_RATIO = 0.4
    settings.DEBATE_MIN_REQUIRED_SEATS = 2
    settings.DEBATE_FAIL_FAST = True
    return spec


def test_whole_debate_replays_through_the_sdk_adapter(owner: User, spec: DebateSpec) -> None:
    recorded = recorded_calls(spec)
    assert len(recorded) == spec.calls
    debate = make_debate(
        owner,
        question=QUESTION,
        seats=[SeatInput(model, role) for model, role in spec.seats],
        rounds=spec.rounds,
        judges=spec.judges,
        chair=spec.chair,
    )
    provider = sdk_provider(spec.provider)
    asked: list[str] = []

    def providers(name: str) -> Provider:
        asked.append(name)
        return provider

    sleeps = Sleeps()
    pipeline = DebatePipeline(providers=providers, sleep=sleeps, heartbeat_s=3600)
    sent: dict[tuple[str, str, str], dict[str, Any]] = {}

    def capture(request: VcrRequest) -> VcrRequest:
        sent[call_key(request.body)] = json.loads(request.body)
        return request

    with replay_vcr.use_cassette(spec.cassette, before_record_request=capture) as cassette:
        status = async_to_sync(debate_run)(debate.pk, pipeline=pipeline)

    assert status == DebateStatus.COMPLETED
    assert cassette.all_played
    assert cassette.play_count == spec.calls
    assert asked == [spec.provider]
    assert sleeps == [], "no call was retried"
    assert len(sent) == spec.calls
    if spec.provider == "openai":
        # OpenAI's reasoning models take only their default temperature (another is a 400).
        for (task, _speaker, model), body in sent.items():
            assert ("temperature" in body) is not model.startswith("gpt-5"), (task, model)
    debate.refresh_from_db()
    assert debate.status == DebateStatus.COMPLETED
    assert debate.finalized_at is not None
    assert debate.failure_reason == ""

    # Every turn parsed into structured content, exactly as recorded.
    turns = list(Turn.objects.filter(debate=debate).select_related("seat__llm_model"))
    assert len(turns) == len(spec.seats) * (spec.rounds + 1)
    for turn in turns:
        call = recorded[
            ("turn", f"[round:{turn.round}] {turn.seat.label}", turn.seat.llm_model.model_id)
        ]
        answer = answer_of(call)
        assert turn.status == TurnStatus.COMPLETED
        assert turn.content == answer["content"].strip()
        assert turn.stance == answer["stance"]
        assert turn.confidence == answer["confidence"]
        assert turn.key_claims == answer["key_claims"]
        assert (turn.input_tokens, turn.output_tokens) == (call.input_tokens, call.output_tokens)

    # The judge scored every seat, with the recorded scores.
    (judge_key,) = spec.judges
    judge = LLMModel.objects.get(key=judge_key)
    scores = {
        entry["seat"]: entry
        for entry in answer_of(recorded[("judge", "", judge.model_id)])["scores"]
    }
    judgments = list(Judgment.objects.filter(debate=debate).select_related("seat"))
    assert sorted(j.seat.label for j in judgments) == sorted(scores)
    assert len(judgments) == len(spec.seats)
    for judgment in judgments:
        entry = scores[judgment.seat.label]
        assert judgment.status == JudgmentStatus.COMPLETED
        assert judgment.judge_model_id == judge.pk
        assert judgment.scores == {field: float(entry[field]) for field in RUBRIC}
        assert judgment.total == pytest.approx(sum(entry[f] for f in RUBRIC) / len(RUBRIC))
        assert judgment.rationale == entry["rationale"]
    assert sorted(row["rank"] for row in debate.scoreboard) == [1, 2, 3]

    # The chair's answer.
    chair = LLMModel.objects.get(key=spec.chair)
    synthesis = answer_of(recorded[("synthesis", "", chair.model_id)])
    assert debate.synthesis["recommendation"] == synthesis["recommendation"].strip()
    assert debate.synthesis["consensus"] == synthesis["consensus"].strip()
    assert debate.synthesis["disagreements"] == synthesis["disagreements"]
    assert debate.synthesis["confidence"] == synthesis["confidence"]
    assert debate.synthesis["structured"] is True
    assert debate.synthesis["chair"] == spec.chair
    assert debate.synthesis["substitute_chair"] is False

    # Usage is the sum of what the provider reported, priced from the catalog.
    models = {m.model_id: m for m in LLMModel.objects.filter(provider=spec.provider)}
    assert debate.input_tokens == sum(c.input_tokens for c in recorded.values())
    assert debate.output_tokens == sum(c.output_tokens for c in recorded.values())
    cost = sum(
        (
            models[model].price_in_per_mtok * c.input_tokens
            + models[model].price_out_per_mtok * c.output_tokens
            for (_task, _speaker, model), c in recorded.items()
        ),
        Decimal(0),
    ) / Decimal(1_000_000)
    assert debate.cost_usd > 0
    assert abs(debate.cost_usd - cost) < Decimal("0.000005")

    # The event log: contiguous, in stage order, the streamed text adding up to each answer.
    log = list(DebateEvent.objects.filter(debate=debate).order_by("seq"))
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert debate.last_seq == len(log)
    types = [e.type for e in log]
    assert types[0] == "debate.started"
    assert types[-1] == "debate.completed"
    assert "turn.failed" not in types
    assert types.count("turn.started") == types.count("turn.completed") == len(turns)
    assert types.count("judgment.completed") == len(spec.seats)
    stages = [(e.payload["stage"], e.payload["round"]) for e in log if e.type == "stage.started"]
    assert stages == [("opening", 0), ("rebuttal", 1), ("judging", None), ("synthesis", None)]
    for turn in turns:
        streamed = "".join(
            e.payload["text"]
            for e in log
            if e.type == "turn.delta"
            and e.payload["seat"] == turn.seat_id
            and e.payload["round"] == turn.round
        )
        key = ("turn", f"[round:{turn.round}] {turn.seat.label}", turn.seat.llm_model.model_id)
        assert streamed == recorded[key].text
    chair_text = "".join(
        e.payload["text"] for e in log if e.type == "turn.delta" and e.payload["seat"] is None
    )
    assert chair_text == recorded[("synthesis", "", chair.model_id)].text
    assert log[-1].payload["usage"] == {
        "input_tokens": debate.input_tokens,
        "output_tokens": debate.output_tokens,
        "cost_usd": str(debate.cost_usd),
    }


def test_call_key_tells_apart_each_call_of_a_debate() -> None:
    turn = json.dumps(
        {
            "model": "gpt-5-mini",
            "messages": [
                {"role": "system", "content": "[task:turn] [role:skeptic]"},
                {"role": "user", "content": "[round:1] You are Seat B.\n\n<question>…"},
            ],
        }
    )
    judge = json.dumps(
        {
            "messages": [{"role": "user", "content": 'Seats to score: Seat A, Seat B "model"'}],
            "system": "[task:judge] [role:judge]",
            "model": "claude-opus-4-6",
        }
    )

    assert call_key(turn) == ("turn", "[round:1] Seat B", "gpt-5-mini")
    assert call_key(turn.encode()) == call_key(turn)
    assert call_key(judge) == ("judge", "", "claude-opus-4-6")
    assert call_key(None) == ("", "", "")
