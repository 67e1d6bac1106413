"""The live channel /ws/debates/<id>/?after=<seq>, through the real ASGI stack (origin check,
session auth, routing): who may connect, the close codes, and delivery without gap or
duplicate whatever order the log and the wake-ups come in."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connections, transaction
from django.test import Client

from accounts.models import User
from billing.models import Plan
from consultation.asgi import application
from consultation.exceptions import NotAuthenticated, NotFound
from debates import consumers, fanout, follower, selectors
from debates.events import group_name
from debates.models import Debate, DebateEvent, DebateStatus
from debates.orchestration.progress import stage_start
from debates.services.finalization import debate_finalize
from debates.tests.factories import make_debate, make_event

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> AsyncIterator[None]:
    """The ORM calls of these async tests run in asgiref's worker thread, whose connection
    outlives the test (CONN_MAX_AGE); a connection left open blocks dropping the PostgreSQL
    test database at the end of the run."""
    yield
    await database_sync_to_async(connections.close_all)()


# How long a message that must come may take: a bound for a hang, never waited out when green
# (a first connect under xdist on the shared 2-core machine once took over 3 s).
TIMEOUT = 10


def append_elsewhere(debate_id: Any, number: int = 1) -> list[int]:
    """Events written the way another process (a worker) writes them, with no wake-up here:
    together, in one transaction (a reader never sees half of them: the hub's periodic read
    could otherwise fall between two and read twice)."""
    with transaction.atomic():
        return [make_event(debate_id).seq for _ in range(number)]


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


@pytest.fixture
def no_follower(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sends wakes the consumer up (deterministic gap and duplicate tests)."""
    monkeypatch.setattr(follower, "layer_needs_follower", lambda layer: False)


@pytest.fixture
def connect() -> Callable[..., Any]:
    """Open the socket through the whole ASGI stack, signed in as `user` (or anonymous)."""

    async def _connect(
        debate_id: Any, *, user: User | None = None, query: str = "after=0"
    ) -> WebsocketCommunicator:
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if user is not None:
            headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
        communicator = WebsocketCommunicator(
            application, f"/ws/debates/{debate_id}/?{query}", headers=headers
        )
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected  # accepted first: a refusal comes as a close code right after
        return communicator

    return _connect


async def seqs(communicator: WebsocketCommunicator, count: int) -> list[int]:
    return [(await communicator.receive_json_from(timeout=TIMEOUT))["seq"] for _ in range(count)]


