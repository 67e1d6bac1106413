"""Readers' votes in the ratings app: the outcomes a vote gives, the readers' board fitted by
the judges' code on a known dataset, the two boards never mixed, and their agreement."""

from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Team, User
from debates.models import LLMModel
from ratings import maths
from ratings.models import (
    Board,
    HumanOutcome,
    HumanVote,
    ModelRating,
    PairwiseOutcome,
    RatingBoard,
    RatingSource,
)
from ratings.selectors import board_agreement, leaderboard_get
from ratings.services import (
    RatedSeat,
    VoteTarget,
    outcomes_set_public,
    ratings_refit_all,
    ratings_update_for_debate,
    vote_record,
)
from ratings.tests.factories import PRAGMATIST, SAGE, SKEPTIC, judged_debate, personal_team

INFOS = {
    0: maths.SeatInfo(seat=0, position=0, model="x", role="proponent"),
    1: maths.SeatInfo(seat=1, position=1, model="y", role="skeptic"),
    2: maths.SeatInfo(seat=2, position=2, model="z", role="pragmatist"),
}


# --- Pure maths ------------------------------------------------------------------------------


def test_a_seat_vote_beats_each_other_seat_and_says_nothing_of_the_rest() -> None:
    outcomes = maths.vote_outcomes("seat", 1, INFOS)
    assert [(o.seat_a, o.seat_b, o.outcome) for o in outcomes] == [(0, 1, "b"), (1, 2, "a")]


@pytest.mark.parametrize("choice", ["tie", "all_bad"])
def test_tie_and_all_bad_tie_every_pair(choice: str) -> None:
    outcomes = maths.vote_outcomes(choice, None, INFOS)
    assert [(o.seat_a, o.seat_b, o.outcome) for o in outcomes] == [
        (0, 1, "tie"),
        (0, 2, "tie"),
        (1, 2, "tie"),
    ]


def test_seats_of_the_same_model_never_play_each_other() -> None:
    same = {**INFOS, 2: maths.SeatInfo(seat=2, position=2, model="x", role="pragmatist")}
    assert [(o.seat_a, o.seat_b) for o in maths.vote_outcomes("seat", 0, same)] == [(0, 1)]
    assert [(o.seat_a, o.seat_b) for o in maths.vote_outcomes("tie", None, same)] == [
        (0, 1),
        (1, 2),
    ]


def test_a_vote_for_a_seat_off_the_panel_is_refused() -> None:
    with pytest.raises(ValueError, match="not on the panel"):
        maths.vote_outcomes("seat", 7, INFOS)


def test_wilson_interval_known_values() -> None:
    # Wilson (1927), as tabulated by Newcombe (1998): 8 of 10 -> 0.490 to 0.943.
    low, high = maths.wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert maths.wilson_interval(0, 0) == (0.0, 1.0)
    low, high = maths.wilson_interval(0, 5)
    assert low == 0.0
    assert 0.4 < high < 0.5


@given(
    st.integers(min_value=1, max_value=500).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n))
    )
)
def test_wilson_interval_holds_the_proportion(case: tuple[int, int]) -> None:
    trials, successes = case
    low, high = maths.wilson_interval(successes, trials)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_rank_agreement_counts_pairs_ordered_alike() -> None:
    judges = {"a": 1100.0, "b": 1000.0, "c": 900.0}
    readers = {"a": 1050.0, "b": 950.0, "c": 1000.0, "d": 1.0}  # d: on one board only
    result = maths.rank_agreement(judges, readers)
    # a>b agree, a>c agree, b>c disagree.
    assert (result.pairs, result.agree) == (3, 2)
    assert result.fraction == pytest.approx(2 / 3)
    assert result.low is not None
    assert result.high is not None
    assert result.low < 2 / 3 < result.high
    level = maths.rank_agreement({"a": 1.0, "b": 1.0}, {"a": 2.0, "b": 1.0})
    assert (level.pairs, level.fraction) == (0, None)


