"""The scoreboard never shows a rank a reader would call wrong: the page, the live view's frame,
the Markdown export and the API show the Borda points the rank comes from, say the method in
one line and link to the methodology page. The case from issue 8: a judge skips its own
model's seat, so Seat C ranks above Seat A with a lower mean score."""

import re

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import User
from debates.models import Debate, DebateStatus
from debates.tests.factories import make_debate

pytestmark = pytest.mark.django_db

ROWS = [
    {"seat": 1, "label": "Seat B", "role": "skeptic", "model": "demo:demo-skeptic",
     "model_name": "Demo Skeptic", "mean": 7.4, "judgments": 2, "status": "completed",
     "rank": 1, "borda": 1.75, "criteria": {}},
    {"seat": 2, "label": "Seat C", "role": "pragmatist", "model": "demo:demo-pragmatist",
     "model_name": "Demo Pragmatist", "mean": 6.6, "judgments": 1, "status": "completed",
     "rank": 2, "borda": 1.0, "criteria": {}},
    {"seat": 0, "label": "Seat A", "role": "proponent", "model": "demo:demo-sage",
     "model_name": "Demo Sage", "mean": 6.9, "judgments": 2, "status": "completed",
     "rank": 3, "borda": 0.25, "criteria": {}},
]  # fmt: skip


@pytest.fixture
def ranked(owner: User) -> Debate:
    debate = make_debate(owner, status=DebateStatus.COMPLETED)
    Debate.objects.filter(pk=debate.pk).update(scoreboard=ROWS)
    debate.refresh_from_db()
    return debate


def _rows(html: str) -> list[list[str]]:
    table = html[html.index('class="table scoreboard"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    return [re.sub(r"<[^>]+>", " ", row).split() for row in rows]


def test_the_page_shows_the_borda_points_beside_each_rank(
    ranked: Debate, owner_client: Client
) -> None:
    html = owner_client.get(f"/debates/{ranked.pk}/").content.decode()
    assert "Borda points" in html
    rows = _rows(html)
    # Rank, seat, ..., the rank's basis, the mean: the basis decreases with the rank.
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert [row[-4] for row in rows] == ["1.75", "1.00", "0.25"]
    assert "data-ranking-note" in html
    assert "Ranked by Borda points, not by mean score" in html
    assert 'href="/leaderboard/methodology/#debate-result"' in html


def test_the_live_frame_explains_the_method(ranked: Debate, owner_client: Client) -> None:
    html = owner_client.get(f"/debates/{ranked.pk}/live/").content.decode()
    assert "Borda points" in html
    assert 'href="/leaderboard/methodology/#debate-result"' in html


def test_the_export_shows_the_basis_and_the_method(ranked: Debate, owner_client: Client) -> None:
    text = owner_client.get(f"/debates/{ranked.pk}/export.md").content.decode()
    assert "| Rank | Seat | Role | Model | Borda points | Mean score |" in text
    assert "| 2 | Seat C | Pragmatist / architect | Demo Pragmatist | 1.00 | 6.6 |" in text
    assert "Ranked by Borda points, not by mean score" in text
    assert "/leaderboard/methodology/#debate-result" in text


def test_the_export_in_turkish_says_koltuk_and_writes_decimal_commas(
    ranked: Debate, owner_client: Client
) -> None:
    with translation.override("tr"):
        text = owner_client.get(
            f"/debates/{ranked.pk}/export.md", headers={"accept-language": "tr"}
        ).content.decode()
    owner_client.cookies.clear()
    assert "Koltuk C" in text
    assert "Seat C" not in text
    assert "| 6,6 |" in text
    assert "1,00" in text


def test_the_api_names_the_basis_of_the_rank(ranked: Debate, owner_client: Client) -> None:
    body = owner_client.get(f"/api/v1/debates/{ranked.pk}/").json()
    assert [row["borda"] for row in body["scoreboard"]] == [1.75, 1.0, 0.25]
    assert body["ranking"]["basis"] == "borda"
    assert body["ranking"]["method"] == "borda_condorcet"
    assert body["ranking"]["methodology_url"] == "/leaderboard/methodology/#debate-result"
    assert "Borda" in body["ranking"]["explanation"]


def test_the_page_writes_numbers_as_the_language_does(ranked: Debate, owner_client: Client) -> None:
    Debate.objects.filter(pk=ranked.pk).update(input_tokens=12345)
    owner_client.cookies["consultation_language"] = "tr"
    html = owner_client.get(f"/debates/{ranked.pk}/").content.decode()
    assert "12.345" in html  # grouped as Turkish writes it, as the export does
    assert "6,6" in html
    assert "1,75" in html
    assert "Koltuk C" in html
