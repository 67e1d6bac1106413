"""Plans, each team's billing account, quota reservations and usage records.

billing never imports debates: debates are referred to by id, models by their catalog key,
model tiers by their value.
"""

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from consultation.models import TimeStampedModel

# The product's bounds: what the debate engine supports, the ceilings no plan exceeds.
MIN_SEATS, MAX_SEATS = 2, 8
MIN_ROUNDS, MAX_ROUNDS = 1, 5
# Context documents attached to a debate: at most this many, each at most this large.
MAX_CONTEXT_DOCUMENTS, MAX_CONTEXT_DOCUMENT_BYTES = 10, 5_000_000


class Plan(TimeStampedModel):
    """A billing plan and its limits, as data (seeded by a migration, edited in admin).

    A blank monthly limit means unlimited. `allowed_tiers` holds catalog tier values
    (debates.models.Tier)."""

    slug = models.SlugField(max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    price_usd = models.DecimalField(
        _("price per month (USD)"), max_digits=8, decimal_places=2, default=Decimal(0)
    )
    stripe_price_id = models.CharField(
        _("Stripe price id"),
        max_length=100,
        blank=True,
        help_text=_("Used when STRIPE_PRICE_IDS does not name one for this plan."),
    )
    is_default = models.BooleanField(
        _("default plan"), default=False, help_text=_("The plan of a team with no subscription.")
    )
    is_public = models.BooleanField(_("shown on the pricing page"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    debates_per_month = models.PositiveIntegerField(_("debates per month"), null=True, blank=True)
    tokens_per_month = models.PositiveBigIntegerField(_("tokens per month"), null=True, blank=True)
    cost_per_month_usd = models.DecimalField(
        _("model cost per month (USD)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    max_seats = models.PositiveSmallIntegerField(
        _("seats per debate"),
        default=MAX_SEATS,
        validators=[MinValueValidator(MIN_SEATS), MaxValueValidator(MAX_SEATS)],
    )
    max_rounds = models.PositiveSmallIntegerField(
        _("rebuttal rounds per debate"),
        default=MAX_ROUNDS,
        validators=[MinValueValidator(MIN_ROUNDS), MaxValueValidator(MAX_ROUNDS)],
    )
    allowed_tiers = models.JSONField(_("allowed model tiers"), default=list, blank=True)
    api_requests_per_minute = models.PositiveIntegerField(_("API requests per minute"), default=60)
    concurrent_debates = models.PositiveSmallIntegerField(
        _("debates running at once"), default=1, validators=[MinValueValidator(1)]
    )
    exports_enabled = models.BooleanField(_("exports"), default=True)
    max_team_members = models.PositiveSmallIntegerField(
        _("team members"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_context_documents = models.PositiveSmallIntegerField(
        _("context documents per debate"),
        default=3,
        validators=[MaxValueValidator(MAX_CONTEXT_DOCUMENTS)],
    )
    max_context_document_bytes = models.PositiveIntegerField(
        _("bytes per context document"),
        default=1_000_000,
        validators=[MaxValueValidator(MAX_CONTEXT_DOCUMENT_BYTES)],
    )

    class Meta:
        ordering = ["sort_order", "price_usd"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="billing_plan_one_default",
            ),
            models.CheckConstraint(
                condition=models.Q(max_seats__gte=MIN_SEATS, max_seats__lte=MAX_SEATS),
                name="billing_plan_max_seats_in_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(max_rounds__gte=MIN_ROUNDS, max_rounds__lte=MAX_ROUNDS),
                name="billing_plan_max_rounds_in_bounds",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    NONE = "none", _("No subscription")
    ACTIVE = "active", _("Active")
    TRIALING = "trialing", _("Trial")
    PAST_DUE = "past_due", _("Payment failed")
    CANCELED = "canceled", _("Cancelled")


class BillingAccount(TimeStampedModel):
    """A team's billing state: its plan (from its Stripe subscription; the default plan when
    there is none), a downgrade scheduled for the period's end, a grace period after a
    failed payment, and the Stripe ids the webhooks match on."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="billing_account")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    scheduled_plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The plan the team moves to at `scheduled_at` (a downgrade)."),
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(
        null=True, blank=True, help_text=_("After a failed payment: the plan holds until then.")
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scheduled_plan__isnull=True)
                | models.Q(scheduled_at__isnull=False),
                name="billing_account_scheduled_plan_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} ({self.plan or '-'})"


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    SETTLED = "settled", _("Settled")
    RELEASED = "released", _("Released")


class QuotaReservation(TimeStampedModel):
    """One debate's claim on its team's quota for a period: taken at creation, settled with
    the real usage at finalization, released when the debate produced nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="quota_reservations")
    debate_id = models.UUIDField(unique=True)
    plan_slug = models.SlugField(max_length=20)
    period_start = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.RESERVED
    )
    tokens = models.PositiveBigIntegerField(
        default=0, help_text=_("The estimate while reserved; the real count once settled.")
    )
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))

    class Meta:
        indexes = [models.Index(fields=["team", "period_start", "status"])]

    def __str__(self) -> str:
        return f"{self.debate_id} ({self.status})"


class UsageRecord(models.Model):
    """What one model spent on one debate: written once, at the debate's finalization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="usage_records")
    debate_id = models.UUIDField()
    model_key = models.CharField(max_length=120)
    provider = models.CharField(max_length=20)
    calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    # Spent with the team's own provider key: metered, but the provider bills the team, so it
    # counts against neither the plan's token nor its cost quota.
    own_key = models.BooleanField(default=False)
    period_start = models.DateTimeField(help_text=_("The quota period the usage counts in."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["debate_id", "model_key"], name="billing_usage_once_per_debate_model"
            ),
        ]
        indexes = [models.Index(fields=["team", "created_at"])]

    def __str__(self) -> str:
        return f"{self.debate_id} {self.model_key}"

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class StripeEventRecord(models.Model):
    """One Stripe event our webhook applied: the unique event id makes a redelivered event a
    no-op, and the event's own time lets an older subscription event arriving late be
    ignored rather than undo a newer one."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    object_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text=_("The event's Stripe object.")
    )
    stripe_created = models.DateTimeField(help_text=_("When Stripe created the event."))
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-stripe_created"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
