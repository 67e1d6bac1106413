"""Judged debates for the ratings tests, finalized through the real finalization: seats,
judgments with given totals, then `debate_finalize` (no model calls)."""

from collections.abc import Mapping, Sequence

from django.utils import timezone

from accounts.models import Team, User
from debates.models import (
    Debate,
    DebateStatus,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Seat,
)
from debates.rubric import RUBRIC
from debates.services.finalization import debate_finalize

SAGE, SKEPTIC, PRAGMATIST, SCOUT = (
    "demo:demo-sage",
    "demo:demo-skeptic",
    "demo:demo-pragmatist",
    "demo:demo-scout",
)


def personal_team(user: User) -> Team:
    return Team.objects.get(created_by=user, is_personal=True)


def judged_debate(
    *,
    user: User,
    team: Team | None = None,
    seats: Sequence[tuple[str, str]] = ((SAGE, "proponent"), (SKEPTIC, "skeptic")),
    totals: Mapping[str, Sequence[float | None]] | None = None,
    category: str = "general",
    is_public: bool = False,
    listed: bool | None = None,
    status: str = DebateStatus.COMPLETED,
    question: str = "Should a 20-person startup adopt a four-day week?",
) -> Debate:
    """A finalized debate: `totals` maps a judge's key to its total for each seat in order
    (None: not scored). By default the scout judges and the first seat wins 8 to 6. `listed`
    (on the hall of fame) defaults to `is_public`: most tests want a debate the public pages
    show; a public link alone is `is_public=True, listed=False`."""
    models = {m.key: m for m in LLMModel.objects.all()}
    debate = Debate.objects.create(
        team=team or personal_team(user),
        created_by=user,
        question=question,
        category=category,
        status=DebateStatus.RUNNING,
        started_at=timezone.now(),
        chair_model=models[SCOUT],
        is_public=is_public,
        listed_in_hall_of_fame=is_public if listed is None else listed,
        uses_demo=True,
    )
    seat_rows = [
        Seat.objects.create(debate=debate, position=i, llm_model=models[key], role=role)
        for i, (key, role) in enumerate(seats)
    ]
    for judge, values in (totals or {SCOUT: [8.0, 6.0]}).items():
        debate.judge_models.add(models[judge])
        for seat, total in zip(seat_rows, values, strict=True):
            if total is None:
                continue
            Judgment.objects.create(
                debate=debate,
                judge_model=models[judge],
                seat=seat,
                status=JudgmentStatus.COMPLETED,
                scores=dict.fromkeys(RUBRIC, total),
                total=total,
            )
    debate_finalize(debate_id=debate.pk, status=status)
    debate.refresh_from_db()
    return debate
