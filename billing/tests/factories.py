"""Billing test data: put a team on a plan, as a subscription would."""

from datetime import datetime

from accounts.models import Team
from billing.models import BillingAccount, Plan, SubscriptionStatus


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
