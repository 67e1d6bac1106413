import pytest
from django.test import Client

from accounts.models import User
from debates.conformity import TurnPosition, conformity, majority
from debates.selectors import debate_conformity
from debates.tests.factories import make_debate, make_turn


def test_majority_needs_a_unique_most_common_position() -> None:
    assert majority(["for", "for", "against"]) == "for"
    assert majority(["for", "against"]) is None
    assert majority(["", ""]) is None


def test_changes_and_whether_they_followed_the_majority() -> None:
    turns = [
        TurnPosition("A", 0, "B", 0.6, ("x", "y")),
        TurnPosition("B", 0, "B", 0.7),
        TurnPosition("C", 0, "C", 0.5),
        TurnPosition("A", 1, "B", 0.8, ("x",)),  # kept
        TurnPosition("B", 1, "D"),  # changed, away from the majority
        TurnPosition("C", 1, "B"),  # changed to the majority (B)
        TurnPosition("C", 2, "C"),  # changed, round 1 had B x2: away
        TurnPosition("A", 2, ""),  # no position: left out
    ]
    result = conformity(turns)
    assert result.seats == ["A", "B", "C"]
    assert result.rounds == [0, 1, 2]
    a1, b1, c1 = (result.cell(s, 1) for s in "ABC")
    assert a1 is not None
    assert (a1.changed, a1.followed_majority) == (False, None)
    assert (a1.confidence_delta, a1.claims_kept) == (0.2, 1)
    assert b1 is not None
    assert (b1.changed, b1.followed_majority, b1.majority) == (True, False, "B")
    assert c1 is not None
    assert (c1.changed, c1.followed_majority) == (True, True)
    c2 = result.cell("C", 2)
    assert c2 is not None
    assert (c2.previous, c2.changed, c2.followed_majority) == ("B", True, False)
    assert result.cell("A", 2) is None
    assert (result.changes, result.changes_to_majority, result.comparable) == (3, 1, 4)
    assert [cell is None for cell in result.grid()[0][1]] == [False, False, True]


@pytest.mark.django_db
def test_debate_conformity_reads_the_stored_stances(owner: User) -> None:
    debate = make_debate(owner, rounds=1)
    seat_a, seat_b = debate.seats.all()
    make_turn(debate, seat=seat_a, round=0, stance="for")
    make_turn(debate, seat=seat_b, round=0, stance="for")
    make_turn(debate, seat=seat_a, round=1, stance="for")
    make_turn(debate, seat=seat_b, round=1, stance="against")
    result = debate_conformity(debate=debate)
    cell = result.cell("B", 1)
    assert cell is not None
    assert cell.changed
    assert cell.followed_majority is False
    assert result.changes == 1


@pytest.mark.django_db
def test_the_debate_page_shows_conformity(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner, rounds=1)
    seat_a, seat_b = debate.seats.all()
    make_turn(debate, seat=seat_a, round=0, stance="for")
    make_turn(debate, seat=seat_b, round=0, stance="against")
    make_turn(debate, seat=seat_a, round=1, stance="for")
    make_turn(debate, seat=seat_b, round=1, stance="mixed")
    body = owner_client.get(f"/debates/{debate.pk}/").content.decode()
    assert "data-conformity" in body
    assert "1 position change in 2 turns after the opening" in body
