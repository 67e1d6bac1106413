"""The pipeline's writes. Each function is one transaction: a state change and its event.
They are sync and called from the async pipeline through sync_to_async."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Team
from billing.limits import debate_limits_for_team
from debates import events
from debates.events import event_append, events_append
from debates.models import (
    Debate,
    DebateModelUsage,
    DebateStatus,
    Judgment,
    JudgmentStatus,
    Seat,
    SeatStatus,
    Turn,
    TurnStatus,
)
from debates.prompts import ParsedTurn, SeatScore
from ops.metrics import metric_add_many

logger = structlog.get_logger(__name__)


def team_free_slots(*, team: Team) -> int:
    """How many more debates the team may run now: its plan runs so many at once."""
    limit = debate_limits_for_team(team=team).concurrent_debates
    return limit - Debate.objects.filter(team=team, status=DebateStatus.RUNNING).count()


def team_next_waiting(*, team: Team, queued_before: datetime | None = None) -> list[UUID]:
    """The team's oldest waiting debates (queued before `queued_before`, if given), as many
    as its free slots: those a worker should take next."""
    free = team_free_slots(team=team)
    if free <= 0:
        return []
    waiting = Debate.objects.filter(team=team, status=DebateStatus.QUEUED)
    if queued_before is not None:
        waiting = waiting.filter(created_at__lt=queued_before)
    return list(waiting.order_by("created_at").values_list("pk", flat=True)[:free])


def _slot_free(team_id: UUID, created_at: datetime) -> bool:
    """Whether the team may start its debate created at `created_at` now: a slot of its plan
    is free for it, after the team's older waiting debates (a team's debates start in the
    order they were asked for, even when a worker takes several of their tasks at once). The
    team's row is locked, so two workers cannot both take the last slot (SQLite's IMMEDIATE
    transactions serialize the same way)."""
    limit = debate_limits_for_team(
        team=Team.objects.select_for_update().get(pk=team_id)
    ).concurrent_debates
    counts = Debate.objects.filter(team_id=team_id).aggregate(
        running=Count("pk", filter=Q(status=DebateStatus.RUNNING)),
        older=Count("pk", filter=Q(status=DebateStatus.QUEUED, created_at__lt=created_at)),
    )
    running, older = int(counts["running"]), int(counts["older"])
    return limit - running > older


@transaction.atomic
def debate_claim(*, debate_id: UUID, token: str) -> int | None:
    """Take a queued debate, or a running one whose runner stopped beating. Returns the
    attempt number, or None when someone else runs it, it has finished, or it must wait for
    a free slot of its team's plan (it stays queued; finalization starts it later)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DEBATE_STALE_SECONDS)
    current = (
        Debate.objects.filter(pk=debate_id).values_list("status", "team_id", "created_at").first()
    )
    if current is None:
        return None
    status, team_id, created_at = current
    if status == DebateStatus.QUEUED and not _slot_free(team_id, created_at):
        logger.info("debate.waiting_for_slot", debate_id=str(debate_id), team_id=str(team_id))
        return None
    claimed = (
        Debate.objects.filter(pk=debate_id)
        .filter(
            Q(status=DebateStatus.QUEUED)
            | Q(status=DebateStatus.RUNNING, heartbeat_at__lt=stale)
            | Q(status=DebateStatus.RUNNING, heartbeat_at__isnull=True)
        )
        .update(
            status=DebateStatus.RUNNING,
            runner_token=token,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", now),
        )
    )
    if not claimed:
        return None
    attempt = Debate.objects.filter(pk=debate_id).values_list("attempts", flat=True).get()
    event_append(debate_id=debate_id, event=events.debate_started(attempt=attempt))
    return attempt


def debate_heartbeat(*, debate_id: UUID, token: str) -> bool:
    """Prove this runner is alive. False when the debate was taken over or finished."""
    return bool(
        Debate.objects.filter(pk=debate_id, runner_token=token, status=DebateStatus.RUNNING).update(
            heartbeat_at=timezone.now()
        )
    )


def debate_cancel_requested(*, debate_id: UUID) -> bool:
    return bool(
        Debate.objects.filter(pk=debate_id).values_list("cancel_requested", flat=True).get()
    )


@transaction.atomic
def stage_start(*, debate_id: UUID, stage: str, round_number: int | None) -> bool:
    """Open a stage. Returns False, writing nothing, when a cancel was asked for."""
    if debate_cancel_requested(debate_id=debate_id):
        return False
    event_append(debate_id=debate_id, event=events.stage_started(stage=stage, round=round_number))
    return True


