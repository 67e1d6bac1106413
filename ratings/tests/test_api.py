"""The ratings API: leaderboard and model stats, their shapes, filters and access."""

import pytest
from django.test import Client

from accounts.models import User
from ratings.services import ratings_refit_all
from ratings.tests.factories import PRAGMATIST, SAGE, SCOUT, SKEPTIC, judged_debate

pytestmark = pytest.mark.django_db

RATING_KEYS = {
    "rank",
    "model",
    "category",
    "role",
    "rating",
    "ci_low",
    "ci_high",
    "matches",
    "wins",
    "losses",
    "ties",
    "win_rate",
    "is_new",
    "updated_at",
}


@pytest.fixture
def rated(owner: User) -> None:
    judged_debate(user=owner, is_public=True, category="science", totals={SCOUT: [9.0, 4.0]})
    judged_debate(user=owner, is_public=True, totals={SCOUT: [7.0, 6.0]})
    judged_debate(user=owner, seats=[(PRAGMATIST, "pragmatist"), (SKEPTIC, "skeptic")])
    ratings_refit_all()


def test_public_leaderboard_shape(anon_client: Client, rated: None) -> None:
    response = anon_client.get("/api/v1/leaderboard/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "board",
        "source",
        "agreement",
        "team",
        "category",
        "role",
        "min_matches",
        "refitted_at",
        "outcomes",
        "debates",
        "results",
    }
    assert (body["board"], body["team"], body["outcomes"], body["debates"]) == (
        "public",
        None,
        2,
        2,
    )
    first = body["results"][0]
    assert set(first) == RATING_KEYS
    assert first["model"] == {
        "key": SAGE,
        "display_name": "Demo Sage",
        "provider": "demo",
        "is_demo": True,
    }
    assert (first["wins"], first["losses"], first["matches"], first["is_new"]) == (2, 0, 2, True)
    assert first["ci_low"] <= first["rating"] <= first["ci_high"]
    assert [row["model"]["key"] for row in body["results"]] == [SAGE, SKEPTIC]


def test_leaderboard_filters(anon_client: Client, rated: None) -> None:
    science = anon_client.get("/api/v1/leaderboard/?category=science").json()
    assert science["category"] == "science"
    assert {row["matches"] for row in science["results"]} == {1}
    roles = anon_client.get("/api/v1/leaderboard/?role=skeptic").json()["results"]
    assert [(row["model"]["key"], row["role"]) for row in roles] == [(SKEPTIC, "skeptic")]
    assert anon_client.get("/api/v1/leaderboard/?min_matches=3").json()["results"] == []


def test_leaderboard_rejects_bad_filters(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/leaderboard/?board=secret&min_matches=-1")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) == {"board", "min_matches"}


def test_team_board_needs_a_signed_in_caller_and_is_their_team(
    anon_client: Client, owner_client: Client, outsider_client: Client, rated: None
) -> None:
    response = anon_client.get("/api/v1/leaderboard/?board=team")
    assert response.status_code == 401  # as every endpoint answers without credentials
    assert response.json()["code"] == "not_authenticated"
    mine = owner_client.get("/api/v1/leaderboard/?board=team").json()
    assert mine["board"] == "team"
    assert mine["team"] is not None
    assert PRAGMATIST in {row["model"]["key"] for row in mine["results"]}
    theirs = outsider_client.get("/api/v1/leaderboard/?board=team").json()
    assert theirs["results"] == []


def test_model_stats_shape(anon_client: Client, rated: None) -> None:
    response = anon_client.get(f"/api/v1/models/{SAGE}/stats/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "model",
        "overall",
        "by_category",
        "by_role",
        "rubric",
        "judged_seats",
        "history",
        "recent_debates",
    }
    assert set(body["overall"]) == RATING_KEYS
    assert body["overall"]["matches"] == 2
    assert {row["category"] for row in body["by_category"]} == {"general", "science"}
    assert [row["role"] for row in body["by_role"]] == ["proponent"]
    assert body["rubric"] == {
        "accuracy": 8.0,
        "reasoning": 8.0,
        "evidence": 8.0,
        "actionability": 8.0,
        "risk_awareness": 8.0,
    }
    assert body["judged_seats"] == 2
    assert len(body["history"]) == 1
    assert set(body["history"][0]) == {"at", "rating", "ci_low", "ci_high", "matches"}
    assert len(body["recent_debates"]) == 2
    debate = body["recent_debates"][0]
    assert debate["url"] == f"/d/{debate['id']}/"


def test_model_stats_of_an_unrated_model_and_an_unknown_one(anon_client: Client) -> None:
    body = anon_client.get("/api/v1/models/openrouter:meta-llama/llama-3.3-70b-instruct/stats/")
    assert body.status_code == 200
    assert body.json()["overall"] is None
    assert body.json()["rubric"]["accuracy"] is None
    missing = anon_client.get("/api/v1/models/demo:nope/stats/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
