"""The product core: the model catalog, debates, their seats, turns, judgments and event log."""

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.limits import MAX_ROUNDS, MIN_ROUNDS
from consultation.models import TimeStampedModel


class ProviderName(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    GEMINI = "gemini", "Google Gemini"
    OPENROUTER = "openrouter", "OpenRouter"
    OPENAI_COMPAT = "openai_compat", _("OpenAI-compatible endpoint")
    DEMO = "demo", _("Demo (offline)")


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    ADVANCED = "advanced", _("Advanced")


class LLMModel(TimeStampedModel):
    """One model of the catalog. Usable only when its provider is configured (LLM_PROVIDERS)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(
        max_length=120, unique=True, help_text=_("Stable id used by the API: provider:model.")
    )
    provider = models.CharField(max_length=20, choices=ProviderName.choices)
    model_id = models.CharField(max_length=120, help_text=_("The provider's own model name."))
    display_name = models.CharField(max_length=80)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    price_in_per_mtok = models.DecimalField(
        max_digits=10, decimal_places=4, default=Decimal(0), help_text=_("USD per 1M input tokens")
    )
    price_out_per_mtok = models.DecimalField(
        max_digits=10, decimal_places=4, default=Decimal(0), help_text=_("USD per 1M output tokens")
    )
    context_window = models.PositiveIntegerField(default=128_000)
    supports_streaming = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["provider", "display_name"]
        verbose_name = "LLM model"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model_id"], name="debates_llmmodel_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(price_in_per_mtok__gte=0, price_out_per_mtok__gte=0),
                name="debates_llmmodel_prices_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_demo(self) -> bool:
        return self.provider == ProviderName.DEMO


class Category(models.TextChoices):
    GENERAL = "general", _("General")
    BUSINESS = "business", _("Business and strategy")
    TECHNOLOGY = "technology", _("Technology and engineering")
    SCIENCE = "science", _("Science and health")
    POLICY = "policy", _("Policy and law")
    ETHICS = "ethics", _("Ethics and society")
    PERSONAL = "personal", _("Personal decisions")


class DebateStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    COMPLETED_BUDGET = "completed_budget", _("Completed (budget reached)")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_STATUSES = frozenset(
    {
        DebateStatus.COMPLETED,
        DebateStatus.COMPLETED_BUDGET,
        DebateStatus.FAILED,
        DebateStatus.CANCELLED,
    }
)


# Debates that reached an answer: only these are rated (a failed or cancelled one may have
# been judged in part).
RATED_STATUSES = (DebateStatus.COMPLETED, DebateStatus.COMPLETED_BUDGET)


class FailureReason(models.TextChoices):
    """Why a debate stopped before a full answer (Debate.failure_reason), in words."""

    SEAT_FAILURE_THRESHOLD = (
        "seat_failure_threshold_exceeded",
        _(
            "Too many seats could not answer, so the debate stopped. "
            "The turns given so far are kept."
        ),
    )
    ALL_SEATS_FAILED = "all_seats_failed", _("No seat could answer: every model call failed.")
    SYNTHESIS_FAILED = (
        "synthesis_failed",
        _("The chair could not write the final answer, and neither could a substitute."),
    )
    INTERNAL_ERROR = "internal_error", _("Something went wrong on our side. It has been logged.")
    CANCELLED = "cancelled", _("The debate was cancelled.")
    BUDGET = (
        "budget",
        _("The cost cap was reached, so the chair answered from the turns given so far."),
    )


class Debate(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="debates")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="debates"
    )
    question = models.TextField(
        help_text=_("As the seats see it: personal data replaced by placeholders ([EMAIL_1]).")
    )
    # Personal data found in the question, the instructions and the models' output: the
    # placeholders' originals (shown to the debate's creator only, wiped by retention) and
    # how many of each kind were replaced.
    pii_map = models.JSONField(default=dict, blank=True)
    redactions = models.JSONField(default=dict, blank=True)
    # The per-debate random marker that fences untrusted text in every prompt.
    fence = models.CharField(max_length=64, blank=True)
    injection_score = models.FloatField(null=True, blank=True)
    flagged = models.BooleanField(
        default=False,
        db_index=True,
        help_text=_("Suspected prompt injection: for staff to review."),
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.GENERAL)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=20, choices=DebateStatus.choices, default=DebateStatus.QUEUED, db_index=True
    )
    rounds = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(MIN_ROUNDS), MaxValueValidator(MAX_ROUNDS)]
    )
    chair_model = models.ForeignKey(LLMModel, on_delete=models.PROTECT, related_name="+")
    judge_models = models.ManyToManyField(LLMModel, related_name="+", blank=True)
    # Failure tolerance and budget; NULL means "the setting's default".
    max_seat_fail_ratio = models.FloatField(null=True, blank=True)
    min_required_seats = models.PositiveSmallIntegerField(null=True, blank=True)
    fail_fast = models.BooleanField(null=True, blank=True)
    cost_cap_usd = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    uses_demo = models.BooleanField(default=False)
    # Who sees it: always its creator; the team's members once shared; anyone with the link
    # (read-only) when public. A public debate is reachable only by its unguessable link;
    # listing it on the hall of fame (and the model and profile pages) is a choice of its own.
    shared_with_team = models.BooleanField(default=False)
    is_public = models.BooleanField(default=False)
    listed_in_hall_of_fame = models.BooleanField(
        default=False,
        help_text=_("Listed on the hall of fame, model pages and the creator's profile."),
    )
    # The outcome.
    synthesis = models.JSONField(default=dict, blank=True)
    scoreboard = models.JSONField(
        default=list, blank=True, help_text=_("Seats ranked by the judges' mean score.")
    )
    results = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The outcome in brief: champion, runner-up and margin (ratings.maths)."),
    )
    margin = models.FloatField(
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The champion's mean score minus the runner-up's; 0 for a shared first place."),
    )
    failure_reason = models.CharField(max_length=64, choices=FailureReason.choices, blank=True)
    failure_detail = models.TextField(blank=True)
    budget_reason = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    # Execution: who runs it, whether it is alive, and what must happen once.
    last_seq = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    runner_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    finalized_at = models.DateTimeField(null=True, blank=True)
    # Retention wiped its text (debates.services.retention); numbers, ratings and usage stay.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Tidy-up (debates.services.tidy): a name of its own (the question stays as asked), and
    # deletion, which wipes the text like retention and hides the debate from everyone.
    title = models.CharField(max_length=120, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Threads: a follow-up asks the same panel a new question with the earlier debate's answer
    # as context; a fork re-runs a debate from round `fork_round` with its earlier turns copied.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    fork_round = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("The first round the fork ran itself.")
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["team", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rounds__gte=MIN_ROUNDS, rounds__lte=MAX_ROUNDS),
                name="debates_debate_rounds_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_seat_fail_ratio__isnull=True)
                | models.Q(max_seat_fail_ratio__gte=0, max_seat_fail_ratio__lte=1),
                name="debates_debate_fail_ratio_range",
            ),
            # Only a debate with an open public link can be listed anywhere.
            models.CheckConstraint(
                condition=models.Q(listed_in_hall_of_fame=False) | models.Q(is_public=True),
                name="debates_debate_listed_is_public",
            ),
        ]

    def __str__(self) -> str:
        return self.question[:80]

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def heading(self) -> str:
        """What lists and pages call it: its title, else its question."""
        return self.title or self.question


class DebateStar(models.Model):
    """A user's star on a debate (their own pin; the list filters by it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debate_stars"
    )
    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="stars")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "debate"], name="debates_star_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} starred {self.debate_id}"


