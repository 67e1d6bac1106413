"""Tidying debates: titles (cleaned, any script, bounded), deletion that keeps the numbers,
stars and the starred filter, and the per-seat view."""

import unicodedata
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import AuditEntry, MemberRole, Membership, Team, User
from accounts.tests.factories import make_user
from consultation.exceptions import Conflict, PermissionDenied, ValidationFailed
from debates.models import Debate, DebateStar, DebateStatus, Turn
from debates.services.retention import ANONYMISED_QUESTION
from debates.services.tidy import (
    MAX_TITLE,
    debate_delete,
    debate_rename,
    debate_star,
    title_clean,
)
from debates.services.votes import debate_vote
from debates.tests.factories import make_debate
from debates.tests.test_votes import finished
from ratings.models import HumanVote, PairwiseOutcome

# --- Titles ------------------------------------------------------------------------------------


@given(st.text(max_size=400))
def test_a_clean_title_is_trimmed_printable_and_stable(value: str) -> None:
    try:
        clean = title_clean(value)
    except ValidationFailed:
        return
    assert len(clean) <= MAX_TITLE
    assert clean == clean.strip()
    assert "  " not in clean
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in clean)
    assert "\n" not in clean
    assert title_clean(clean) == clean  # idempotent


@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=MAX_TITLE))
def test_letters_of_any_script_are_kept(value: str) -> None:
    assert title_clean(value) == unicodedata.normalize("NFC", value)


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("  Dört günlük\n hafta   ", "Dört günlük hafta"),
        ("Q3\u202eplan", "Q3plan"),  # a bidi override is dropped
        ("zero\u200bwidth", "zerowidth"),
        ("I\u0307stanbul", "İstanbul"),  # NFC: I + combining dot is one letter
        ("", ""),
    ],
)
def test_title_examples(value: str, clean: str) -> None:
    assert title_clean(value) == clean


def test_a_title_too_long_is_refused_with_its_length() -> None:
    with pytest.raises(ValidationFailed) as refused:
        title_clean("ş" * (MAX_TITLE + 1))
    assert "121" in refused.value.extra["fields"]["title"][0]
    assert title_clean("ş" * MAX_TITLE) == "ş" * MAX_TITLE


@pytest.mark.django_db
def test_renaming_shows_the_title_in_the_list_detail_and_live_pages(
    owner: User, owner_client: Client
) -> None:
    debate = make_debate(owner, status=DebateStatus.COMPLETED)
    response = owner_client.post(f"/debates/{debate.pk}/rename/", {"title": " Dört günlük hafta "})
    assert response.status_code == 302
    debate.refresh_from_db()
    assert debate.title == "Dört günlük hafta"
    assert debate.question.startswith("Should a 20")
    for url in ("/debates/", f"/debates/{debate.pk}/", f"/debates/{debate.pk}/live/"):
        html = owner_client.get(url).content.decode()
        assert "Dört günlük hafta" in html, url
        assert "Should a 20-person startup" in html, url
    entry = AuditEntry.objects.get(action="debate.renamed")
    assert entry.data == {"title_chars": 17, "previous_chars": 0}
    # The list's search finds a debate by its title too.
    assert "Dört günlük" in owner_client.get("/debates/?q=günlük").content.decode()
    owner_client.post(f"/debates/{debate.pk}/rename/", {"title": "  "})
    debate.refresh_from_db()
    assert debate.title == ""


@pytest.mark.django_db
def test_a_team_admin_may_rename_a_member_may_not(owner: User, team: Team, member: User) -> None:
    admin = make_user(email="admin@example.com")
    Membership.objects.create(team=team, user=admin, role=MemberRole.ADMIN)
    debate = make_debate(owner, team=team, status=DebateStatus.COMPLETED)
    assert debate_rename(actor=admin, debate=debate, title="Named by the admin").title
    with pytest.raises(PermissionDenied):
        debate_rename(actor=member, debate=debate, title="Mine now")


