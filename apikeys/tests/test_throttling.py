"""Requests per minute: per key, per user, per anonymous IP; the refusal and its headers."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from apikeys.tests.factories import make_key
from billing.models import Plan
from billing.tests.factories import put_on_plan
from ops.metrics import metric_totals

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def _limit_free_plan(per_minute: int) -> None:
    Plan.objects.filter(slug="free").update(api_requests_per_minute=per_minute)


def test_the_plan_admits_its_rate_then_refuses_with_the_quota_shape(
    owner: User, team: Team, capture_logs: Any
) -> None:
    _limit_free_plan(3)
    client = Client(headers={"Authorization": f"Bearer {make_key(actor=owner, team=team).key}"})
    answers = [client.get(ME) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    first, refused = answers[0], answers[3]
    assert first["RateLimit-Policy"] == '"key";q=3;w=60'
    assert re.fullmatch(r'"key";r=2;t=\d+', first["RateLimit"])
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert body["limit"] == 3
    assert body["used"] == 3
    assert body["upgrade_url"] == "/pricing/"
    assert body["reset_at"]
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    assert body["retry_after"] == wait
    assert body["detail"] == (
        "You made 3 requests this minute, the limit of the Free plan. "
        + ("Try again in 1 second." if wait == 1 else f"Try again in {wait} seconds.")
    )
    assert refused["RateLimit"] == f'"key";r=0;t={wait}'
    assert metric_totals(name="ratelimit.hit", since=_minute_ago()) == {"free": 1}
    assert [e["scope"] for e in capture_logs if e["event"] == "ratelimit.hit"] == ["key"]


def _minute_ago() -> datetime:
    return timezone.now() - timedelta(minutes=1)


def test_the_refusal_is_translated(owner: User, team: Team) -> None:
    _limit_free_plan(1)
    client = Client(headers={"Authorization": f"Bearer {make_key(actor=owner, team=team).key}"})
    client.get(ME)
    refused = client.get(ME, headers={"Accept-Language": "tr"})
    assert refused.status_code == 429
    assert "Free" in refused.json()["detail"]
    assert "dakika" in refused.json()["detail"]


def test_a_key_may_be_tighter_than_the_plan_never_looser(owner: User, team: Team) -> None:
    put_on_plan(team, "pro")  # 120 a minute
    tight = make_key(actor=owner, team=team, rate_limit_per_minute=2).key
    loose = make_key(actor=owner, team=team, rate_limit_per_minute=10_000).key
    tight_client = Client(headers={"Authorization": f"Bearer {tight}"})
    assert [tight_client.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    response = Client(headers={"Authorization": f"Bearer {loose}"}).get(ME)
    assert response["RateLimit-Policy"] == '"key";q=120;w=60'


def test_keys_users_and_ips_are_counted_apart(
    owner: User, team: Team, owner_client: Client, anon_client: Client
) -> None:
    _limit_free_plan(2)
    key_client = Client(headers={"Authorization": f"Bearer {make_key(actor=owner, team=team).key}"})
    assert [key_client.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    # The same person signed in has their own budget, and so has an anonymous visitor.
    assert owner_client.get(ME).status_code == 200
    assert owner_client.get(ME)["RateLimit-Policy"] == '"user";q=2;w=60'
    board = anon_client.get("/api/v1/leaderboard/")
    assert board.status_code == 200
    assert board["RateLimit-Policy"] == '"ip";q=2;w=60'


def test_rate_limits_can_be_switched_off(settings: Any, owner_client: Client) -> None:
    settings.RATELIMIT_ENABLE = False
    _limit_free_plan(1)
    assert [owner_client.get(ME).status_code for _ in range(3)] == [200, 200, 200]


def test_page_form_posts_count_and_refuse_with_the_limit_message(
    owner: User, owner_client: Client
) -> None:
    _limit_free_plan(1)
    assert owner_client.post("/teams/", {"name": "One"}).status_code == 302
    refused = owner_client.post("/teams/", {"name": "Two"}, headers={"Referer": "/teams/"})
    assert refused.status_code == 302
    assert refused["Retry-After"]
    page = owner_client.get("/teams/")
    html = page.content.decode()
    assert "the limit of the Free plan" in html
    assert 'href="/pricing/"' in html
    assert Team.objects.filter(name="Two").count() == 0


def test_page_htmx_posts_get_the_error_json(owner_client: Client) -> None:
    _limit_free_plan(1)
    owner_client.post("/teams/", {"name": "One"})
    refused = owner_client.post("/teams/", {"name": "Two"}, headers={"HX-Request": "true"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["upgrade_url"] == "/pricing/"


def test_reading_pages_is_not_counted(owner_client: Client) -> None:
    _limit_free_plan(1)
    assert [owner_client.get("/teams/").status_code for _ in range(3)] == [200, 200, 200]