# --- The readers' board ----------------------------------------------------------------------


def _target(
    team: Team, models: tuple[str, ...], *, is_public: bool = False, category: str = "general"
) -> VoteTarget:
    catalog = {m.key: m.pk for m in LLMModel.objects.filter(key__in=models)}
    return VoteTarget(
        debate_id=uuid4(),
        team_id=team.pk,
        is_public=is_public,
        category=category,
        seats=[
            RatedSeat(position=i, model_id=catalog[key], role="proponent")
            for i, key in enumerate(models)
        ],
    )


# The known dataset: three-seat debates (sage, skeptic, pragmatist) and who readers chose.
# Sage is voted best 6 times, skeptic 3 times, pragmatist once; two debates end in a tie.
KNOWN_VOTES = [0] * 6 + [1] * 3 + [2] + [None, None]


def _vote_known_dataset(user: User, team: Team, *, is_public: bool = False) -> list[UUID]:
    debates = []
    for best in KNOWN_VOTES:
        target = _target(team, (SAGE, SKEPTIC, PRAGMATIST), is_public=is_public)
        vote_record(
            target=target,
            voter_id=user.pk,
            choice="seat" if best is not None else "tie",
            seat=best,
            blind=True,
        )
        debates.append(target.debate_id)
    return debates


@pytest.mark.django_db
def test_the_readers_board_is_fitted_by_the_judges_code_on_a_known_dataset(owner: User) -> None:
    team = personal_team(owner)
    debates = _vote_known_dataset(owner, team)
    ratings_update_for_debate(debate_id=debates[0], source=RatingSource.HUMANS)
    board = leaderboard_get(board=Board.TEAM, team=team, source=RatingSource.HUMANS)
    assert [row.llm_model.key for row in board.rows] == [SAGE, SKEPTIC, PRAGMATIST]
    by_key = {row.llm_model.key: row for row in board.rows}
    # Sage: 6 wins over each of the two others (12), lost 3 to skeptic and 1 to pragmatist,
    # and tied both others in 2 debates (4 ties): 20 matches.
    assert (by_key[SAGE].wins, by_key[SAGE].losses, by_key[SAGE].ties) == (12, 4, 4)
    assert by_key[PRAGMATIST].wins == 2
    assert by_key[PRAGMATIST].losses == 9
    assert sum(row.rating for row in board.rows) == pytest.approx(3000.0, abs=0.05)

    # The same outcomes written as the judges' give the very same ratings: one code path.
    models = {m.key: m for m in LLMModel.objects.all()}
    PairwiseOutcome.objects.bulk_create(
        PairwiseOutcome(
            debate_id=outcome.debate_id,
            team=team,
            judge_model=models["demo:demo-scout"],
            seat_a=outcome.seat_a,
            seat_b=outcome.seat_b,
            model_a_id=outcome.model_a_id,
            model_b_id=outcome.model_b_id,
            outcome=outcome.outcome,
            category=outcome.category,
            role_a=outcome.role_a,
            role_b=outcome.role_b,
        )
        for outcome in HumanOutcome.objects.all()
    )
    ratings_update_for_debate(debate_id=debates[0])
    judges = leaderboard_get(board=Board.TEAM, team=team)
    assert [(r.llm_model_id, r.rating, r.ci_low, r.ci_high, r.rank) for r in judges.rows] == [
        (r.llm_model_id, r.rating, r.ci_low, r.ci_high, r.rank) for r in board.rows
    ]

    # And it is what the pure maths gives for those rows, strengths included: sage's is the
    # largest, and the fitted win chance sage-over-pragmatist is high.
    theta = {row.llm_model.key: (row.rating - 1000) / maths.SCALE for row in board.rows}
    assert theta[SAGE] > theta[SKEPTIC] > theta[PRAGMATIST]
    p_sage_beats_pragmatist = 1 / (1 + 2.718281828 ** (theta[PRAGMATIST] - theta[SAGE]))
    assert p_sage_beats_pragmatist > 0.75


