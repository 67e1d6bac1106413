"""The last step of every debate, run exactly once whatever the outcome: the scoreboard and
results from the judgments, the pairwise outcomes that feed the model ratings (whose refit is
enqueued on commit), the usage handed to billing (a record per model; the quota reservation
settled or released), the final status and its event, and the team's next waiting debate
started when a slot of its plan is free."""

import logging
from collections.abc import Sequence
from uuid import UUID

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Team
from billing.services import ModelUsage, usage_settle
from debates.events import (
    DebateFinishedPayload,
    ResultsPayload,
    ScoreRowPayload,
    SeatBriefPayload,
    UsagePayload,
    debate_finished,
    event_append,
)
from debates.models import (
    RATED_STATUSES,
    Debate,
    DebateModelUsage,
    DebateStatus,
    Judgment,
    JudgmentStatus,
    Seat,
    Turn,
    TurnStatus,
    seat_label,
)
from debates.orchestration.progress import team_next_waiting
from debates.orchestration.stages import StopPoint
from debates.queue import debate_run_later
from debates.rubric import RUBRIC
from ratings import maths as ratings
from ratings.services import RatedSeat, outcomes_record, ratings_schedule_update

logger = structlog.get_logger(__name__)


def judge_scores(debate_id: UUID) -> list[ratings.JudgeScore]:
    """The completed judgments of a debate, as the rating maths reads them (judges by catalog
    model id, seats by primary key)."""
    return [
        ratings.JudgeScore(
            judge=str(judge_id),
            seat=seat_id,
            total=float(total or 0.0),
            scores={k: float(v) for k, v in scores.items() if isinstance(v, int | float)},
        )
        for judge_id, seat_id, total, scores in Judgment.objects.filter(
            debate_id=debate_id, status=JudgmentStatus.COMPLETED, total__isnull=False
        )
        .order_by("judge_model_id", "seat_id")
        .values_list("judge_model_id", "seat_id", "total", "scores")
    ]


def _outcomes_record(
    debate: Debate, seats: Sequence[Seat], judged: Sequence[ratings.JudgeScore]
) -> bool:
    """Hand a rated debate's verdicts to the ratings, by id: seats by panel position."""
    if debate.status not in RATED_STATUSES or _fork_mixes_models(debate):
        return False
    position = {seat.pk: seat.position for seat in seats}
    scores = [
        ratings.JudgeScore(
            judge=score.judge, seat=position[score.seat], total=score.total, scores=score.scores
        )
        for score in judged
    ]
    return bool(
        outcomes_record(
            debate_id=debate.pk,
            team_id=debate.team_id,
            is_public=debate.is_public,
            category=debate.category,
            scores=scores,
            seats=[
                RatedSeat(position=seat.position, model_id=seat.llm_model_id, role=seat.role)
                for seat in seats
            ],
        )
    )


def _fork_mixes_models(debate: Debate) -> bool:
    """A fork whose seat continues turns another model wrote (its panel changed): the judges
    scored two models' work as one seat's, which no model's rating should take."""
    if debate.forked_from_id is None:
        return False
    return (
        Turn.objects.filter(debate=debate, copied_from__isnull=False)
        .exclude(copied_from__seat__llm_model=F("seat__llm_model"))
        .exists()
    )


def _usage_settle(debate: Debate) -> None:
    """Hand billing the debate's usage, a line per model. A cancelled debate, or one that
    failed before any output, releases its reservation: it does not count as a debate."""
    produced = Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).exists()
    counted = debate.status != DebateStatus.CANCELLED and (
        produced or debate.status != DebateStatus.FAILED
    )
    usage_settle(
        team=debate.team,
        debate_id=debate.pk,
        counted=counted,
        usage=[
            ModelUsage(
                model_key=line.llm_model.key,
                provider=line.llm_model.provider,
                calls=line.calls,
                input_tokens=line.input_tokens,
                output_tokens=line.output_tokens,
                cost_usd=line.cost_usd,
                own_key=line.own_key,
            )
            for line in DebateModelUsage.objects.filter(debate=debate).select_related("llm_model")
        ],
    )


def _start_waiting(*, team: Team) -> None:
    """A slot of the team's plan is free: have workers take the team's oldest waiting
    debates (the claim re-checks the limit, so asking for too many is harmless)."""
    for waiting_id in team_next_waiting(team=team):
        debate_run_later(debate_id=waiting_id)


