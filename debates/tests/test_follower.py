"""Followers (embedded default): one per watched debate per process, reference-counted; they
carry events that another process wrote to the log into this process's channel layer."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from django.db import connections

from accounts.models import User
from debates import follower, selectors
from debates.events import group_name
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


@pytest.fixture
async def debate(owner: User) -> Debate:
    created: Debate = await database_sync_to_async(make_debate)(owner)
    return created


async def listen(layer: InMemoryChannelLayer, debate: Debate) -> str:
    channel: str = await layer.new_channel()
    await layer.group_add(group_name(debate.pk), channel)
    return channel


async def received_seqs(layer: InMemoryChannelLayer, channel: str, count: int) -> list[int]:
    messages = [await asyncio.wait_for(layer.receive(channel), timeout=3) for _ in range(count)]
    assert all(m["type"] == "debate.event" for m in messages)
    return [m["event"]["seq"] for m in messages]


def test_only_a_per_process_layer_needs_a_follower() -> None:
    assert follower.layer_needs_follower(InMemoryChannelLayer())
    assert not follower.layer_needs_follower(RedisChannelLayer(hosts=["redis://127.0.0.1:1"]))


async def test_one_follower_per_debate_until_the_last_watcher_leaves(debate: Debate) -> None:
    registry = follower.FollowerRegistry()
    layer = InMemoryChannelLayer()
    key = str(debate.pk)
    assert await registry.watch(key, layer)
    assert await registry.watch(key, layer)
    running = registry.followers[key]
    assert running.watchers == 2
    task = running.task
    assert task is not None
    registry.unwatch(key)
    await asyncio.sleep(0)
    assert not task.done()
    registry.unwatch(key)
    await asyncio.sleep(0)
    assert key not in registry.followers
    assert task.cancelled()
    registry.unwatch(key)  # one too many: harmless


async def test_two_watchers_arriving_together_start_one_task(debate: Debate) -> None:
    registry = follower.FollowerRegistry()
    layer = InMemoryChannelLayer()
    key = str(debate.pk)
    await asyncio.gather(registry.watch(key, layer), registry.watch(key, layer))
    running = registry.followers[key]
    assert running.watchers == 2
    task = running.task
    await running.start()
    assert running.task is task
    registry.unwatch(key)
    registry.unwatch(key)


async def test_no_follower_when_the_layer_reaches_every_process(debate: Debate) -> None:
    registry = follower.FollowerRegistry()
    assert not await registry.watch(str(debate.pk), RedisChannelLayer(hosts=["redis://x:1"]))
    assert registry.followers == {}


async def test_events_written_elsewhere_are_forwarded_in_order(debate: Debate) -> None:
    layer = InMemoryChannelLayer()
    channel = await listen(layer, debate)
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    registry = follower.FollowerRegistry()
    await registry.watch(str(debate.pk), layer)
    # What was in the log before it started is the consumers' to read, not the follower's.
    await database_sync_to_async(append_elsewhere)(debate.pk, 3)
    assert await received_seqs(layer, channel, 3) == [3, 4, 5]
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)
    assert await received_seqs(layer, channel, 1) == [6]
    registry.unwatch(str(debate.pk))


async def test_follower_stops_once_the_debate_finished_and_everything_went_out(
    debate: Debate,
) -> None:
    layer = InMemoryChannelLayer()
    channel = await listen(layer, debate)
    registry = follower.FollowerRegistry()
    await registry.watch(str(debate.pk), layer)
    running = registry.followers[str(debate.pk)]

    def finish() -> None:
        append_elsewhere(debate.pk, 2)
        Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.COMPLETED)

    await database_sync_to_async(finish)()
    assert await received_seqs(layer, channel, 2) == [1, 2]
    assert running.task is not None
    await asyncio.wait_for(running.task, timeout=3)
    # A consumer arriving later restarts it; it sees the end at once and stops again.
    await registry.watch(str(debate.pk), layer)
    assert running.task is not None
    await asyncio.wait_for(running.task, timeout=3)
    registry.unwatch(str(debate.pk))
    registry.unwatch(str(debate.pk))
    assert registry.followers == {}


async def test_follower_stops_when_the_debate_is_deleted(debate: Debate) -> None:
    registry = follower.FollowerRegistry()
    await registry.watch(str(debate.pk), InMemoryChannelLayer())
    running = registry.followers[str(debate.pk)]
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
    layer = InMemoryChannelLayer()
    channel = await listen(layer, debate)
    registry = follower.FollowerRegistry()
    await registry.watch(str(debate.pk), layer)
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)
    assert await received_seqs(layer, channel, 1) == [1]
    assert len(calls) >= 3
    registry.unwatch(str(debate.pk))


async def test_each_event_loop_has_its_own_registry() -> None:
    assert follower.followers() is follower.followers()


async def test_each_event_is_serialised_once_for_every_viewer(debate: Debate) -> None:
    layer = InMemoryChannelLayer()
    first, second = await listen(layer, debate), await listen(layer, debate)
    registry = follower.FollowerRegistry()
    await registry.watch(str(debate.pk), layer)
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)
    one = await asyncio.wait_for(layer.receive(first), timeout=3)
    other = await asyncio.wait_for(layer.receive(second), timeout=3)
    registry.unwatch(str(debate.pk))
    # Both viewers get the text the follower made once; it is exactly the event.
    assert one["text"] == other["text"]
    assert json.loads(one["text"]) == one["event"] == other["event"]