# --- Deletion ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_wipes_the_text_keeps_the_numbers_and_hides_the_debate(
    owner: User, owner_client: Client, outsider: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        debate = finished(owner, is_public=True)
        debate_vote(actor=outsider, debate=debate, choice="seat", seat=0)
    Debate.objects.filter(pk=debate.pk).update(title="Four days")
    DebateStar.objects.create(user=owner, debate=debate)
    outcomes = PairwiseOutcome.objects.filter(debate_id=debate.pk).count()
    assert outcomes == 3

    response = owner_client.post(f"/debates/{debate.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/debates/"
    debate.refresh_from_db()
    assert debate.deleted_at is not None
    assert debate.anonymised_at is not None
    assert debate.question == ANONYMISED_QUESTION
    assert debate.title == ""
    assert not debate.is_public
    assert not debate.listed_in_hall_of_fame
    assert set(Turn.objects.filter(debate=debate).values_list("content", flat=True)) == {""}
    assert debate.input_tokens == debate.input_tokens  # numbers stay as they were
    assert PairwiseOutcome.objects.filter(debate_id=debate.pk, is_public=True).count() == outcomes
    assert HumanVote.objects.filter(debate_id=debate.pk).count() == 1
    assert not DebateStar.objects.exists()
    assert AuditEntry.objects.filter(action="debate.deleted").count() == 1
    # Gone for everyone: the list, the page, the public link, the API.
    assert str(debate.pk) not in owner_client.get("/debates/").content.decode()
    assert owner_client.get(f"/debates/{debate.pk}/").status_code == 404
    assert Client().get(f"/d/{debate.pk}/").status_code == 404
    assert owner_client.get(f"/api/v1/debates/{debate.pk}/").status_code == 404


@pytest.mark.django_db
def test_only_the_creator_or_an_admin_deletes_and_never_a_running_debate(
    owner: User, team: Team, member: User
) -> None:
    debate = make_debate(owner, team=team, status=DebateStatus.COMPLETED)
    with pytest.raises(PermissionDenied):
        debate_delete(actor=member, debate=debate)
    running = make_debate(owner, team=team, status=DebateStatus.RUNNING)
    with pytest.raises(Conflict):
        debate_delete(actor=owner, debate=running)
    assert not Debate.objects.filter(deleted_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_delete_button_asks_first(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner, status=DebateStatus.COMPLETED)
    html = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert 'class="inline-form delete-form"' in html
    assert "data-confirm=" in html


# --- Stars -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_stars_are_per_person_and_filter_the_list(owner: User, owner_client: Client) -> None:
    starred = make_debate(owner, question="Which database should we pick for the new service?")
    other = make_debate(owner, question="Should the office move to a four-day week?")
    response = owner_client.post(
        f"/debates/{starred.pk}/star/", {"starred": "1", "next": "/debates/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/debates/"
    html = owner_client.get("/debates/?starred=on").content.decode()
    assert "Which database" in html
    assert "four-day week" not in html
    assert 'aria-pressed="true"' in html
    both = owner_client.get("/debates/").content.decode()
    assert "Which database" in both
    assert "four-day week" in both
    # htmx: the button comes back, flipped.
    fragment = owner_client.post(
        f"/debates/{other.pk}/star/", {"starred": "1"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Starred" in fragment
    assert fragment.lstrip().startswith("<form")
    debate_star(actor=owner, debate=other, starred=False)
    assert list(DebateStar.objects.values_list("debate_id", flat=True)) == [starred.pk]
    empty = owner_client.get("/debates/?starred=on&q=nothing-like-this").content.decode()
    assert "No debate matches these filters." in empty


@pytest.mark.django_db
def test_no_star_on_someone_elses_debate(owner: User, outsider_client: Client) -> None:
    debate = make_debate(owner)
    assert outsider_client.post(f"/debates/{debate.pk}/star/", {"starred": "1"}).status_code == 404
    assert not DebateStar.objects.exists()


# --- Per-seat view ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_seat_view_puts_each_seat_in_a_column_with_copy_buttons(
    owner: User, owner_client: Client
) -> None:
    debate = finished(owner)
    seat = debate.seats.get(position=1)
    Turn.objects.create(debate=debate, seat=seat, round=1, status="completed", content="B again")
    html = owner_client.get(f"/debates/{debate.pk}/seats/").content.decode()
    assert html.count('class="seat-column card"') == 3
    column_b = html.split('id="seat-col-1"')[1].split('class="seat-column card"')[0]
    assert "Opening of seat 1" in column_b
    assert "B again" in column_b
    assert 'data-copy-from="#seat-text-1"' in column_b
    assert "## Rebuttal 1\n\nB again" in column_b  # what the column's copy button copies
    assert "Demo Skeptic" in column_b  # the creator is never blinded
    assert "<script>" not in html.split("</header>", 1)[1].split("<footer")[0]
    detail = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert f"/debates/{debate.pk}/seats/" in detail


@pytest.mark.django_db
def test_the_seat_view_hides_the_models_from_a_reader_yet_to_vote(owner: User) -> None:
    debate = finished(owner, is_public=True)
    reader = make_user(email="reader@example.com")
    client = Client()
    client.force_login(reader)
    html = client.get(f"/debates/{debate.pk}/seats/").content.decode()
    assert "Demo Sage" not in html
    assert "Opening of seat 0" in html
    assert Client().get(f"/debates/{debate.pk}/seats/").status_code == 200  # public link