def results_for(
    seats: Sequence[Seat], scores: Sequence[ratings.JudgeScore]
) -> tuple[list[ScoreRowPayload], ResultsPayload]:
    """The scoreboard (one row per seat: mean score, per-criterion means, Borda points, rank)
    and the results summary (champion, runner-up, margin), from the debate's seats (with
    their models) and its completed judgments."""
    ranked = ratings.rank_seats(scores, [seat.pk for seat in seats], RUBRIC)
    by_pk = {seat.pk: seat for seat in seats}
    rows: list[ScoreRowPayload] = []
    for result in ranked:
        seat = by_pk[result.seat]
        rows.append(
            ScoreRowPayload(
                seat=seat.pk,
                label=seat_label(seat.position),
                role=seat.role,
                model=seat.llm_model.key,
                model_name=seat.llm_model.display_name,
                mean=round(result.mean, 3) if result.mean is not None else None,
                judgments=result.judgments,
                status=seat.status,
                rank=result.rank,
                borda=round(result.borda, 3) if result.borda is not None else None,
                criteria={name: round(value, 3) for name, value in result.criteria.items()},
            )
        )
    summary = ratings.summarize(ranked)
    by_seat = {row["seat"]: row for row in rows}

    def brief(seat_id: int) -> SeatBriefPayload:
        row = by_seat[seat_id]
        return SeatBriefPayload(
            seat=row["seat"],
            label=row["label"],
            role=row["role"],
            model=row["model"],
            model_name=row["model_name"],
            mean=row["mean"],
        )

    results = ResultsPayload(
        method="borda_condorcet",
        champion=brief(summary.champion) if summary.champion is not None else None,
        runner_up=brief(summary.runner_up) if summary.runner_up is not None else None,
        margin=summary.margin,
        tied=[brief(seat_id) for seat_id in summary.tied],
        judges=len({score.judge for score in scores}),
    )
    return rows, results


@transaction.atomic
def debate_finalize(
    *,
    debate_id: UUID,
    status: str,
    reason: str = "",
    detail: str = "",
    budget_reason: str = "",
    where: StopPoint | None = None,
) -> bool:
    """Close the debate once. Returns False when it was already finalized (a resumed or
    duplicate run must not finalize, bill or announce twice)."""
    debate = Debate.objects.select_for_update().get(pk=debate_id)
    if debate.finalized_at is not None:
        return False
    now = timezone.now()
    debate.status = status
    seats = list(Seat.objects.filter(debate_id=debate_id).select_related("llm_model"))
    scores = judge_scores(debate_id)
    scoreboard, results = results_for(seats, scores)
    debate.scoreboard, debate.results = scoreboard, results
    debate.margin = results["margin"]
    debate.failure_reason = reason
    debate.failure_detail = detail
    debate.budget_reason = budget_reason
    debate.finished_at = debate.finalized_at = now
    debate.runner_token = ""
    debate.save()
    # Ratings: the outcomes are stored with the debate; the refit runs in a worker afterwards.
    if _outcomes_record(debate, seats, scores):
        ratings_schedule_update(debate_id=debate_id)
    _usage_settle(debate)
    _start_waiting(team=debate.team)
    payload = DebateFinishedPayload(
        status=status,
        reason=reason,
        detail=detail,
        budget_reason=budget_reason,
        scoreboard=scoreboard,
        results=results,
        synthesis=debate.synthesis or None,
        usage=UsagePayload(
            input_tokens=debate.input_tokens,
            output_tokens=debate.output_tokens,
            cost_usd=str(debate.cost_usd),
        ),
    )
    if where is not None:
        payload["stage"] = where.stage
        payload["round"] = where.round
        if where.succeeded is not None:
            payload["succeeded"] = where.succeeded
        if where.failed is not None:
            payload["failed"] = where.failed
    event_append(debate_id=debate_id, event=debate_finished(payload))
    completed = status in RATED_STATUSES
    logger.log(
        logging.INFO if completed or status == DebateStatus.CANCELLED else logging.WARNING,
        "debate.completed"
        if completed
        else "debate.cancelled"
        if status == DebateStatus.CANCELLED
        else "debate.failed",
        debate_id=str(debate_id),
        status=str(status),
        reason=str(reason),
        input_tokens=debate.input_tokens,
        output_tokens=debate.output_tokens,
        cost_usd=str(debate.cost_usd),
        duration_s=round((now - debate.started_at).total_seconds(), 2)
        if debate.started_at
        else None,
    )
    return True
