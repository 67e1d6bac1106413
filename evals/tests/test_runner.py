"""The run: cancellation between questions, a quota reached half-way, the budget of
self-consistency, and metering of single calls."""

from typing import Any

import pytest

from accounts.models import Team, User
from billing.models import UsageRecord
from consultation.exceptions import QuotaExceeded
from debates.services.creation import SeatInput
from evals import runner
from evals.datasets import load_dataset, shipped_dataset_text
from evals.grading import AnswerType, Question
from evals.models import Arm, ArmResult, Evaluation, EvaluationStatus
from evals.runner import EvaluationRun, _plurality, evaluation_run
from evals.services import evaluation_cancel, evaluation_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pro_by_default")]

SEATS = [SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")]


def make_evaluation(owner: User, *, count: int = 3, **options: Any) -> Evaluation:
    questions = load_dataset(shipped_dataset_text("consultation-30"))
    # Numeric, choice and free questions: every grader, the judge included.
    first = {q.type: q for q in reversed(questions)}
    picked = [first[AnswerType.NUMERIC], first[AnswerType.CHOICE], first[AnswerType.FREE]][:count]
    return evaluation_create(
        user=owner,
        team=Team.objects.get(created_by=owner, is_personal=True),
        name="subset",
        questions=picked,
        seats=SEATS,
        rounds=1,
        run_in_worker=False,
        **options,
    )


def test_a_run_grades_every_arm_and_meters_single_calls(owner: User) -> None:
    evaluation = make_evaluation(owner, max_samples=4)
    assert evaluation.judge_model  # a free-text question needs one
    assert evaluation_run(evaluation_id=evaluation.pk) == EvaluationStatus.COMPLETED
    evaluation.refresh_from_db()
    assert evaluation.done_units == evaluation.total_units == 3 * 4
    results = ArmResult.objects.filter(evaluation=evaluation)
    assert {r.arm for r in results} == set(Arm)
    assert all(r.debate_id for r in results.filter(arm=Arm.PANEL))
    single = results.exclude(arm=Arm.PANEL)
    records = UsageRecord.objects.filter(debate_id__in=[r.pk for r in single])
    # Each single-call result is metered once; the free question's also carries its judge.
    assert {r.debate_id for r in records} == {r.pk for r in single}
    free_sc = single.get(arm=Arm.SELF_CONSISTENCY, question_index=2)
    assert set(records.filter(debate_id=free_sc.pk).values_list("model_key", flat=True)) >= {
        evaluation.best_member
    }
    assert evaluation.report["evaluation"]["status"] == EvaluationStatus.COMPLETED
    assert evaluation_run(evaluation_id=evaluation.pk) == "skipped"


def test_cancelling_stops_before_the_next_question(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation = make_evaluation(owner)
    asked = iter([False, True])
    monkeypatch.setattr(runner, "evaluation_cancel_requested", lambda **_: next(asked))
    assert evaluation_run(evaluation_id=evaluation.pk) == EvaluationStatus.CANCELLED
    evaluation.refresh_from_db()
    assert evaluation.report["evaluation"]["answered"] == 1
    assert evaluation.done_units == 3  # the debate and the two members of question 1
    assert not ArmResult.objects.filter(arm=Arm.SELF_CONSISTENCY).exists()


def test_a_cancelled_queued_evaluation_never_runs(owner: User) -> None:
    evaluation = make_evaluation(owner)
    evaluation_cancel(evaluation=evaluation, user=owner)
    assert evaluation_run(evaluation_id=evaluation.pk) == "skipped"
    assert not ArmResult.objects.exists()


def test_a_quota_reached_half_way_fails_with_what_was_answered(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation = make_evaluation(owner)
    calls = {"n": 0}

    def check(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise QuotaExceeded("You reached 20 of 20 debates this month.")

    monkeypatch.setattr(runner, "quota_check", check)
    assert evaluation_run(evaluation_id=evaluation.pk) == EvaluationStatus.FAILED
    evaluation.refresh_from_db()
    assert evaluation.failure_code == "quota_exceeded"
    assert evaluation.report["evaluation"]["answered"] == 1


def test_self_consistency_matches_the_debate_s_token_budget(owner: User) -> None:
    run = EvaluationRun(make_evaluation(owner, max_samples=5))
    run.debate_tokens = {0: 3000, 1: 100_000, 2: 0}
    assert run.samples_for(0, 1000) == 3
    assert run.samples_for(1, 1000) == 5  # capped
    assert run.samples_for(2, 1000) == 1  # no debate figures: one sample
    assert run.samples_for(0, 0) == 1


def test_plurality_breaks_ties_by_order() -> None:
    assert _plurality(["B", "A", "A", "B", "C"]) == "B"
    assert _plurality(["", "C", "C"]) == "C"
    assert _plurality(["", ""]) == ""


def test_a_question_that_cannot_be_a_debate_is_recorded_as_refused_on_every_arm(
    owner: User,
) -> None:
    questions = load_dataset(shipped_dataset_text("consultation-30"))
    too_long = Question(id="long", question="Why? " * 1200, answer="x", type=AnswerType.EXACT)
    evaluation = evaluation_create(
        user=owner,
        team=Team.objects.get(created_by=owner, is_personal=True),
        name="refusal",
        questions=[too_long, questions[1]],
        seats=SEATS,
        rounds=1,
        run_in_worker=False,
    )
    assert evaluation_run(evaluation_id=evaluation.pk) == EvaluationStatus.COMPLETED
    refused = ArmResult.objects.filter(evaluation=evaluation, question_index=0)
    assert refused.count() == 4
    assert set(refused.values_list("error_code", flat=True)) == {"validation_failed"}
    evaluation.refresh_from_db()
    assert evaluation.done_units == evaluation.total_units
