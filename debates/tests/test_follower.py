"""Followers (embedded default): one per watched debate per process, owned by the debate's hub;
they hand events that another process wrote to the log to the hub, in order."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from django.db import connections

from accounts.models import User
from debates import follower, selectors
from debates.models import Debate, DebateStatus
from debates.tests.factories import make_debate
from debates.tests.test_consumers import append_elsewhere

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> AsyncIterator[None]:
    """The ORM calls of these async tests run in asgiref's worker thread, whose connection
    outlives the test (CONN_MAX_AGE); a connection left open blocks dropping the PostgreSQL
    test database at the end of the run."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(follower, "IDLE_POLL_SECONDS", 0.02)


@pytest.fixture
async def debate(owner: User) -> Debate:
    created: Debate = await database_sync_to_async(make_debate)(owner)
    return created


class Sink:
    """What a follower hands on, as its hub would get it."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.put_nowait(message)

    async def seqs(self, count: int) -> list[int]:
        got = [await asyncio.wait_for(self.messages.get(), timeout=3) for _ in range(count)]
        assert all(m["type"] == "debate.event" for m in got)
        return [m["event"]["seq"] for m in got]


def test_only_a_per_process_layer_needs_a_follower() -> None:
    assert follower.layer_needs_follower(InMemoryChannelLayer())
    assert not follower.layer_needs_follower(RedisChannelLayer(hosts=["redis://127.0.0.1:1"]))


def test_a_follower_polls_often_while_events_come_and_less_once_they_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(follower, "POLL_SECONDS", 0.05)  # the autouse 0.02 for both hides it
    monkeypatch.setattr(follower, "IDLE_POLL_SECONDS", 0.25)
    assert follower.poll_interval(quiet_for=0.0) == follower.POLL_SECONDS
    assert follower.poll_interval(quiet_for=follower.IDLE_AFTER_SECONDS - 0.01) == (
        follower.POLL_SECONDS
    )
    assert follower.poll_interval(quiet_for=follower.IDLE_AFTER_SECONDS) == (
        follower.IDLE_POLL_SECONDS
    )


async def test_two_starts_arriving_together_start_one_task(debate: Debate) -> None:
    running = follower.Follower(str(debate.pk), Sink())
    await asyncio.gather(running.start(), running.start())
    task = running.task
    assert task is not None
    assert running.running
    await running.start()
    assert running.task is task
    running.stop()
    await asyncio.sleep(0)
    assert task.cancelled()
    running.stop()  # once more: harmless


async def test_events_written_elsewhere_are_handed_on_in_order(debate: Debate) -> None:
    sink = Sink()
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    running = follower.Follower(str(debate.pk), sink)
    await running.start()
    # What was in the log before it started is the consumers' to read, not the follower's.
    await database_sync_to_async(append_elsewhere)(debate.pk, 3)
    assert await sink.seqs(3) == [3, 4, 5]
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)
    assert await sink.seqs(1) == [6]
    running.stop()


async def test_follower_stops_once_the_debate_finished_and_everything_went_out(
    debate: Debate,
) -> None:
    sink = Sink()
    running = follower.Follower(str(debate.pk), sink)
    await running.start()

    def finish() -> None:
        append_elsewhere(debate.pk, 2)
        Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.COMPLETED)

    await database_sync_to_async(finish)()
    assert await sink.seqs(2) == [1, 2]
    assert running.task is not None
    await asyncio.wait_for(running.task, timeout=3)
    # Started again later (a consumer arriving), it sees the end at once and stops again.
    await running.start()
    assert running.task is not None
    await asyncio.wait_for(running.task, timeout=3)
    assert sink.messages.empty()


async def test_follower_stops_when_the_debate_is_deleted(debate: Debate) -> None:
    running = follower.Follower(str(debate.pk), Sink())
    await running.start()
    await database_sync_to_async(Debate.objects.filter(pk=debate.pk).delete)()
    assert running.task is not None
    await asyncio.wait_for(running.task, timeout=3)


async def test_a_failing_poll_is_logged_and_retried(
    debate: Debate, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real = selectors.debate_log_position

    def flaky(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(follower, "debate_log_position", flaky)
    sink = Sink()
    running = follower.Follower(str(debate.pk), sink)
    await running.start()
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)
    assert await sink.seqs(1) == [1]
    assert len(calls) >= 3
    running.stop()