class DebateModelUsage(models.Model):
    """What one model spent on one debate: a line per model, added to by each finished call
    in the transaction that stores the call's output. Finalization hands the lines to billing
    (one UsageRecord each)."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="model_usage")
    llm_model = models.ForeignKey(LLMModel, on_delete=models.PROTECT, related_name="+")
    calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    # Called with the team's own provider key: billed by the provider to the team, so billing
    # meters it as "own key" and leaves it out of the plan's token and cost quotas.
    own_key = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["debate", "llm_model"], name="debates_model_usage_one_line_per_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.debate_id} {self.llm_model_id}"


class SeatRole(models.TextChoices):
    PROPONENT = "proponent", _("Proponent")
    SKEPTIC = "skeptic", _("Skeptic / risk officer")
    PRAGMATIST = "pragmatist", _("Pragmatist / architect")
    RESEARCHER = "researcher", _("Researcher / fact-checker")
    DEVILS_ADVOCATE = "devils_advocate", _("Devil's advocate")
    CUSTOM = "custom", _("Custom")


class SeatStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FAILED = "failed", _("Failed")


class Seat(models.Model):
    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="seats")
    position = models.PositiveSmallIntegerField()
    llm_model = models.ForeignKey(LLMModel, on_delete=models.PROTECT, related_name="seats")
    role = models.CharField(max_length=20, choices=SeatRole.choices)
    instruction = models.TextField(blank=True, help_text=_("A custom role's instruction."))
    temperature = models.FloatField(
        default=0.7, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)]
    )
    status = models.CharField(max_length=10, choices=SeatStatus.choices, default=SeatStatus.ACTIVE)
    failure_reason = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["debate", "position"], name="debates_seat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.role})"

    @property
    def label(self) -> str:
        """How other seats and the judges see this seat: anonymous, by position."""
        return seat_label(self.position)


def seat_label(position: int) -> str:
    return f"Seat {chr(ord('A') + position)}"


class Stage(models.TextChoices):
    OPENING = "opening", _("Opening")
    REBUTTAL = "rebuttal", _("Rebuttal")
    JUDGING = "judging", _("Judging")
    SYNTHESIS = "synthesis", _("Synthesis")
    FINALIZATION = "finalization", _("Finalization")


class TurnStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class Stance(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    MIXED = "mixed", _("Mixed")


class Turn(models.Model):
    """One seat's contribution to one stage. Unique per (seat, round): a resumed run never
    writes a turn twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="turns")
    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="turns")
    round = models.PositiveSmallIntegerField(help_text=_("0 is the opening; 1..N rebuttals."))
    status = models.CharField(max_length=10, choices=TurnStatus.choices)
    content = models.TextField(blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    key_claims = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # A fork's turns before its fork round are copies (not generated, not billed) of these.
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["round", "seat__position"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "round"], name="debates_turn_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"round {self.round} {self.seat_id}"

    @property
    def stage(self) -> str:
        return Stage.OPENING if self.round == 0 else Stage.REBUTTAL


class JudgmentStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class Judgment(models.Model):
    """One judge's scores of one seat (0-10 per rubric criterion) with a rationale."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="judgments")
    judge_model = models.ForeignKey(LLMModel, on_delete=models.PROTECT, related_name="judgments")
    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="judgments")
    status = models.CharField(max_length=10, choices=JudgmentStatus.choices)
    scores = models.JSONField(default=dict, blank=True)
    total = models.FloatField(null=True, blank=True, help_text=_("Mean of the rubric scores."))
    rationale = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seat__position", "judge_model__key"]
        constraints = [
            models.UniqueConstraint(
                fields=["debate", "judge_model", "seat"], name="debates_judgment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.judge_model_id} on {self.seat_id}: {self.total}"


class EventType(models.TextChoices):
    DEBATE_STARTED = "debate.started"
    STAGE_STARTED = "stage.started"
    TURN_STARTED = "turn.started"
    TURN_DELTA = "turn.delta"
    TURN_COMPLETED = "turn.completed"
    TURN_FAILED = "turn.failed"
    JUDGMENT_COMPLETED = "judgment.completed"
    STAGE_COMPLETED = "stage.completed"
    DEBATE_COMPLETED = "debate.completed"
    DEBATE_FAILED = "debate.failed"
    DEBATE_CANCELLED = "debate.cancelled"
    DEBATE_FORKED = "debate.forked"


class DebateEvent(models.Model):
    """Append-only log entry; `seq` is contiguous from 1 per debate. The single source of live
    view, resume and replay."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=32, choices=EventType.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debate", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["debate", "seq"], name="debates_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.debate_id}#{self.seq} {self.type}"

    def as_message(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "at": self.created_at.isoformat(),
            "payload": self.payload,
        }


class ContextKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    PREVIOUS_ANSWER = "previous_answer", _("The earlier debate's answer")
    PREVIOUS_TRANSCRIPT = "previous_transcript", _("The earlier debate's transcript")


class DebateDocument(models.Model):
    """Context the seats, judges and chair read with the question: a file attached to the
    debate (its text extracted and scrubbed of personal data) or, for a follow-up, the earlier
    debate's answer and transcript. Always fenced as untrusted data in prompts."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=24, choices=ContextKind.choices)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    tokens = models.PositiveIntegerField(default=0)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debate", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["debate", "position"], name="debates_document_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.debate_id} {self.name}"
