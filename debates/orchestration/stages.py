"""The stages of a debate. Each one does its work over the DebateState, skipping what a
previous (crashed) run already stored, and says how the debate goes on."""

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol
from uuid import UUID

import structlog

from debates import events, prompts
from debates.models import FailureReason, Stage
from debates.orchestration import progress
from debates.orchestration.gateway import CALL_ERRORS, CallError, Gateway
from debates.orchestration.state import DebateState, ModelRef, SeatState
from debates.orchestration.writes import Writes, db
from debates.providers.base import (
    Completion,
    CompletionRequest,
    ProviderBadRequestError,
    estimate_tokens,
)

logger = structlog.get_logger(__name__)

__all__ = ["db"]


class Next(Enum):
    CONTINUE = "continue"
    TO_SYNTHESIS = "to_synthesis"
    FAIL = "fail"
    CANCEL = "cancel"


@dataclass(frozen=True)
class StageResult:
    next: Next = Next.CONTINUE
    reason: str = ""
    detail: str = ""
    where: "StopPoint | None" = None
    budget_reason: str = ""


@dataclass(frozen=True)
class StopPoint:
    """Where a debate stopped early, and how many seats of that stage answered."""

    stage: str
    round: int | None = None
    succeeded: int | None = None
    failed: int | None = None


CONTINUE = StageResult()


@dataclass
class RunContext:
    """What a stage needs besides the state: the gateway, the writes (in order, off the
    critical path) and the clock of delta batches."""

    state: DebateState
    gateway: Gateway
    writes: Writes
    delta_interval_s: float
    timeout_s: float

    @property
    def debate_id(self) -> UUID:
        return self.state.debate_id

    def scrub(self, *texts: str) -> list[str]:
        """Model output with personal data replaced before it is stored (a model may echo or
        invent some); new finds are recorded with the debate's placeholder map."""
        cleaned: list[str] = []
        found: dict[str, int] = {}
        for text in texts:
            clean, counts = self.state.scrub(text)
            cleaned.append(clean)
            for kind, count in counts.items():
                found[kind] = found.get(kind, 0) + count
        if found:
            self.writes.submit(
                progress.pii_record,
                debate_id=self.debate_id,
                pii_map=self.state.pii.to_dict(),
                found=found,
            )
        return cleaned

    def request(
        self, model: ModelRef, messages: tuple[Any, ...], *, temperature: float
    ) -> CompletionRequest:
        return CompletionRequest(
            model=model.model_id,
            messages=messages,
            temperature=temperature,
            max_output_tokens=self.state.max_output_tokens,
            timeout_s=self.timeout_s,
            response_format_json=True,
        )


class DebateStage(Protocol):
    name: str
    round: int | None

    async def run(self, ctx: RunContext) -> StageResult: ...


