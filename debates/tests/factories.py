"""Factories for debates and what hangs off them: seats, turns, judgments and events.

A debate is built through `debate_create`, so it obeys the same rules as real data (catalog,
panel, quota); by default nothing runs it (`run_in_worker=False`). Turns, judgments and events
are written the way the pipeline writes them, for tests that need one without running a
debate. Functions, in the style of accounts/tests/factories.py.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F

from accounts.models import Team, User
from debates.models import (
    Debate,
    DebateEvent,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Seat,
    Turn,
    TurnStatus,
)
from debates.rubric import RUBRIC
from debates.services.creation import SeatInput, debate_create

QUESTION = "Should a 20-person startup adopt a four-day week?"
PANEL = ("demo:demo-sage", "demo:demo-skeptic")
ROLES = ("proponent", "skeptic", "pragmatist", "researcher")


def personal_team(user: User) -> Team:
    return Team.objects.get(created_by=user, is_personal=True)


def make_debate(
    owner: User,
    *,
    team: Team | None = None,
    question: str = QUESTION,
    models: Sequence[str] = PANEL,
    roles: Sequence[str] = ROLES,
    seats: Sequence[SeatInput] | None = None,
    run_in_worker: bool = False,
    status: str | None = None,
    **options: Any,
) -> Debate:
    """A debate of `owner` in their personal team (or `team`): one seat per model of
    `models`, roles taken in turn from `roles`, unless `seats` says otherwise. `options` go to
    `debate_create` (rounds, judges, chair, is_public...). `status` forces a status afterwards,
    the way a worker would have left it."""
    debate = debate_create(
        user=owner,
        team=team or personal_team(owner),
        question=question,
        seats=list(seats)
        if seats is not None
        else [SeatInput(key, roles[i % len(roles)]) for i, key in enumerate(models)],
        run_in_worker=run_in_worker,
        **options,
    )
    if status is not None:
        Debate.objects.filter(pk=debate.pk).update(status=status)
        debate.refresh_from_db()
    return debate


def seat_of(debate: Debate, position: int = 0) -> Seat:
    return Seat.objects.get(debate=debate, position=position)


def make_turn(
    debate: Debate,
    *,
    seat: Seat | None = None,
    round: int = 0,
    status: str = TurnStatus.COMPLETED,
    content: str = "A considered answer.",
    **fields: Any,
) -> Turn:
    """One seat's contribution to one stage (round 0 is the opening), first seat by default."""
    return Turn.objects.create(
        debate=debate,
        seat=seat or seat_of(debate),
        round=round,
        status=status,
        content=content,
        **fields,
    )


def make_judgment(
    debate: Debate,
    *,
    seat: Seat | None = None,
    judge: str = "demo:demo-scout",
    total: float = 7.0,
    status: str = JudgmentStatus.COMPLETED,
    **fields: Any,
) -> Judgment:
    """One judge's scores of one seat: every rubric criterion at `total`."""
    return Judgment.objects.create(
        debate=debate,
        judge_model=LLMModel.objects.get(key=judge),
        seat=seat or seat_of(debate),
        status=status,
        scores=dict.fromkeys(RUBRIC, total),
        total=total,
        **fields,
    )


def make_event(
    debate_id: Any, *, type: str = "stage.started", payload: dict[str, Any] | None = None
) -> DebateEvent:
    """The next event of the log (seq = last + 1), written the way another process (a worker)
    writes it: in its own transaction, with no wake-up sent in this one."""
    with transaction.atomic():
        Debate.objects.filter(pk=debate_id).update(last_seq=F("last_seq") + 1)
        seq = Debate.objects.values_list("last_seq", flat=True).get(pk=debate_id)
        return DebateEvent.objects.create(
            debate_id=debate_id,
            seq=seq,
            type=type,
            payload={"n": seq} if payload is None else payload,
        )
