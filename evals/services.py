"""Writes of the evals app: start, cancel and record an evaluation. The run itself is
evals.runner (called by the worker's task, or in-process by `manage.py eval`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.services import audit_record
from billing.limits import (
    debate_limits_for_team,
    debate_shape_check,
    quota_check,
    quota_status,
    upgrade_url,
)
from consultation.exceptions import Conflict, QuotaExceeded, ValidationFailed
from debates.models import LLMModel
from debates.presets import PRESETS
from debates.selectors import model_is_available
from debates.services.creation import SeatInput, seats_from_preset
from debates.services.panel import judges_and_chair
from evals.datasets import question_to_dict
from evals.grading import AnswerType, Question
from evals.models import Arm, ArmResult, Evaluation, EvaluationStatus
from evals.queue import evaluation_run_later

logger = structlog.get_logger(__name__)

MAX_ROUNDS_DEFAULT = 1


def panel_from_spec(spec: str, *, rounds: int | None = None) -> tuple[list[SeatInput], int, str]:
    """A panel preset's slug, or a comma-separated list of catalog keys (each optionally
    `key@role`): the seats, the rounds (the preset's, else 1, unless `rounds` says) and the
    preset slug ("" for a list)."""
    spec = spec.strip()
    if spec in PRESETS:
        return seats_from_preset(spec), rounds or PRESETS[spec].rounds, spec
    roles = ["proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"]
    seats = []
    for index, part in enumerate(p.strip() for p in spec.split(",") if p.strip()):
        key, _at, role = part.partition("@")
        seats.append(SeatInput(model=key.strip(), role=role.strip() or roles[index % len(roles)]))
    if not seats:
        raise ValidationFailed(fields={"panel": [_("Name a preset or at least two models.")]})
    return seats, rounds or MAX_ROUNDS_DEFAULT, ""


def _models(keys: Sequence[str]) -> dict[str, LLMModel]:
    found = {m.key: m for m in LLMModel.objects.filter(key__in=keys)}
    missing = [k for k in keys if k not in found or not model_is_available(found[k])]
    if missing:
        raise ValidationFailed(
            fields={
                "panel": [
                    _("Unknown or unavailable model: %(keys)s.") % {"keys": ", ".join(missing)}
                ]
            }
        )
    return found


@transaction.atomic
def evaluation_create(
    *,
    user: User,
    team: Team,
    name: str,
    questions: Sequence[Question],
    seats: Sequence[SeatInput],
    rounds: int,
    preset: str = "",
    judge: str | None = None,
    max_samples: int | None = None,
    run_in_worker: bool = True,
) -> Evaluation:
    """Check the panel against the catalog and the team's plan (its shape, and that this
    month's quota admits at least the first question's debate), store the evaluation queued
    and have a worker run it once this transaction commits (unless the caller runs it, like
    `manage.py eval`). Every debate it starts reserves its own quota as it goes."""
    if len(seats) < 2:
        raise ValidationFailed(fields={"panel": [_("A panel has at least two seats.")]})
    if not questions:
        raise ValidationFailed(fields={"dataset": [_("The dataset has no questions.")]})
    keys = [seat.model for seat in seats]
    limits = debate_limits_for_team(team=team)
    _judges, default_judge = judges_and_chair(panel=keys, tiers=limits.allowed_tiers)
    needs_judge = any(q.type == AnswerType.FREE for q in questions)
    judge_key = (judge or default_judge) if needs_judge else (judge or "")
    catalog = _models([*keys, *([judge_key] if judge_key else [])])
    debate_shape_check(
        team=team,
        seats=len(seats),
        rounds=rounds,
        tiers=[model.tier for model in catalog.values()],
    )
    status = quota_status(team=team)
    quota_check(status)
    if not status.debates.admits(len(questions)):
        # Refused up front rather than half-way: every question is one debate.
        raise QuotaExceeded(
            _(
                "This evaluation needs %(need)d debates (one per question) and %(left)d are "
                "left this month on the %(plan)s plan."
            )
            % {"need": len(questions), "left": status.debates.remaining, "plan": status.plan.name},
            quota="debates",
            limit=status.debates.limit,
            used=status.debates.used,
            reset_at=status.period.end.isoformat(),
            upgrade_url=upgrade_url(),
        )
    members = list(dict.fromkeys(keys))
    evaluation = Evaluation.objects.create(
        team=team,
        created_by=user,
        name=name[:120],
        questions=[question_to_dict(q) for q in questions],
        seats=[asdict(seat) for seat in seats],
        rounds=rounds,
        preset=preset,
        judge_model=judge_key,
        max_samples=max(1, min(max_samples or settings.EVAL_MAX_SAMPLES, 50)),
        # Per question: the debate, each member alone, the best member's self-consistency.
        total_units=len(questions) * (len(members) + 2),
        uses_demo=any(model.is_demo for model in catalog.values()),
    )
    audit_record(
        actor=user,
        action="evaluation.created",
        team=team,
        target=str(evaluation.pk),
        data={"questions": len(questions), "panel": keys, "rounds": rounds},
    )
    logger.info(
        "evaluation_created",
        evaluation_id=str(evaluation.pk),
        team_id=str(team.pk),
        questions=len(questions),
        seats=len(seats),
    )
    if run_in_worker:
        evaluation_run_later(evaluation_id=evaluation.pk)
    return evaluation


@transaction.atomic
def evaluation_cancel(*, evaluation: Evaluation, user: User) -> Evaluation:
    """Stop an evaluation: a queued one at once, a running one before its next question
    (the debate in flight finishes; what was answered so far is reported)."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.is_finished:
        raise Conflict(_("This evaluation has already finished."))
    if evaluation.status == EvaluationStatus.QUEUED:
        evaluation.status = EvaluationStatus.CANCELLED
        evaluation.finished_at = timezone.now()
    evaluation.cancel_requested = True
    evaluation.save(update_fields=["status", "finished_at", "cancel_requested", "updated_at"])
    audit_record(
        actor=user, action="evaluation.cancelled", team=evaluation.team, target=str(evaluation.pk)
    )
    return evaluation


