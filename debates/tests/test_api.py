"""The debates API: shapes, access, validation errors, events paging, cancel, catalog."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import Team, User
from debates.models import Debate, DebateStatus
from debates.orchestration.progress import stage_start
from debates.services.creation import SeatInput, debate_create
from debates.tests.factories import make_debate
from ops.models import CircuitBreaker, CircuitState

pytestmark = pytest.mark.django_db

QUESTION = "Should a 20-person startup adopt a four-day week?"
PANEL = [
    {"model": "demo:demo-sage", "role": "proponent"},
    {"model": "demo:demo-skeptic", "role": "skeptic"},
]


def test_create_answers_202_with_links(owner_client: Client) -> None:
    response = owner_client.post(
        "/api/v1/debates/", {"question": QUESTION, "seats": PANEL, "rounds": 1}, "application/json"
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["uses_demo"] is True
    assert body["links"]["self"] == f"/api/v1/debates/{body['id']}/"
    assert body["links"]["events"].endswith("/events/")
    assert Debate.objects.get(pk=body["id"]).rounds == 1


def test_create_from_a_preset(owner_client: Client) -> None:
    response = owner_client.post(
        "/api/v1/debates/", {"question": QUESTION, "preset": "risk-heavy"}, "application/json"
    )
    assert response.status_code == 202
    assert Debate.objects.get(pk=response.json()["id"]).seats.count() == 4


def test_create_with_bad_input_reports_fields_and_creates_nothing(owner_client: Client) -> None:
    response = owner_client.post(
        "/api/v1/debates/",
        {"question": "short", "seats": PANEL[:1], "rounds": 9},
        "application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) >= {"question", "seats", "rounds"}
    assert not Debate.objects.exists()


def test_create_without_seats_or_preset_is_refused(owner_client: Client) -> None:
    response = owner_client.post("/api/v1/debates/", {"question": QUESTION}, "application/json")
    assert response.status_code == 400
    assert "seats" in response.json()["fields"]


def test_anonymous_is_refused(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/debates/")
    assert response.status_code == 401  # one rule for every endpoint (docs/API.md)
    assert response.json()["code"] == "not_authenticated"


def test_list_shows_the_active_teams_debates_paginated(owner: User, owner_client: Client) -> None:
    make_debate(owner)
    make_debate(owner)
    body = owner_client.get("/api/v1/debates/?page_size=1").json()
    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert body["results"][0]["question"] == QUESTION
    assert owner_client.get("/api/v1/debates/?status=completed").json()["count"] == 0


def test_detail_has_seats_turns_and_usage(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner)
    body = owner_client.get(f"/api/v1/debates/{debate.pk}/").json()
    assert body["status"] == "queued"
    assert [s["seat_label"] for s in body["seats"]] == ["Seat A", "Seat B"]
    assert body["seats"][0]["model"]["key"] == "demo:demo-sage"
    assert body["usage"] == {"input_tokens": 0, "output_tokens": 0, "cost_usd": "0.000000"}
    assert body["failure"] is None
    assert body["turns"] == []


def test_someone_elses_debate_is_not_found(owner: User, outsider_client: Client) -> None:
    debate = make_debate(owner)
    for url in (f"/api/v1/debates/{debate.pk}/", f"/api/v1/debates/{debate.pk}/events/"):
        response = outsider_client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert outsider_client.post(f"/api/v1/debates/{debate.pk}/cancel/").status_code == 404
    assert outsider_client.get("/api/v1/debates/").json()["count"] == 0


def test_events_page_after_a_seq(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner)
    for number in range(3):
        stage_start(debate_id=debate.pk, stage="rebuttal", round_number=number)
    body = owner_client.get(f"/api/v1/debates/{debate.pk}/events/?after=1").json()
    assert body["last_seq"] == 3
    assert [e["seq"] for e in body["events"]] == [2, 3]
    assert body["events"][0]["type"] == "stage.started"
    assert body["events"][0]["payload"] == {"stage": "rebuttal", "round": 1}
    bad = owner_client.get(f"/api/v1/debates/{debate.pk}/events/?after=x")
    assert bad.status_code == 400


def test_cancel(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner)
    response = owner_client.post(f"/api/v1/debates/{debate.pk}/cancel/")
    assert response.status_code == 202
    assert response.json()["status"] == DebateStatus.CANCELLED
    again = owner_client.post(f"/api/v1/debates/{debate.pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_models_list_availability_and_circuit_state(owner_client: Client, settings: Any) -> None:
    CircuitBreaker.objects.create(provider="demo", model="demo-sage", state=CircuitState.OPEN)
    models = {m["key"]: m for m in owner_client.get("/api/v1/models/").json()}
    assert models["demo:demo-sage"]["available"] is True
    assert models["demo:demo-sage"]["circuit_state"] == "open"
    assert models["demo:demo-skeptic"]["circuit_state"] == "closed"
    assert models["openai:gpt-5"]["available"] is False


def test_team_members_see_a_debate_only_once_it_is_shared(
    owner: User, member: User, member_client: Client, team: Team
) -> None:
    debate = debate_create(
        user=owner,
        team=team,
        question=QUESTION,
        seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")],
    )
    from accounts.services import team_switch

    team_switch(user=member, team=team)
    assert member_client.get(f"/api/v1/debates/{debate.pk}/").status_code == 404
    assert member_client.get("/api/v1/debates/").json()["count"] == 0
    Debate.objects.filter(pk=debate.pk).update(shared_with_team=True)
    assert member_client.get(f"/api/v1/debates/{debate.pk}/").status_code == 200
    assert member_client.get("/api/v1/debates/").json()["count"] == 1
