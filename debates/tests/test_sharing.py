"""Visibility changes of a finished debate reach the public board."""

from typing import Any

import pytest

from accounts.models import Team, User
from debates.models import Debate, DebateStatus
from debates.services.creation import SeatInput, debate_create
from debates.services.sharing import debate_set_public

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded_tasks(settings: Any) -> Any:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    return default_task_backend


def make(owner: User, status: str) -> Debate:
    debate = debate_create(
        user=owner,
        team=Team.objects.get(created_by=owner, is_personal=True),
        question="Should a 20-person startup adopt a four-day week?",
        seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")],
        run_in_worker=False,
    )
    Debate.objects.filter(pk=debate.pk).update(status=status)
    debate.refresh_from_db()
    return debate


@pytest.mark.parametrize("public", [True, False])
def test_publishing_a_finished_debate_refits_its_ratings(
    owner: User, recorded_tasks: Any, django_capture_on_commit_callbacks: Any, public: bool
) -> None:
    debate = make(owner, DebateStatus.COMPLETED)
    if not public:
        Debate.objects.filter(pk=debate.pk).update(is_public=True)
        debate.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        debate_set_public(actor=owner, debate=debate, public=public)
    assert [(r.task.name, list(r.args)) for r in recorded_tasks.results] == [
        ("update_ratings", [str(debate.pk)])
    ]


def test_a_running_debate_or_no_change_refits_nothing(
    owner: User, recorded_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    running = make(owner, DebateStatus.RUNNING)
    finished = make(owner, DebateStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        debate_set_public(actor=owner, debate=running, public=True)
        debate_set_public(actor=owner, debate=finished, public=False)  # already private
    assert recorded_tasks.results == []
