"""The per-process hub (debates/fanout.py): one group member per debate per process, whatever
the number of viewers; every viewer gets every event once and in order; a viewer that falls
behind holds up nobody and still gets everything, from the log."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.models import User
from accounts.realtime import user_group_name
from consultation.asgi import application
from debates import consumers, fanout, follower, selectors
from debates.events import group_name
from debates.models import Debate, DebateEvent, DebateStatus
from debates.orchestration.progress import stage_start, turn_stage_start
from debates.services.finalization import debate_finalize
from debates.tests.factories import make_debate
from debates.tests.test_consumers import (
    TIMEOUT,
    append_elsewhere,
    close_code,
    seqs,
    session_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

VIEWERS = 12


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> AsyncIterator[None]:
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def _quiet_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the hub's deliveries count here, not the consumers' every-5-s safety net."""
    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 60)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    """The in-memory layer whatever the run (`make test-services` has Redis): these tests
    look at the group's members. Real processes on Redis: tests/integration."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def services_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis's semantics on the in-memory layer: no follower; wake-ups come from the group."""
    monkeypatch.setattr(follower, "layer_needs_follower", lambda layer: False)


@pytest.fixture
def embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(follower, "IDLE_POLL_SECONDS", 0.02)


@pytest.fixture
async def debate(owner: User) -> Debate:
    """A debate whose log holds one event: a viewer that has it from the log has subscribed."""
    created: Debate = await database_sync_to_async(make_debate)(owner)
    await database_sync_to_async(append_elsewhere)(created.pk, 1)
    return created


async def open_socket(owner: User, debate_id: Any, query: str = "after=0") -> WebsocketCommunicator:
    """A signed-in browser's socket to the debate, connected."""
    cookie = await database_sync_to_async(session_cookie)(owner)
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(
        application, f"/ws/debates/{debate_id}/?{query}", headers=headers
    )
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


@pytest.fixture
def watch(owner: User) -> Callable[..., Any]:
    async def _watch(debate_id: Any, count: int = 1) -> list[WebsocketCommunicator]:
        sockets = [await open_socket(owner, debate_id) for _ in range(count)]
        for socket in sockets:  # read from the log, so subscribed to the hub before
            assert await seqs(socket, 1) == [1]
        return sockets

    return _watch


def hub_of(debate: Debate) -> fanout.Hub:
    return fanout.hubs().hubs[str(debate.pk)]


def members(debate: Debate) -> list[str]:
    layer = get_channel_layer()
    assert isinstance(layer, InMemoryChannelLayer)
    return list(layer.groups.get(group_name(debate.pk), {}))


async def messages_of(debate: Debate, *seqs_: int) -> list[dict[str, Any]]:
    """Wake-ups for these events, in this order, as the worker's publish sends them."""

    def read() -> list[dict[str, Any]]:
        events = {event.seq: event for event in DebateEvent.objects.filter(debate=debate)}
        return [{"type": "debate.event", "event": events[seq].as_message()} for seq in seqs_]

    messages: list[dict[str, Any]] = await database_sync_to_async(read)()
    return messages


# --- The inbox ----------------------------------------------------------------------------------


def event(seq: int) -> dict[str, Any]:
    return {"type": "debate.event", "event": {"seq": seq}}


async def taken(inbox: fanout.Inbox) -> list[Any]:
    out: list[Any] = []
    while len(inbox):
        message = (await inbox.get()).message
        out.append(message["event"]["seq"] if message["type"] == "debate.event" else message)
    return out


async def test_a_full_inbox_drops_events_for_one_lagged_marker() -> None:
    inbox = fanout.Inbox(limit=2)
    for seq in (1, 2, 3, 4):
        inbox.put(event(seq))
    inbox.put({"type": "access.changed"})  # never dropped, even while lagging
    assert await taken(inbox) == [1, 2, fanout.LAGGED, {"type": "access.changed"}]
    # The marker taken (the consumer reads the log now), new events are kept again.
    inbox.put(event(5))
    assert await taken(inbox) == [5]


async def test_events_after_the_marker_wait_until_it_is_taken() -> None:
    inbox = fanout.Inbox(limit=1)
    inbox.put(event(1))
    inbox.put(event(2))  # full: the marker instead
    assert (await inbox.get()).message == event(1)
    inbox.put(event(3))  # room again, but the marker is not taken yet: its read will cover 3
    assert await taken(inbox) == [fanout.LAGGED]
    inbox.put(event(4))
    assert await taken(inbox) == [4]


