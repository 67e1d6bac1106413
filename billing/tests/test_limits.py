"""billing.limits: a team's plan, its debate shape limits, its period and its monthly quotas."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.utils import timezone, translation

from accounts.models import Team, User
from accounts.tests.factories import make_team
from billing.limits import (
    Meter,
    RatePolicy,
    debate_limits_for_team,
    debate_shape_check,
    period_for,
    plan_for_team,
    quota_check,
    quota_status,
    rate_limited,
)
from billing.models import BillingAccount, Plan, QuotaReservation, ReservationStatus
from billing.ratelimits import RateDecision
from billing.tests.factories import plan, put_on_plan
from consultation.exceptions import PlanRestriction, QuotaExceeded

pytestmark = pytest.mark.django_db


def test_a_team_without_a_subscription_is_on_free(team: Team) -> None:
    assert plan_for_team(team=team).slug == "free"
    limits = debate_limits_for_team(team=team)
    assert (limits.max_seats, limits.max_rounds, limits.concurrent_debates) == (5, 3, 1)
    assert limits.allowed_tiers == ("standard",)
    assert (limits.source, limits.plan_name) == ("plan", "Free")
    assert limits.round_choices == [1, 2, 3]


def test_a_subscription_changes_the_limits_at_once(team: Team) -> None:
    put_on_plan(team, "pro")
    limits = debate_limits_for_team(team=team)
    assert (limits.plan_slug, limits.max_seats, limits.max_rounds) == ("pro", 8, 5)
    assert limits.allows_tier("advanced")


def test_a_scheduled_downgrade_applies_from_its_date(team: Team) -> None:
    account = put_on_plan(team, "pro")
    account.scheduled_plan = plan("free")
    account.scheduled_at = timezone.now() + timedelta(days=3)
    account.save()
    assert plan_for_team(team=team).slug == "pro"
    assert plan_for_team(team=team, now=timezone.now() + timedelta(days=4)).slug == "free"


def test_staff_edits_of_a_plan_apply_to_its_teams(team: Team) -> None:
    Plan.objects.filter(slug="free").update(max_seats=3)
    assert debate_limits_for_team(team=team).max_seats == 3


def test_the_period_is_the_subscriptions_else_the_calendar_month(team: Team) -> None:
    now = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)
    calendar = period_for(None, now=now)
    assert (calendar.start, calendar.end) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    start, end = datetime(2026, 12, 10, tzinfo=UTC), datetime(2027, 1, 10, tzinfo=UTC)
    account = put_on_plan(team, "pro", period=(start, end))
    assert period_for(account, now=now).start == start
    # A period that has run out (no renewal seen yet) falls back to the calendar month.
    assert period_for(account, now=end + timedelta(days=1)).start == datetime(
        2027, 1, 1, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("seats", "rounds", "tiers", "required"),
    [(6, 2, ["standard"], "pro"), (3, 4, ["standard"], "pro"), (3, 2, ["advanced"], "pro")],
)
def test_shape_beyond_the_plan_is_refused_naming_the_plan_that_allows_it(
    team: Team, seats: int, rounds: int, tiers: list[str], required: str
) -> None:
    with pytest.raises(PlanRestriction) as refused:
        debate_shape_check(team=team, seats=seats, rounds=rounds, tiers=tiers)
    assert refused.value.status == 403
    assert refused.value.extra["plan"] == "free"
    assert refused.value.extra["required_plan"] == required
    assert refused.value.extra["upgrade_url"] == "/pricing/"
    assert "The Pro plan allows it." in str(refused.value.detail)


def test_shape_within_the_plan_passes(team: Team) -> None:
    limits = debate_shape_check(team=team, seats=5, rounds=3, tiers=["standard"])
    assert limits.plan_slug == "free"


def reserve(team: Team, *, status: str = ReservationStatus.RESERVED, tokens: int = 0) -> None:
    QuotaReservation.objects.create(
        team=team,
        debate_id=uuid4(),
        plan_slug="free",
        period_start=period_for(None).start,
        status=status,
        tokens=tokens,
    )


def test_quota_counts_open_and_settled_debates_but_not_released_ones(team: Team) -> None:
    reserve(team, tokens=100)
    reserve(team, status=ReservationStatus.SETTLED, tokens=50)
    reserve(team, status=ReservationStatus.RELEASED, tokens=7)
    status = quota_status(team=team)
    assert status.debates == Meter(used=2, limit=20)
    assert status.tokens.used == 157  # what a released debate spent still counts
    assert status.debates.remaining == 18
    assert status.debates.percent == 10


def test_quota_of_another_team_or_period_is_not_counted(team: Team, owner: User) -> None:
    other = make_team(owner=owner, name="Other")
    reserve(other)
    QuotaReservation.objects.create(
        team=team,
        debate_id=uuid4(),
        plan_slug="free",
        period_start=period_for(None).start - timedelta(days=40),
    )
    assert quota_status(team=team).debates.used == 0


def test_the_last_debate_of_the_month_is_refused_with_the_sentence(team: Team) -> None:
    for _ in range(20):
        reserve(team)
    status = quota_status(team=team)
    with pytest.raises(QuotaExceeded) as refused:
        quota_check(status)
    error = refused.value
    assert error.status == 429
    assert str(error.detail) == "You reached 20 of 20 debates this month on the Free plan."
    assert (error.extra["limit"], error.extra["used"]) == (20, 20)
    assert error.extra["reset_at"] == status.period.end.isoformat()
    assert error.extra["upgrade_url"] == "/pricing/"


def test_tokens_and_cost_are_checked_against_what_is_left(team: Team) -> None:
    reserve(team, tokens=1_999_000)
    status = quota_status(team=team)
    quota_check(status, tokens=1_000)
    with pytest.raises(QuotaExceeded) as refused:
        quota_check(status, tokens=1_001)
    assert refused.value.extra["quota"] == "tokens"
    with pytest.raises(QuotaExceeded) as refused:
        quota_check(status, cost_usd=Decimal("5.01"))
    assert refused.value.extra["quota"] == "cost_usd"
    assert refused.value.extra["limit"] == "5.00"


def test_blank_limits_are_unlimited(team: Team) -> None:
    Plan.objects.filter(slug="free").update(debates_per_month=None, tokens_per_month=None)
    for _ in range(25):
        reserve(team, tokens=10**9)
    status = quota_status(team=team)
    assert status.debates.remaining is None
    quota_check(status, tokens=10**9)


def test_without_any_plan_the_engine_bounds_apply(team: Team) -> None:
    BillingAccount.objects.all().delete()
    Plan.objects.all().delete()
    limits = debate_limits_for_team(team=team)
    assert (limits.max_seats, limits.max_rounds) == (8, 5)


@pytest.mark.parametrize(
    ("language", "wait", "sentence"),
    [
        ("en", 1, "Try again in 1 second."),
        ("en", 17, "Try again in 17 seconds."),
        ("tr", 1, "1 saniye sonra yeniden deneyin."),
        ("tr", 17, "17 saniye sonra yeniden deneyin."),
    ],
)
def test_a_refusal_says_when_to_try_again_in_the_number_of_its_wait(
    language: str, wait: int, sentence: str
) -> None:
    """The wait has its own plural, not the limit's ("You made 1 request ... in 17 seconds")."""
    decision = RateDecision(
        limit=1,
        used=1,
        remaining=0,
        reset_in=wait,
        reset_at=timezone.now(),
        allowed=False,
    )
    with translation.override(language):
        assert decision.try_again() == sentence
        refusal = rate_limited(
            RatePolicy(per_minute=1, plan_slug="free", plan_name="Free"), decision
        )
    assert str(refusal.detail).endswith(sentence)
