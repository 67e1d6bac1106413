"""Evaluations: a dataset of questions with known answers, run through a panel as a debate,
through each panel member alone, and through the best member with self-consistency."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consultation.models import TimeStampedModel


class EvaluationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED = frozenset(
    {EvaluationStatus.COMPLETED, EvaluationStatus.FAILED, EvaluationStatus.CANCELLED}
)


class Arm(models.TextChoices):
    PANEL = "panel", _("Panel (debate)")
    MEMBER = "member", _("Member alone")
    SELF_CONSISTENCY = "self_consistency", _("Best member, self-consistency")


class Evaluation(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="evaluations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=120, help_text=_("The dataset's name."))
    # The questions in our native format (evals.datasets.question_to_dict), as run.
    questions = models.JSONField(default=list)
    # The panel: [{"model", "role", "temperature"}], plus rounds, the preset and the judge.
    seats = models.JSONField(default=list)
    rounds = models.PositiveSmallIntegerField(default=1)
    preset = models.CharField(max_length=40, blank=True)
    judge_model = models.CharField(
        max_length=120, blank=True, help_text=_("Catalog key of the free-text judge.")
    )
    max_samples = models.PositiveSmallIntegerField(default=9)
    status = models.CharField(
        max_length=12,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.QUEUED,
        db_index=True,
    )
    cancel_requested = models.BooleanField(default=False)
    best_member = models.CharField(max_length=120, blank=True)
    total_units = models.PositiveIntegerField(default=0)
    done_units = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    uses_demo = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_detail = models.TextField(blank=True)
    # The report, computed once the run ends (evals.report.report_build).
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["team", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_units__lte=models.F("total_units")),
                name="evals_evaluation_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class ArmResult(models.Model):
    """One arm's answer to one question: graded, with what it cost and how long it took.
    Its id is also the key its single calls are metered under (billing.UsageRecord)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="results")
    question_index = models.PositiveIntegerField()
    question_id = models.CharField(max_length=120)
    arm = models.CharField(max_length=20, choices=Arm.choices)
    model_key = models.CharField(max_length=120, help_text=_("The member, or 'panel'."))
    debate = models.ForeignKey(
        "debates.Debate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(blank=True)
    extracted = models.CharField(max_length=500, blank=True)
    correct = models.BooleanField(default=False)
    samples = models.PositiveSmallIntegerField(default=1)
    # Self-consistency: each sample's answer, in order.
    votes = models.JSONField(default=list, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    latency_ms = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question_index", "arm", "model_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "question_index", "arm", "model_key"],
                name="evals_result_once_per_arm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} {self.arm} {self.model_key}"

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens
