"""Reads of the evals app. Access checks live here: another team's evaluation is NotFound."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from consultation.exceptions import NotFound
from evals.models import Evaluation


def evaluation_list_for_team(*, team: Team, limit: int = 20) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(team=team).order_by("-created_at")[:limit]


def evaluation_get_for_user(*, user: User, evaluation_id: UUID | str) -> Evaluation:
    """An evaluation of a team the user belongs to."""
    evaluation = (
        Evaluation.objects.select_related("team", "created_by")
        .filter(pk=evaluation_id, team__memberships__user=user)
        .first()
    )
    if evaluation is None:
        raise NotFound(_("No such evaluation."))
    return evaluation


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    cost_usd: Decimal
    elapsed_s: float
    eta_s: float | None  # None until one unit is done, or once finished

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def evaluation_progress(*, evaluation: Evaluation, now: datetime | None = None) -> Progress:
    """Done and total units (a question's debate, each member alone, self-consistency),
    the cost so far and, from the pace so far, the time left."""
    now = now or timezone.now()
    started = evaluation.started_at
    end = evaluation.finished_at or now
    elapsed = (end - started).total_seconds() if started else 0.0
    eta = None
    if not evaluation.is_finished and evaluation.done_units and elapsed > 0:
        eta = elapsed / evaluation.done_units * (evaluation.total_units - evaluation.done_units)
    return Progress(
        done=evaluation.done_units,
        total=evaluation.total_units,
        cost_usd=evaluation.cost_usd,
        elapsed_s=elapsed,
        eta_s=eta,
    )