@transaction.atomic
def turn_stage_start(
    *, debate_id: UUID, stage: str, round_number: int, seats: list[tuple[int, str, str]]
) -> bool:
    """Open a turn stage and announce every seat's turn (seat id, label, model) in one
    transaction, so all seats start their calls together. Returns False, writing nothing,
    when a cancel was asked for: the pipeline checks for cancels between calls for free
    (the stage's calls start meanwhile, and stop when it says so)."""
    if debate_cancel_requested(debate_id=debate_id):
        return False
    events_append(
        debate_id=debate_id,
        events=[
            events.stage_started(stage=stage, round=round_number),
            *(
                events.turn_started(seat=seat_id, label=label, round=round_number, model=model)
                for seat_id, label, model in seats
            ),
        ],
    )
    return True


@transaction.atomic
def pii_record(
    *, debate_id: UUID, pii_map: dict[str, dict[str, str]], found: dict[str, int]
) -> None:
    """Personal data found in model output: the debate's placeholder map grows, its counts
    and the shared metrics add up (kinds and counts only are logged)."""
    debate = Debate.objects.select_for_update().only("redactions").get(pk=debate_id)
    redactions = dict(debate.redactions)
    for kind, count in found.items():
        redactions[kind] = redactions.get(kind, 0) + count
    Debate.objects.filter(pk=debate_id).update(pii_map=pii_map, redactions=redactions)
    metric_add_many(name="safety.pii_redacted", counts=found)
    logger.info("safety.pii_redacted", debate_id=str(debate_id), counts=found, source="output")


@transaction.atomic
def stage_complete(*, debate_id: UUID, event: events.NewEvent) -> None:
    """Close a stage with its stage.completed event (built by debates.events)."""
    event_append(debate_id=debate_id, event=event)


@transaction.atomic
def turn_start(*, debate_id: UUID, seat_id: int, label: str, round_number: int, model: str) -> None:
    """Announce a seat's turn again: its call is retried after text had already streamed, so
    listeners start that turn's text over."""
    event_append(
        debate_id=debate_id,
        event=events.turn_started(seat=seat_id, label=label, round=round_number, model=model),
    )


@transaction.atomic
def turn_deltas(
    *, debate_id: UUID, round_number: int | None, texts: Sequence[tuple[int | None, str]]
) -> None:
    """Persist a batch of streamed text of a stage's calls (seat, text), so live view, resume
    and replay all see it: one transaction, and one live message, for all of them."""
    events_append(
        debate_id=debate_id,
        events=[
            events.turn_delta(seat=seat, round=round_number, text=text) for seat, text in texts
        ],
    )


def _add_usage(
    debate_id: UUID, model_id: UUID, input_tokens: int, output_tokens: int, cost: Decimal
) -> None:
    """Add one finished call to the debate's totals and to its model's line (billing reads
    the lines at finalization). Called inside the transaction that stores the call's output,
    so a resumed debate never counts a call twice."""
    Debate.objects.filter(pk=debate_id).update(
        input_tokens=F("input_tokens") + input_tokens,
        output_tokens=F("output_tokens") + output_tokens,
        cost_usd=F("cost_usd") + cost,
    )
    line = DebateModelUsage.objects.filter(debate_id=debate_id, llm_model_id=model_id)
    added = line.update(
        calls=F("calls") + 1,
        input_tokens=F("input_tokens") + input_tokens,
        output_tokens=F("output_tokens") + output_tokens,
        cost_usd=F("cost_usd") + cost,
    )
    if not added:
        DebateModelUsage.objects.create(
            debate_id=debate_id,
            llm_model_id=model_id,
            calls=1,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=cost,
        )


@transaction.atomic
def turn_complete(
    *,
    debate_id: UUID,
    seat_id: int,
    label: str,
    round_number: int,
    output: ParsedTurn,
    model_id: UUID,
    input_tokens: int,
    output_tokens: int,
    cost: Decimal,
    latency_ms: int,
    last_delta: str = "",
) -> Turn:
    turn = Turn.objects.create(
        debate_id=debate_id,
        seat_id=seat_id,
        round=round_number,
        status=TurnStatus.COMPLETED,
        content=output.content,
        stance=output.stance,
        confidence=output.confidence,
        key_claims=list(output.key_claims),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        latency_ms=latency_ms,
    )
    _add_usage(debate_id, model_id, input_tokens, output_tokens, cost)
    # The text not yet stored, then the turn: two events, one append.
    unstored = (
        [events.turn_delta(seat=seat_id, round=round_number, text=last_delta)] if last_delta else []
    )
    events_append(
        debate_id=debate_id,
        events=[
            *unstored,
            events.turn_completed(
                events.TurnCompletedPayload(
                    seat=seat_id,
                    label=label,
                    round=round_number,
                    turn=str(turn.pk),
                    content=output.content,
                    stance=output.stance,
                    confidence=output.confidence,
                    key_claims=list(output.key_claims),
                    input_tokens=input_tokens,
                    output_tokens=output_tokens,
                    cost_usd=str(cost),
                    latency_ms=latency_ms,
                )
            ),
        ],
    )
    return turn


