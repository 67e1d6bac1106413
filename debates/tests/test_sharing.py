"""Visibility changes of a finished debate reach the public board."""

from typing import Any

import pytest

from accounts.models import User
from debates.models import Debate, DebateStatus
from debates.services.sharing import debate_set_public
from debates.tests.factories import make_debate

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded_tasks(settings: Any) -> Any:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    return default_task_backend


@pytest.mark.parametrize("public", [True, False])
def test_publishing_a_finished_debate_refits_its_ratings(
    owner: User, recorded_tasks: Any, django_capture_on_commit_callbacks: Any, public: bool
) -> None:
    debate = make_debate(owner, status=DebateStatus.COMPLETED)
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
    running = make_debate(owner, status=DebateStatus.RUNNING)
    finished = make_debate(owner, status=DebateStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        debate_set_public(actor=owner, debate=running, public=True)
        debate_set_public(actor=owner, debate=finished, public=False)  # already private
    assert recorded_tasks.results == []
