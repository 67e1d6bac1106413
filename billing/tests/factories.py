"""Billing test data: put a team on a plan, as a subscription would; record usage, as
finalization would; a Stripe webhook delivery, as the webhook view records it."""

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from django.db.models import F
from django.utils import timezone
from djstripe.models import WebhookEventTrigger

from accounts.models import Team
from billing.limits import account_for_team, period_for, plan_for_team
from billing.models import (
    BillingAccount,
    Plan,
    QuotaReservation,
    ReservationStatus,
    SubscriptionStatus,
    UsageRecord,
)


def plan(slug: str) -> Plan:
    return Plan.objects.get(slug=slug)


def put_on_plan(
    team: Team,
    slug: str,
    *,
    period: tuple[datetime, datetime] | None = None,
    status: str = SubscriptionStatus.ACTIVE,
) -> BillingAccount:
    account, _created = BillingAccount.objects.update_or_create(
        team=team,
        defaults={
            "plan": plan(slug),
            "status": status,
            "current_period_start": period[0] if period else None,
            "current_period_end": period[1] if period else None,
        },
    )
    return account


def make_usage(
    team: Team,
    *,
    model_key: str = "demo:demo-sage",
    provider: str = "demo",
    calls: int = 1,
    input_tokens: int = 1000,
    output_tokens: int = 500,
    cost_usd: Decimal | str = Decimal(0),
    at: datetime | None = None,
    debate_id: UUID | None = None,
    settle: bool = True,
) -> UsageRecord:
    """One model's usage on one debate, recorded at `at` (default now), as finalization
    writes it. With `settle` the debate's quota reservation is settled too (one per debate:
    further models of the same debate add to it), so the quota meters count it."""
    at = at or timezone.now()
    debate_id = debate_id or uuid4()
    cost = Decimal(cost_usd)
    period_start = period_for(account_for_team(team=team), now=at).start
    record = UsageRecord.objects.create(
        team=team,
        debate_id=debate_id,
        model_key=model_key,
        provider=provider,
        calls=calls,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        period_start=period_start,
    )
    # created_at is auto_now_add: move it to when the usage happened.
    UsageRecord.objects.filter(pk=record.pk).update(created_at=at)
    record.created_at = at
    if settle:
        reservation, _created = QuotaReservation.objects.get_or_create(
            debate_id=debate_id,
            defaults={
                "team": team,
                "plan_slug": plan_for_team(team=team, now=at).slug,
                "period_start": period_start,
                "status": ReservationStatus.SETTLED,
            },
        )
        QuotaReservation.objects.filter(pk=reservation.pk).update(
            tokens=F("tokens") + input_tokens + output_tokens, cost_usd=F("cost_usd") + cost
        )
    return record


def make_webhook_delivery(*, email: str, days_old: int = 0) -> WebhookEventTrigger:
    """A delivery whose body names a customer by `email`, received `days_old` days ago."""
    body = f'{{"type": "customer.updated", "data": {{"object": {{"email": "{email}"}}}}}}'
    trigger = WebhookEventTrigger.objects.create(remote_ip="127.0.0.1", headers={}, body=body)
    # `created` is auto_now_add: move it to when the delivery came.
    created = timezone.now() - timedelta(days=days_old)
    WebhookEventTrigger.objects.filter(pk=trigger.pk).update(created=created)
    trigger.created = created
    return trigger
