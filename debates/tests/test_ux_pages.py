"""Pages a new user trips over (issue 8): a debate cancelled before it started, a very long
question, and the API's status filter."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from debates.models import Debate
from debates.services.creation import debate_cancel
from debates.tests.factories import make_debate

pytestmark = pytest.mark.django_db


def test_a_debate_cancelled_before_it_started_says_so_plainly(
    owner: User, owner_client: Client
) -> None:
    debate = debate_cancel(debate=make_debate(owner))
    assert debate.status == "cancelled"
    assert debate.started_at is None
    html = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert "cancelled before it started" in html
    assert "The debate was cancelled. <code" not in html
    assert ">cancelled</code>" not in html
    assert f"/debates/{debate.pk}/replay/" not in html  # nothing to replay
    assert "not scored" not in html
    assert 'class="table scoreboard"' not in html
    assert "No seat spoke in this debate." in html
    live = owner_client.get(f"/debates/{debate.pk}/live/").content.decode()
    # The Replay link stays hidden, also for the script (data-needs-start).
    replay = live[live.index(f'href="/debates/{debate.pk}/replay/"') :].split(">", 1)[0]
    assert "data-needs-start" in replay
    assert "hidden" in replay
    text = owner_client.get(f"/debates/{debate.pk}/export.md").content.decode()
    assert "## Scoreboard" not in text


def test_a_long_question_gets_a_title_and_a_collapsible_full_text(
    owner: User, owner_client: Client
) -> None:
    question = "Should we move our whole platform to a new cloud provider? " + "Context. " * 500
    debate = make_debate(owner, question=question.strip())
    for url in (f"/debates/{debate.pk}/", f"/debates/{debate.pk}/live/"):
        html = owner_client.get(url).content.decode()
        heading = html[html.index("<h1") : html.index("</h1>")]
        assert len(heading) < 250, heading
        assert heading.rstrip().endswith("…")
        assert '<details class="full-question">' in html
        assert html.count("Context.") >= 500  # the whole question is on the page, folded


def test_a_short_question_is_its_own_heading(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner, question="Should we adopt a four-day week?")
    html = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert '<h1 class="debate-question">Should we adopt a four-day week?</h1>' in html
    assert "full-question" not in html


def test_an_unknown_status_filter_is_a_validation_error(owner: User, owner_client: Client) -> None:
    make_debate(owner)
    response = owner_client.get("/api/v1/debates/?status=bogus")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert "status" in body["fields"]
    assert owner_client.get("/api/v1/debates/?status=queued").json()["count"] == 1
    assert Debate.objects.count() == 1


def test_a_too_long_question_gets_the_message_docs_api_shows(owner_client: Client) -> None:
    body = {"question": "Why? " * 1200, "preset": "balanced-trio"}
    response = owner_client.post("/api/v1/debates/", body, content_type="application/json")
    assert response.status_code == 400
    message = response.json()["fields"]["question"][0]
    assert message == "The question must be 10 to 5000 characters long."
    docs = (Path(settings.BASE_DIR) / "docs" / "API.md").read_text()
    assert message in docs


@pytest.mark.parametrize(
    "path", ["/api/v1/debates/", "/api/v1/leaderboard/?board=team", "/api/v1/me/"]
)
def test_anonymous_requests_get_one_answer_everywhere(anon_client: Client, path: str) -> None:
    response = anon_client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_api_docs_are_served_from_the_sidecar_package(anon_client: Client) -> None:
    response = anon_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # its set-up script is a file of its own (CSP)
    script = anon_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/v1/schema/" in script.content.decode()


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("ZEBRA general", True),  # every word, any order, any case
        ("general zebra", True),
        ("zebra", True),
        ("zebra giraffe", False),  # a word that is not there
        ("", True),
    ],
)
def test_search_matches_every_word_of_the_query(
    owner: User, owner_client: Client, query: str, found: bool
) -> None:
    make_debate(owner, question="Is general zebra care worth a dedicated keeper at our zoo?")
    make_debate(owner, question="Should we adopt a four-day week?")
    html = owner_client.get("/debates/", {"q": query}).content.decode()
    assert ("zebra care" in html) is found
    if query:
        assert "four-day week" not in html


@pytest.mark.services
def test_search_uses_postgres_full_text_search(owner: User) -> None:
    from django.db import connection

    from debates.selectors import debate_text_search

    assert connection.vendor == "postgresql"
    make_debate(owner, question="Is general zebra care worth a dedicated keeper at our zoo?")
    sql = str(debate_text_search(Debate.objects.all(), "ZEBRA general").query)
    assert "to_tsvector" in sql
    assert "websearch_to_tsquery" in sql
    assert debate_text_search(Debate.objects.all(), "ZEBRA general").count() == 1
    assert debate_text_search(Debate.objects.all(), "zebra -care").count() == 0


def test_a_seat_error_letters_the_seat_as_its_card_does(owner_client: Client) -> None:
    from django.utils import translation

    body = {
        "question": "Should we adopt a four-day week?",
        "seats": [
            {"model": "demo:demo-sage", "role": "proponent"},
            {"model": "demo:demo-skeptic", "role": "custom"},
        ],
    }
    response = owner_client.post("/api/v1/debates/", body, content_type="application/json")
    assert response.json()["fields"]["seats"] == ["Seat B: a custom role needs an instruction."]
    with translation.override("tr"):
        response = owner_client.post(
            "/api/v1/debates/",
            body,
            content_type="application/json",
            headers={"accept-language": "tr"},
        )
    assert response.json()["fields"]["seats"][0].startswith("Koltuk B:")


def test_the_debate_page_has_copy_buttons_for_the_answer_and_each_turn(
    owner: User, owner_client: Client
) -> None:
    from debates.tests.factories import make_turn

    debate = make_debate(owner, status="completed")
    make_turn(debate, content="A **considered** answer.")
    Debate.objects.filter(pk=debate.pk).update(
        synthesis={
            "consensus": "We agree.",
            "recommendation": "Do it.",
            "disagreements": [],
            "chair": "demo:demo-scout",
            "chair_name": "Demo Scout",
            "confidence": 0.7,
        }
    )
    html = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert 'data-copy-text="A **considered** answer."' in html
    assert 'data-copy-from="#answer-text"' in html
    assert "## Recommendation" in html
