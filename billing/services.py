"""Billing's writes: quota reservations, usage records, and (billing.subscriptions) plans.

debates call these at two points only: `quota_reserve` inside `debate_create`'s transaction,
and `usage_settle` inside finalization's. Both are keyed by the debate's id, so a resumed or
duplicate run cannot count twice.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import structlog
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from billing.limits import account_for_team, period_for, quota_check, quota_status
from billing.models import BillingAccount, QuotaReservation, ReservationStatus, UsageRecord
from consultation.exceptions import QuotaExceeded, RateLimited
from ops.metrics import metric_increment

logger = structlog.get_logger(__name__)


def billing_account_ensure(*, team: Team) -> BillingAccount:
    """The team's billing account, created (on the default plan) when it has none."""
    account, _created = BillingAccount.objects.get_or_create(team=team)
    return account


@transaction.atomic
def quota_reserve(
    *,
    team: Team,
    debate_id: UUID,
    tokens: int = 0,
    cost_usd: Decimal = Decimal(0),
    now: datetime | None = None,
) -> QuotaReservation:
    """Claim one debate (and its estimated tokens and cost) of the period's quota, or refuse
    with QuotaExceeded. The team's account row is locked while counting, so concurrent
    creations are admitted one at a time: never more than the plan allows."""
    billing_account_ensure(team=team)
    BillingAccount.objects.select_for_update().filter(team=team).get()
    status = quota_status(team=team, now=now)
    try:
        quota_check(status, tokens=tokens, cost_usd=cost_usd)
    except QuotaExceeded as refused:
        # Counted and logged after this transaction rolls back: see quota_refusal_record.
        refused.extra["plan"] = status.plan.slug
        raise
    return QuotaReservation.objects.create(
        team=team,
        debate_id=debate_id,
        plan_slug=status.plan.slug,
        period_start=status.period.start,
        tokens=tokens,
        cost_usd=cost_usd,
    )


def quota_refusal_record(refused: QuotaExceeded, *, team: Team) -> None:
    """Count and log a refusal (outside the refused transaction, so the count stays)."""
    plan = str(refused.extra.get("plan", ""))
    metric_increment(name="quota.exceeded", label=plan)
    logger.info(
        "quota.exceeded",
        team_id=str(team.pk),
        plan=plan,
        quota=refused.extra.get("quota"),
        limit=refused.extra.get("limit"),
        used=refused.extra.get("used"),
    )


def rate_limit_refusal_record(
    refused: RateLimited, *, scope: str, team_id: str | None, key_id: str | None = None
) -> None:
    """Count and log a 429 of the request rate limit (the ops dashboard's `ratelimit.hit`)."""
    plan = str(refused.extra.get("plan", ""))
    metric_increment(name="ratelimit.hit", label=plan)
    logger.info(
        "ratelimit.hit",
        scope=scope,
        team_id=team_id,
        apikey_id=key_id,
        plan=plan,
        limit=refused.extra.get("limit"),
        retry_after=refused.extra.get("retry_after"),
    )


@dataclass(frozen=True)
class ModelUsage:
    """What one model spent on a debate, priced from the catalog."""

    model_key: str
    provider: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    # Called with the team's own provider key: recorded, not counted against the quotas.
    own_key: bool = False


@transaction.atomic
def usage_settle(
    *, team: Team, debate_id: UUID, usage: Sequence[ModelUsage], counted: bool
) -> list[UsageRecord]:
    """Close a debate's account: one UsageRecord per model, written once, and its quota
    reservation settled with the real figures. When the debate does not count (`counted`
    false: it was cancelled, or failed before any output) the reservation is released: the
    debate no longer counts against the month's debates, while any tokens it did spend still
    count. Lines spent with the team's own provider key (`own_key`) are recorded as such and
    left out of the token and cost quotas; the debate itself still counts. A second call (a
    resumed or duplicate run) changes nothing."""
    reservation = QuotaReservation.objects.select_for_update().filter(debate_id=debate_id).first()
    if reservation is not None and reservation.status != ReservationStatus.RESERVED:
        return []
    if UsageRecord.objects.filter(debate_id=debate_id).exists():
        return []
    if reservation is not None:
        period_start = reservation.period_start
    else:  # a debate from before billing, or run outside any plan: still metered
        period_start = period_for(account_for_team(team=team), now=timezone.now()).start
    records = UsageRecord.objects.bulk_create(
        UsageRecord(
            team=team,
            debate_id=debate_id,
            model_key=line.model_key,
            provider=line.provider,
            calls=line.calls,
            input_tokens=line.input_tokens,
            output_tokens=line.output_tokens,
            cost_usd=line.cost_usd,
            own_key=line.own_key,
            period_start=period_start,
        )
        for line in usage
        if line.calls or line.input_tokens or line.output_tokens
    )
    input_tokens = sum(line.input_tokens for line in usage)
    output_tokens = sum(line.output_tokens for line in usage)
    cost = sum((line.cost_usd for line in usage), Decimal(0))
    billed = [line for line in usage if not line.own_key]
    if reservation is not None:
        reservation.status = ReservationStatus.SETTLED if counted else ReservationStatus.RELEASED
        # What the quotas count: the platform's keys only.
        reservation.tokens = sum(line.input_tokens + line.output_tokens for line in billed)
        reservation.cost_usd = sum((line.cost_usd for line in billed), Decimal(0))
        reservation.save(update_fields=["status", "tokens", "cost_usd", "updated_at"])
    logger.info(
        "billing.usage_recorded",
        team_id=str(team.pk),
        debate_id=str(debate_id),
        models=len(records),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=str(cost),
        own_key_models=len(usage) - len(billed),
        reservation=reservation.status if reservation is not None else None,
    )
    return records
