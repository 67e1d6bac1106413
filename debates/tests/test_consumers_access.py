"""Access taken away reaches open sockets at once (accounts/realtime.py, issue 9 item 2): the
creator unshares a running debate or closes its public link, a member is removed, a viewer
logs out. Each closes the affected socket with 4403 before any further event, and leaves the
others streaming."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import Membership, Team, User
from accounts.services import membership_remove
from consultation.asgi import application
from debates import consumers, follower
from debates.models import Debate
from debates.orchestration.progress import stage_start
from debates.services.sharing import debate_set_public, debate_share
from debates.tests.factories import make_debate

pytestmark = [pytest.mark.django_db(transaction=True)]

# How long a message that must come may take: a bound for a hang, never waited out when green
# (a first connect under xdist on the shared 2-core machine once took over 3 s).
TIMEOUT = 10


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> AsyncIterator[None]:
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def _no_follower(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "layer_needs_follower", lambda layer: False)


def signed_in(user: User) -> tuple[Client, bytes]:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return client, f"{name}={client.cookies[name].value}".encode()


async def watch(debate_id: Any, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(
        application, f"/ws/debates/{debate_id}/?after=0", headers=headers
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    # Connected and subscribed: the log is empty, so nothing comes yet.
    assert await communicator.receive_nothing(timeout=0.1)
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close", output
    return int(output.get("code", 1000))


async def next_event(debate: Debate) -> None:
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="rebuttal", round_number=1)


@pytest.fixture
async def shared(owner: User, team: Team, member: User) -> Debate:
    debate: Debate = await database_sync_to_async(make_debate)(owner, team=team)
    await database_sync_to_async(debate_share)(actor=owner, debate=debate, shared=True)
    return debate


async def test_unsharing_closes_the_members_socket_not_the_creators(
    shared: Debate, owner: User, member: User
) -> None:
    member_socket = await watch(shared.pk, (await database_sync_to_async(signed_in)(member))[1])
    owner_socket = await watch(shared.pk, (await database_sync_to_async(signed_in)(owner))[1])
    await database_sync_to_async(debate_share)(actor=owner, debate=shared, shared=False)
    assert await closed_with(member_socket) == consumers.CLOSE_ACCESS_REVOKED
    await next_event(shared)
    assert (await owner_socket.receive_json_from(timeout=TIMEOUT))["seq"] == 1
    assert await member_socket.receive_nothing(timeout=0.2)
    await owner_socket.disconnect()
    await member_socket.disconnect()


async def test_closing_the_public_link_closes_anonymous_sockets(owner: User) -> None:
    debate: Debate = await database_sync_to_async(make_debate)(owner, is_public=True)
    visitor = await watch(debate.pk)
    await database_sync_to_async(debate_set_public)(actor=owner, debate=debate, public=False)
    assert await closed_with(visitor) == consumers.CLOSE_ACCESS_REVOKED
    # Reconnecting is checked again: no longer allowed at all.
    again = WebsocketCommunicator(
        application,
        f"/ws/debates/{debate.pk}/?after=0",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    await again.connect(timeout=TIMEOUT)
    assert await closed_with(again) == consumers.CLOSE_NOT_AUTHENTICATED
    await visitor.disconnect()
    await again.disconnect()


async def test_removing_a_member_closes_their_socket(
    shared: Debate, owner: User, member: User, team: Team
) -> None:
    socket = await watch(shared.pk, (await database_sync_to_async(signed_in)(member))[1])
    membership = await database_sync_to_async(Membership.objects.get)(team=team, user=member)
    await database_sync_to_async(membership_remove)(actor=owner, membership=membership)
    assert await closed_with(socket) == consumers.CLOSE_ACCESS_REVOKED
    await socket.disconnect()


async def test_logging_out_closes_that_sessions_sockets_only(shared: Debate, member: User) -> None:
    leaving, leaving_cookie = await database_sync_to_async(signed_in)(member)
    _other, other_cookie = await database_sync_to_async(signed_in)(member)
    leaving_socket = await watch(shared.pk, leaving_cookie)
    other_socket = await watch(shared.pk, other_cookie)
    response = await database_sync_to_async(leaving.post)("/accounts/logout/")
    assert response.status_code == 302
    assert await closed_with(leaving_socket) == consumers.CLOSE_ACCESS_REVOKED
    await next_event(shared)
    assert (await other_socket.receive_json_from(timeout=TIMEOUT))["seq"] == 1
    await leaving_socket.disconnect()
    await other_socket.disconnect()


async def test_sharing_or_opening_access_closes_nothing(owner: User, team: Team) -> None:
    debate: Debate = await database_sync_to_async(make_debate)(owner, team=team)
    socket = await watch(debate.pk, (await database_sync_to_async(signed_in)(owner))[1])
    await database_sync_to_async(debate_share)(actor=owner, debate=debate, shared=True)
    await database_sync_to_async(debate_set_public)(actor=owner, debate=debate, public=True)
    await next_event(debate)
    assert (await socket.receive_json_from(timeout=TIMEOUT))["seq"] == 1
    await socket.disconnect()


async def test_the_periodic_check_closes_a_socket_whose_message_was_lost(
    shared: Debate, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost access.changed message (a channel-layer hiccup) delays the closure, never
    cancels it: the resync pass checks access too."""
    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 0.05)
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0.0)
    socket = await watch(shared.pk, (await database_sync_to_async(signed_in)(member))[1])
    # Unshared behind the service's back: no message is sent.
    await database_sync_to_async(Debate.objects.filter(pk=shared.pk).update)(shared_with_team=False)
    assert await closed_with(socket) == consumers.CLOSE_ACCESS_REVOKED
    await socket.disconnect()
