"""The last step of every debate, run exactly once whatever the outcome: the scoreboard from
the judgments, the final status and its event. Usage totals are already on the debate (each
call adds its own); billing settles them from here once plans exist."""

from collections import defaultdict
from uuid import UUID

import structlog
from django.db import transaction
from django.utils import timezone

from debates.events import event_append
from debates.models import (
    Debate,
    DebateStatus,
    EventType,
    Judgment,
    JudgmentStatus,
    Seat,
    seat_label,
)

logger = structlog.get_logger(__name__)

_EVENT_FOR_STATUS = {
    DebateStatus.COMPLETED: EventType.DEBATE_COMPLETED,
    DebateStatus.COMPLETED_BUDGET: EventType.DEBATE_COMPLETED,
    DebateStatus.FAILED: EventType.DEBATE_FAILED,
    DebateStatus.CANCELLED: EventType.DEBATE_CANCELLED,
}


def scoreboard_for(debate_id: UUID) -> list[dict[str, object]]:
    """Seats by mean judged score (ties share a rank); unjudged seats last, unranked."""
    totals: dict[int, list[float]] = defaultdict(list)
    for seat_id, total in Judgment.objects.filter(
        debate_id=debate_id, status=JudgmentStatus.COMPLETED
    ).values_list("seat_id", "total"):
        if total is not None:
            totals[seat_id].append(total)
    rows: list[dict[str, object]] = []
    for seat in Seat.objects.filter(debate_id=debate_id).select_related("llm_model"):
        scores = totals.get(seat.pk, [])
        rows.append(
            {
                "seat": seat.pk,
                "label": seat_label(seat.position),
                "role": seat.role,
                "model": seat.llm_model.key,
                "model_name": seat.llm_model.display_name,
                "mean": round(sum(scores) / len(scores), 3) if scores else None,
                "judgments": len(scores),
                "status": seat.status,
            }
        )
    ranked = sorted(
        (r for r in rows if r["mean"] is not None),
        key=lambda r: -float(r["mean"]),  # type: ignore[arg-type]
    )
    rank = 0
    previous: object = None
    for index, row in enumerate(ranked, start=1):
        if row["mean"] != previous:
            rank, previous = index, row["mean"]
        row["rank"] = rank
    unranked = [dict(r, rank=None) for r in rows if r["mean"] is None]
    return [*ranked, *unranked]


@transaction.atomic
def debate_finalize(
    *,
    debate_id: UUID,
    status: str,
    reason: str = "",
    detail: str = "",
    budget_reason: str = "",
    context: dict[str, object] | None = None,
) -> bool:
    """Close the debate once. Returns False when it was already finalized (a resumed or
    duplicate run must not finalize, bill or announce twice)."""
    debate = Debate.objects.select_for_update().get(pk=debate_id)
    if debate.finalized_at is not None:
        return False
    now = timezone.now()
    debate.status = status
    debate.scoreboard = scoreboard_for(debate_id)
    debate.failure_reason = reason
    debate.failure_detail = detail
    debate.budget_reason = budget_reason
    debate.finished_at = debate.finalized_at = now
    debate.runner_token = ""
    debate.save()
    event_append(
        debate_id=debate_id,
        type=_EVENT_FOR_STATUS[DebateStatus(status)],
        payload={
            "status": status,
            "reason": reason,
            "detail": detail,
            "budget_reason": budget_reason,
            "scoreboard": debate.scoreboard,
            "synthesis": debate.synthesis,
            "usage": {
                "input_tokens": debate.input_tokens,
                "output_tokens": debate.output_tokens,
                "cost_usd": str(debate.cost_usd),
            },
            **(context or {}),
        },
    )
    logger.info(
        "debate_finished",
        debate_id=str(debate_id),
        status=status,
        reason=reason,
        input_tokens=debate.input_tokens,
        output_tokens=debate.output_tokens,
        cost_usd=str(debate.cost_usd),
        duration_s=round((now - debate.started_at).total_seconds(), 2)
        if debate.started_at
        else None,
    )
    return True