class StreamedText:
    """The streamed text of a stage's calls, not yet stored. It is written at most every
    `interval` seconds, counted from the stage's first token, for every call that has some:
    five seats streaming at once cost one transaction (and one live message) per interval,
    not five. An answer that arrives in one burst is written once, with its turn (`take`)."""

    def __init__(
        self,
        ctx: RunContext,
        round_number: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx, self._round, self._clock = ctx, round_number, clock
        self._buffers: dict[int | None, list[str]] = {}
        self._last: float | None = None

    def add(self, seat_id: int | None, text: str) -> None:
        self._buffers.setdefault(seat_id, []).append(text)
        now = self._clock()
        if self._last is None:
            self._last = now
        elif now - self._last >= self._ctx.delta_interval_s:
            self.flush()

    def flush(self) -> None:
        waiting = [(seat, "".join(parts)) for seat, parts in self._buffers.items() if parts]
        self._buffers = {}
        self._last = self._clock()
        if not waiting:
            return
        cleaned = self._ctx.scrub(*(text for _seat, text in waiting))
        self._ctx.writes.submit(
            progress.turn_deltas,
            debate_id=self._ctx.debate_id,
            round_number=self._round,
            texts=[(seat, text) for (seat, _raw), text in zip(waiting, cleaned, strict=True)],
        )

    def discard(self, seat_id: int | None) -> None:
        self._buffers.pop(seat_id, None)

    def on_delta(self, seat_id: int | None) -> Callable[[str], Awaitable[None]]:
        """The gateway's `on_delta` for one call's stream."""

        async def add(text: str) -> None:
            self.add(seat_id, text)

        return add

    def take(self, seat_id: int | None) -> str:
        """A call's text not yet stored, for the caller to write with its own record."""
        return "".join(self._buffers.pop(seat_id, ()))


def _projected_cost(ctx: RunContext, seats: list[SeatState], prompt_chars: int) -> Decimal:
    input_tokens = estimate_tokens("x" * prompt_chars)
    return sum(
        (seat.model.cost(input_tokens, ctx.state.max_output_tokens) for seat in seats),
        Decimal(0),
    )


def budget_exceeded_by(ctx: RunContext, seats: list[SeatState]) -> str:
    """Why the next stage would break the cost cap ('' if it fits), keeping the chair's share."""
    cap = ctx.state.cost_cap_usd
    if cap is None:
        return ""
    transcript_chars = sum(len(c.content) for c in ctx.state.transcript()) + len(ctx.state.question)
    transcript_chars += sum(len(doc.text) for doc in ctx.state.context)
    stage = _projected_cost(ctx, seats, transcript_chars + 2000)
    chair = ctx.state.chair.cost(
        estimate_tokens("x" * (transcript_chars + 2000)), ctx.state.max_output_tokens
    )
    if ctx.state.spent_usd + stage + chair <= cap:
        return ""
    return (
        f"cost cap ${cap} reached: ${ctx.state.spent_usd:.4f} spent, the next stage would "
        f"cost about ${stage:.4f} more"
    )


class TurnStage:
    """The opening (round 0) or one rebuttal round: every active seat speaks, concurrently."""

    def __init__(self, round_number: int) -> None:
        self.round: int | None = round_number
        self.number = round_number
        self.name: str = Stage.OPENING if round_number == 0 else Stage.REBUTTAL

    async def run(self, ctx: RunContext) -> StageResult:
        state = ctx.state
        done = state.contributions.get(self.number, {})
        pending = [seat for seat in state.active_seats if seat.id not in done]
        if pending:
            if reason := budget_exceeded_by(ctx, pending):
                state.budget_reason = reason
                return StageResult(Next.TO_SYNTHESIS, reason=FailureReason.BUDGET)
            # The calls start at once; the stage's opening is written meanwhile, and stops
            # the stage if a cancel was asked for.
            opened = ctx.writes.gate(
                progress.turn_stage_start,
                debate_id=ctx.debate_id,
                stage=self.name,
                round_number=self.number,
                seats=[(seat.id, seat.label, seat.model.key) for seat in pending],
            )
            streamed = StreamedText(ctx, self.number)
            speaking = (self._speak(ctx, seat, streamed) for seat in pending)
            if not await _unless_cancelled(opened, *speaking):
                return StageResult(Next.CANCEL)
        return self._judge_tolerance(ctx)

    async def _speak(self, ctx: RunContext, seat: SeatState, streamed: StreamedText) -> bool:
        """One seat's turn (already announced): True when it spoke, False when it failed."""
        state = ctx.state
        messages = prompts.turn_messages(
            question=state.question,
            language=state.language,
            seat=prompts.SeatBrief(seat.label, seat.role, seat.instruction),
            round_number=self.number,
            rounds_total=state.rounds,
            earlier=state.earlier_contributions(self.number),
            boundary=state.fence,
            context=state.context,
        )

        async def restart() -> None:
            streamed.discard(seat.id)
            ctx.writes.submit(
                progress.turn_start,
                debate_id=ctx.debate_id,
                seat_id=seat.id,
                label=seat.label,
                round_number=self.number,
                model=seat.model.key,
            )

        started = time.monotonic()
        try:
            completion = await ctx.gateway.stream(
                seat.model,
                ctx.request(seat.model, messages, temperature=seat.temperature),
                on_delta=streamed.on_delta(seat.id),
                on_restart=restart,
            )
        except CALL_ERRORS as exc:
            streamed.discard(seat.id)
            seat.failed = True
            ctx.writes.submit(
                progress.turn_fail,
                debate_id=ctx.debate_id,
                seat_id=seat.id,
                label=seat.label,
                round_number=self.number,
                error_code=exc.code,
                detail=exc.message,
            )
            return False
        output = prompts.parse_turn(completion.text)
        unstored = streamed.take(seat.id)
        last_delta, content, *claims = ctx.scrub(unstored, output.content, *output.key_claims)
        output = dataclasses.replace(output, content=content, key_claims=tuple(claims))
        cost = seat.model.cost(completion.input_tokens, completion.output_tokens)
        ctx.writes.submit(
            progress.turn_complete,
            last_delta=last_delta,
            debate_id=ctx.debate_id,
            seat_id=seat.id,
            label=seat.label,
            round_number=self.number,
            output=output,
            model_id=seat.model.id,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cost=cost,
            latency_ms=completion.latency_ms or int((time.monotonic() - started) * 1000),
        )
        state.add_usage(
            input_tokens=completion.input_tokens, output_tokens=completion.output_tokens, cost=cost
        )
        state.contributions.setdefault(self.number, {})[seat.id] = prompts.Contribution(
            seat.label, self.number, output.content
        )
        return True

    def _judge_tolerance(self, ctx: RunContext) -> StageResult:
        """After the stage: do enough seats remain for the debate to mean something?"""
        state, tolerance = ctx.state, ctx.state.tolerance
        total, active = len(state.seats), len(state.active_seats)
        failed = total - active
        breach = failed / total > tolerance.max_seat_fail_ratio or active < (
            tolerance.min_required_seats
        )
        ctx.writes.submit(
            progress.stage_complete,
            debate_id=ctx.debate_id,
            event=events.turn_stage_completed(
                stage=self.name, round=self.number, succeeded=active, failed=failed, degraded=breach
            ),
        )
        where = StopPoint(self.name, self.number, succeeded=active, failed=failed)
        if active == 0:
            return StageResult(
                Next.FAIL, FailureReason.ALL_SEATS_FAILED, "Every seat failed to answer.", where
            )
        if breach and tolerance.fail_fast:
            return StageResult(
                Next.FAIL,
                FailureReason.SEAT_FAILURE_THRESHOLD,
                f"{failed} of {total} seats failed (tolerance: at most "
                f"{tolerance.max_seat_fail_ratio:.0%} failed, at least "
                f"{tolerance.min_required_seats} answering).",
                where,
            )
        return CONTINUE


class JudgingStage:
    """Judges score each seat's anonymised contributions on the rubric, concurrently."""

    name: str = Stage.JUDGING
    round: int | None = None

    async def run(self, ctx: RunContext) -> StageResult:
        state = ctx.state
        speakers = [
            seat
            for seat in state.seats
            if any(seat.id in by_seat for by_seat in state.contributions.values())
        ]
        if not speakers or not state.judges:
            return CONTINUE
        opened = ctx.writes.gate(
            progress.stage_start, debate_id=ctx.debate_id, stage=self.name, round_number=None
        )
        if not await _unless_cancelled(
            opened,
            *(
                self._judge(ctx, judge, seats_for_judge(judge, speakers, state))
                for judge in state.judges
            ),
        ):
            return StageResult(Next.CANCEL)
        ctx.writes.submit(
            progress.stage_complete,
            debate_id=ctx.debate_id,
            event=events.stage_completed(stage=self.name),
        )
        return CONTINUE

    async def _judge(self, ctx: RunContext, judge: ModelRef, seats: list[SeatState]) -> None:
        if not seats:
            return
        labels = [seat.label for seat in seats]
        messages = prompts.judge_messages(
            question=ctx.state.question,
            language=ctx.state.language,
            transcript=[c for c in ctx.state.transcript() if c.label in labels],
            seat_labels=labels,
            boundary=ctx.state.fence,
            context=ctx.state.context,
        )
        # Held to the verdict's schema where the provider can enforce one.
        request = dataclasses.replace(
            ctx.request(judge, messages, temperature=0.2),
            structured=prompts.judgment_schema(labels),
        )
        parsed: dict[str, prompts.SeatScore] | None = None
        error_code = "judge_malformed_output"
        # A malformed answer gets one more chance; then the judge is recorded as failed. So
        # does a server that refused the schema (not every model or compatible server has a
        # structured-output mode): it is asked again in plain JSON mode.
        for _attempt in range(2):
            try:
                completion: Completion = await ctx.gateway.complete(judge, request)
            except CALL_ERRORS as exc:
                error_code = exc.code
                if isinstance(exc, ProviderBadRequestError) and request.structured is not None:
                    request = dataclasses.replace(request, structured=None)
                    continue
                break
            error_code = "judge_malformed_output"
            cost = judge.cost(completion.input_tokens, completion.output_tokens)
            ctx.state.add_usage(
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost=cost,
            )
            ctx.writes.submit(
                progress.usage_add,
                debate_id=ctx.debate_id,
                model_id=judge.id,
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost=cost,
            )
            parsed = prompts.parse_judgment(completion.text, labels)
            if parsed is not None:
                rationales = ctx.scrub(*(score.rationale for score in parsed.values()))
                parsed = {
                    label: dataclasses.replace(score, rationale=rationale)
                    for (label, score), rationale in zip(parsed.items(), rationales, strict=True)
                }
                break
        verdicts = [(seat.id, seat.label, parsed[seat.label] if parsed else None) for seat in seats]
        ctx.writes.submit(
            progress.judgments_record,
            debate_id=ctx.debate_id,
            judge_model_id=judge.id,
            judge_key=judge.key,
            verdicts=verdicts,
            error_code=error_code,
        )
        for seat_id, _label, score in verdicts:
            ctx.state.judged.add((judge.key, seat_id))
            if score:
                ctx.state.seat_scores.setdefault(seat_id, []).append(score.total)


def seats_for_judge(
    judge: ModelRef, speakers: list[SeatState], state: DebateState
) -> list[SeatState]:
    """The seats this judge scores: not yet judged by it, and never a seat of its own model
    while another judge (of another model) can score that seat instead."""
    return [
        seat
        for seat in speakers
        if (judge.key, seat.id) not in state.judged
        and not (
            seat.model.key == judge.key
            and any(other.key != seat.model.key for other in state.judges)
        )
    ]


class SynthesisStage:
    """The chair writes the final answer. If the chair's model fails, the best-scored seat's
    model stands in once; the answer says who wrote it."""

    name: str = Stage.SYNTHESIS
    round: int | None = None

    async def run(self, ctx: RunContext) -> StageResult:
        state = ctx.state
        if state.has_synthesis:
            return CONTINUE
        opened = ctx.writes.gate(
            progress.stage_start, debate_id=ctx.debate_id, stage=self.name, round_number=None
        )
        standings = sorted(
            (
                (seat.label, sum(scores) / len(scores))
                for seat in state.seats
                if (scores := state.seat_scores.get(seat.id))
            ),
            key=lambda item: -item[1],
        )
        messages = prompts.synthesis_messages(
            question=state.question,
            language=state.language,
            transcript=state.transcript(),
            standings=standings,
            budget_note=state.budget_reason,
            boundary=state.fence,
            context=state.context,
        )
        answered = await _unless_cancelled(opened, self._answer(ctx, standings, messages))
        return StageResult(Next.CANCEL) if answered is None else answered[0]

    async def _answer(
        self, ctx: RunContext, standings: list[tuple[str, float]], messages: tuple[Any, ...]
    ) -> StageResult:
        state = ctx.state
        last_error: CallError | None = None
        for chair in self._chairs(state, standings):
            streamed = StreamedText(ctx, None)
            try:
                completion = await ctx.gateway.stream(
                    chair,
                    ctx.request(chair, messages, temperature=0.3),
                    on_delta=streamed.on_delta(None),
                    on_restart=_discarding(streamed),
                )
            except CALL_ERRORS as exc:
                streamed.discard(None)
                last_error = exc
                continue
            streamed.flush()
            output = prompts.parse_synthesis(completion.text)
            consensus, recommendation, *disagreements = ctx.scrub(
                output.consensus, output.recommendation, *output.disagreements
            )
            output = dataclasses.replace(
                output,
                consensus=consensus,
                recommendation=recommendation,
                disagreements=tuple(disagreements),
            )
            cost = chair.cost(completion.input_tokens, completion.output_tokens)
            state.add_usage(
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost=cost,
            )
            ctx.writes.submit(
                progress.synthesis_save,
                debate_id=ctx.debate_id,
                synthesis=events.SynthesisPayload(
                    consensus=output.consensus,
                    disagreements=list(output.disagreements),
                    recommendation=output.recommendation,
                    confidence=output.confidence,
                    structured=output.structured,
                    chair=chair.key,
                    chair_name=chair.display_name,
                    substitute_chair=chair.key != state.chair.key,
                ),
                model_id=chair.id,
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost=cost,
            )
            state.has_synthesis = True
            return CONTINUE
        return StageResult(
            Next.FAIL,
            FailureReason.SYNTHESIS_FAILED,
            f"The chair could not write the final answer: {last_error}",
            StopPoint(self.name),
        )

    @staticmethod
    def _chairs(state: DebateState, standings: list[tuple[str, float]]) -> list[ModelRef]:
        chairs = [state.chair]
        by_label = {seat.label: seat for seat in state.seats}
        ranked = [by_label[label] for label, _score in standings] or state.active_seats
        for seat in ranked:
            if seat.model.key != state.chair.key:
                chairs.append(seat.model)
                break
        return chairs


async def _unless_cancelled[T](
    opened: "asyncio.Future[bool]", *work: Awaitable[T]
) -> list[T] | None:
    """Run a stage's calls while its opening is written. None, with the calls stopped, when
    that write says the debate was cancelled (a stage of calls never outlives a cancel)."""
    calls = asyncio.ensure_future(asyncio.gather(*work))
    try:
        go_on = await opened
    except BaseException:
        calls.cancel()
        raise
    if not go_on:
        calls.cancel()
        await asyncio.wait([calls])
        if not calls.cancelled():
            calls.exception()  # retrieved: a call that failed as it was stopped is no news
        return None
    return await calls


def _discarding(streamed: StreamedText) -> Callable[[], Awaitable[None]]:
    """The chair's `on_restart`: its text so far is dropped (a retry starts it over)."""

    async def restart() -> None:
        streamed.discard(None)

    return restart