def evaluation_claim(*, evaluation_id: UUID) -> bool:
    """Queued -> running, once: a second runner of the same evaluation gets False."""
    return bool(
        Evaluation.objects.filter(pk=evaluation_id, status=EvaluationStatus.QUEUED).update(
            status=EvaluationStatus.RUNNING, started_at=timezone.now()
        )
    )


def evaluation_cancel_requested(*, evaluation_id: UUID) -> bool:
    return Evaluation.objects.filter(pk=evaluation_id, cancel_requested=True).exists()


@transaction.atomic
def arm_result_record(
    *,
    evaluation_id: UUID,
    question_index: int,
    question_id: str,
    arm: Arm,
    model_key: str,
    answer: str,
    extracted: str,
    correct: bool,
    input_tokens: int,
    output_tokens: int,
    cost_usd: Decimal,
    latency_ms: int,
    grading_cost_usd: Decimal = Decimal(0),
    samples: int = 1,
    votes: Sequence[str] = (),
    debate_id: UUID | None = None,
    error_code: str = "",
) -> ArmResult:
    """Store one arm's graded answer and move the evaluation's progress on by one unit
    (its cost so far includes the grading calls)."""
    result = ArmResult.objects.create(
        evaluation_id=evaluation_id,
        question_index=question_index,
        question_id=question_id,
        arm=arm,
        model_key=model_key,
        debate_id=debate_id,
        answer=answer,
        extracted=extracted[:500],
        correct=correct,
        samples=samples,
        votes=list(votes),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
        latency_ms=latency_ms,
        error_code=error_code,
    )
    Evaluation.objects.filter(pk=evaluation_id).update(
        done_units=F("done_units") + 1,
        cost_usd=F("cost_usd") + cost_usd + grading_cost_usd,
        updated_at=timezone.now(),
    )
    return result


def evaluation_set_best_member(*, evaluation_id: UUID, model_key: str) -> None:
    Evaluation.objects.filter(pk=evaluation_id).update(best_member=model_key)


@transaction.atomic
def evaluation_finish(
    *,
    evaluation_id: UUID,
    status: EvaluationStatus,
    report: dict[str, object],
    failure_code: str = "",
    failure_detail: str = "",
) -> Evaluation:
    """Close a run with its report. Units never reached (cancelled, failed) leave the
    total: the progress shows how far it got."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation_id)
    evaluation.status = status
    evaluation.report = report
    evaluation.failure_code = failure_code
    evaluation.failure_detail = failure_detail[:2000]
    evaluation.finished_at = timezone.now()
    evaluation.save(
        update_fields=[
            "status",
            "report",
            "failure_code",
            "failure_detail",
            "finished_at",
            "updated_at",
        ]
    )
    logger.info(
        "evaluation_finished",
        evaluation_id=str(evaluation_id),
        status=status,
        failure_code=failure_code,
        cost_usd=str(evaluation.cost_usd),
    )
    return evaluation
