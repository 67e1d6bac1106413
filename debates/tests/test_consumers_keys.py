"""The live socket with an API key in the handshake's headers: who may connect, and a revoked
key's sockets closing at once."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.models import Team, User
from accounts.tests.factories import make_team
from apikeys import selectors as apikeys_selectors
from apikeys.services import apikey_revoke
from apikeys.tests.factories import make_key
from billing.models import Plan
from consultation.asgi import application
from debates import consumers, follower
from debates.tests.factories import make_debate, make_event

pytestmark = [pytest.mark.django_db(transaction=True)]
# How long a message that must come may take: a bound for a hang, never waited out when green
# (a first connect under xdist on the shared 2-core machine once took over 3 s).
TIMEOUT = 10


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> AsyncIterator[None]:
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def no_follower(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "layer_needs_follower", lambda layer: False)


async def connect(debate_id: Any, key: str, header: bytes = b"authorization") -> Any:
    value = f"Bearer {key}".encode() if header == b"authorization" else key.encode()
    communicator = WebsocketCommunicator(
        application,
        f"/ws/debates/{debate_id}/?after=0",
        headers=[(b"host", b"testserver"), (header, value)],
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def close_code(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close"
    return int(output.get("code", 1000))


def _key(owner: User, team: Team, scopes: list[str] | None = None) -> str:
    return make_key(actor=owner, team=team, scopes=scopes).key


async def test_a_key_in_the_headers_connects_and_revoking_it_closes_the_socket(
    owner: User, team: Team
) -> None:
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    await database_sync_to_async(make_event)(debate.pk)
    for header in (b"authorization", b"x-api-key"):
        communicator = await connect(debate.pk, key, header)
        assert (await communicator.receive_json_from(timeout=TIMEOUT))["seq"] == 1
        await communicator.disconnect()
    communicator = await connect(debate.pk, key)
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["seq"] == 1
    api_key = await database_sync_to_async(lambda: team.api_keys.get())()
    await database_sync_to_async(apikey_revoke)(actor=owner, api_key=api_key)
    assert await close_code(communicator) == consumers.CLOSE_NOT_AUTHENTICATED
    # And the key opens nothing any more.
    again = await connect(debate.pk, key)
    assert await close_code(again) == consumers.CLOSE_NOT_AUTHENTICATED


async def test_key_refusals_have_their_close_codes(owner: User, team: Team) -> None:
    key = await database_sync_to_async(_key)(owner, team)
    usage_only = await database_sync_to_async(_key)(owner, team, ["usage:read"])
    other = await database_sync_to_async(make_team)(owner=owner, name="Other")
    elsewhere = await database_sync_to_async(make_debate)(owner, team=other)
    mine = await database_sync_to_async(make_debate)(owner, team=team)
    for debate_id, credential, code in (
        (mine.pk, key[:-1] + "x", consumers.CLOSE_NOT_AUTHENTICATED),
        (mine.pk, usage_only, consumers.CLOSE_SCOPE_MISSING),
        (elsewhere.pk, key, consumers.CLOSE_NOT_FOUND),
    ):
        communicator = await connect(debate_id, credential)
        assert await close_code(communicator) == code
        await communicator.disconnect()


async def test_opening_a_socket_counts_against_the_rate_limit(owner: User, team: Team) -> None:
    """As opening a stream does: one request of the key's per-minute limit per socket, and the
    socket over it gets the API's 429 body, then 4429, and nothing of the debate."""
    await database_sync_to_async(
        lambda: Plan.objects.filter(slug="free").update(api_requests_per_minute=2)
    )()
    key = await database_sync_to_async(_key)(owner, team)
    other = await database_sync_to_async(make_team)(owner=owner, name="Other")
    elsewhere = await database_sync_to_async(make_debate)(owner, team=other)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    await database_sync_to_async(make_event)(debate.pk)
    # A refusal for another reason counts nothing.
    refused = await connect(elsewhere.pk, key)
    assert await close_code(refused) == consumers.CLOSE_NOT_FOUND
    for _admitted in range(2):
        communicator = await connect(debate.pk, key)
        assert (await communicator.receive_json_from(timeout=TIMEOUT))["seq"] == 1
        await communicator.disconnect()
    over = await connect(debate.pk, key)
    message = await over.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "error"
    error = message["error"]
    assert (error["code"], error["limit"]) == ("rate_limited", 2)
    assert 1 <= error["retry_after"] <= 60
    assert error["detail"]
    assert await close_code(over) == consumers.CLOSE_RATE_LIMITED


async def test_a_revocation_that_never_arrives_is_noticed_at_the_next_resync(
    owner: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 0.05)
    monkeypatch.setattr("apikeys.services._close_connections", lambda key_id: None)
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    communicator = await connect(debate.pk, key)
    api_key = await database_sync_to_async(lambda: team.api_keys.get())()
    await database_sync_to_async(apikey_revoke)(actor=owner, api_key=api_key)
    assert await close_code(communicator) == consumers.CLOSE_NOT_AUTHENTICATED


async def test_the_periodic_checks_of_one_keys_sockets_share_one_read(
    owner: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    await database_sync_to_async(_key)(owner, team)
    api_key = await database_sync_to_async(lambda: team.api_keys.get())()
    reads: list[Any] = []
    real = apikeys_selectors.apikey_is_live

    def counted(**kwargs: Any) -> bool:
        reads.append(kwargs["key_id"])
        return real(**kwargs)

    monkeypatch.setattr(consumers, "apikey_is_live", counted)
    monkeypatch.setattr(consumers, "KEY_CHECK_SECONDS", 60)
    for _socket in range(3):
        assert await consumers._key_is_live(api_key, shared=True)
    assert len(reads) == 1
    # A check after an access change never takes an earlier answer.
    assert await consumers._key_is_live(api_key)
    assert len(reads) == 2
    await database_sync_to_async(apikey_revoke)(actor=owner, api_key=api_key)
    assert not await consumers._key_is_live(api_key)
    monkeypatch.setattr(consumers, "KEY_CHECK_SECONDS", 0)
    assert not await consumers._key_is_live(api_key, shared=True)  # too old: read again
    assert len(reads) == 4
