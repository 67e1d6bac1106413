"""billing.selectors: a team's usage by day and by model, its summary, every team's for staff."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Team, User
from accounts.tests.factories import make_team
from billing.models import QuotaReservation, ReservationStatus
from billing.selectors import (
    period_days,
    team_usage_list,
    usage_by_day,
    usage_by_model,
    usage_report_for_team,
    usage_summary_for_team,
)
from billing.tests.factories import make_usage, put_on_plan

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def other_team(outsider: User) -> Team:
    return make_team(owner=outsider, name="Other Lab")


def test_usage_by_day_has_every_day_of_the_range_zeros_included(team: Team) -> None:
    make_usage(team, at=at(2, 9), input_tokens=100, output_tokens=50, cost_usd="0.10")
    make_usage(team, at=at(2, 23), input_tokens=10, output_tokens=5, cost_usd="0.01")
    make_usage(team, at=at(4, 0), input_tokens=1, output_tokens=1, calls=3)

    days = usage_by_day(team=team, first_day=date(2026, 12, 1), last_day=date(2026, 12, 5))

    assert [d.day for d in days] == [date(2026, 12, n) for n in range(1, 6)]
    assert [d.tokens for d in days] == [0, 165, 0, 2, 0]
    assert [d.cost_usd for d in days] == [0, Decimal("0.11"), 0, 0, 0]
    assert [d.calls for d in days] == [0, 2, 0, 3, 0]


def test_usage_by_day_counts_utc_days_and_leaves_out_the_range_edges(team: Team) -> None:
    make_usage(team, at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC), input_tokens=7)
    make_usage(team, at=datetime(2026, 12, 3, 0, 0, tzinfo=UTC), input_tokens=9)

    days = usage_by_day(team=team, first_day=date(2026, 12, 1), last_day=date(2026, 12, 2))

    assert [d.tokens for d in days] == [0, 0]


def test_usage_by_model_sums_each_model_most_tokens_first(team: Team) -> None:
    debate = uuid4()
    make_usage(team, debate_id=debate, model_key="demo:demo-sage", calls=2,
               input_tokens=100, output_tokens=40, cost_usd="0.5", at=at(1))  # fmt: skip
    make_usage(team, debate_id=debate, model_key="openai:gpt-5-mini", provider="openai",
               calls=1, input_tokens=900, output_tokens=100, cost_usd="1.25", at=at(1))  # fmt: skip
    make_usage(team, model_key="demo:demo-sage", calls=3,
               input_tokens=10, output_tokens=5, cost_usd="0.25", at=at(3))  # fmt: skip

    models = usage_by_model(team=team, first_day=date(2026, 12, 1), last_day=date(2026, 12, 31))

    assert [(m.model_key, m.provider, m.calls, m.tokens, m.cost_usd) for m in models] == [
        ("openai:gpt-5-mini", "openai", 1, 1000, Decimal("1.25")),
        ("demo:demo-sage", "demo", 5, 155, Decimal("0.75")),
    ]
    assert (models[1].input_tokens, models[1].output_tokens) == (110, 45)


def test_other_teams_usage_is_left_out(team: Team, other_team: Team) -> None:
    make_usage(team, at=at(2), input_tokens=100, output_tokens=0)
    make_usage(other_team, at=at(2), input_tokens=5000, output_tokens=0, model_key="demo:x")

    days = usage_by_day(team=team, first_day=date(2026, 12, 2), last_day=date(2026, 12, 2))
    models = usage_by_model(team=team, first_day=date(2026, 12, 1), last_day=date(2026, 12, 31))
    summary = usage_summary_for_team(team=team, now=NOW)

    assert [d.tokens for d in days] == [100]
    assert [m.model_key for m in models] == ["demo:demo-sage"]
    assert (summary.quota.debates.used, summary.quota.tokens.used) == (1, 100)


def test_the_period_so_far_runs_from_its_first_day_to_today() -> None:
    from billing.limits import Period

    december = Period(start=at(1, 0), end=datetime(2027, 1, 1, tzinfo=UTC))
    assert period_days(december, now=NOW) == (date(2026, 12, 1), date(2026, 12, 14))
    # A subscription's period starts and ends mid-day; a past one is shown whole.
    subscription = Period(start=at(5, 13), end=datetime(2027, 1, 5, 13, tzinfo=UTC))
    later = datetime(2027, 2, 1, tzinfo=UTC)
    assert period_days(subscription, now=later) == (date(2026, 12, 5), date(2027, 1, 5))


def test_the_report_covers_this_period_so_far_in_four_queries(team: Team) -> None:
    put_on_plan(team, "pro")
    for day in (1, 3, 3, 10):
        make_usage(team, at=at(day), input_tokens=1000, output_tokens=1000, cost_usd="0.02")

    with CaptureQueriesContext(connection) as queries:
        report = usage_report_for_team(team=team, now=NOW)

    # account + reservations (quota_status), account again, by day, by model
    assert len(queries) <= 5, [q["sql"] for q in queries]
    assert (report.first_day, report.last_day) == (date(2026, 12, 1), date(2026, 12, 14))
    assert len(report.by_day) == 14
    assert report.recorded_tokens == 8000
    assert report.recorded_cost_usd == Decimal("0.08")
    assert report.plan.slug == "pro"
    assert report.quota.debates.used == 4
    assert report.quota.debates.limit == 500
    assert report.renews
    assert report.resets_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_the_summary_counts_running_debates_with_their_estimate(team: Team) -> None:
    QuotaReservation.objects.create(
        team=team,
        debate_id=uuid4(),
        plan_slug="free",
        period_start=at(1, 0),
        tokens=30_000,
        status=ReservationStatus.RESERVED,
    )
    summary = usage_summary_for_team(team=team, now=NOW)
    assert (summary.quota.debates.used, summary.quota.debates.limit) == (1, 20)
    assert summary.quota.tokens.used == 30_000
    assert summary.plan.slug == "free"
    assert not summary.renews


def test_team_usage_list_matches_each_teams_quota_in_one_query(
    team: Team, other_team: Team, owner: User
) -> None:
    # `team` is on a subscription whose period started mid-November; `other_team` on the
    # calendar month; the owner's personal team has no usage at all.
    put_on_plan(team, "pro", period=(datetime(2026, 11, 20, tzinfo=UTC), at(20)))
    make_usage(team, at=datetime(2026, 11, 25, tzinfo=UTC), input_tokens=300, output_tokens=0,
               cost_usd="0.30")  # fmt: skip
    make_usage(team, at=at(2), input_tokens=200, output_tokens=0, cost_usd="0.20")
    make_usage(other_team, at=datetime(2026, 11, 25, tzinfo=UTC), input_tokens=999)  # last month
    make_usage(other_team, at=at(2), input_tokens=50, output_tokens=0)
    make_usage(other_team, at=at(3), input_tokens=50, output_tokens=0, settle=False)

    with CaptureQueriesContext(connection) as queries:
        rows = {row.name: row for row in team_usage_list(now=NOW)}

    assert len(queries) == 1
    acme, other = rows["Acme Research"], rows["Other Lab"]
    assert (acme.usage_debates, acme.usage_tokens, acme.usage_cost_usd) == (2, 500, Decimal("0.5"))
    assert (acme.usage_record_count, acme.plan_name) == (2, "Pro")
    assert (other.usage_debates, other.usage_tokens, other.usage_record_count) == (1, 50, 2)
    assert other.plan_name == ""
    for name, row in rows.items():
        quota = usage_summary_for_team(team=row, now=NOW).quota
        assert (row.usage_debates, row.usage_tokens) == (quota.debates.used, quota.tokens.used), (
            name
        )
    personal = rows[Team.objects.get(created_by=owner, is_personal=True).name]
    assert (personal.usage_debates, personal.usage_tokens) == (0, 0)
    assert next(iter(rows)) == "Acme Research"  # the most tokens first
    assert acme.usage_period_start == datetime(2026, 11, 20, tzinfo=UTC)
    assert other.usage_period_start == at(1, 0)
