"""The debates admin for staff: a read-only transcript inline, a read-only event log."""

import pytest
from django.test import Client

from accounts.models import User
from debates.models import DebateEvent, DebateStatus
from debates.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_the_event_log_has_no_add_change_or_delete(owner: User, staff_client: Client) -> None:
    debate = factories.make_debate(owner, status=DebateStatus.RUNNING)
    event = factories.make_event(debate.pk)
    listing = staff_client.get("/admin/debates/debateevent/").content.decode()
    assert "/admin/debates/debateevent/add/" not in listing
    assert staff_client.get("/admin/debates/debateevent/add/").status_code == 403
    change = staff_client.get(f"/admin/debates/debateevent/{event.pk}/change/")
    assert change.status_code == 200  # viewable
    assert 'name="_save"' not in change.content.decode()
    assert staff_client.post(f"/admin/debates/debateevent/{event.pk}/delete/").status_code == 403
    assert DebateEvent.objects.filter(pk=event.pk).exists()


def test_a_debate_page_shows_its_transcript_read_only(owner: User, staff_client: Client) -> None:
    debate = factories.make_debate(owner, status=DebateStatus.COMPLETED)
    factories.make_turn(debate, content="Four days, if support hours are covered.")
    body = staff_client.get(f"/admin/debates/debate/{debate.pk}/change/").content.decode()
    assert "Transcript" in body
    assert "Four days, if support hours are covered." in body
    assert 'name="turns-0-content"' not in body


def test_the_audit_log_filters_by_action_target_actor_and_date(staff_client: Client) -> None:
    body = staff_client.get("/admin/accounts/auditentry/").content.decode()
    for heading in ("By action", "By target type", "By actor", "By created at"):
        assert heading in body, heading
