"""The debates API with an API key: scopes per endpoint, and a key acts for its team only."""

import pytest
from django.test import Client

from accounts.models import Team, User
from apikeys.tests.factories import make_key
from debates.tests.factories import make_debate, personal_team

pytestmark = pytest.mark.django_db

QUESTION = "Should a 20-person startup adopt a four-day week?"
PANEL = [
    {"model": "demo:demo-sage", "role": "proponent"},
    {"model": "demo:demo-skeptic", "role": "skeptic"},
]


def _client(owner: User, team: Team, scopes: list[str]) -> Client:
    key = make_key(actor=owner, team=team, scopes=scopes).key
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_a_key_creates_a_debate_in_its_team(owner: User, team: Team) -> None:
    client = _client(owner, team, ["debates:read", "debates:write"])
    response = client.post(
        "/api/v1/debates/", {"question": QUESTION, "seats": PANEL, "rounds": 1}, "application/json"
    )
    assert response.status_code == 202
    detail = client.get(response.json()["links"]["self"])
    assert detail.status_code == 200
    from debates.models import Debate

    assert Debate.objects.get(pk=response.json()["id"]).team == team


def test_a_read_only_key_cannot_write(owner: User, team: Team) -> None:
    client = _client(owner, team, ["debates:read"])
    assert client.get("/api/v1/debates/").status_code == 200
    response = client.post(
        "/api/v1/debates/", {"question": QUESTION, "seats": PANEL}, "application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert response.json()["required_scope"] == "debates:write"
    debate = make_debate(owner, team=team)
    assert client.post(f"/api/v1/debates/{debate.pk}/cancel/").json()["code"] == "scope_missing"


def test_a_usage_only_key_cannot_read_debates(owner: User, team: Team) -> None:
    client = _client(owner, team, ["usage:read"])
    assert client.get("/api/v1/debates/").json()["code"] == "scope_missing"
    assert client.get("/api/v1/models/").status_code == 403


def test_a_key_sees_only_its_teams_debates(owner: User, team: Team) -> None:
    elsewhere = make_debate(owner, team=personal_team(owner))
    here = make_debate(owner, team=team)
    client = _client(owner, team, ["debates:read", "debates:write"])
    listed = [d["id"] for d in client.get("/api/v1/debates/").json()["results"]]
    assert listed == [str(here.pk)]
    for path in ("", "events/"):
        response = client.get(f"/api/v1/debates/{elsewhere.pk}/{path}")
        assert response.status_code == 404
    assert client.post(f"/api/v1/debates/{elsewhere.pk}/cancel/").status_code == 404
    # Signed in, the API answers for the active team too (docs/API.md): the creator's active
    # team is `team` (made last), so their personal debate is not found there either.
    session = Client()
    session.force_login(owner)
    assert session.get(f"/api/v1/debates/{elsewhere.pk}/").status_code == 404
    assert session.get(f"/api/v1/debates/{here.pk}/").status_code == 200
