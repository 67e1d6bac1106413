"""Who sees a debate: visibility changes reach the public board; listing on the hall of fame
is a choice of its own."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEntry, User
from consultation.exceptions import Conflict, PermissionDenied
from debates.models import Debate, DebateStatus
from debates.services.sharing import debate_set_listed, debate_set_public
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


# --- Listing on the hall of fame: a choice of its own (issue 9, item 3) ------------------------


def test_a_public_link_does_not_list_the_debate(owner: User) -> None:
    debate = debate_set_public(actor=owner, debate=make_debate(owner), public=True)
    debate.refresh_from_db()
    assert debate.is_public
    assert not debate.listed_in_hall_of_fame


def test_listing_needs_the_public_link_and_closing_the_link_unlists(owner: User) -> None:
    debate = make_debate(owner)
    with pytest.raises(Conflict):
        debate_set_listed(actor=owner, debate=debate, listed=True)
    debate_set_public(actor=owner, debate=debate, public=True)
    debate_set_listed(actor=owner, debate=debate, listed=True)
    debate.refresh_from_db()
    assert debate.listed_in_hall_of_fame
    debate_set_public(actor=owner, debate=debate, public=False)
    closed = Debate.objects.get(pk=debate.pk)
    assert not closed.is_public
    assert not closed.listed_in_hall_of_fame
    actions = list(
        AuditEntry.objects.filter(target_id=str(debate.pk))
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["debate.made_public", "debate.listed", "debate.made_private"]


def test_only_the_creator_lists_a_debate(owner: User, member: User, team: Any) -> None:
    debate = make_debate(owner, team=team, is_public=True)
    with pytest.raises(PermissionDenied):
        debate_set_listed(actor=member, debate=debate, listed=True)


def test_creating_a_listed_debate_opens_its_link(owner: User) -> None:
    debate = make_debate(owner, listed_in_hall_of_fame=True)
    assert debate.is_public
    assert debate.listed_in_hall_of_fame


def test_the_detail_page_shows_listing_as_its_own_choice(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    debate = make_debate(owner, is_public=True)
    html = client.get(f"/debates/{debate.pk}/").content.decode()
    assert "Not listed anywhere" in html
    assert f'action="/debates/{debate.pk}/listed/"' in html
    response = client.post(f"/debates/{debate.pk}/listed/", {"listed": "1"})
    assert response.status_code == 302
    debate.refresh_from_db()
    assert debate.listed_in_hall_of_fame
    assert "Listed on the hall of fame" in client.get(f"/debates/{debate.pk}/").content.decode()


def test_the_api_takes_and_shows_the_listing(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    body = {
        "question": "Should a 20-person startup adopt a four-day week?",
        "preset": "balanced-trio",
        "listed_in_hall_of_fame": True,
    }
    created = client.post("/api/v1/debates/", body, "application/json").json()
    detail = client.get(created["links"]["self"]).json()
    assert detail["is_public"] is True
    assert detail["listed_in_hall_of_fame"] is True
