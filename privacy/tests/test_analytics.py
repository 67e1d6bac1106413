"""Analytics: counts, completion, duration, cost, win rates and rubric scores over a user's
(or the team's) debates, aggregated by the database, filtered, and nothing for whoever
opted out."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from debates.models import Debate, DebateStatus, Seat
from debates.tests import factories
from privacy.analytics import AnalyticsFilters, analytics_for

pytestmark = pytest.mark.django_db


def finished(
    owner: User, *, team: Team | None = None, status: str = "completed", **kw: Any
) -> Debate:
    """A finished debate: 2 seats, the first the champion, judged 8 and 6, 90 s, $0.02."""
    debate = factories.make_debate(owner, team=team, status=status, **kw)
    now = timezone.now()
    first, second = Seat.objects.filter(debate=debate).select_related("llm_model")
    Debate.objects.filter(pk=debate.pk).update(
        started_at=now - timedelta(seconds=90),
        finished_at=now,
        cost_usd=Decimal("0.02"),
        results={"champion": {"model": first.llm_model.key, "seat": 0}},
    )
    factories.make_judgment(debate, seat=first, total=8.0)
    factories.make_judgment(debate, seat=second, total=6.0)
    return debate


def test_totals_win_rates_and_scores(owner: User, team: Team) -> None:
    finished(owner)
    finished(owner)
    factories.make_debate(owner, status=DebateStatus.FAILED)
    factories.make_debate(owner)  # queued: counted as run, not as finished

    figures = analytics_for(user=owner, team=team, filters=AnalyticsFilters())
    assert figures is not None
    totals = figures.totals
    assert (totals.debates, totals.finished, totals.completed) == (4, 3, 2)
    assert totals.completion_rate == pytest.approx(2 / 3)
    assert totals.average_seconds == pytest.approx(90, abs=1)
    [sage, skeptic] = sorted(figures.models, key=lambda m: m.model_key)
    assert (sage.model_key, sage.debates, sage.wins, sage.win_rate) == ("demo:demo-sage", 2, 2, 1.0)
    assert (skeptic.wins, skeptic.win_rate) == (0, 0.0)
    assert sage.average_score == 8.0
    assert sage.criteria["accuracy"] == 8.0
    assert sum(point.debates for point in figures.activity) == 4


def test_filters_by_period_and_category(owner: User, team: Team) -> None:
    old = finished(owner, category="science")
    Debate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=60))
    finished(owner, category="business")
    recent = analytics_for(user=owner, team=team, filters=AnalyticsFilters(period="30d"))
    assert recent is not None
    assert recent.totals.debates == 1
    science = analytics_for(
        user=owner, team=team, filters=AnalyticsFilters(period="all", category="science")
    )
    assert science is not None
    assert science.totals.debates == 1
    assert science.activity_unit == "month"


def test_team_scope_counts_members_but_not_those_who_opted_out(
    owner: User, member: User, team: Team
) -> None:
    finished(owner, team=team)
    finished(member, team=team)
    finished(member)  # personal: not the team's
    team_scope = AnalyticsFilters(scope="team")
    figures = analytics_for(user=owner, team=team, filters=team_scope)
    assert figures is not None
    assert figures.totals.debates == 2

    member.profile.analytics_opt_out = True
    member.profile.save()
    figures = analytics_for(user=owner, team=team, filters=team_scope)
    assert figures is not None
    assert figures.totals.debates == 1
    # Their own page has no figures at all.
    assert analytics_for(user=member, team=team, filters=AnalyticsFilters()) is None


def test_queries_do_not_grow_with_the_debates(
    owner: User, team: Team, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        finished(owner)
    with django_assert_max_num_queries(6):
        analytics_for(user=owner, team=team, filters=AnalyticsFilters(period="all"))


def test_the_page_draws_its_charts_from_json_script(owner_client: Client, owner: User) -> None:
    finished(owner)
    page = owner_client.get("/analytics/", {"period": "90d"}).content.decode()
    assert 'id="analytics-activity-data"' in page
    assert 'data-usage-chart="analytics-win-rates-data"' in page
    assert 'id="analytics-models-table"' in page
    assert "<script>" not in page.replace('<script type="application/json"', "")


def test_opting_out_on_the_privacy_page(owner_client: Client, owner: User) -> None:
    owner_client.post("/settings/privacy/analytics/", {"opted_out": "on"})
    owner.profile.refresh_from_db()
    assert owner.profile.analytics_opt_out
    page = owner_client.get("/analytics/").content.decode()
    assert 'id="analytics-opted-out"' in page
    owner_client.post("/settings/privacy/analytics/", {})
    owner.profile.refresh_from_db()
    assert not owner.profile.analytics_opt_out


def test_bad_filters_fall_back_to_the_defaults(owner_client: Client) -> None:
    response = owner_client.get("/analytics/", {"period": "forever", "category": "x"})
    assert response.status_code == 200
