"""Billing's reads: the plans on offer, a team's account and its period's usage.

Usage comes from two tables. The quota meters (debates, tokens, cost against the plan's
limits) are `billing.limits.quota_status`: reservations, so a debate still running counts with
its estimate. The breakdowns (by day, by model) are `UsageRecord`s, written when a debate
finishes. Days are UTC days, like the calendar-month periods.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Aggregate,
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Team
from billing.limits import Period, QuotaStatus, account_for_team, quota_status
from billing.models import (
    Plan,
    QuotaReservation,
    ReservationStatus,
    SubscriptionStatus,
    UsageRecord,
)

# The longest range one request may ask for (by_day has one row per day).
MAX_RANGE_DAYS = 366


def plan_list_public() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True).order_by("sort_order", "price_usd")


# --- A team's usage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    tokens: int
    cost_usd: Decimal


@dataclass(frozen=True)
class ModelUsageTotal:
    model_key: str
    provider: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class UsageSummary:
    """This period's quota meters and what the account says about the subscription."""

    quota: QuotaStatus
    status: str
    scheduled_plan: Plan | None
    scheduled_at: datetime | None
    grace_until: datetime | None

    @property
    def plan(self) -> Plan:
        return self.quota.plan

    @property
    def period(self) -> Period:
        return self.quota.period

    @property
    def period_last_day(self) -> date:
        """The period's last day (its end is exclusive)."""
        return (self.quota.period.end - timedelta(microseconds=1)).astimezone(UTC).date()

    @property
    def resets_at(self) -> datetime:
        return self.quota.period.end

    @property
    def renews(self) -> bool:
        """A paid subscription renews at the period's end; otherwise the quota just resets."""
        return self.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)


@dataclass(frozen=True)
class UsageReport(UsageSummary):
    """The summary plus the breakdowns over a range of days (first and last included)."""

    first_day: date
    last_day: date
    by_day: list[DayUsage]
    by_model: list[ModelUsageTotal]

    @property
    def recorded_tokens(self) -> int:
        return sum(day.tokens for day in self.by_day)

    @property
    def recorded_cost_usd(self) -> Decimal:
        return sum((day.cost_usd for day in self.by_day), Decimal(0))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _records_between(team: Team, first_day: date, last_day: date) -> QuerySet[UsageRecord]:
    return UsageRecord.objects.filter(
        team=team,
        created_at__gte=_day_start(first_day),
        created_at__lt=_day_start(last_day + timedelta(days=1)),
    ).order_by()


def usage_by_day(*, team: Team, first_day: date, last_day: date) -> list[DayUsage]:
    """The team's recorded usage per UTC day, every day of the range present (zeros
    included). One query."""
    rows = (
        _records_between(team, first_day, last_day)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(
            calls=Sum("calls"),
            tokens_sum=Sum(F("input_tokens") + F("output_tokens")),
            cost=Sum("cost_usd"),
        )
    )
    found = {row["day"]: row for row in rows}
    days = []
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        row = found.get(day)
        days.append(
            DayUsage(
                day=day,
                calls=int(row["calls"] or 0) if row else 0,
                tokens=int(row["tokens_sum"] or 0) if row else 0,
                cost_usd=Decimal(row["cost"] or 0) if row else Decimal(0),
            )
        )
    return days


def usage_by_model(*, team: Team, first_day: date, last_day: date) -> list[ModelUsageTotal]:
    """The team's recorded usage per model over the range, the most tokens first. One
    query."""
    rows = (
        _records_between(team, first_day, last_day)
        .values("model_key", "provider")
        .annotate(
            calls_sum=Sum("calls"),
            input_sum=Sum("input_tokens"),
            output_sum=Sum("output_tokens"),
            cost_sum=Sum("cost_usd"),
        )
    )
    totals = [
        ModelUsageTotal(
            model_key=row["model_key"],
            provider=row["provider"],
            calls=int(row["calls_sum"] or 0),
            input_tokens=int(row["input_sum"] or 0),
            output_tokens=int(row["output_sum"] or 0),
            cost_usd=Decimal(row["cost_sum"] or 0),
        )
        for row in rows
    ]
    return sorted(totals, key=lambda total: (-total.tokens, total.model_key))


