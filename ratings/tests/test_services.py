"""Results at finalization, pairwise outcomes (once), and the rating boards they feed."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from accounts.models import User
from accounts.tests.factories import make_team
from debates.models import (
    Debate,
    DebateStatus,
    Seat,
)
from debates.orchestration.engine import DebatePipeline
from debates.services.creation import SeatInput, debate_create
from debates.services.finalization import debate_finalize
from debates.services.running import debate_run
from debates.services.sharing import debate_set_public
from debates.tests.fakes import ScriptedProvider
from ratings.models import Board, ModelRating, PairwiseOutcome, RatingBoard, RatingSnapshot
from ratings.services import (
    outcomes_record,
    ratings_refit_all,
    ratings_update_for_debate,
)
from ratings.tasks import refit_ratings, update_ratings
from ratings.tests.factories import (
    PRAGMATIST,
    SAGE,
    SCOUT,
    SKEPTIC,
    judged_debate,
    personal_team,
)

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def board_rows(board: str, **scope: Any) -> dict[str, ModelRating]:
    rows = ModelRating.objects.filter(board=board, **scope).select_related("llm_model")
    return {row.llm_model.key: row for row in rows}


@pytest.fixture(autouse=True)
def _fast_pipeline(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0


def run_scripted_debate(owner: User, *, is_public: bool = False) -> Debate:
    debate = debate_create(
        user=owner,
        team=personal_team(owner),
        question="Should a 20-person startup adopt a four-day week?",
        seats=[
            SeatInput(SAGE, "proponent"),
            SeatInput(SKEPTIC, "skeptic"),
            SeatInput(PRAGMATIST, "pragmatist"),
        ],
        rounds=1,
        judges=[SCOUT],
        chair=SCOUT,
        is_public=is_public,
        run_in_worker=False,
    )

    async def no_sleep(_seconds: float) -> None:
        return None

    pipeline = DebatePipeline(
        providers=lambda _name: ScriptedProvider(), sleep=no_sleep, heartbeat_s=3600
    )
    assert async_to_sync(debate_run)(debate.pk, pipeline=pipeline) == DebateStatus.COMPLETED
    debate.refresh_from_db()
    return debate


def test_a_finished_debate_has_a_borda_scoreboard_and_results(owner: User) -> None:
    debate = run_scripted_debate(owner)

    # The scripted judge gives Seat A accuracy 8, Seat B 7, Seat C 6 (other criteria equal).
    rows = debate.scoreboard
    assert [row["label"] for row in rows] == ["Seat A", "Seat B", "Seat C"]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert [row["borda"] for row in rows] == [2.0, 1.0, 0.0]
    first = rows[0]
    assert set(first) >= {"seat", "label", "role", "model", "model_name", "mean", "judgments"}
    assert first["criteria"] == {
        "accuracy": 8.0,
        "reasoning": 7.0,
        "evidence": 6.0,
        "actionability": 7.0,
        "risk_awareness": 6.0,
    }
    assert first["mean"] == pytest.approx(6.8)
    results = debate.results
    assert results["method"] == "borda_condorcet"
    assert results["champion"]["label"] == "Seat A"
    assert results["champion"]["model"] == SAGE
    assert results["runner_up"]["label"] == "Seat B"
    assert results["margin"] == pytest.approx(0.2)
    assert debate.margin == pytest.approx(0.2)
    assert results["judges"] == 1
    completed = debate.events.get(type="debate.completed")
    assert completed.payload["results"] == results


def test_finalization_records_pairwise_outcomes_once(owner: User) -> None:
    debate = run_scripted_debate(owner)

    outcomes = PairwiseOutcome.objects.filter(debate_id=debate.pk).select_related(
        "model_a", "model_b"
    )
    assert sorted((o.model_a.key, o.model_b.key, o.outcome) for o in outcomes) == [
        (SAGE, PRAGMATIST, "a"),
        (SAGE, SKEPTIC, "a"),
        (SKEPTIC, PRAGMATIST, "a"),
    ]
    one = outcomes.get(model_a__key=SAGE, model_b__key=SKEPTIC)
    assert (one.role_a, one.role_b, one.category, one.judge_model.key) == (
        "proponent",
        "skeptic",
        "general",
        SCOUT,
    )
    # Finalizing again (a duplicate run) and recording again both write nothing.
    assert debate_finalize(debate_id=debate.pk, status=DebateStatus.COMPLETED) is False
    assert (
        outcomes_record(
            debate_id=debate.pk,
            team_id=debate.team_id,
            is_public=debate.is_public,
            category=debate.category,
            scores=[],
            seats=[],
        )
        == 0
    )
    assert PairwiseOutcome.objects.filter(debate_id=debate.pk).count() == 3


@pytest.mark.parametrize("status", [DebateStatus.FAILED, DebateStatus.CANCELLED])
def test_debates_without_an_answer_give_no_outcomes(owner: User, status: str) -> None:
    debate = judged_debate(user=owner, status=status)
    assert debate.results["champion"]["model"] == SAGE  # the result is still shown
    assert not PairwiseOutcome.objects.filter(debate_id=debate.pk).exists()


def test_same_model_pairs_are_skipped_and_ties_kept(owner: User) -> None:
    debate = judged_debate(
        user=owner,
        seats=[(SAGE, "proponent"), (SAGE, "skeptic"), (SKEPTIC, "pragmatist")],
        totals={SCOUT: [7.0, 7.0, 7.0]},
    )
    outcomes = list(PairwiseOutcome.objects.filter(debate_id=debate.pk))
    assert len(outcomes) == 2
    assert {o.outcome for o in outcomes} == {"tie"}
    assert debate.results["champion"] is None
    assert len(debate.results["tied"]) == 3
    assert debate.margin == 0.0


def test_each_judge_gives_its_own_outcomes(owner: User) -> None:
    debate = judged_debate(
        user=owner,
        seats=[(SAGE, "proponent"), (SKEPTIC, "skeptic"), (PRAGMATIST, "pragmatist")],
        totals={SCOUT: [8.0, 6.0, None], SAGE: [None, 5.0, 7.0]},
    )
    outcomes = PairwiseOutcome.objects.filter(debate_id=debate.pk).order_by("judge_model__key")
    assert [(o.judge_model.key, o.outcome) for o in outcomes] == [
        (SAGE, "b"),  # the sage judge did not score its own seat; pragmatist beat skeptic
        (SCOUT, "a"),
    ]


def test_ratings_are_updated_on_commit_of_finalization(
    owner: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_scripted_debate(owner, is_public=True)
    assert callbacks  # the update_ratings task was enqueued (and ran: immediate backend)

    public = board_rows(Board.PUBLIC, category="", role="")
    assert set(public) == {SAGE, SKEPTIC, PRAGMATIST}
    assert public[SAGE].rating > public[SKEPTIC].rating > public[PRAGMATIST].rating
    assert public[SAGE].wins == 2
    assert public[SAGE].matches == 2
    assert public[PRAGMATIST].losses == 2
    assert public[SAGE].ci_low <= public[SAGE].rating <= public[SAGE].ci_high
    team = board_rows(Board.TEAM, team=personal_team(owner), category="", role="")
    assert set(team) == {SAGE, SKEPTIC, PRAGMATIST}
    assert set(board_rows(Board.PUBLIC, category="general", role="")) == set(public)
    roles = ModelRating.objects.filter(board=Board.PUBLIC, category="").exclude(role="")
    assert sorted((r.llm_model.key, r.role) for r in roles) == sorted(
        [(SAGE, "proponent"), (SKEPTIC, "skeptic"), (PRAGMATIST, "pragmatist")]
    )
    record = RatingBoard.objects.get(key="public")
    assert (record.outcomes, record.debates) == (3, 1)
    assert RatingSnapshot.objects.filter(board=Board.PUBLIC).count() == 3


def test_private_debates_count_only_on_their_team_board(owner: User, outsider: User) -> None:
    private = judged_debate(user=owner)
    other = judged_debate(user=outsider, totals={SCOUT: [4.0, 9.0]}, is_public=True)
    ratings_update_for_debate(debate_id=private.pk)
    ratings_update_for_debate(debate_id=other.pk)

    public = board_rows(Board.PUBLIC, category="", role="")
    assert public[SKEPTIC].wins == 1  # only the outsider's public debate
    assert public[SKEPTIC].matches == 1
    mine = board_rows(Board.TEAM, team=personal_team(owner), category="", role="")
    assert mine[SAGE].wins == 1
    assert mine[SAGE].matches == 1  # the outsider's public debate is not on my team's board
    theirs = board_rows(Board.TEAM, team=personal_team(outsider), category="", role="")
    assert theirs[SKEPTIC].wins == 1


def test_a_shared_team_board_counts_every_debate_of_the_team(owner: User, member: User) -> None:
    team = make_team(owner=owner, name="Lab")
    judged_debate(user=owner, team=team)
    judged_debate(user=member, team=team, totals={SCOUT: [9.0, 3.0]})
    ratings_refit_all()
    rows = board_rows(Board.TEAM, team=team, category="", role="")
    assert rows[SAGE].wins == 2
    assert not board_rows(Board.PUBLIC)


def test_full_refit_drops_scopes_left_without_outcomes(owner: User) -> None:
    debate = judged_debate(user=owner, category="science", is_public=True)
    judged_debate(user=owner, category="ethics", is_public=True)
    assert ratings_refit_all() > 0
    assert board_rows(Board.PUBLIC, category="science", role="")
    # The science debate goes private: the hourly refit removes it from the public board.
    debate_set_public(actor=owner, debate=debate, public=False)
    ratings_refit_all()
    assert not board_rows(Board.PUBLIC, category="science", role="")
    assert board_rows(Board.PUBLIC, category="ethics", role="")
    assert board_rows(Board.PUBLIC, category="", role="")[SAGE].matches == 1
    assert board_rows(Board.TEAM, category="science", role="")  # still the team's


def test_a_refit_of_unchanged_data_changes_nothing_and_adds_no_snapshot(owner: User) -> None:
    for _ in range(3):
        judged_debate(user=owner, is_public=True)
    judged_debate(user=owner, is_public=True, totals={SCOUT: [5.0, 7.0]})
    ratings_refit_all()
    before = list(ModelRating.objects.values_list("llm_model", "rating", "ci_low", "ci_high"))
    snapshots = RatingSnapshot.objects.count()
    ratings_refit_all()
    after = list(ModelRating.objects.values_list("llm_model", "rating", "ci_low", "ci_high"))
    assert sorted(before) == sorted(after)
    assert RatingSnapshot.objects.count() == snapshots
    sage = board_rows(Board.PUBLIC, category="", role="")[SAGE]
    assert (sage.wins, sage.losses, sage.win_rate) == (3, 1, 0.75)


def test_incremental_updates_agree_with_a_full_refit(owner: User) -> None:
    debates = [
        judged_debate(user=owner, is_public=True, category="business"),
        judged_debate(user=owner, is_public=True, totals={SCOUT: [6.0, 6.0]}),
        judged_debate(
            user=owner,
            is_public=True,
            seats=[(SKEPTIC, "skeptic"), (PRAGMATIST, "pragmatist")],
            totals={SAGE: [7.0, 8.0]},
        ),
    ]
    for debate in debates:
        ratings_update_for_debate(debate_id=debate.pk)
    incremental = sorted(
        ModelRating.objects.values_list("board", "category", "role", "llm_model", "rating")
    )
    ratings_refit_all()
    full = sorted(
        ModelRating.objects.values_list("board", "category", "role", "llm_model", "rating")
    )
    assert incremental == full


def test_the_tasks_run_the_services(owner: User) -> None:
    debate = judged_debate(user=owner, is_public=True)
    result = update_ratings.enqueue(str(debate.pk))
    assert result.return_value > 0
    assert refit_ratings.enqueue().return_value > 0
    assert Seat.objects.filter(debate=debate).count() == 2
