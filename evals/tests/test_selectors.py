from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Team, User
from evals.models import Evaluation, EvaluationStatus
from evals.selectors import evaluation_progress

pytestmark = pytest.mark.django_db


def test_progress_estimates_the_time_left_from_the_pace_so_far(owner: User) -> None:
    now = timezone.now()
    evaluation = Evaluation.objects.create(
        team=Team.objects.get(created_by=owner, is_personal=True),
        name="x",
        status=EvaluationStatus.RUNNING,
        started_at=now - timedelta(seconds=30),
        total_units=40,
        done_units=10,
    )
    progress = evaluation_progress(evaluation=evaluation, now=now)
    assert (progress.done, progress.total, progress.percent) == (10, 40, 25)
    assert progress.eta_s == pytest.approx(90.0)  # 3 s a unit, 30 units to go
    evaluation.status = EvaluationStatus.COMPLETED
    evaluation.finished_at = now
    assert evaluation_progress(evaluation=evaluation, now=now).eta_s is None
    evaluation.status, evaluation.done_units = EvaluationStatus.RUNNING, 0
    assert evaluation_progress(evaluation=evaluation, now=now).eta_s is None