async def test_take_events_takes_the_hubs_events_at_the_head_and_stops_at_anything_else() -> None:
    inbox = fanout.Inbox(limit=3)
    for seq in (1, 2):
        inbox.put(event(seq))
    inbox.put_local({"type": "websocket.receive"})  # the consumer's own: keeps its place
    inbox.put(event(3))
    assert [m["event"]["seq"] for m in inbox.take_events(10)] == [1, 2]
    assert inbox.take_events(10) == []
    assert await taken(inbox) == [{"type": "websocket.receive"}, 3]
    # Taken events free their room: three more fit before the inbox counts as lagging.
    for seq in (4, 5, 6, 7):
        inbox.put(event(seq))
    assert [m["event"]["seq"] for m in inbox.take_events(2)] == [4, 5]
    assert await taken(inbox) == [6, fanout.LAGGED]


async def test_get_waits_for_the_next_message() -> None:
    inbox = fanout.Inbox()
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put(event(7))
    assert await asyncio.wait_for(waiting, timeout=TIMEOUT) == fanout.Delivery(event(7), True)


# --- One hub per debate per process --------------------------------------------------------------


async def test_many_viewers_share_one_hub_and_one_group_member(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    sockets = await watch(debate.pk, VIEWERS)
    hub = hub_of(debate)
    assert len(hub.inboxes) == VIEWERS
    assert members(debate) == [hub.channel]
    for socket in sockets[:-1]:
        await socket.disconnect()
    assert members(debate) == [hub.channel]
    await sockets[-1].disconnect()
    # The last one out stops the hub: it leaves the group.
    assert str(debate.pk) not in fanout.hubs().hubs
    assert members(debate) == []
    assert hub.receiver is None


async def test_viewers_arriving_together_start_one_hub(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    groups = await asyncio.gather(*(watch(debate.pk) for _ in range(VIEWERS)))
    assert len(members(debate)) == 1
    assert len(hub_of(debate).inboxes) == VIEWERS
    for (socket,) in groups:
        await socket.disconnect()
    assert members(debate) == []


async def test_each_viewer_gets_every_event_once_in_order_from_the_group(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    sockets = await watch(debate.pk, VIEWERS)
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)  # its wake-up is lost
    for number in range(3):  # committed in this process, then published to the group
        await database_sync_to_async(stage_start)(
            debate_id=debate.pk, stage="rebuttal", round_number=number
        )
    await database_sync_to_async(debate_finalize)(
        debate_id=debate.pk, status=DebateStatus.CANCELLED, reason="cancelled"
    )
    for socket in sockets:
        assert await seqs(socket, 5) == [2, 3, 4, 5, 6]
        assert await close_code(socket) == consumers.CLOSE_FINISHED
        await socket.disconnect()
    assert str(debate.pk) not in fanout.hubs().hubs


async def test_a_transactions_events_are_one_message_to_the_group(
    debate: Debate, watch: Any, services_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sockets = await watch(debate.pk, VIEWERS)
    layer = get_channel_layer()
    sent: list[dict[str, Any]] = []
    real_send = layer.group_send

    async def counted(group: str, message: dict[str, Any]) -> None:
        sent.append(message)
        await real_send(group, message)

    monkeypatch.setattr(layer, "group_send", counted)
    await opening_then_judging(debate)
    assert [message["type"] for message in sent] == ["debate.events", "debate.event"]
    assert [event["seq"] for event in sent[0]["events"]] == [2, 3, 4]
    for socket in sockets:
        assert await seqs(socket, 4) == [2, 3, 4, 5]
        assert await socket.receive_nothing(timeout=0.05)
        await socket.disconnect()


async def opening_then_judging(debate: Debate) -> None:
    """Two transactions: a stage's opening with two seats' turns (seqs 2-4), then a stage
    start alone (5)."""
    await database_sync_to_async(turn_stage_start)(
        debate_id=debate.pk,
        stage="opening",
        round_number=0,
        seats=[(1, "Seat A", "demo:demo-sage"), (2, "Seat B", "demo:demo-skeptic")],
    )
    await database_sync_to_async(stage_start)(
        debate_id=debate.pk, stage="judging", round_number=None
    )


async def frames(socket: WebsocketCommunicator, count: int) -> list[list[int]]:
    """The seqs of the next `count` messages, one list per message (a lone event: one seq)."""
    out = []
    for _ in range(count):
        message = await socket.receive_json_from(timeout=TIMEOUT)
        batch = message["events"] if message["type"] == "batch" else [message]
        out.append([int(event["seq"]) for event in batch])
    return out


async def test_a_socket_that_asks_for_batches_gets_a_burst_in_one_message(
    owner: User, debate: Debate, watch: Any, services_mode: None
) -> None:
    (plain,) = await watch(debate.pk)
    batching = await open_socket(owner, debate.pk, "after=0&batch=1")
    assert await frames(batching, 1) == [[1]]  # from the log: so subscribed to the hub
    await opening_then_judging(debate)
    # The same events, in the same order, each once: one message per burst, or per event.
    assert await frames(batching, 2) == [[2, 3, 4], [5]]
    assert await frames(plain, 4) == [[2], [3], [4], [5]]
    await database_sync_to_async(debate_finalize)(
        debate_id=debate.pk, status=DebateStatus.CANCELLED, reason="cancelled"
    )
    assert await frames(batching, 1) == [[6]]
    assert await close_code(batching) == consumers.CLOSE_FINISHED
    await batching.disconnect()
    await plain.disconnect()


async def test_a_batching_socket_gets_the_log_in_few_messages_and_then_the_close(
    owner: User, debate: Debate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "FRAME_EVENTS", 4)
    await database_sync_to_async(append_elsewhere)(debate.pk, 8)  # seqs 2..9
    await database_sync_to_async(debate_finalize)(
        debate_id=debate.pk, status=DebateStatus.CANCELLED, reason="cancelled"
    )  # seq 10, the last
    socket = await open_socket(owner, debate.pk, "after=0&batch=1")
    assert await frames(socket, 3) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert await close_code(socket) == consumers.CLOSE_FINISHED
    await socket.disconnect()


async def test_each_viewer_gets_every_event_once_in_order_from_the_follower(
    debate: Debate, watch: Any, embedded_mode: None
) -> None:
    sockets = await watch(debate.pk, VIEWERS)
    hub = hub_of(debate)
    assert hub.follower is not None
    assert hub.follower.running
    assert len(members(debate)) == 1  # still a member, for access.changed and own writes

    def worker() -> None:
        append_elsewhere(debate.pk, 4)
        Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.COMPLETED)

    await database_sync_to_async(worker)()
    for socket in sockets:
        assert await seqs(socket, 4) == [2, 3, 4, 5]
    assert hub.follower.task is not None
    await asyncio.wait_for(hub.follower.task, timeout=TIMEOUT)  # finished: it stopped
    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.05)
        await socket.disconnect()
    assert members(debate) == []


async def test_an_event_is_serialised_once_for_every_viewer(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    sockets = await watch(debate.pk, 3)
    received: list[dict[str, Any]] = []
    for inbox in hub_of(debate).inboxes:
        real_put = inbox.put

        def put(message: dict[str, Any], real_put: Any = real_put) -> None:
            received.append(message)
            real_put(message)

        inbox.put = put  # type: ignore[method-assign]
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="opening", round_number=0)
    for socket in sockets:
        assert await seqs(socket, 1) == [2]
        await socket.disconnect()
    assert len(received) == 3
    assert all(message is received[0] for message in received)
    assert isinstance(received[0]["text"], str)


async def test_the_hub_drops_what_it_fanned_out_and_fills_a_gap_once(
    debate: Debate, watch: Any, services_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sockets = await watch(debate.pk, VIEWERS)
    reads: list[dict[str, Any]] = []
    real = selectors.debate_event_messages

    def counted(**kwargs: Any) -> list[dict[str, Any]]:
        reads.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(fanout, "debate_event_messages", counted)
    monkeypatch.setattr(consumers, "debate_event_messages", counted)
    await database_sync_to_async(append_elsewhere)(debate.pk, 4)
    layer = get_channel_layer()
    # The wake-ups of 2-4 were lost; 5 arrives, then 5 again and 3 (late duplicates).
    for message in await messages_of(debate, 5, 5, 3):
        await layer.group_send(group_name(debate.pk), message)
    for socket in sockets:
        assert await seqs(socket, 4) == [2, 3, 4, 5]
    # One read of the log for the whole process, none per viewer.
    assert [(r["after"], r["upto"]) for r in reads] == [(1, 4)]
    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.05)
        await socket.disconnect()


async def test_events_in_the_log_before_the_hub_started_are_the_consumers_to_read(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    (socket,) = await watch(debate.pk)
    assert await seqs(socket, 2) == [2, 3]  # from the log, after 1
    assert hub_of(debate).last_seq == 3
    # A wake-up for one of them, arriving late, goes no further than the hub.
    for message in await messages_of(debate, 3):
        hub_of(debate).publish(message)
    assert all(len(inbox) == 0 for inbox in hub_of(debate).inboxes)
    await socket.disconnect()


# --- A viewer that falls behind -----------------------------------------------------------------


async def test_a_viewer_that_falls_behind_blocks_nobody_and_reads_the_rest_from_the_log(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    sockets = await watch(debate.pk, 3)
    hub = hub_of(debate)
    slow = next(iter(hub.inboxes))
    slow.limit = 1
    stuck = fanout.Inbox(limit=2)  # a subscriber that never takes anything
    await fanout.hubs().subscribe(str(debate.pk), get_channel_layer(), stuck)
    await database_sync_to_async(append_elsewhere)(debate.pk, 5)
    # Five events at once, with no chance for any consumer to take one in between.
    for message in await messages_of(debate, 2, 3, 4, 5, 6):
        hub.publish(message)
    assert len(stuck) == 3  # two events and the marker: the rest was not waited for
    assert len(slow) == 2  # one event and the marker
    for socket in sockets:  # the lagging one too: 3-6 from the log, nothing twice
        assert await seqs(socket, 5) == [2, 3, 4, 5, 6]
        assert await socket.receive_nothing(timeout=0.05)
    await fanout.hubs().unsubscribe(str(debate.pk), stuck)
    for socket in sockets:
        await socket.disconnect()


async def test_a_lagging_viewer_of_a_finished_debate_gets_the_end_from_the_log(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    (socket,) = await watch(debate.pk)
    hub = hub_of(debate)
    next(iter(hub.inboxes)).limit = 0  # every event overflows
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="opening", round_number=0)
    await database_sync_to_async(debate_finalize)(
        debate_id=debate.pk, status=DebateStatus.CANCELLED, reason="cancelled"
    )
    assert await seqs(socket, 2) == [2, 3]
    assert await close_code(socket) == consumers.CLOSE_FINISHED
    await socket.disconnect()


# --- Other messages to the debate's group --------------------------------------------------------


async def test_other_messages_to_the_group_reach_every_local_viewer(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    sockets = await watch(debate.pk, 3)
    got: list[dict[str, Any]] = []
    for inbox in hub_of(debate).inboxes:
        real_put = inbox.put

        def put(message: dict[str, Any], real_put: Any = real_put) -> None:
            got.append(message)
            real_put(message)

        inbox.put = put  # type: ignore[method-assign]
    await get_channel_layer().group_send(
        group_name(debate.pk), {"type": "access.changed", "reason": "unshared"}
    )
    # The owner keeps access: each socket checked, none closed, all still streaming.
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="opening", round_number=0)
    for socket in sockets:
        assert await seqs(socket, 1) == [2]
    assert [m["type"] for m in got] == ["access.changed"] * 3 + ["debate.event"] * 3
    for socket in sockets:
        await socket.disconnect()


async def test_a_hub_message_a_consumer_has_no_handler_for_is_ignored(
    debate: Debate, watch: Any, services_mode: None
) -> None:
    (socket,) = await watch(debate.pk)
    hub_of(debate).publish({"type": "something.new"})
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="opening", round_number=0)
    assert await seqs(socket, 1) == [2]
    await socket.disconnect()


async def test_a_consumers_own_messages_are_never_dropped() -> None:
    inbox = fanout.Inbox(limit=1)
    inbox.put(event(1))
    inbox.put(event(2))
    inbox.put_local({"type": "websocket.receive", "text": "hi"})
    got = [await inbox.get() for _ in range(3)]
    assert [(d.message["type"], d.from_hub) for d in got] == [
        ("debate.event", True),
        ("debate.lagged", True),
        ("websocket.receive", False),
    ]


async def test_what_a_consumers_own_source_raised_is_raised_in_its_loop() -> None:
    inbox = fanout.Inbox()
    inbox.put_local(RuntimeError("the channel layer is down"))
    with pytest.raises(RuntimeError, match="down"):
        await inbox.get()


# --- The hub's safety net -----------------------------------------------------------------------


async def test_a_lost_last_wake_up_reaches_every_viewer_with_one_read_of_the_log(
    debate: Debate, watch: Any, services_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "RESYNC_SECONDS", 0.05)
    sockets = await watch(debate.pk, VIEWERS)
    hub_reads: list[tuple[int, int | None]] = []
    consumer_reads: list[tuple[int, int | None]] = []
    real = selectors.debate_event_messages

    def counted(into: list[tuple[int, int | None]]) -> Callable[..., list[dict[str, Any]]]:
        def read(**kwargs: Any) -> list[dict[str, Any]]:
            into.append((kwargs["after"], kwargs.get("upto")))
            return real(**kwargs)

        return read

    monkeypatch.setattr(fanout, "debate_event_messages", counted(hub_reads))
    monkeypatch.setattr(consumers, "debate_event_messages", counted(consumer_reads))
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)  # no wake-up at all
    for socket in sockets:
        assert await seqs(socket, 2) == [2, 3]
    assert hub_reads == [(1, 3)]
    assert consumer_reads == []
    for socket in sockets:
        await socket.disconnect()


async def test_a_hub_the_layer_forgot_joins_again_and_gets_events_live_again(
    debate: Debate, watch: Any, services_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "RESYNC_SECONDS", 0.05)
    sockets = await watch(debate.pk, 2)
    hub = hub_of(debate)
    # Redis restarted (or was flushed): the group no longer lists the hub.
    layer = get_channel_layer()
    assert layer is not None
    assert hub.channel is not None
    await layer.group_discard(group_name(debate.pk), hub.channel)
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="opening", round_number=0)
    for socket in sockets:  # from the hub's periodic read of the log
        assert await seqs(socket, 1) == [2]
    assert members(debate) == [hub.channel]
    # From now on only the group can bring an event in time (the periodic read waits 60 s).
    monkeypatch.setattr(fanout, "RESYNC_SECONDS", 60)
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="rebuttal", round_number=1)
    for socket in sockets:
        assert await seqs(socket, 1) == [3]
        await socket.disconnect()