def period_days(period: Period, *, now: datetime | None = None) -> tuple[date, date]:
    """The days of `period` so far: its first day to today (or its last day, when over)."""
    now = now or timezone.now()
    first = period.start.astimezone(UTC).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(UTC).date()
    return first, max(first, min(last, now.astimezone(UTC).date()))


def usage_summary_for_team(*, team: Team, now: datetime | None = None) -> UsageSummary:
    """This period's debates, tokens and cost against the plan, and the subscription's state
    (for the dashboard and the top of the billing page)."""
    quota = quota_status(team=team, now=now)
    account = account_for_team(team=team)
    return UsageSummary(
        quota=quota,
        status=account.status if account is not None else SubscriptionStatus.NONE,
        scheduled_plan=account.scheduled_plan if account is not None else None,
        scheduled_at=account.scheduled_at if account is not None else None,
        grace_until=account.grace_until if account is not None else None,
    )


def usage_report_for_team(
    *,
    team: Team,
    first_day: date | None = None,
    last_day: date | None = None,
    now: datetime | None = None,
) -> UsageReport:
    """The summary, and the recorded usage by day and by model from `first_day` to
    `last_day` (default: this period so far). The caller validates the range."""
    summary = usage_summary_for_team(team=team, now=now)
    default_first, default_last = period_days(summary.period, now=now)
    first_day = first_day or default_first
    last_day = last_day or max(first_day, default_last)
    return UsageReport(
        quota=summary.quota,
        status=summary.status,
        scheduled_plan=summary.scheduled_plan,
        scheduled_at=summary.scheduled_at,
        grace_until=summary.grace_until,
        first_day=first_day,
        last_day=last_day,
        by_day=usage_by_day(team=team, first_day=first_day, last_day=last_day),
        by_model=usage_by_model(team=team, first_day=first_day, last_day=last_day),
    )


# --- Every team's usage, for staff -------------------------------------------------------------


def _calendar_month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class TeamUsageFields(TypedDict):
    usage_period_start: datetime
    usage_debates: int
    usage_tokens: int
    usage_cost_usd: Decimal
    usage_record_count: int
    plan_name: str


if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations

    TeamUsage = WithAnnotations[Team, TeamUsageFields]


def team_usage_list(*, now: datetime | None = None) -> "QuerySet[TeamUsage]":
    """Every team annotated with this period's usage, as `quota_status` counts it, in one
    query: `usage_period_start`, `usage_debates`, `usage_tokens`, `usage_cost_usd`,
    `usage_record_count` (UsageRecord rows), `plan_name` (the account's plan; blank: the default).

    A team's period is its subscription's when `now` falls in it, else the calendar month:
    reservations and usage records carry that period's start, so they are matched on it."""
    now = now or timezone.now()
    in_subscription = Q(
        billing_account__current_period_start__lte=now,
        billing_account__current_period_end__gt=now,
    )
    period_start = Case(
        When(in_subscription, then=F("billing_account__current_period_start")),
        default=Value(_calendar_month_start(now)),
    )
    reservations = QuotaReservation.objects.filter(
        team=OuterRef("pk"), period_start=OuterRef("usage_period_start")
    ).order_by()
    records = UsageRecord.objects.filter(
        team=OuterRef("pk"), period_start=OuterRef("usage_period_start")
    ).order_by()
    money = DecimalField(max_digits=14, decimal_places=6)

    def total(queryset: QuerySet[Any], aggregate: Aggregate) -> Subquery:
        return Subquery(queryset.values("team").annotate(value=aggregate).values("value")[:1])

    return (
        Team.objects.annotate(usage_period_start=period_start)
        .annotate(
            usage_debates=Coalesce(
                total(
                    reservations.exclude(status=ReservationStatus.RELEASED),
                    Count("id"),
                ),
                0,
            ),
            usage_tokens=Coalesce(total(reservations, Sum("tokens")), 0),
            usage_cost_usd=Coalesce(
                total(reservations, Sum("cost_usd")), Value(Decimal(0)), output_field=money
            ),
            usage_record_count=Coalesce(total(records, Count("id")), 0),
            plan_name=Coalesce(F("billing_account__plan__name"), Value("")),
        )
        .order_by("-usage_tokens", "name")
    )
