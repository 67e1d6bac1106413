"""The pipeline end to end on the database, with a scripted provider: stages, tolerance,
retries, budget, cancel, resume, judging rules, events."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from accounts.models import User
from debates.models import (
    Debate,
    DebateEvent,
    DebateStatus,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Seat,
    SeatStatus,
    Turn,
    TurnStatus,
)
from debates.orchestration.engine import DebatePipeline
from debates.providers.base import (
    CompletionRequest,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderUnavailableError,
)
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.fakes import ScriptedProvider

# Every event these debates write is checked against its type (debates/tests/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("every_event_is_typed", "pro_by_default"),
]

SEAT_MODELS = ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist"]


@pytest.fixture(autouse=True)
def _fast_pipeline(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.LLM_RETRY_ATTEMPTS = 3
    settings.DEBATE_MIN_REQUIRED_SEATS = 2
    settings.DEBATE_MAX_SEAT_FAIL_RATIO = 0.4
    settings.DEBATE_FAIL_FAST = True


# This module's panel: three seats, the scout judges and chairs.
make_debate = partial(
    factories.make_debate, models=SEAT_MODELS, judges=("demo:demo-scout",), chair="demo:demo-scout"
)


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(debate: Debate, provider: ScriptedProvider, sleeps: Sleeps | None = None) -> str | None:
    pipeline = DebatePipeline(
        providers=lambda _name: provider,
        sleep=sleeps if sleeps is not None else Sleeps(),
        heartbeat_s=3600,
    )
    return async_to_sync(debate_run)(debate.pk, pipeline=pipeline)


def events(debate: Debate) -> list[DebateEvent]:
    return list(DebateEvent.objects.filter(debate=debate).order_by("seq"))


def fail_when(
    predicate: Callable[[CompletionRequest], bool], error: Callable[[], BaseException]
) -> Callable[[CompletionRequest], BaseException | None]:
    return lambda request: error() if predicate(request) else None


def seat_is(label: str) -> Callable[[CompletionRequest], bool]:
    return lambda request: f"You are {label}." in request.messages[-1].content


def auth_error() -> ProviderError:
    return ProviderAuthError(provider="demo", model="m", message="bad key")


def test_pipeline_runs_every_stage_to_completion(owner: User) -> None:
    debate = make_debate(owner)

    assert run(debate, ScriptedProvider()) == DebateStatus.COMPLETED

    debate.refresh_from_db()
    assert debate.status == DebateStatus.COMPLETED
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 9
    assert Judgment.objects.filter(debate=debate, status=JudgmentStatus.COMPLETED).count() == 3
    assert debate.synthesis["recommendation"] == "Run a three-month pilot."
    assert debate.finalized_at is not None
    assert [row["rank"] for row in debate.scoreboard] == [1, 2, 3]
    assert debate.scoreboard[0]["label"] == "Seat A"
    # 9 turns + 1 judge call (3 seats) + 1 synthesis, 100 in / 50 out each.
    assert (debate.input_tokens, debate.output_tokens) == (1100, 550)


def test_pipeline_events_are_contiguous_and_tell_the_story(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    run(debate, ScriptedProvider())

    log = events(debate)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    debate.refresh_from_db()
    assert debate.last_seq == len(log)
    types = [e.type for e in log]
    assert types[0] == "debate.started"
    assert types[-1] == "debate.completed"
    assert types.count("turn.completed") == 6
    assert types.count("judgment.completed") == 3
    stages = [(e.payload["stage"], e.payload["round"]) for e in log if e.type == "stage.started"]
    assert stages == [
        ("opening", 0),
        ("rebuttal", 1),
        ("judging", None),
        ("synthesis", None),
    ]


def test_pipeline_deltas_add_up_to_each_turn(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    provider = ScriptedProvider()
    run(debate, provider)

    for turn in Turn.objects.filter(debate=debate):
        streamed = "".join(
            e.payload["text"]
            for e in events(debate)
            if e.type == "turn.delta"
            and e.payload["seat"] == turn.seat_id
            and e.payload["round"] == turn.round
        )
        assert '"content"' in streamed
        assert turn.content in streamed.replace("\\", "")


def test_seat_sees_earlier_rounds_anonymised(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    provider = ScriptedProvider()
    run(debate, provider)

    rebuttal = next(
        r
        for r in provider.requests
        if "[round:1]" in r.messages[-1].content and "You are Seat A." in r.messages[-1].content
    )
    text = rebuttal.messages[-1].content
    assert '<contribution seat="Seat B" round="0">' in text
    assert '<contribution seat="Seat C" round="0">' in text
    assert 'round="1"' not in text
    assert "demo-skeptic" not in text  # the model behind a seat is never shown


def test_one_failed_seat_within_tolerance_keeps_the_debate_going(owner: User) -> None:
    debate = make_debate(owner, models=[*SEAT_MODELS, "demo:demo-scout"])
    provider = ScriptedProvider(fail=fail_when(seat_is("Seat D"), auth_error))

    assert run(debate, provider) == DebateStatus.COMPLETED

    seat_d = Seat.objects.get(debate=debate, position=3)
    assert seat_d.status == SeatStatus.FAILED
    assert seat_d.failure_reason == "provider_auth_failed"
    # It failed once, in the opening, and was not asked again.
    assert Turn.objects.filter(seat=seat_d).count() == 1
    failed = [e for e in events(debate) if e.type == "turn.failed"]
    assert [e.payload["label"] for e in failed] == ["Seat D"]


def test_too_many_failed_seats_fail_fast_with_partial_transcript(owner: User) -> None:
    debate = make_debate(owner)
    provider = ScriptedProvider(
        fail=fail_when(
            lambda r: (
                "[round:1]" in r.messages[-1].content
                and (
                    "You are Seat B." in r.messages[-1].content
                    or "You are Seat C." in r.messages[-1].content
                )
            ),
            auth_error,
        )
    )

    assert run(debate, provider) == DebateStatus.FAILED

    debate.refresh_from_db()
    assert debate.failure_reason == "seat_failure_threshold_exceeded"
    assert "2 of 3 seats failed" in debate.failure_detail
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 4
    assert not debate.synthesis
    final = events(debate)[-1]
    assert final.type == "debate.failed"
    assert final.payload["round"] == 1
    assert final.payload["succeeded"] == 1


def test_without_fail_fast_the_survivors_finish(owner: User) -> None:
    debate = make_debate(owner, fail_fast=False)
    provider = ScriptedProvider(
        fail=fail_when(
            lambda r: (
                "You are Seat A." not in r.messages[-1].content and "[task:turn]" in r.system_text
            ),
            auth_error,
        )
    )

    assert run(debate, provider) == DebateStatus.COMPLETED

    degraded = [
        e.payload["degraded"]
        for e in events(debate)
        if e.type == "stage.completed" and "degraded" in e.payload
    ]
    assert degraded
    assert all(degraded)
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 3


def test_every_seat_failing_fails_the_debate(owner: User) -> None:
    debate = make_debate(owner, fail_fast=False)
    provider = ScriptedProvider(
        fail=fail_when(lambda r: "[task:turn]" in r.system_text, auth_error)
    )

    assert run(debate, provider) == DebateStatus.FAILED
    debate.refresh_from_db()
    assert debate.failure_reason == "all_seats_failed"


def test_retryable_errors_are_retried_with_backoff(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    calls: dict[str, int] = {}

    def flaky(request: CompletionRequest) -> ProviderError | None:
        key = request.messages[-1].content[:40]
        calls[key] = calls.get(key, 0) + 1
        if "You are Seat A." in request.messages[-1].content and calls[key] == 1:
            return ProviderRateLimitedError(
                provider="demo", model="m", message="slow down", retry_after_s=3
            )
        if "You are Seat B." in request.messages[-1].content and calls[key] <= 2:
            return ProviderUnavailableError(provider="demo", model="m", message="503")
        return None

    sleeps = Sleeps()
    assert run(debate, ScriptedProvider(fail=flaky), sleeps) == DebateStatus.COMPLETED

    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 6
    assert any(wait >= 3 for wait in sleeps), "Retry-After is honoured"
    assert len(sleeps) >= 3


def test_cost_cap_goes_straight_to_synthesis(owner: User) -> None:
    LLMModel.objects.filter(provider="demo").update(
        price_in_per_mtok=Decimal(1000), price_out_per_mtok=Decimal(1000)
    )
    debate = make_debate(owner, rounds=3, cost_cap_usd=Decimal("7.0"))

    assert run(debate, ScriptedProvider()) == DebateStatus.COMPLETED_BUDGET

    debate.refresh_from_db()
    assert "cost cap" in debate.budget_reason
    assert debate.synthesis
    rounds_done = set(Turn.objects.filter(debate=debate).values_list("round", flat=True))
    assert rounds_done
    assert max(rounds_done) < 3
    assert not Judgment.objects.filter(debate=debate).exists()


def test_cancel_stops_between_calls(owner: User) -> None:
    debate = make_debate(owner)

    async def cancel_in_round_one(request: CompletionRequest) -> None:
        if "[round:1]" in request.messages[-1].content:
            await Debate.objects.filter(pk=debate.pk).aupdate(cancel_requested=True)

    assert run(debate, ScriptedProvider(before=cancel_in_round_one)) == DebateStatus.CANCELLED
    debate.refresh_from_db()
    assert debate.status == DebateStatus.CANCELLED
    assert events(debate)[-1].type == "debate.cancelled"
    assert not Turn.objects.filter(debate=debate, round=2).exists()


class Crash(BaseException):
    """Stands for a worker killed mid-call: nothing after it runs."""


def test_resume_after_crash_neither_duplicates_nor_loses_turns(owner: User) -> None:
    debate = make_debate(owner)
    crash_on = "[round:1]"
    provider = ScriptedProvider(
        fail=fail_when(
            lambda r: (
                crash_on in r.messages[-1].content and "You are Seat C." in r.messages[-1].content
            ),
            Crash,
        )
    )
    with pytest.raises(Crash):
        run(debate, provider)
    debate.refresh_from_db()
    assert debate.status == DebateStatus.RUNNING
    assert debate.finalized_at is None
    done_before = Turn.objects.filter(debate=debate).count()
    assert 3 <= done_before < 9

    # A fresh run refuses to steal a debate whose runner still beats...
    assert run(debate, ScriptedProvider()) is None
    # ...and takes over once the heartbeat is stale.
    Debate.objects.filter(pk=debate.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert run(debate, ScriptedProvider()) == DebateStatus.COMPLETED

    debate.refresh_from_db()
    assert debate.attempts == 2
    assert Turn.objects.filter(debate=debate).count() == 9
    log = events(debate)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert [e.type for e in log].count("debate.completed") == 1
    assert [e.payload.get("resumed") for e in log if e.type == "debate.started"] == [False, True]


def test_finished_debate_is_not_run_again(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    run(debate, ScriptedProvider())
    count = DebateEvent.objects.filter(debate=debate).count()

    assert run(debate, ScriptedProvider()) is None
    assert DebateEvent.objects.filter(debate=debate).count() == count


def test_malformed_judge_answer_is_retried_once_then_recorded_failed(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    answers: list[str] = []

    def garbled(request: CompletionRequest, labels: list[str]) -> str:
        answers.append("x")
        return "I think Seat A was best."

    provider = ScriptedProvider(judge_text=garbled)
    assert run(debate, provider) == DebateStatus.COMPLETED

    assert len(answers) == 2
    judgments = Judgment.objects.filter(debate=debate)
    assert judgments.count() == 3
    assert {j.status for j in judgments} == {JudgmentStatus.FAILED}
    assert all(j.total is None and j.scores == {} for j in judgments)
    debate.refresh_from_db()
    assert all(row["rank"] is None for row in debate.scoreboard)


def test_judge_does_not_score_its_own_model_when_another_judge_can(owner: User) -> None:
    debate = make_debate(owner, rounds=1, judges=("demo:demo-sage", "demo:demo-scout"))
    run(debate, ScriptedProvider())

    sage_seat = Seat.objects.get(debate=debate, llm_model__key="demo:demo-sage")
    judges_of_sage = set(
        Judgment.objects.filter(seat=sage_seat).values_list("judge_model__key", flat=True)
    )
    assert judges_of_sage == {"demo:demo-scout"}
    assert Judgment.objects.filter(debate=debate, judge_model__key="demo:demo-sage").count() == 2


def test_substitute_chair_writes_the_answer_when_the_chair_fails(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    provider = ScriptedProvider(
        fail=fail_when(
            lambda r: "[task:synthesis]" in r.system_text and r.model == "demo-scout", auth_error
        )
    )
    assert run(debate, provider) == DebateStatus.COMPLETED
    debate.refresh_from_db()
    assert debate.synthesis["substitute_chair"] is True
    assert debate.synthesis["chair"] != "demo:demo-scout"


def test_no_chair_at_all_fails_with_the_transcript_kept(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    provider = ScriptedProvider(
        fail=fail_when(lambda r: "[task:synthesis]" in r.system_text, auth_error)
    )
    assert run(debate, provider) == DebateStatus.FAILED
    debate.refresh_from_db()
    assert debate.failure_reason == "synthesis_failed"
    assert Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).count() == 6


def test_successful_calls_are_recorded_for_the_breakers_once_each(owner: User) -> None:
    from ops.models import ProviderCall

    debate = make_debate(owner, rounds=1)
    run(debate, ScriptedProvider())
    # 6 turns, 1 judge call, 1 synthesis: all recorded, written in one batch per stage.
    assert ProviderCall.objects.filter(ok=True).count() == 8


def test_the_breakers_bookkeeping_comes_after_the_debate_is_finalized(owner: User) -> None:
    from ops.models import ProviderCall

    debate = make_debate(owner, rounds=1)
    seen: dict[str, int] = {}

    class Watching(DebatePipeline):
        async def close(self) -> None:
            def look() -> None:
                debate.refresh_from_db()
                seen["finalized"] = int(debate.finalized_at is not None)
                seen["recorded"] = ProviderCall.objects.count()

            await sync_to_async(look)()
            await super().close()

    pipeline = Watching(providers=lambda _name: ScriptedProvider(), heartbeat_s=3600)
    assert async_to_sync(debate_run)(debate.pk, pipeline=pipeline) == DebateStatus.COMPLETED
    # The debate's end (finalized, its last event out) waits for none of the successes: the
    # last stage's are written after it, and none is lost.
    assert seen["finalized"] == 1
    assert seen["recorded"] < 8
    assert ProviderCall.objects.filter(ok=True).count() == 8


class ClosingProvider(ScriptedProvider):
    """Like an SDK adapter: its client is the loop's, and a call after `aclose` fails."""

    closes: int = 0

    async def aclose(self) -> None:
        self.closes += 1

    def _maybe_fail(self, request: CompletionRequest) -> None:
        if self.closes:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        super()._maybe_fail(request)


