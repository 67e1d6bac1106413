"""The live and replay pages, the rendered-HTML endpoint and the cancel form: access (owner,
team, public, outsider, anonymous), what the pages embed, and that untrusted text stays inert."""

import json
import re
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Team, User
from debates.models import Debate, DebateStatus, Turn, TurnStatus
from debates.services.creation import SeatInput, debate_create
from debates.services.running import debate_run
from debates.tests.factories import make_debate, make_turn
from debates.views.live import live_strings

pytestmark = pytest.mark.django_db

QUESTION = "Should a 20-person startup adopt a four-day week?"
XSS_QUESTION = 'Is this safe? <img src=x onerror=alert(1)> <script>alert("q")</script>'


make = partial(make_debate, rounds=1)  # one round: these debates are run to the end


def run(debate: Debate) -> Debate:
    async_to_sync(debate_run)(debate.pk)
    debate.refresh_from_db()
    return debate


def embedded(html: str, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, f"{element_id} is not embedded"
    return json.loads(match.group(1))


def test_live_page_of_a_finished_debate_embeds_the_whole_log(
    owner: User, owner_client: Client
) -> None:
    debate = run(make(owner))
    assert debate.status == DebateStatus.COMPLETED
    response = owner_client.get(reverse("debate-live", args=[debate.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    events = embedded(html, "live-events")
    assert [e["seq"] for e in events] == list(range(1, debate.last_seq + 1))
    assert events[-1]["type"] == "debate.completed"
    config = embedded(html, "live-config")
    assert config["debateId"] == str(debate.pk)
    assert config["socketPath"] == f"/ws/debates/{debate.pk}/"
    assert config["finished"] is True
    assert [(s["label"], s["role"], s["model"]) for s in config["seats"]] == [
        ("Seat A", "proponent", "demo:demo-sage"),
        ("Seat B", "skeptic", "demo:demo-skeptic"),
    ]
    rendered = embedded(html, "live-rendered")
    turn = Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED).first()
    assert turn is not None
    assert "<p>" in rendered["turns"][str(turn.pk)]
    assert rendered["synthesis"]["recommendation"].startswith("<p>")
    # Finished: no cancel button, the replay and detail links are shown.
    assert "Cancel the debate" not in html
    assert reverse("debate-replay", args=[debate.pk]) in html
    assert f'href="/debates/{debate.pk}/"' in html
    # The convener sees who sits where.
    assert "Demo Sage" in html
    assert "Proponent" in html


def test_live_page_of_a_running_debate_offers_cancel_and_the_demo_badge(
    owner: User, owner_client: Client
) -> None:
    debate = make(owner)
    html = owner_client.get(reverse("debate-live", args=[debate.pk])).content.decode()
    assert reverse("debate-live-cancel", args=[debate.pk]) in html
    assert "badge demo" in html
    assert embedded(html, "live-events") == []
    assert embedded(html, "live-config")["finished"] is False


def test_question_with_markup_is_inert_everywhere_on_the_page(
    owner: User, owner_client: Client
) -> None:
    debate = make(owner, question=XSS_QUESTION)
    for name in ("debate-live", "debate-replay"):
        html = owner_client.get(reverse(name, args=[debate.pk])).content.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<img" not in html
        assert "<script>alert" not in html


def test_turn_html_is_sanitised(owner: User, owner_client: Client) -> None:
    debate = make(owner)
    turn = make_turn(
        debate,
        content="**Bold** <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[x](javascript:alert(1))",
    )
    url = reverse("debate-rendered", args=[debate.pk])
    body = owner_client.get(url, {"turn": str(turn.pk)}).json()
    html = body["turns"][str(turn.pk)]
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert "<img" not in html
    assert "href" not in html
    assert body["synthesis"] is None
    # Only what is asked for.
    assert owner_client.get(url, {"turn": "nope"}).json()["turns"] == {}


def test_rendered_synthesis_on_request(owner: User, owner_client: Client) -> None:
    debate = run(make(owner))
    url = reverse("debate-rendered", args=[debate.pk])
    body = owner_client.get(url, {"synthesis": "1"}).json()
    assert body["turns"] == {}
    assert set(body["synthesis"]) == {"consensus", "recommendation", "disagreements"}
    assert all(item.startswith("<p>") for item in body["synthesis"]["disagreements"])


@pytest.mark.parametrize("name", ["debate-live", "debate-replay", "debate-rendered"])
def test_someone_elses_debate_is_not_found(owner: User, outsider_client: Client, name: str) -> None:
    debate = make(owner)
    assert outsider_client.get(reverse(name, args=[debate.pk])).status_code == 404


@pytest.mark.parametrize("name", ["debate-live", "debate-replay", "debate-rendered"])
def test_anonymous_visitors_are_sent_to_log_in(owner: User, anon_client: Client, name: str) -> None:
    debate = make(owner)
    response = anon_client.get(reverse(name, args=[debate.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_missing_debate_looks_like_someone_elses(owner_client: Client) -> None:
    url = reverse("debate-live", args=["00000000-0000-0000-0000-000000000000"])
    assert owner_client.get(url).status_code == 404


def test_a_shared_debate_is_watched_by_the_team(owner: User, member: User, team: Team) -> None:
    debate = debate_create(
        user=owner,
        team=team,
        question=QUESTION,
        seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")],
        run_in_worker=False,
    )
    client = Client()
    client.force_login(member)
    url = reverse("debate-live", args=[debate.pk])
    assert client.get(url).status_code == 404
    Debate.objects.filter(pk=debate.pk).update(shared_with_team=True)
    html = client.get(url).content.decode()
    assert reverse("debate-live-cancel", args=[debate.pk]) in html


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_a_public_debate_is_read_only_for_everyone(owner: User, outsider: User, who: str) -> None:
    debate = run(make(owner, is_public=True))
    client = Client()
    if who == "outsider":
        client.force_login(outsider)
    for name in ("debate-live", "debate-replay"):
        response = client.get(reverse(name, args=[debate.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Read-only" in html
        assert "Cancel the debate" not in html
        assert embedded(html, "live-events")[-1]["type"] == "debate.completed"
    assert client.get(reverse("debate-rendered", args=[debate.pk])).status_code == 200
    cancel = client.post(reverse("debate-live-cancel", args=[debate.pk]))
    assert cancel.status_code == (302 if who == "anonymous" else 404)
    assert Debate.objects.get(pk=debate.pk).status == DebateStatus.COMPLETED


def test_replay_page_has_its_controls(owner: User, owner_client: Client) -> None:
    debate = run(make(owner))
    html = owner_client.get(reverse("debate-replay", args=[debate.pk])).content.decode()
    assert 'data-live-mode="replay"' in html
    for control in ("toggle", "back", "forward", "turn-back", "turn-forward", "speed", "seek"):
        assert f'data-replay="{control}"' in html
    assert f'max="{debate.last_seq}"' in html
    assert 'data-replay-jump="1"' in html
    assert 'data-replay-jump="2"' not in html


def test_cancel_form_stops_a_queued_debate_once(owner: User, owner_client: Client) -> None:
    debate = make(owner)
    url = reverse("debate-live-cancel", args=[debate.pk])
    response = owner_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("debate-live", args=[debate.pk])
    assert Debate.objects.get(pk=debate.pk).status == DebateStatus.CANCELLED
    again = owner_client.post(url, HTTP_REFERER=f"http://testserver{response['Location']}")
    assert again.status_code == 302
    page = owner_client.get(again["Location"]).content.decode()
    assert "already finished" in page


def test_cancel_form_of_a_running_debate_asks_the_pipeline_to_stop(
    owner: User, owner_client: Client
) -> None:
    debate = make(owner)
    Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.RUNNING)
    owner_client.post(reverse("debate-live-cancel", args=[debate.pk]))
    assert Debate.objects.get(pk=debate.pk).cancel_requested is True


def test_cancel_needs_a_post(owner: User, owner_client: Client) -> None:
    debate = make(owner)
    assert owner_client.get(reverse("debate-live-cancel", args=[debate.pk])).status_code == 405


def test_live_strings_are_translated_and_keep_their_placeholders(owner: User) -> None:
    debate = make(owner)
    client = Client()
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    html = client.get(reverse("debate-live", args=[debate.pk])).content.decode()
    strings = embedded(html, "live-strings")
    with translation.override("en"):
        english = live_strings()
    assert set(strings) == set(english)
    assert all(strings.values())
    assert strings["reconnecting"] != english["reconnecting"]
    assert "{seconds}" in strings["reconnecting"]
    assert '<html lang="tr">' in html