@pytest.mark.django_db
def test_votes_never_reach_the_judges_board_and_judges_never_the_readers(owner: User) -> None:
    team = personal_team(owner)
    judged_debate(user=owner)  # the judges' board: sage beats skeptic
    _vote_known_dataset(owner, team)
    ratings_refit_all()
    judges = ModelRating.objects.filter(source=RatingSource.JUDGES, board=Board.TEAM, category="")
    readers = ModelRating.objects.filter(source=RatingSource.HUMANS, board=Board.TEAM, category="")
    assert {r.llm_model.key: r.matches for r in judges} == {SAGE: 1, SKEPTIC: 1}
    assert {r.llm_model.key: r.matches for r in readers} == {SAGE: 20, SKEPTIC: 17, PRAGMATIST: 15}
    keys = set(RatingBoard.objects.values_list("key", flat=True))
    assert {f"team:{team.pk}", f"humans:team:{team.pk}", "public", "humans:public"} <= keys


@pytest.mark.django_db
def test_an_informed_vote_is_kept_but_gives_no_outcome(owner: User) -> None:
    target = _target(personal_team(owner), (SAGE, SKEPTIC))
    vote, created = vote_record(target=target, voter_id=owner.pk, choice="seat", seat=0, blind=True)
    assert created
    assert vote.outcomes.count() == 1
    vote, created = vote_record(
        target=target, voter_id=owner.pk, choice="tie", seat=None, blind=False
    )
    assert not created
    assert HumanVote.objects.get().choice == "tie"
    assert HumanOutcome.objects.count() == 0
    assert not ModelRating.objects.filter(source=RatingSource.HUMANS).exists()


@pytest.mark.django_db
def test_a_bad_vote_is_refused(owner: User) -> None:
    target = _target(personal_team(owner), (SAGE, SKEPTIC))
    for choice, seat in (("seat", None), ("tie", 0), ("seat", 5), ("best", None)):
        with pytest.raises(ValueError, match="vote"):
            vote_record(target=target, voter_id=owner.pk, choice=choice, seat=seat, blind=True)
    assert not HumanVote.objects.exists()


@pytest.mark.django_db
def test_publishing_moves_the_votes_onto_the_public_readers_board(owner: User) -> None:
    team = personal_team(owner)
    debates = _vote_known_dataset(owner, team)
    for debate_id in debates:
        outcomes_set_public(debate_id=debate_id, is_public=True)
    ratings_refit_all()
    public = leaderboard_get(board=Board.PUBLIC, team=None, source=RatingSource.HUMANS)
    assert [row.llm_model.key for row in public.rows] == [SAGE, SKEPTIC, PRAGMATIST]
    assert public.debates == len(KNOWN_VOTES)
    assert leaderboard_get(board=Board.PUBLIC, team=None).rows == []


@pytest.mark.django_db
def test_agreement_per_category_compares_the_two_boards(owner: User) -> None:
    team = personal_team(owner)
    # Judges: sage > skeptic > pragmatist in one three-seat debate.
    judged_debate(
        user=owner,
        seats=((SAGE, "proponent"), (SKEPTIC, "skeptic"), (PRAGMATIST, "pragmatist")),
        totals={"demo:demo-scout": [9.0, 7.0, 5.0]},
    )
    _vote_known_dataset(owner, team)  # readers: the same order
    ratings_refit_all()
    rows = board_agreement(board=Board.TEAM, team=team)
    assert [row.category for row in rows] == ["", "general"]
    overall = rows[0].agreement
    assert (overall.pairs, overall.agree, overall.fraction) == (3, 3, 1.0)
    assert overall.low is not None
    assert 0.3 < overall.low < 0.5
    assert overall.high == 1.0
    assert board_agreement(board=Board.PUBLIC, team=None) == []
