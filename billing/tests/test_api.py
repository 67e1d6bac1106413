"""GET /api/v1/usage/: shape, the range's validation, only the active team's usage."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from accounts.tests.factories import make_team
from billing.tests.factories import make_usage, put_on_plan

pytestmark = pytest.mark.django_db

URL = "/api/v1/usage/"


def personal_team(user: User) -> Team:
    return Team.objects.get(created_by=user, is_personal=True)


def test_usage_needs_a_signed_in_user(anon_client: Client) -> None:
    response = anon_client.get(URL)
    assert response.status_code == 401  # no credentials: 401 with a Bearer challenge
    assert response.json()["code"] == "not_authenticated"


def test_usage_shape_for_this_period(owner: User, owner_client: Client) -> None:
    team = personal_team(owner)
    today = timezone.now().astimezone(UTC).date()
    make_usage(team, input_tokens=1200, output_tokens=300, cost_usd="0.015", calls=4)
    make_usage(team, model_key="demo:demo-skeptic", input_tokens=10, output_tokens=10)

    body = owner_client.get(URL).json()

    assert set(body) == {"period", "plan", "limits", "used", "range", "by_day", "by_model"}
    start = datetime.fromisoformat(body["period"]["start"])
    assert start == datetime(today.year, today.month, 1, tzinfo=UTC)
    assert body["plan"] == {"slug": "free", "name": "Free", "price_usd": "0.00"}
    assert body["limits"] == {"debates": 20, "tokens": 2_000_000, "cost_usd": "5.00"}
    assert body["used"] == {"debates": 2, "tokens": 1520, "cost_usd": "0.015000"}
    assert body["range"] == {"from": start.date().isoformat(), "to": today.isoformat()}
    assert len(body["by_day"]) == today.day
    assert body["by_day"][-1] == {
        "date": today.isoformat(),
        "calls": 5,
        "tokens": 1520,
        "cost_usd": "0.015000",
    }
    assert all(day["tokens"] == 0 for day in body["by_day"][:-1])
    assert body["by_model"][0] == {
        "model_key": "demo:demo-sage",
        "provider": "demo",
        "calls": 4,
        "input_tokens": 1200,
        "output_tokens": 300,
        "tokens": 1500,
        "cost_usd": "0.015000",
    }
    assert [m["model_key"] for m in body["by_model"]] == ["demo:demo-sage", "demo:demo-skeptic"]


def test_usage_unlimited_plan_limits_are_null(owner: User, owner_client: Client) -> None:
    from billing.models import Plan

    Plan.objects.filter(slug="pro").update(tokens_per_month=None, cost_per_month_usd=None)
    put_on_plan(personal_team(owner), "pro")
    limits = owner_client.get(URL).json()["limits"]
    assert limits == {"debates": 500, "tokens": None, "cost_usd": None}


def test_usage_range_from_to(owner: User, owner_client: Client) -> None:
    team = personal_team(owner)
    make_usage(team, at=datetime(2026, 3, 2, 10, tzinfo=UTC), input_tokens=40, output_tokens=2)
    make_usage(team, at=datetime(2026, 3, 9, 10, tzinfo=UTC), input_tokens=99)

    body = owner_client.get(URL, {"from": "2026-03-01", "to": "2026-03-03"}).json()

    assert body["range"] == {"from": "2026-03-01", "to": "2026-03-03"}
    assert [(d["date"], d["tokens"]) for d in body["by_day"]] == [
        ("2026-03-01", 0),
        ("2026-03-02", 42),
        ("2026-03-03", 0),
    ]
    assert [(m["model_key"], m["tokens"]) for m in body["by_model"]] == [("demo:demo-sage", 42)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday", "to": "2026-03-03"}, "from"),
        ({"from": "2026-03-01", "to": "2026-02-30"}, "to"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ({"from": "2026-03-01"}, "to"),
        ({"to": "2026-03-01"}, "from"),
    ],
)
def test_usage_bad_range_is_validation_failed(
    owner_client: Client, query: dict[str, str], field: str
) -> None:
    response = owner_client.get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["detail"]
    assert list(body["fields"]) == [field]
    assert all(isinstance(message, str) for message in body["fields"][field])


def test_usage_is_only_the_active_teams(
    owner: User, outsider: User, owner_client: Client, outsider_client: Client
) -> None:
    make_usage(personal_team(owner), input_tokens=700, output_tokens=0)
    shared = make_team(owner=outsider, name="Outsider Lab")
    make_usage(shared, input_tokens=5, output_tokens=0, model_key="demo:demo-scout")

    outsider_client.post(f"/teams/{personal_team(outsider).pk}/switch/")
    outsiders = outsider_client.get(URL).json()
    assert outsiders["used"]["tokens"] == 0
    assert outsiders["by_model"] == []

    outsider_client.post(f"/teams/{shared.pk}/switch/")
    switched = outsider_client.get(URL).json()
    assert switched["used"]["tokens"] == 5
    assert [m["model_key"] for m in switched["by_model"]] == ["demo:demo-scout"]

    assert owner_client.get(URL).json()["used"]["tokens"] == 700


def test_usage_is_in_the_schema(anon_client: Client) -> None:
    schema: dict[str, Any] = yaml.safe_load(anon_client.get("/api/v1/schema/").content)
    operation = schema["paths"]["/api/v1/usage/"]["get"]
    assert operation["operationId"] == "usage_retrieve"
    assert {p["name"] for p in operation["parameters"]} == {"from", "to"}
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/UsageOutput"}
    usage = schema["components"]["schemas"]["UsageOutput"]
    assert set(usage["properties"]) == {
        "period", "plan", "limits", "used", "range", "by_day", "by_model"
    }  # fmt: skip


def test_usage_range_defaults_end_today_even_late_in_a_period(
    owner: User, owner_client: Client
) -> None:
    # A subscription period that started 40 days ago and has not ended: its days so far.
    now = timezone.now()
    put_on_plan(
        personal_team(owner), "pro", period=(now - timedelta(days=40), now + timedelta(days=1))
    )
    body = owner_client.get(URL).json()
    first = date.fromisoformat(body["range"]["from"])
    last = date.fromisoformat(body["range"]["to"])
    assert (last - first).days == 40
    assert len(body["by_day"]) == 41


def test_a_key_reads_its_teams_usage_with_the_usage_scope(owner: User, team: Team) -> None:
    from apikeys.tests.factories import make_key

    put_on_plan(team, "pro")
    usage_key = make_key(actor=owner, team=team, scopes=["usage:read"]).key
    response = Client(headers={"Authorization": f"Bearer {usage_key}"}).get("/api/v1/usage/")
    assert response.status_code == 200
    assert response.json()["plan"]["slug"] == "pro"  # the key's team, not the owner's personal one
    debates_key = make_key(actor=owner, team=team, scopes=["debates:read"]).key
    refused = Client(headers={"Authorization": f"Bearer {debates_key}"}).get("/api/v1/usage/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "scope_missing"