def test_debates_sharing_a_loop_close_its_client_once_after_the_last_one(owner: User) -> None:
    """A short debate that ends first must not close the client the others still use (it
    used to: the longer debate's next call crashed it with internal_error)."""
    provider = ClosingProvider()
    short, long = make_debate(owner, rounds=1), make_debate(owner, rounds=3)

    async def both() -> list[str | None]:
        def pipeline() -> DebatePipeline:
            return DebatePipeline(
                providers=lambda _name: provider, sleep=Sleeps(), heartbeat_s=3600
            )

        return list(
            await asyncio.gather(
                debate_run(short.pk, pipeline=pipeline()), debate_run(long.pk, pipeline=pipeline())
            )
        )

    assert async_to_sync(both)() == [DebateStatus.COMPLETED, DebateStatus.COMPLETED]
    assert provider.closes == 1


def test_a_model_that_cannot_stream_is_asked_for_its_whole_answer(owner: User) -> None:
    """The catalog's supports_streaming: the skeptic's model is called without a stream in
    both rounds, and its turns arrive as one piece of text each; the others still stream."""
    LLMModel.objects.filter(key="demo:demo-skeptic").update(supports_streaming=False)
    debate = make_debate(owner, rounds=1)
    calls: list[tuple[str, str]] = []

    class Recording(ScriptedProvider):
        async def complete(self, request: CompletionRequest) -> Any:
            calls.append(("complete", request.model))
            return await super().complete(request)

        async def stream(self, request: CompletionRequest) -> Any:
            calls.append(("stream", request.model))
            async for event in super().stream(request):
                yield event

    assert run(debate, Recording()) == DebateStatus.COMPLETED
    skeptic = LLMModel.objects.get(key="demo:demo-skeptic").model_id
    assert [way for way, model in calls if model == skeptic] == ["complete", "complete"]
    assert ("stream", LLMModel.objects.get(key="demo:demo-sage").model_id) in calls
    seat = Seat.objects.get(debate=debate, llm_model__key="demo:demo-skeptic")
    for turn in Turn.objects.filter(debate=debate, seat=seat):
        assert turn.status == TurnStatus.COMPLETED
        deltas = [
            e.payload["text"]
            for e in events(debate)
            if e.type == "turn.delta"
            and (e.payload["seat"], e.payload["round"]) == (seat.pk, turn.round)
        ]
        assert len(deltas) == 1, deltas
        assert turn.content in deltas[0].replace("\\", "")
