"""A queued debate says where it stands and about when it starts (issue 8): the estimate
comes from how long the team's debates take, slot by slot of the plan's concurrency."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from debates.models import Debate, DebateStatus
from debates.selectors import DEFAULT_DEBATE_SECONDS, debate_queue_place, queue_wait_seconds
from debates.tests.factories import make_debate


def test_the_wait_runs_slot_by_slot() -> None:
    # One slot, busy for 10 s more; one debate ahead of 60 s: this one starts in 70 s.
    assert queue_wait_seconds(running_elapsed=[50], ahead=1, limit=1, typical=60) == 70
    # Two slots, one free: the next debate starts at once, the one after when a slot frees.
    assert queue_wait_seconds(running_elapsed=[20], ahead=0, limit=2, typical=60) == 0
    assert queue_wait_seconds(running_elapsed=[20], ahead=1, limit=2, typical=60) == 40
    # A debate running longer than usual is taken to end any moment, never negative.
    assert queue_wait_seconds(running_elapsed=[500], ahead=0, limit=1, typical=60) == 0


@pytest.mark.django_db
def test_the_estimate_learns_from_the_teams_finished_debates(owner: User) -> None:
    now = timezone.now()
    for minutes in (2, 3, 4):
        done = make_debate(owner, rounds=1)
        Debate.objects.filter(pk=done.pk).update(
            status=DebateStatus.COMPLETED,
            started_at=now - timedelta(hours=1),
            finished_at=now - timedelta(hours=1) + timedelta(minutes=minutes),
        )
    running = make_debate(owner, rounds=1)
    Debate.objects.filter(pk=running.pk).update(
        status=DebateStatus.RUNNING, started_at=now - timedelta(minutes=1), heartbeat_at=now
    )
    first, second = make_debate(owner, rounds=1), make_debate(owner, rounds=1)
    place = debate_queue_place(debate=second)
    assert place is not None
    assert place.position == 2
    # Median 3 min: the running one ends in ~2 min, then `first` takes 3: ~5 min.
    assert 295 <= place.wait_seconds <= 305
    assert place.wait_minutes == 5
    del first


@pytest.mark.django_db
def test_a_new_team_gets_the_default_estimate(owner: User, owner_client: Client) -> None:
    running = make_debate(owner, rounds=1)
    Debate.objects.filter(pk=running.pk).update(
        status=DebateStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    waiting = make_debate(owner, rounds=1)
    place = debate_queue_place(debate=waiting)
    assert place is not None
    assert abs(place.wait_seconds - DEFAULT_DEBATE_SECONDS) <= 2
    page = owner_client.get(f"/debates/{waiting.pk}/live/").content.decode()
    assert "It should start in about 1 minute" in page
    assert 'data-live="notify"' in page  # the permission button (hidden until the script says)


@pytest.mark.django_db
def test_the_queue_notice_asks_for_itself_again_and_follows_the_queue(
    owner: User, owner_client: Client, outsider_client: Client
) -> None:
    """The live page's notice is polled: a slot taken after the page loaded shows, and the
    notice goes once the debate starts."""
    first, waiting = make_debate(owner, rounds=1), make_debate(owner, rounds=1)
    url = f"/debates/{waiting.pk}/live/queue/"
    page = owner_client.get(f"/debates/{waiting.pk}/live/").content.decode()
    assert f'hx-get="{url}"' in page

    # Nobody runs yet: the first waits for a worker, and so does this one's notice.
    assert "Waiting for a worker" in owner_client.get(url).content.decode()
    Debate.objects.filter(pk=first.pk).update(
        status=DebateStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    notice = owner_client.get(url).content.decode()
    assert "number 1 in your team's queue" in notice
    assert f'hx-get="{url}"' in notice  # and it keeps asking

    Debate.objects.filter(pk=waiting.pk).update(status=DebateStatus.RUNNING)
    assert owner_client.get(url).content == b""
    assert outsider_client.get(url).status_code == 404
