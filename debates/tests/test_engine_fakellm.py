"""The pipeline through the real OpenAI and Anthropic SDK adapters over real HTTP, against the
fake provider server (bench.fakellm) on 127.0.0.1: retries, Retry-After, timeouts, the circuit
breaker and every failure-tolerance rule, provoked by real HTTP failures.

The healthy seats, the judge and the chair are OpenAI models served by one module-wide server
that checks API keys. The seat (or judge) under test is served by a server of its own, so a
fault injected there reaches exactly that seat whatever order concurrent seats call in: an
Anthropic model (the anthropic SDK) or an OpenRouter model (the openai SDK), one run each.
Retry waits go to an injected `sleep` and are recorded, never slept; request timeouts are real
and short.
"""

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync

from accounts.models import User
from bench.fakellm import FakeLLMConfig, FakeLLMServer
from debates.models import (
    Debate,
    DebateEvent,
    DebateStatus,
    Judgment,
    JudgmentStatus,
    Seat,
    SeatStatus,
    Turn,
    TurnStatus,
)
from debates.orchestration.engine import DebatePipeline
from debates.providers.anthropic import AnthropicProvider
from debates.providers.base import Provider
from debates.providers.openai_compat import OpenAICompatProvider
from debates.services.running import debate_run
from debates.tests import factories
from ops.models import CircuitBreaker, CircuitState, ProviderCall

# Every event these debates write is checked against its type (debates/tests/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("every_event_is_typed", "pro_by_default"),
]

