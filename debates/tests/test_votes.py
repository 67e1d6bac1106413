"""Readers' votes on finished debates: who votes blind, the page while the models are hidden
and after, the public link, the API, the rate limit and the audit."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry, MemberRole, Membership, Team, User
from accounts.tests.factories import make_user
from apikeys.tests.factories import make_key
from consultation.exceptions import Conflict, RateLimited, ValidationFailed
from debates.models import Debate, DebateStatus, Seat, Turn, TurnStatus
from debates.services.votes import (
    VOTES_PER_MINUTE,
    debate_vote,
    debate_vote_reveal,
    vote_panel_for,
)
from ratings.models import HumanOutcome, HumanVote, ModelRating, RatingSource
from ratings.tests.factories import PRAGMATIST, SAGE, SKEPTIC, judged_debate

pytestmark = pytest.mark.django_db


def finished(owner: User, *, team: Team | None = None, **options: object) -> Debate:
    """A judged, finished debate of three seats, each of which spoke in the opening."""
    debate = judged_debate(
        user=owner,
        team=team,
        seats=((SAGE, "proponent"), (SKEPTIC, "skeptic"), (PRAGMATIST, "pragmatist")),
        totals={"demo:demo-scout": [8.0, 6.0, 5.0]},
        **options,  # type: ignore[arg-type]
    )
    for seat in Seat.objects.filter(debate=debate):
        Turn.objects.create(
            debate=debate,
            seat=seat,
            round=0,
            status=TurnStatus.COMPLETED,
            content=f"Opening of seat {seat.position}: a considered answer.",
        )
    return Debate.objects.prefetch_related("seats__llm_model", "turns").get(pk=debate.pk)


@pytest.fixture
def shared(owner: User, team: Team, member: User) -> Debate:
    debate = finished(owner, team=team)
    Debate.objects.filter(pk=debate.pk).update(shared_with_team=True)
    debate.shared_with_team = True
    return debate


def test_a_team_member_votes_blind_and_it_counts(
    shared: Debate, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    panel = vote_panel_for(debate=shared, user=member)
    assert panel is not None
    assert panel.blinded
    assert panel.would_count
    with django_capture_on_commit_callbacks(execute=True):
        vote, created = debate_vote(actor=member, debate=shared, choice="seat", seat=1)
    assert created
    assert vote.blind
    assert HumanOutcome.objects.filter(vote=vote).count() == 2
    rows = ModelRating.objects.filter(source=RatingSource.HUMANS, category="", role="")
    assert {r.llm_model.key: r.wins for r in rows.filter(board="team")} == {
        SKEPTIC: 2,
        SAGE: 0,
        PRAGMATIST: 0,
    }
    entry = AuditEntry.objects.get(action="debate.voted")
    assert entry.actor == member
    assert entry.data["blind"] is True
    assert entry.data["seat"] == 1


def test_a_changed_vote_is_informed_and_leaves_the_board(shared: Debate, member: User) -> None:
    debate_vote(actor=member, debate=shared, choice="seat", seat=1)
    panel = vote_panel_for(debate=shared, user=member)
    assert panel is not None
    assert not panel.blinded
    assert panel.voted_label == "Seat B"
    vote, created = debate_vote(actor=member, debate=shared, choice="all_bad")
    assert not created
    assert not vote.blind
    assert vote.seat is None
    assert HumanVote.objects.count() == 1
    assert not HumanOutcome.objects.exists()
    assert AuditEntry.objects.get(action="debate.vote_changed").data["previous"] == ["seat", 1]


def test_the_creator_and_a_reader_who_revealed_do_not_vote_blind(
    shared: Debate, owner: User, member: User
) -> None:
    assert vote_panel_for(debate=shared, user=owner).is_creator  # type: ignore[union-attr]
    assert not debate_vote(actor=owner, debate=shared, choice="tie")[0].blind
    debate_vote_reveal(actor=member, debate_id=shared.pk)
    panel = vote_panel_for(debate=shared, user=member)
    assert panel is not None
    assert not panel.blinded
    assert not debate_vote(actor=member, debate=shared, choice="tie")[0].blind
    assert not HumanOutcome.objects.exists()


def test_only_finished_debates_with_an_answer_take_votes(owner: User, member: User) -> None:
    debate = finished(owner, status=DebateStatus.FAILED)
    assert vote_panel_for(debate=debate, user=member) is None
    with pytest.raises(Conflict):
        debate_vote(actor=member, debate=debate, choice="tie")


def test_a_vote_must_name_a_seat_that_spoke(shared: Debate, member: User) -> None:
    Turn.objects.filter(debate=shared, seat__position=2).update(status=TurnStatus.FAILED)
    debate = Debate.objects.prefetch_related("seats", "turns").get(pk=shared.pk)
    for choice, seat in (("seat", 2), ("seat", None), ("best", None)):
        with pytest.raises(ValidationFailed):
            debate_vote(actor=member, debate=debate, choice=choice, seat=seat)
    assert not HumanVote.objects.exists()


def test_votes_are_rate_limited_per_person(owner: User, member: User, team: Team) -> None:
    debate = finished(owner, team=team)
    for _ in range(VOTES_PER_MINUTE):
        debate_vote(actor=member, debate=debate, choice="tie")
    with pytest.raises(RateLimited) as refused:
        debate_vote(actor=member, debate=debate, choice="all_bad")
    assert refused.value.extra["limit"] == VOTES_PER_MINUTE
    assert HumanVote.objects.get().choice == "tie"


# --- The pages -------------------------------------------------------------------------------


def test_the_page_hides_the_models_and_scores_until_the_vote(
    shared: Debate, member_client: Client
) -> None:
    url = f"/debates/{shared.pk}/"
    html = member_client.get(url).content.decode()
    assert 'id="vote"' in html
    assert "Demo Sage" not in html
    assert "Demo Skeptic" not in html
    assert 'id="scoreboard-title"' not in html
    response = member_client.post(f"/debates/{shared.pk}/vote/", {"choice": "seat:A", "next": url})
    assert response.status_code == 302
    assert response["Location"] == f"{url}#vote"
    html = member_client.get(url).content.decode()
    assert "Demo Sage" in html
    assert 'id="scoreboard-title"' in html
    assert "Your vote: <strong>Seat A</strong>" in html
    assert "It counts on the readers" in html


def test_skip_and_reveal_shows_the_models(shared: Debate, member_client: Client) -> None:
    member_client.post(f"/debates/{shared.pk}/reveal/")
    html = member_client.get(f"/debates/{shared.pk}/").content.decode()
    assert "Demo Sage" in html
    assert "not counted on the readers" in html


def test_the_live_page_counts_as_a_reveal(shared: Debate, member_client: Client) -> None:
    assert member_client.get(f"/debates/{shared.pk}/live/").status_code == 200
    html = member_client.get(f"/debates/{shared.pk}/").content.decode()
    assert "Demo Sage" in html


def test_a_signed_in_reader_votes_through_the_public_link(
    owner: User, outsider: User, django_capture_on_commit_callbacks: Any
) -> None:
    debate = finished(owner, is_public=True)
    client = Client()
    client.force_login(outsider)
    page = client.get(f"/d/{debate.pk}/").content.decode()
    assert 'id="vote"' in page
    assert "Demo Sage" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/debates/{debate.pk}/vote/", {"choice": "tie", "next": f"/d/{debate.pk}/"})
    vote = HumanVote.objects.get(voter=outsider)
    assert vote.blind
    assert vote.is_public
    public = ModelRating.objects.filter(source=RatingSource.HUMANS, board="public", category="")
    assert public.filter(role="").count() == 3
    # Anonymous readers see no vote box at all.
    assert 'id="vote"' not in Client().get(f"/d/{debate.pk}/").content.decode()


def test_a_stranger_cannot_vote_on_a_private_debate(owner: User, outsider_client: Client) -> None:
    debate = finished(owner)
    assert outsider_client.post(f"/debates/{debate.pk}/vote/", {"choice": "tie"}).status_code == 404
    assert not HumanVote.objects.exists()


def test_the_leaderboard_shows_the_readers_board(
    owner: User, outsider: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        debate = finished(owner, is_public=True)
    with django_capture_on_commit_callbacks(execute=True):
        debate_vote(actor=outsider, debate=debate, choice="seat", seat=2)
    html = Client().get("/leaderboard/?source=humans").content.decode()
    assert 'aria-selected="true">Readers' in html
    readers = html.split("<tbody>")[1]
    assert readers.index("Demo Pragmatist") < readers.index("Demo Sage")
    assert "Do judges and readers agree?" in html
    judges = Client().get("/leaderboard/").content.decode().split("<tbody>")[1]
    assert judges.index("Demo Sage") < judges.index("Demo Pragmatist")


# --- The API ---------------------------------------------------------------------------------


def test_the_api_records_a_vote_once_and_changes_it(shared: Debate, member: User) -> None:
    client = Client()
    client.force_login(member)
    url = f"/api/v1/debates/{shared.pk}/vote/"
    first = client.post(url, {"choice": "seat", "seat": "b", "blind": True}, "application/json")
    assert first.status_code == 201
    assert first.json() | {"created_at": "", "updated_at": ""} == {
        "debate": str(shared.pk),
        "choice": "seat",
        "seat": "B",
        "blind": True,
        "created_at": "",
        "updated_at": "",
    }
    again = client.post(url, {"choice": "tie"}, "application/json")
    assert again.status_code == 200
    assert again.json()["blind"] is False
    bad = client.post(url, {"choice": "seat", "seat": "Z"}, "application/json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_failed"


def test_an_api_key_needs_the_write_scope_to_vote(owner: User, team: Team) -> None:
    voter = make_user(email="voter@example.com")
    Membership.objects.create(team=team, user=voter, role=MemberRole.ADMIN)
    debate = finished(owner, team=team)
    Debate.objects.filter(pk=debate.pk).update(shared_with_team=True)
    url = f"/api/v1/debates/{debate.pk}/vote/"
    read_only = make_key(actor=voter, team=team, scopes=["debates:read"]).key
    response = Client(headers={"Authorization": f"Bearer {read_only}"}).post(
        url, {"choice": "tie"}, "application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    writer = make_key(actor=voter, team=team, scopes=["debates:write"]).key
    response = Client(headers={"Authorization": f"Bearer {writer}"}).post(
        url, {"choice": "tie"}, "application/json"
    )
    assert response.status_code == 201
    assert response.json()["blind"] is False
    assert HumanVote.objects.get().voter == voter
