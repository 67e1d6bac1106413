"""Leaderboard, methodology, model pages, hall of fame and public profiles: render, filter,
access (public vs team board), English and Turkish; plus the ratings admin."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Profile, User
from debates.models import Debate
from ratings.models import Board, ModelRating
from ratings.services import ratings_refit_all
from ratings.tests.factories import (
    PRAGMATIST,
    SAGE,
    SCOUT,
    SKEPTIC,
    judged_debate,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def boards(owner: User, outsider: User) -> dict[str, Debate]:
    """Public debates by the owner (sage wins a science one widely, ties an ethics one), a
    private one (only the owner's team board sees the pragmatist), rated."""
    debates = {
        "wide": judged_debate(
            user=owner,
            is_public=True,
            category="science",
            totals={SCOUT: [9.0, 3.0]},
            question="Is the universe expanding faster than we thought?",
        ),
        "close": judged_debate(
            user=owner,
            is_public=True,
            category="ethics",
            totals={SCOUT: [7.0, 6.5]},
            question="Should autonomous cars ever break traffic law?",
        ),
        "private": judged_debate(
            user=owner,
            seats=[(PRAGMATIST, "pragmatist"), (SKEPTIC, "skeptic")],
            question="Which vendor should our team pick for storage?",
        ),
        "other": judged_debate(
            user=outsider,
            is_public=True,
            totals={SCOUT: [6.0, 6.0]},
            question="Is remote work here to stay for good?",
        ),
    }
    ratings_refit_all()
    return debates


def html_of(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response
    return response.content.decode()


def turkish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    return client


def test_public_leaderboard_shows_ratings_with_intervals_to_everyone(
    anon_client: Client, boards: dict[str, Debate]
) -> None:
    html = html_of(anon_client, "/leaderboard/")
    assert "Demo Sage" in html
    assert "Demo Skeptic" in html
    assert "Demo Pragmatist" not in html  # only in a private debate
    sage = ModelRating.objects.get(board=Board.PUBLIC, category="", role="", llm_model__key=SAGE)
    assert f"{sage.ci_low:.0f}\u2013{sage.ci_high:.0f}" in html
    assert f'href="/models/{SAGE}/"' in html
    assert 'class="badge demo"' in html
    assert 'class="badge new"' in html  # three matches: under the threshold
    assert "My team" not in html
    assert "/leaderboard/methodology/" in html


def test_leaderboard_filters_by_category_role_and_minimum_matches(
    anon_client: Client, boards: dict[str, Debate]
) -> None:
    html = html_of(anon_client, "/leaderboard/?category=science")
    assert "Demo Sage" in html
    assert 'value="science" selected' in html
    html = html_of(anon_client, "/leaderboard/?category=business")
    assert "No ratings here yet" in html
    html = html_of(anon_client, "/leaderboard/?role=skeptic")
    assert "Demo Skeptic" in html
    assert "Demo Sage" not in html  # the sage only ever played the proponent
    html = html_of(anon_client, "/leaderboard/?min_matches=3")
    assert "Demo Sage" in html
    html = html_of(anon_client, "/leaderboard/?min_matches=4")
    assert "Demo Sage" not in html
    # Nonsense filters fall back to the whole board rather than failing.
    html = html_of(anon_client, "/leaderboard/?min_matches=lots&category=nope&board=x")
    assert "Demo Sage" in html


def test_signed_in_users_also_see_their_team_board(
    owner_client: Client, outsider_client: Client, boards: dict[str, Debate]
) -> None:
    html = html_of(owner_client, "/leaderboard/")
    assert "My team" in html
    html = html_of(owner_client, "/leaderboard/?board=team")
    assert "Demo Pragmatist" in html  # the private debate counts for its team
    assert "Private board of" in html
    html = html_of(outsider_client, "/leaderboard/?board=team")
    assert "Demo Pragmatist" not in html
    assert "Demo Sage" in html  # the outsider's own public debate is on its team board


def test_the_team_board_asks_anonymous_visitors_to_log_in(anon_client: Client) -> None:
    response = anon_client.get("/leaderboard/?board=team")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_leaderboard_and_methodology_in_turkish(
    anon_client: Client, boards: dict[str, Debate]
) -> None:
    html = html_of(turkish(anon_client), "/leaderboard/")
    assert "Sıralama tablosu" in html
    assert "Puan" in html
    html = html_of(anon_client, "/leaderboard/methodology/")
    assert "Bradley-Terry" in html
    assert "Puanlar nasıl hesaplanır" in html


def test_methodology_explains_the_statistics(anon_client: Client) -> None:
    html = html_of(anon_client, "/leaderboard/methodology/")
    for words in ("Borda", "Condorcet", "Bradley-Terry", "bootstrap", "95%", "LMArena"):
        assert words in html


def test_model_page_shows_rating_history_rubric_and_recent_debates(
    anon_client: Client, boards: dict[str, Debate]
) -> None:
    html = html_of(anon_client, f"/models/{SAGE}/")
    assert "Demo Sage" in html
    assert "<svg" in html
    assert "<polyline" in html
    assert "Average rubric scores" in html
    assert "Risk awareness" in html
    assert f'href="/d/{boards["wide"].pk}/"' in html
    assert f'href="/d/{boards["private"].pk}/"' not in html
    assert "Science and health" in html  # a per-category row
    assert "Proponent" in html  # a per-role row
    html = html_of(turkish(anon_client), f"/models/{SAGE}/")
    assert "Puan geçmişi" in html


def test_model_page_of_an_unrated_model_and_of_an_unknown_key(anon_client: Client) -> None:
    html = html_of(anon_client, "/models/openrouter:meta-llama/llama-3.3-70b-instruct/")
    assert "Not rated yet" in html
    html_of(anon_client, "/models/demo:nope/", status=404)


def test_hall_of_fame_orders_and_filters_public_debates(
    anon_client: Client, boards: dict[str, Debate]
) -> None:
    html = html_of(anon_client, "/hall-of-fame/")
    assert html.index(boards["wide"].question) < html.index(boards["close"].question)
    assert boards["private"].question not in html
    assert "won by Demo Sage" in html
    html = html_of(anon_client, "/hall-of-fame/?order=closest")
    # A shared first place (margin 0) is the closest call of all.
    assert html.index(boards["other"].question) < html.index(boards["close"].question)
    assert html.index(boards["close"].question) < html.index(boards["wide"].question)
    assert "shared first place" in html
    html = html_of(anon_client, "/hall-of-fame/?order=recent&category=ethics")
    assert boards["close"].question in html
    assert boards["wide"].question not in html
    html = html_of(anon_client, f"/hall-of-fame/?model={SAGE}&order=margin")
    assert boards["wide"].question in html
    html = html_of(turkish(anon_client), "/hall-of-fame/")
    assert "Şöhretler salonu" in html


def test_public_profile_lists_public_debates_counts_and_favourite_models(
    owner: User, anon_client: Client, boards: dict[str, Debate]
) -> None:
    Profile.objects.filter(user=owner).update(is_public=True, bio="I ask hard questions.")
    handle = owner.profile.handle
    html = html_of(anon_client, f"/u/{handle}/")
    assert "I ask hard questions." in html
    assert boards["wide"].question in html
    assert boards["close"].question in html
    assert boards["private"].question not in html
    assert boards["other"].question not in html
    assert "<dd>2</dd>" in html  # two listed debates
    assert "Favourite models" in html
    assert f'href="/models/{SAGE}/"' in html
    html = html_of(turkish(anon_client), f"/u/{handle}/")
    assert "Favori modeller" in html


def test_a_link_only_debate_is_on_no_public_page_but_opens_by_its_link(
    owner: User, anon_client: Client
) -> None:
    """A public link is reachable by the link only: no hall of fame, model page or profile
    lists it, even with the creator's profile public, until the creator lists it."""
    Profile.objects.filter(user=owner).update(is_public=True)
    link_only = judged_debate(
        user=owner, is_public=True, listed=False, question="Should we tell the board early?"
    )
    ratings_refit_all()
    pages = ("/hall-of-fame/", "/hall-of-fame/?order=recent", f"/models/{SAGE}/")
    for url in (*pages, f"/u/{owner.profile.handle}/"):
        assert link_only.question not in html_of(anon_client, url)
    assert link_only.question in html_of(anon_client, f"/d/{link_only.pk}/")
    Debate.objects.filter(pk=link_only.pk).update(listed_in_hall_of_fame=True)
    for url in pages:
        assert link_only.question in html_of(anon_client, url)


def test_a_private_profile_is_not_found(owner: User, anon_client: Client) -> None:
    html_of(anon_client, f"/u/{owner.profile.handle}/", status=404)
    html_of(anon_client, "/u/nobody-here/", status=404)


def test_admin_lists_ratings_and_refits_them(
    staff: User, owner: User, boards: dict[str, Debate]
) -> None:
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/ratings/modelrating/").status_code == 200
    assert client.get("/admin/ratings/pairwiseoutcome/").status_code == 200
    ModelRating.objects.all().delete()
    response = client.post(
        "/admin/debates/debate/",
        {"action": "refit_ratings", "_selected_action": [str(boards["wide"].pk)]},
    )
    assert response.status_code == 302
    assert ModelRating.objects.filter(board=Board.PUBLIC).exists()


def test_pages_link_to_each_other(anon_client: Client, boards: dict[str, Any]) -> None:
    html = html_of(anon_client, "/hall-of-fame/")
    assert "/leaderboard/" in html
    assert f'href="/d/{boards["wide"].pk}/"' in html


def test_history_chart_and_interval_bars_geometry(owner: User) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from debates.models import LLMModel
    from ratings.models import RatingSnapshot
    from ratings.views import history_chart, interval_bars

    model = LLMModel.objects.get(key=SAGE)
    now = timezone.now()
    snapshots = [
        RatingSnapshot(
            board=Board.PUBLIC,
            llm_model=model,
            rating=rating,
            ci_low=rating - 50,
            ci_high=rating + 50,
            rank=1,
            matches=n,
            created_at=now + timedelta(days=n),
        )
        for n, rating in enumerate([1000.0, 1040.0, 1020.0])
    ]
    chart = history_chart(snapshots, width=640, height=220)
    assert chart is not None
    points = [tuple(map(float, p.split(","))) for p in chart.line.split()]
    assert [x for x, _y in points] == [48.0, 338.0, 628.0]
    ys = [y for _x, y in points]
    assert ys[1] < ys[2] < ys[0]  # higher ratings are higher up
    assert len(chart.band.split()) == 6
    assert chart.y_ticks[0][1] == "950"
    assert chart.y_ticks[-1][1] == "1090"
    assert history_chart([]) is None
    single = history_chart(snapshots[:1])
    assert single is not None
    assert single.line.split(",")[0] == "338.0"  # a lone point sits in the middle

    rows = [
        ModelRating(rating=1000, ci_low=900, ci_high=1100),
        ModelRating(rating=1200, ci_low=1150, ci_high=1300),
    ]
    bars = interval_bars(rows)
    assert (bars[0].left, bars[0].width, bars[0].point) == (0.0, 50.0, 25.0)
    assert (bars[1].left, bars[1].width, bars[1].point) == (62.5, 37.5, 75.0)
    assert interval_bars([]) == []


def test_a_public_profile_shows_initials_never_the_avatar_url(
    owner: User, anon_client: Client
) -> None:
    """Viewing a profile must not make the visitor's browser fetch from another site."""
    Profile.objects.filter(user=owner).update(
        is_public=True, display_name="Ada Lovelace", avatar_url="https://tracker.example/a.png"
    )
    html = html_of(anon_client, f"/u/{owner.profile.handle}/")
    assert "tracker.example" not in html
    assert '<span class="avatar avatar-initials" aria-hidden="true">AL</span>' in html