KEY = "sk-fakellm-valid"
REVOKED_KEY = "sk-fakellm-revoked"
HEALTHY = ["openai:gpt-4.1-mini", "openai:gpt-5-mini"]
# Fault tests seat one healthy model (Seat A) next to the one under test (Seat B); one failed
# seat of two is within this tolerance.
LENIENT: dict[str, Any] = {"max_seat_fail_ratio": 0.7, "min_required_seats": 1}
JUDGE = "openai:gpt-4.1"
CHAIR = "openai:gpt-5"
# The model under test, one per SDK: its calls go to the per-test `target` server.
TARGETS = ["anthropic:claude-haiku-4-5", "openrouter:deepseek/deepseek-chat"]
TARGET_JUDGES = {
    "anthropic:claude-haiku-4-5": "anthropic:claude-opus-4-6",
    "openrouter:deepseek/deepseek-chat": "openrouter:qwen/qwen3-235b-a22b",
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    """Serves the healthy seats, the judge and the chair; a wrong key gets a real 401."""
    with FakeLLMServer(FakeLLMConfig(api_key=KEY, seed=7)) as running:
        yield running


@pytest.fixture
def start_target() -> Iterator[Callable[..., FakeLLMServer]]:
    """Start a server of this test's own (stopped at the end, which also ends any hang)."""
    with ExitStack() as stack:

        def start(**config: Any) -> FakeLLMServer:
            options: dict[str, Any] = {"api_key": KEY, "seed": 7, "hang_s": 10.0, **config}
            return stack.enter_context(FakeLLMServer(FakeLLMConfig(**options)))

        yield start


@pytest.fixture(autouse=True)
def _engine_settings(settings: Any, server: FakeLLMServer) -> None:
    server.reset_counters()
    settings.LLM_PROVIDERS = ["openai", "anthropic", "openrouter", "demo"]
    settings.LLM_TIMEOUT_SECONDS = 5.0
    settings.LLM_RETRY_ATTEMPTS = 3
    settings.LLM_RETRY_BASE_DELAY_SECONDS = 1.0
    settings.LLM_RETRY_MAX_DELAY_SECONDS = 20.0
    settings.DEBATE_MAX_SEAT_FAIL_RATIO = 0.4
    settings.DEBATE_MIN_REQUIRED_SEATS = 2
    settings.DEBATE_FAIL_FAST = True
    # Only the breaker test lets a breaker open.
    settings.PROVIDER_HEALTH_MIN_CALLS = 1000


@dataclass
class Wiring:
    """The provider factory: which server (and key) each provider name talks to."""

    server: FakeLLMServer
    target: FakeLLMServer | None = None
    target_key: str = KEY

    def __call__(self, name: str) -> Provider:
        other = self.target or self.server
        if name == "openai":
            return OpenAICompatProvider("openai", KEY, base_url=self.server.openai_base_url)
        if name == "anthropic":
            return AnthropicProvider(self.target_key, base_url=other.anthropic_base_url)
        if name == "openrouter":
            return OpenAICompatProvider("openrouter", self.target_key, other.openai_base_url)
        raise AssertionError(f"no provider {name!r} in these tests")


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_debate(
    owner: User,
    seats: list[str],
    *,
    judges: tuple[str, ...] = (JUDGE,),
    chair: str = CHAIR,
    **options: Any,
) -> Debate:
    return factories.make_debate(
        owner, models=seats, rounds=1, judges=judges, chair=chair, **options
    )


def run(debate: Debate, wiring: Wiring, sleeps: Sleeps | None = None) -> str | None:
    pipeline = DebatePipeline(
        providers=wiring, sleep=sleeps if sleeps is not None else Sleeps(), heartbeat_s=3600
    )
    return async_to_sync(debate_run)(debate.pk, pipeline=pipeline)


def events(debate: Debate, type_: str | None = None) -> list[DebateEvent]:
    log = DebateEvent.objects.filter(debate=debate).order_by("seq")
    return list(log.filter(type=type_) if type_ else log)


def calls_of(model_key: str) -> list[tuple[bool, str]]:
    provider, model = model_key.split(":", 1)
    rows = ProviderCall.objects.filter(provider=provider, model=model).order_by("created_at", "id")
    return [(row.ok, row.error_code) for row in rows]


def assert_contiguous(debate: Debate) -> None:
    seqs = [e.seq for e in events(debate)]
    assert seqs == list(range(1, len(seqs) + 1))


def completed_turns(debate: Debate, model_key: str) -> list[Turn]:
    return list(
        Turn.objects.filter(
            debate=debate, seat__llm_model__key=model_key, status=TurnStatus.COMPLETED
        ).order_by("round")
    )


def assert_structured(turn: Turn) -> None:
    """A whole, parsed answer: the structured fields only a complete JSON answer carries."""
    assert turn.content.startswith("[demo]")
    assert not turn.content.lstrip().startswith("{")
    assert turn.stance in ("for", "against", "mixed")
    assert turn.confidence is not None
    assert turn.key_claims


@pytest.fixture(params=TARGETS)
def target_model(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


# --- Retries -------------------------------------------------------------------------------


def test_server_error_is_retried_once_then_the_turn_completes(
    owner: User,
    server: FakeLLMServer,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
) -> None:
    target = start_target()
    target.inject("error")
    debate = make_debate(owner, [HEALTHY[0], target_model], **LENIENT)
    sleeps = Sleeps()

    assert run(debate, Wiring(server, target), sleeps) == DebateStatus.COMPLETED

    turns = completed_turns(debate, target_model)
    assert [t.round for t in turns] == [0, 1]
    for turn in turns:
        assert_structured(turn)
    counters = target.counters
    assert (counters.requests, counters.server_errors, counters.completed) == (3, 1, 2)
    assert len(sleeps) == 1
    assert 1.0 <= sleeps[0] <= 1.5, "the first backoff: base delay plus up to half of it"
    assert calls_of(target_model) == [(False, "provider_unavailable"), (True, ""), (True, "")]
    assert not events(debate, "turn.failed")
    # The 500 came before any text: nobody was told to start the turn over.
    seat = Seat.objects.get(debate=debate, llm_model__key=target_model)
    started = [e for e in events(debate, "turn.started") if e.payload["seat"] == seat.pk]
    assert len(started) == 2  # one per round
    assert server.counters.errors_injected == 0
    assert_contiguous(debate)


def test_rate_limit_waits_at_least_retry_after(
    owner: User,
    server: FakeLLMServer,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
) -> None:
    target = start_target(retry_after=2.0)
    target.inject("rate_limit")
    debate = make_debate(owner, [HEALTHY[0], target_model], **LENIENT)
    sleeps = Sleeps()

    assert run(debate, Wiring(server, target), sleeps) == DebateStatus.COMPLETED

    assert target.counters.rate_limited == 1
    assert len(sleeps) == 1
    assert sleeps[0] >= 2.0, "Retry-After: 2 is honoured in full"
    assert calls_of(target_model)[0] == (False, "provider_rate_limited")
    assert len(completed_turns(debate, target_model)) == 2


def test_hang_past_the_timeout_is_retried(
    owner: User,
    server: FakeLLMServer,
    settings: Any,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
) -> None:
    settings.LLM_TIMEOUT_SECONDS = 0.5  # real: each hung attempt costs this much wall time
    target = start_target()
    target.inject("timeout")
    debate = make_debate(owner, [HEALTHY[0], target_model], **LENIENT)
    sleeps = Sleeps()

    assert run(debate, Wiring(server, target), sleeps) == DebateStatus.COMPLETED

    assert (target.counters.timeouts, target.counters.requests) == (1, 3)
    assert sleeps, "the retry waited (through the injected sleep)"
    assert calls_of(target_model) == [(False, "provider_timeout"), (True, ""), (True, "")]
    for turn in completed_turns(debate, target_model):
        assert_structured(turn)


def test_seats_whose_every_attempt_hangs_fail_with_provider_timeout(
    owner: User, server: FakeLLMServer, settings: Any, start_target: Callable[..., FakeLLMServer]
) -> None:
    # Both SDKs at once: the two seats hang concurrently, so the test waits 3 timeouts, not 6.
    settings.LLM_TIMEOUT_SECONDS = 0.5
    target = start_target(timeout_rate=1.0)
    debate = make_debate(owner, [HEALTHY[0], *TARGETS], **LENIENT)
    sleeps = Sleeps()

    assert run(debate, Wiring(server, target), sleeps) == DebateStatus.COMPLETED

    assert (target.counters.requests, target.counters.timeouts) == (6, 6)
    assert len(sleeps) >= 4, "two retries for each of the two seats"
    failed = events(debate, "turn.failed")
    assert sorted((e.payload["label"], e.payload["round"]) for e in failed) == [
        ("Seat B", 0),
        ("Seat C", 0),
    ]
    assert {e.payload["error_code"] for e in failed} == {"provider_timeout"}
    for key in TARGETS:
        seat = Seat.objects.get(debate=debate, llm_model__key=key)
        assert (seat.status, seat.failure_reason) == (SeatStatus.FAILED, "provider_timeout")
        assert Turn.objects.filter(seat=seat).count() == 1, "a failed seat is not asked again"
        assert calls_of(key) == [(False, "provider_timeout")] * 3
    # The healthy seat finished both rounds and was judged.
    assert [t.round for t in completed_turns(debate, HEALTHY[0])] == [0, 1]
    (judged,) = Judgment.objects.filter(debate=debate, status=JudgmentStatus.COMPLETED)
    assert judged.seat.label == "Seat A"


# --- Streams that open, then go silent (issue 9, item 7) -------------------------------------


@pytest.mark.parametrize(
    ("fault", "setting"),
    [
        ("stall_start", "LLM_FIRST_TOKEN_TIMEOUT_SECONDS"),
        ("stall", "LLM_STREAM_IDLE_TIMEOUT_SECONDS"),
    ],
)
def test_a_silent_stream_is_cut_in_seconds_not_at_the_call_timeout(
    owner: User,
    server: FakeLLMServer,
    settings: Any,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
    fault: Any,
    setting: str,
) -> None:
    """The server answers 200 and opens the stream, then sends nothing (before any text, or
    half-way). The call's own timeout (5 s here, 60 s by default, per attempt) would hold the
    seat that long; the first-token and idle limits cut it at 0.3 s and the retry succeeds."""
    settings.LLM_TIMEOUT_SECONDS = 5.0
    settings.LLM_FIRST_TOKEN_TIMEOUT_SECONDS = 5.0
    settings.LLM_STREAM_IDLE_TIMEOUT_SECONDS = 5.0
    setattr(settings, setting, 0.3)
    target = start_target()
    target.inject(fault)
    debate = make_debate(owner, [HEALTHY[0], target_model], **LENIENT)
    started = time.monotonic()

    assert run(debate, Wiring(server, target), Sleeps()) == DebateStatus.COMPLETED

    elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"the silent stream held the seat {elapsed:.1f} s"
    assert target.counters.timeouts == 1
    assert calls_of(target_model)[0] == (False, "provider_timeout")
    seat = Seat.objects.get(debate=debate, llm_model__key=target_model)
    opening = Turn.objects.get(seat=seat, round=0)
    assert opening.status == TurnStatus.COMPLETED
    assert_structured(opening)
    assert_contiguous(debate)


# --- Malformed and truncated bodies --------------------------------------------------------


@pytest.mark.parametrize("fault", ["malformed", "truncate"])
def test_broken_stream_is_retried_and_never_makes_a_short_turn(
    owner: User,
    server: FakeLLMServer,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
    fault: Any,
) -> None:
    target = start_target()
    target.inject(fault)
    debate = make_debate(owner, [HEALTHY[0], target_model], **LENIENT)
    sleeps = Sleeps()

    assert run(debate, Wiring(server, target), sleeps) == DebateStatus.COMPLETED

    assert target.counters.errors_injected == 1
    assert len(sleeps) == 1
    assert calls_of(target_model)[0] == (False, "provider_malformed_response")
    seat = Seat.objects.get(debate=debate, llm_model__key=target_model)
    opening = Turn.objects.get(seat=seat, round=0)
    assert opening.status == TurnStatus.COMPLETED
    assert_structured(opening)
    # Text had flowed when the stream broke, so listeners were told to start over; what was
    # streamed after that is the whole answer the turn was made from.
    log = events(debate)
    restarts = [
        e.seq
        for e in log
        if e.type == "turn.started" and e.payload["seat"] == seat.pk and e.payload["round"] == 0
    ]
    assert len(restarts) == 2
    streamed = "".join(
        e.payload["text"]
        for e in log
        if e.type == "turn.delta"
        and e.seq > restarts[-1]
        and e.payload["seat"] == seat.pk
        and e.payload["round"] == 0
    )
    assert json.loads(streamed)["content"].strip() == opening.content
    assert_contiguous(debate)


@pytest.mark.parametrize("fault", ["malformed", "truncate"])
def test_broken_judge_body_is_retried_and_the_scores_stand(
    owner: User,
    server: FakeLLMServer,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
    fault: Any,
) -> None:
    target = start_target()
    target.inject(fault)
    judge = TARGET_JUDGES[target_model]
    debate = make_debate(owner, HEALTHY, judges=(judge,))
    sleeps = Sleeps()

    assert run(debate, Wiring(server, target), sleeps) == DebateStatus.COMPLETED

    assert (target.counters.requests, target.counters.errors_injected) == (2, 1)
    assert len(sleeps) == 1
    assert calls_of(judge) == [(False, "provider_malformed_response"), (True, "")]
    judgments = Judgment.objects.filter(debate=debate)
    assert judgments.count() == 2
    assert {j.status for j in judgments} == {JudgmentStatus.COMPLETED}
    assert all(j.total is not None and len(j.scores) == 5 for j in judgments)


# --- The circuit breaker through the pipeline ----------------------------------------------


def test_circuit_breaker_opens_blocks_probes_once_and_closes(
    owner: User, server: FakeLLMServer, settings: Any, start_target: Callable[..., FakeLLMServer]
) -> None:
    settings.PROVIDER_HEALTH_MIN_CALLS = 2
    settings.PROVIDER_HEALTH_ERROR_THRESHOLD = 0.5
    settings.PROVIDER_HEALTH_WINDOW_SECONDS = 300
    settings.PROVIDER_HEALTH_COOLDOWN_SECONDS = 60
    model = "anthropic:claude-haiku-4-5"
    broken = start_target(error_rate=1.0)  # every request: 500
    seats = [HEALTHY[0], model]

    def breaker() -> CircuitBreaker:
        return CircuitBreaker.objects.get(provider="anthropic", model="claude-haiku-4-5")

    def after_cool_down() -> datetime:
        open_until = breaker().open_until
        assert open_until is not None
        return open_until + timedelta(seconds=1)

    def failures(debate: Debate) -> list[tuple[str, str]]:
        return sorted(
            (e.payload["label"], e.payload["error_code"]) for e in events(debate, "turn.failed")
        )

    # 1. Two failed calls (min calls 2, all failing) open the breaker; the third attempt is
    #    refused before it leaves the process.
    first = make_debate(owner, seats, **LENIENT)
    sleeps = Sleeps()
    assert run(first, Wiring(server, broken), sleeps) == DebateStatus.COMPLETED
    assert failures(first) == [("Seat B", "circuit_open")]
    assert broken.counters.requests == 2
    assert len(sleeps) == 2
    assert (breaker().state, breaker().times_opened) == (CircuitState.OPEN, 1)

    # 2. While open, no request reaches the server.
    second = make_debate(owner, seats, **LENIENT)
    assert run(second, Wiring(server, broken)) == DebateStatus.COMPLETED
    assert failures(second) == [("Seat B", "circuit_open")]
    assert broken.counters.requests == 2

    # 3. After the cool-down exactly one probe goes out, though two seats of this model ask at
    #    once; it fails, so the breaker re-opens and both seats fail without another request.
    with time_machine.travel(after_cool_down(), tick=True):
        third = make_debate(owner, [*seats, model], **LENIENT)
        assert run(third, Wiring(server, broken)) == DebateStatus.COMPLETED
    assert failures(third) == [("Seat B", "circuit_open"), ("Seat C", "circuit_open")]
    assert broken.counters.requests == 3
    assert (breaker().state, breaker().times_opened) == (CircuitState.OPEN, 2)

    # 4. After the next cool-down the model is healthy again: the probe succeeds and closes
    #    the breaker, and the seat speaks in both rounds.
    with time_machine.travel(after_cool_down(), tick=True):
        fourth = make_debate(owner, seats, **LENIENT)
        assert run(fourth, Wiring(server)) == DebateStatus.COMPLETED
    assert breaker().state == CircuitState.CLOSED
    assert not events(fourth, "turn.failed")
    assert [t.round for t in completed_turns(fourth, model)] == [0, 1]
    assert broken.counters.requests == 3
    assert calls_of(model) == [
        (False, "provider_unavailable"),
        (False, "provider_unavailable"),
        (False, "provider_unavailable"),
        (True, ""),
        (True, ""),
    ]


# --- Failure tolerance, provoked by a revoked key (a real 401) ------------------------------


def test_failed_seat_within_tolerance_lets_the_debate_finish(
    owner: User, server: FakeLLMServer
) -> None:
    debate = make_debate(owner, [*HEALTHY, "openai:gpt-4.1", "anthropic:claude-haiku-4-5"])
    sleeps = Sleeps()

    status = run(debate, Wiring(server, target_key=REVOKED_KEY), sleeps)

    assert status == DebateStatus.COMPLETED
    seat = Seat.objects.get(debate=debate, position=3)
    assert (seat.status, seat.failure_reason) == (SeatStatus.FAILED, "provider_auth_failed")
    assert server.counters.auth_failures == 1, "a 401 is never retried"
    assert sleeps == []
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 6
    opening = next(e for e in events(debate, "stage.completed") if e.payload["stage"] == "opening")
    assert (opening.payload["failed"], opening.payload["degraded"]) == (1, False)
    debate.refresh_from_db()
    assert debate.synthesis["recommendation"]
    assert_contiguous(debate)


def test_too_many_failed_seats_with_fail_fast_fail_the_debate_keeping_the_transcript(
    owner: User,
    server: FakeLLMServer,
) -> None:
    debate = make_debate(
        owner, ["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5", "anthropic:claude-sonnet-4-6"]
    )

    assert run(debate, Wiring(server, target_key=REVOKED_KEY)) == DebateStatus.FAILED

    debate.refresh_from_db()
    assert debate.failure_reason == "seat_failure_threshold_exceeded"
    assert "2 of 3 seats failed" in debate.failure_detail
    (kept,) = Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED)
    assert kept.seat.llm_model.key == "openai:gpt-4.1-mini"
    assert_structured(kept)
    assert server.counters.auth_failures == 2
    assert not debate.synthesis
    assert not Judgment.objects.filter(debate=debate).exists()
    final = events(debate)[-1]
    assert final.type == "debate.failed"
    assert (final.payload["succeeded"], final.payload["failed"]) == (1, 2)
    stages = [e.payload["stage"] for e in events(debate, "stage.started")]
    assert stages == ["opening"]
    assert_contiguous(debate)


def test_too_many_failed_seats_without_fail_fast_go_on_degraded(
    owner: User, server: FakeLLMServer
) -> None:
    debate = make_debate(
        owner,
        [*HEALTHY, "anthropic:claude-haiku-4-5", "anthropic:claude-sonnet-4-6"],
        fail_fast=False,
    )

    assert run(debate, Wiring(server, target_key=REVOKED_KEY)) == DebateStatus.COMPLETED

    summaries = [e.payload for e in events(debate, "stage.completed") if "degraded" in e.payload]
    assert [(s["stage"], s["succeeded"], s["failed"], s["degraded"]) for s in summaries] == [
        ("opening", 2, 2, True),
        ("rebuttal", 2, 2, True),
    ]
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 4
    judged = Judgment.objects.filter(debate=debate, status=JudgmentStatus.COMPLETED)
    assert sorted(j.seat.label for j in judged) == ["Seat A", "Seat B"]
    debate.refresh_from_db()
    assert debate.synthesis["recommendation"]


def test_fewer_answering_seats_than_required_fail_the_debate(
    owner: User, server: FakeLLMServer
) -> None:
    debate = make_debate(
        owner,
        [*HEALTHY, "anthropic:claude-haiku-4-5"],
        max_seat_fail_ratio=0.5,
        min_required_seats=3,
    )

    assert run(debate, Wiring(server, target_key=REVOKED_KEY)) == DebateStatus.FAILED

    debate.refresh_from_db()
    assert debate.failure_reason == "seat_failure_threshold_exceeded"
    assert "at least 3 answering" in debate.failure_detail
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 2


def test_every_seat_failing_fails_the_debate(owner: User, server: FakeLLMServer) -> None:
    debate = make_debate(
        owner, ["anthropic:claude-haiku-4-5", "anthropic:claude-sonnet-4-6"], fail_fast=False
    )

    assert run(debate, Wiring(server, target_key=REVOKED_KEY)) == DebateStatus.FAILED

    debate.refresh_from_db()
    assert debate.failure_reason == "all_seats_failed"
    assert server.counters.auth_failures == 2
    assert not Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).exists()
    assert events(debate)[-1].type == "debate.failed"