async def test_a_deleted_debate_closes_every_viewer(
    debate: Debate, watch: Any, services_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "RESYNC_SECONDS", 0.05)
    sockets = await watch(debate.pk, 3)
    await database_sync_to_async(Debate.objects.filter(pk=debate.pk).delete)()
    for socket in sockets:
        assert await close_code(socket) == consumers.CLOSE_FINISHED
        await socket.disconnect()


async def test_a_failed_receive_from_a_consumers_own_channel_is_retried(
    debate: Debate, owner: User, services_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis timing out a blocking read under load used to close the socket with 1011."""
    monkeypatch.setattr(fanout, "RETRY_SECONDS", 0)
    layer = get_channel_layer()
    real = layer.receive
    failures = [RuntimeError("Timeout reading from 127.0.0.1:6379")]

    async def flaky(channel: str) -> dict[str, Any]:
        if failures:  # the consumer's channel is the first to be read, before any hub exists
            raise failures.pop()
        message: dict[str, Any] = await real(channel)
        return message

    monkeypatch.setattr(layer, "receive", flaky)
    cookie = await database_sync_to_async(session_cookie)(owner)
    socket = WebsocketCommunicator(
        application,
        f"/ws/debates/{debate.pk}/?after=0",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)],
    )
    assert (await socket.connect(timeout=TIMEOUT))[0]
    assert await seqs(socket, 1) == [1]
    assert failures == []
    # Its channel still works: the end of its session reaches it and closes it.
    session_key = cookie.decode().split("=", 1)[1]
    await layer.group_send(
        user_group_name(owner.pk), {"type": "access.changed", "ended_session": session_key}
    )
    assert await close_code(socket) == consumers.CLOSE_ACCESS_REVOKED
    await socket.disconnect()