async def close_code(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close"
    return int(output.get("code", 1000))


@pytest.fixture
async def debate(owner: User) -> Debate:
    created: Debate = await database_sync_to_async(make_debate)(owner)
    return created


# --- Who may connect ---------------------------------------------------------------------------


async def test_the_convener_connects_with_the_session(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    communicator = await connect(debate.pk, user=owner)
    first = await communicator.receive_json_from(timeout=TIMEOUT)
    assert set(first) == {"seq", "type", "at", "payload"}
    assert (first["seq"], first["type"], first["payload"]) == (1, "stage.started", {"n": 1})
    assert await seqs(communicator, 1) == [2]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_an_outsider_is_refused_as_not_found(
    connect: Any, debate: Debate, outsider: User
) -> None:
    communicator = await connect(debate.pk, user=outsider)
    assert await close_code(communicator) == consumers.CLOSE_NOT_FOUND
    await communicator.disconnect()


async def test_a_missing_debate_is_refused_as_not_found(connect: Any, owner: User) -> None:
    communicator = await connect("00000000-0000-0000-0000-000000000000", user=owner)
    assert await close_code(communicator) == 4404
    await communicator.disconnect()


async def test_anonymous_is_refused_as_not_authenticated(connect: Any, debate: Debate) -> None:
    communicator = await connect(debate.pk)
    assert await close_code(communicator) == consumers.CLOSE_NOT_AUTHENTICATED
    await communicator.disconnect()


async def test_anyone_may_watch_a_public_debate(
    connect: Any, owner: User, outsider: User, no_follower: None
) -> None:
    public = await database_sync_to_async(make_debate)(owner, is_public=True)
    await database_sync_to_async(append_elsewhere)(public.pk, 1)
    for user in (None, outsider):
        communicator = await connect(public.pk, user=user)
        assert await seqs(communicator, 1) == [1]
        await communicator.disconnect()


async def test_a_signed_in_viewers_sockets_count_and_an_anonymous_ones_do_not(
    connect: Any, owner: User, outsider: User, no_follower: None
) -> None:
    """A session's socket is one request of its plan's per-minute rate (the key's: test_consumers_
    keys.py); an anonymous viewer of a public debate is not counted, as the page is not."""
    await database_sync_to_async(
        lambda: Plan.objects.filter(is_default=True).update(api_requests_per_minute=1)
    )()
    public = await database_sync_to_async(make_debate)(owner, is_public=True)
    await database_sync_to_async(append_elsewhere)(public.pk, 1)
    for _viewer in range(3):
        anonymous = await connect(public.pk)
        assert await seqs(anonymous, 1) == [1]
        await anonymous.disconnect()
    admitted = await connect(public.pk, user=outsider)
    assert await seqs(admitted, 1) == [1]
    await admitted.disconnect()
    over = await connect(public.pk, user=outsider)
    assert (await over.receive_json_from(timeout=TIMEOUT))["error"]["code"] == "rate_limited"
    assert await close_code(over) == consumers.CLOSE_RATE_LIMITED


@pytest.mark.parametrize("query", ["after=x", "after=-1", "after=1.5", "after=99999999999999"])
async def test_a_bad_after_is_refused(
    connect: Any, debate: Debate, owner: User, query: str
) -> None:
    communicator = await connect(debate.pk, user=owner, query=query)
    assert await close_code(communicator) == consumers.CLOSE_BAD_REQUEST
    await communicator.disconnect()


def test_the_debate_to_watch_is_read_without_its_lists(
    owner: User, outsider: User, django_assert_num_queries: Any
) -> None:
    """The viewer's rule and refusals, in one query for a participant (no prefetched seats,
    turns or judgments: a socket needs only the team)."""
    private = make_debate(owner)
    public = make_debate(owner, is_public=True)
    with django_assert_num_queries(1):
        assert consumers._debate_to_watch(user=owner, debate_id=str(private.pk)) == private
    assert consumers._debate_to_watch(user=outsider, debate_id=str(public.pk)) == public
    assert consumers._debate_to_watch(user=AnonymousUser(), debate_id=str(public.pk)) == public
    with pytest.raises(NotFound):
        consumers._debate_to_watch(user=outsider, debate_id=str(private.pk))
    with pytest.raises(NotAuthenticated):
        consumers._debate_to_watch(user=AnonymousUser(), debate_id=str(private.pk))


def test_parse_after() -> None:
    assert consumers.parse_after(b"") == 0
    assert consumers.parse_after(b"after=12") == 12
    assert consumers.parse_after(b"after=0&after=7") == 7
    for bad in (b"after=", b"after=%2012", b"after=1e3", b"after=%EF%BC%91"):
        assert consumers.parse_after(bad) is None, bad


# --- Delivery: log first, then live; no gap, no duplicate ----------------------------------------


async def test_log_then_live_events_in_order(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    await database_sync_to_async(append_elsewhere)(debate.pk, 3)
    communicator = await connect(debate.pk, user=owner)
    assert await seqs(communicator, 3) == [1, 2, 3]
    # Appended by a service in this process: committed, then published to the group.
    for number in range(2):
        await database_sync_to_async(stage_start)(
            debate_id=debate.pk, stage="rebuttal", round_number=number
        )
    assert await seqs(communicator, 2) == [4, 5]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_resuming_after_a_seq_sends_only_what_is_newer(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    await database_sync_to_async(append_elsewhere)(debate.pk, 4)
    communicator = await connect(debate.pk, user=owner, query="after=2")
    assert await seqs(communicator, 2) == [3, 4]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_wake_up_that_arrives_while_the_log_is_read_is_sent_after_it(
    connect: Any,
    debate: Debate,
    owner: User,
    no_follower: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other order: event 3 is committed and published just after the consumer read the
    log (1, 2). Having joined the group first, it still gets 3, after 2 and once."""
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    real = selectors.debate_event_messages
    calls: list[int] = []

    def read_then_a_worker_writes(**kwargs: Any) -> list[dict[str, Any]]:
        batch = real(**kwargs)
        if not calls:
            stage_start(debate_id=debate.pk, stage="rebuttal", round_number=1)  # + publish
        calls.append(len(batch))
        return batch

    monkeypatch.setattr(consumers, "debate_event_messages", read_then_a_worker_writes)
    communicator = await connect(debate.pk, user=owner)
    assert await seqs(communicator, 3) == [1, 2, 3]
    assert calls[0] == 2
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_wake_up_for_an_event_already_sent_is_dropped(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    """The event was committed before the consumer read the log, and its wake-up arrives after:
    it went out from the log, so the wake-up sends nothing."""
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    communicator = await connect(debate.pk, user=owner)
    assert await seqs(communicator, 2) == [1, 2]
    events = await database_sync_to_async(
        lambda: [e.as_message() for e in DebateEvent.objects.filter(debate=debate)]
    )()
    layer = get_channel_layer()
    for event in events:
        await layer.group_send(group_name(debate.pk), {"type": "debate.event", "event": event})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_wake_up_that_jumps_ahead_fills_the_gap_from_the_log(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    """Wake-ups for 2 and 3 were lost; the one for 4 arrives: 2, 3 come from the log first."""
    await database_sync_to_async(append_elsewhere)(debate.pk, 1)
    communicator = await connect(debate.pk, user=owner)
    assert await seqs(communicator, 1) == [1]
    await database_sync_to_async(append_elsewhere)(debate.pk, 3)
    latest = await database_sync_to_async(
        lambda: DebateEvent.objects.get(debate=debate, seq=4).as_message()
    )()
    await get_channel_layer().group_send(
        group_name(debate.pk), {"type": "debate.event", "event": latest}
    )
    assert await seqs(communicator, 3) == [2, 3, 4]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_lost_last_wake_up_is_made_good_by_the_resync(
    connect: Any,
    debate: Debate,
    owner: User,
    no_follower: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "RESYNC_SECONDS", 0.05)
    communicator = await connect(debate.pk, user=owner)
    assert await communicator.receive_nothing(timeout=0.1)
    await database_sync_to_async(append_elsewhere)(debate.pk, 2)
    assert await seqs(communicator, 2) == [1, 2]
    await communicator.disconnect()


async def test_the_final_event_closes_the_socket_with_1000(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    communicator = await connect(debate.pk, user=owner)
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="opening", round_number=0)
    await database_sync_to_async(debate_finalize)(
        debate_id=debate.pk, status=DebateStatus.CANCELLED, reason="cancelled"
    )
    first = await communicator.receive_json_from(timeout=TIMEOUT)
    last = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (first["seq"], last["seq"], last["type"]) == (1, 2, "debate.cancelled")
    assert await close_code(communicator) == consumers.CLOSE_FINISHED
    await communicator.disconnect()


async def test_a_finished_debate_sends_what_is_missing_then_closes(
    connect: Any, debate: Debate, owner: User
) -> None:
    await database_sync_to_async(debate_finalize)(
        debate_id=debate.pk, status=DebateStatus.CANCELLED, reason="cancelled"
    )
    communicator = await connect(debate.pk, user=owner)
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "debate.cancelled"
    assert await close_code(communicator) == 1000
    await communicator.disconnect()
    # A client that already has everything is told so at once.
    communicator = await connect(debate.pk, user=owner, query="after=1")
    assert await close_code(communicator) == 1000
    await communicator.disconnect()


async def test_messages_from_the_client_are_ignored(
    connect: Any, debate: Debate, owner: User, no_follower: None
) -> None:
    communicator = await connect(debate.pk, user=owner)
    await communicator.send_to(text_data="not json {")
    await communicator.send_json_to({"type": "anything"})
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


# --- The embedded default: a worker's events reach the socket through the follower -------------


async def test_events_written_by_another_process_reach_the_socket(
    connect: Any, debate: Debate, owner: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr(follower, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(follower, "IDLE_POLL_SECONDS", 0.02)
    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 60)
    communicator = await connect(debate.pk, user=owner)
    assert await communicator.receive_nothing(timeout=0.1)
    await database_sync_to_async(append_elsewhere)(debate.pk, 3)
    assert await seqs(communicator, 3) == [1, 2, 3]
    hub = fanout.hubs().hubs[str(debate.pk)]
    assert len(hub.inboxes) == 1
    assert hub.follower is not None
    assert hub.follower.running
    await communicator.disconnect()
    assert str(debate.pk) not in fanout.hubs().hubs