@transaction.atomic
def turn_fail(
    *, debate_id: UUID, seat_id: int, label: str, round_number: int, error_code: str, detail: str
) -> None:
    """A seat that still fails after retries: its turn is recorded failed and it leaves."""
    Turn.objects.create(
        debate_id=debate_id,
        seat_id=seat_id,
        round=round_number,
        status=TurnStatus.FAILED,
        error_code=error_code,
    )
    Seat.objects.filter(pk=seat_id).update(status=SeatStatus.FAILED, failure_reason=error_code)
    event_append(
        debate_id=debate_id,
        event=events.turn_failed(
            seat=seat_id, label=label, round=round_number, error_code=error_code, detail=detail
        ),
    )


@transaction.atomic
def judgments_record(
    *,
    debate_id: UUID,
    judge_model_id: UUID,
    judge_key: str,
    verdicts: list[tuple[int, str, SeatScore | None]],
    error_code: str = "",
) -> None:
    """One judge's verdicts on its seats (seat id, label, score), in one transaction; a seat
    without a score is recorded as that judge's failure (never a made-up score)."""
    for seat_id, label, score in verdicts:
        _judgment_record(
            debate_id=debate_id,
            judge_model_id=judge_model_id,
            judge_key=judge_key,
            seat_id=seat_id,
            label=label,
            score=score,
            error_code="" if score else error_code,
        )


def _judgment_record(
    *,
    debate_id: UUID,
    judge_model_id: UUID,
    judge_key: str,
    seat_id: int,
    label: str,
    score: SeatScore | None,
    error_code: str,
) -> None:
    Judgment.objects.create(
        debate_id=debate_id,
        judge_model_id=judge_model_id,
        seat_id=seat_id,
        status=JudgmentStatus.COMPLETED if score else JudgmentStatus.FAILED,
        scores=score.scores if score else {},
        total=score.total if score else None,
        rationale=score.rationale if score else "",
        error_code=error_code,
    )
    event_append(
        debate_id=debate_id,
        event=events.judgment_completed(
            events.JudgmentCompletedPayload(
                judge=judge_key,
                seat=seat_id,
                label=label,
                status=JudgmentStatus.COMPLETED if score else JudgmentStatus.FAILED,
                scores=dict(score.scores) if score else {},
                total=score.total if score else None,
                rationale=score.rationale if score else "",
                error_code=error_code,
            )
        ),
    )


@transaction.atomic
def usage_mark_own_keys(*, debate_id: UUID, own: Collection[UUID]) -> None:
    """Say, before a run's first call, which of the debate's models it calls with the team's
    own key (`own`): their usage lines are metered as "own key". A line is per model, so a
    run that resumes after the key was added or removed relabels the whole line."""
    lines = DebateModelUsage.objects.filter(debate_id=debate_id)
    lines.filter(llm_model_id__in=own).update(own_key=True)
    lines.exclude(llm_model_id__in=own).update(own_key=False)
    present = set(lines.values_list("llm_model_id", flat=True))
    DebateModelUsage.objects.bulk_create(
        DebateModelUsage(debate_id=debate_id, llm_model_id=model_id, own_key=True)
        for model_id in set(own) - present
    )


@transaction.atomic
def usage_add(
    *, debate_id: UUID, model_id: UUID, input_tokens: int, output_tokens: int, cost: Decimal
) -> None:
    """Tokens spent by a call that produced no record of its own (a judge's answer)."""
    _add_usage(debate_id, model_id, input_tokens, output_tokens, cost)


@transaction.atomic
def synthesis_save(
    *,
    debate_id: UUID,
    synthesis: events.SynthesisPayload,
    model_id: UUID,
    input_tokens: int,
    output_tokens: int,
    cost: Decimal,
) -> None:
    Debate.objects.filter(pk=debate_id).update(synthesis=synthesis)
    _add_usage(debate_id, model_id, input_tokens, output_tokens, cost)
    event_append(debate_id=debate_id, event=events.synthesis_completed(synthesis=synthesis))