# --- Judges' structured output ---------------------------------------------------------------


def test_judges_ask_for_the_verdict_schema_and_a_server_without_it_is_asked_in_json_mode(
    owner: User,
    server: FakeLLMServer,
    start_target: Callable[..., FakeLLMServer],
    target_model: str,
) -> None:
    """The healthy judge's server has a structured-output mode; the target judge's does not
    (a 400, as from a compatible server or model that lacks it): its judge is asked once more
    without the schema, and its scores stand. Neither is a fault of the provider's health."""
    target = start_target(json_schema=False)
    judge = TARGET_JUDGES[target_model]
    debate = make_debate(owner, HEALTHY, judges=(JUDGE, judge))
    server.core.request_log(clear=True)

    assert run(debate, Wiring(server, target)) == DebateStatus.COMPLETED

    asked = [line for line in server.core.request_log() if line.get("task") == "judge"]
    assert asked
    assert all(line["structured"] for line in asked)
    refused, retried = target.core.request_log()[:2]
    assert (refused["task"], refused["structured"]) == ("refused_schema", True)
    assert (retried["task"], retried["structured"]) == ("judge", False)
    # The refusal was the request's fault, not the provider's: the health ledger has only the
    # answer.
    assert calls_of(judge) == [(True, "")]
    judgments = Judgment.objects.filter(debate=debate)
    assert {j.status for j in judgments} == {JudgmentStatus.COMPLETED}
    assert judgments.count() == 4
