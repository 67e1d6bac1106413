"""The server-sent-events stream /api/v1/debates/<id>/stream/, through the real ASGI stack:
who may open it, the refusals, delivery without gap or duplicate, its end, and a revoked key
closing it at once."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from accounts.models import Membership, Team, User
from accounts.services import membership_remove
from accounts.tests.factories import make_team
from apikeys.services import apikey_revoke
from apikeys.tests.factories import make_key
from billing.models import Plan
from consultation.asgi import application
from debates import consumers, follower
from debates.models import Debate
from debates.orchestration.progress import stage_start, turn_stage_start
from debates.services.sharing import debate_share
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


class Stream:
    """One GET of the stream, read as the client reads it."""

    def __init__(self, debate_id: Any, *, query: str = "after=0", **headers: str) -> None:
        raw = [(b"host", b"testserver")]
        raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        self.communicator = ApplicationCommunicator(  # type: ignore[no-untyped-call]
            application,
            {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": f"/api/v1/debates/{debate_id}/stream/",
                "raw_path": f"/api/v1/debates/{debate_id}/stream/".encode(),
                "query_string": query.encode(),
                "headers": raw,
                "client": ("127.0.0.1", 50000),
                "server": ("testserver", 80),
            },
        )
        self.buffer = ""
        self.ended = False

    async def open(self) -> tuple[int, dict[str, str]]:
        await self.communicator.send_input({"type": "http.request", "body": b""})  # type: ignore[no-untyped-call]
        start = await self.communicator.receive_output(TIMEOUT)  # type: ignore[no-untyped-call]
        assert start["type"] == "http.response.start"
        headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        return start["status"], headers

    async def body(self) -> str:
        """The whole body of a response that ends (refusals)."""
        chunks = []
        while True:
            message = await self.communicator.receive_output(TIMEOUT)  # type: ignore[no-untyped-call]
            chunks.append(message["body"].decode())
            if not message.get("more_body"):
                return "".join(chunks)

    async def next_event(self) -> tuple[str, dict[str, Any]]:
        """The next named event (comments and `retry:` skipped)."""
        while True:
            if "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                fields = dict(
                    line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
                )
                if "event" in fields:
                    return fields["event"], json.loads(fields["data"])
                continue
            assert not self.ended, "the stream ended"
            message = await self.communicator.receive_output(TIMEOUT)  # type: ignore[no-untyped-call]
            self.buffer += message["body"].decode()
            self.ended = not message.get("more_body")

    async def chunk(self) -> tuple[list[int], str]:
        """The next chunk of the body that carries events or the end (keep-alives skipped):
        the seqs in it, and the whole text."""
        while True:
            message = await self.communicator.receive_output(TIMEOUT)  # type: ignore[no-untyped-call]
            text = message["body"].decode()
            self.ended = not message.get("more_body")
            seqs = [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]
            if seqs or self.ended:
                return seqs, text

    async def close(self) -> None:
        await self.communicator.send_input({"type": "http.disconnect"})  # type: ignore[no-untyped-call]
        await self.communicator.wait(TIMEOUT)  # type: ignore[no-untyped-call]


def _key(owner: User, team: Team, scopes: list[str] | None = None) -> str:
    return make_key(actor=owner, team=team, scopes=scopes).key


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def test_key_create_stream_read_revoke_end_to_end(
    owner: User, team: Team, settings: Any
) -> None:
    """Create a key; create a debate with it; follow its stream; read it; revoke the key:
    the API answers 401 and the open stream ends at once. (The debate's events are written
    here as a worker would; docs/API.md's examples run whole debates on a live server.)"""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    key = await database_sync_to_async(_key)(owner, team)
    api = Client(headers={"Authorization": f"Bearer {key}"})
    created = await database_sync_to_async(api.post)(
        "/api/v1/debates/",
        {"question": "Should a 20-person startup adopt a four-day week?", "preset": "risk-heavy"},
        "application/json",
    )
    assert created.status_code == 202
    debate_id = created.json()["id"]
    await database_sync_to_async(make_event)(debate_id)

    stream = Stream(debate_id, Authorization=f"Bearer {key}")
    status, headers = await stream.open()
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["ratelimit-policy"].startswith('"key";q=')
    name, event = await stream.next_event()
    assert (name, event["seq"]) == ("stage.started", 1)
    # Live: a service of this process appends and publishes.
    await database_sync_to_async(stage_start)(debate_id=debate_id, stage="rebuttal", round_number=1)
    assert (await stream.next_event())[1]["seq"] == 2

    detail = await database_sync_to_async(api.get)(f"/api/v1/debates/{debate_id}/")
    assert detail.status_code == 200
    assert detail.json()["last_seq"] == 2

    api_key = (await database_sync_to_async(lambda: list(team.api_keys.all()))())[0]
    await database_sync_to_async(apikey_revoke)(actor=owner, api_key=api_key)
    name, error = await stream.next_event()
    assert (name, error["code"]) == ("error", "invalid_api_key")
    assert stream.ended
    refused = await database_sync_to_async(api.get)(f"/api/v1/debates/{debate_id}/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_api_key"
    await stream.communicator.wait(TIMEOUT)  # type: ignore[no-untyped-call]


async def test_a_finished_debate_streams_what_is_missing_then_ends(owner: User, team: Team) -> None:
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    for _ in range(3):
        await database_sync_to_async(make_event)(debate.pk)
    await database_sync_to_async(make_event)(debate.pk, type="debate.completed", payload={})
    stream = Stream(debate.pk, query="after=1", **{"X-API-Key": key})
    assert (await stream.open())[0] == 200
    seen = [(await stream.next_event()) for _ in range(4)]
    assert [e[1].get("seq") for e in seen[:3]] == [2, 3, 4]
    assert seen[2][0] == "debate.completed"
    assert seen[3] == ("end", {"last_seq": 4})
    assert stream.ended


async def test_a_catch_up_comes_in_few_chunks_and_the_end_with_the_last(
    owner: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "FRAME_EVENTS", 4)
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    for _ in range(9):
        await database_sync_to_async(make_event)(debate.pk)
    await database_sync_to_async(make_event)(debate.pk, type="debate.completed", payload={})
    stream = Stream(debate.pk, query="after=0", **{"X-API-Key": key})
    assert (await stream.open())[0] == 200
    chunks = [await stream.chunk() for _ in range(3)]
    assert [seqs for seqs, _text in chunks] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert chunks[-1][1].endswith('event: end\ndata: {"last_seq":10}\n\n')
    assert stream.ended


async def test_a_burst_from_the_hub_is_one_chunk(owner: User, team: Team) -> None:
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    await database_sync_to_async(make_event)(debate.pk)
    stream = Stream(debate.pk, query="after=0", **{"X-API-Key": key})
    assert (await stream.open())[0] == 200
    assert (await stream.chunk())[0] == [1]  # from the log: so subscribed to the hub
    # One transaction: the stage's start and its two seats' turns.
    await database_sync_to_async(turn_stage_start)(
        debate_id=debate.pk,
        stage="opening",
        round_number=0,
        seats=[(1, "Seat A", "demo:demo-sage"), (2, "Seat B", "demo:demo-skeptic")],
    )
    assert (await stream.chunk())[0] == [2, 3, 4]
    await database_sync_to_async(stage_start)(
        debate_id=debate.pk, stage="judging", round_number=None
    )
    assert (await stream.chunk())[0] == [5]
    await stream.close()


async def test_last_event_id_wins_over_after(owner: User, team: Team) -> None:
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    for _ in range(3):
        await database_sync_to_async(make_event)(debate.pk)
    stream = Stream(debate.pk, query="after=0", **{"X-API-Key": key, "Last-Event-ID": "2"})
    await stream.open()
    assert (await stream.next_event())[1]["seq"] == 3
    await stream.close()


async def test_the_session_opens_it_too(owner: User) -> None:
    debate = await database_sync_to_async(make_debate)(owner)
    await database_sync_to_async(make_event)(debate.pk)
    cookie = await database_sync_to_async(session_cookie)(owner)
    stream = Stream(debate.pk, Cookie=cookie)
    status, headers = await stream.open()
    assert status == 200
    assert headers["ratelimit-policy"].startswith('"user"')
    assert (await stream.next_event())[1]["seq"] == 1
    await stream.close()


async def test_refusals_are_the_apis_json_errors(owner: User, team: Team) -> None:
    key = await database_sync_to_async(_key)(owner, team)
    read_nothing = await database_sync_to_async(_key)(owner, team, ["usage:read"])
    mine = await database_sync_to_async(make_debate)(owner, team=team)
    other_team = await database_sync_to_async(make_team)(owner=owner, name="Other")
    elsewhere = await database_sync_to_async(make_debate)(owner, team=other_team)
    cases: list[tuple[Stream, int, str]] = [
        (Stream(mine.pk), 401, "not_authenticated"),
        (Stream(mine.pk, Authorization=f"Bearer {key[:-1]}x"), 401, "invalid_api_key"),
        (Stream(mine.pk, Authorization=f"Bearer {read_nothing}"), 403, "scope_missing"),
        (Stream(elsewhere.pk, Authorization=f"Bearer {key}"), 404, "not_found"),
        (Stream(mine.pk, query="after=-1", Authorization=f"Bearer {key}"), 400,
         "validation_failed"),
    ]  # fmt: skip
    for stream, status, code in cases:
        got, headers = await stream.open()
        body = json.loads(await stream.body())
        assert (got, body["code"]) == (status, code), body
        if status == 401:
            assert headers["www-authenticate"].startswith("Bearer")


async def test_opening_a_stream_counts_against_the_rate_limit(owner: User, team: Team) -> None:
    await database_sync_to_async(
        lambda: Plan.objects.filter(slug="free").update(api_requests_per_minute=1)
    )()
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    first = Stream(debate.pk, Authorization=f"Bearer {key}")
    assert (await first.open())[0] == 200
    await first.close()
    second = Stream(debate.pk, Authorization=f"Bearer {key}")
    status, headers = await second.open()
    body = json.loads(await second.body())
    assert (status, body["code"]) == (429, "rate_limited")
    assert int(headers["retry-after"]) >= 1
    assert headers["ratelimit"].startswith('"key";r=0;')
    assert body["upgrade_url"] == "/pricing/"


async def test_a_revoked_key_is_noticed_by_the_periodic_check(
    owner: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revocation whose close message never arrives (another process, no Redis): the next
    tick's re-check ends the stream."""
    from debates import consumers

    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 0.05)
    monkeypatch.setattr("apikeys.services._close_connections", lambda key_id: None)
    key = await database_sync_to_async(_key)(owner, team)
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    stream = Stream(debate.pk, Authorization=f"Bearer {key}")
    await stream.open()
    api_key = await database_sync_to_async(lambda: team.api_keys.get())()
    await database_sync_to_async(apikey_revoke)(actor=owner, api_key=api_key)
    name, error = await stream.next_event()
    assert (name, error["code"]) == ("error", "invalid_api_key")
    assert stream.ended


# --- Access taken away while a stream is open, as for the sockets (test_consumers_access) ---


async def _shared_debate(owner: User, team: Team) -> Any:
    debate = await database_sync_to_async(make_debate)(owner, team=team)
    await database_sync_to_async(debate_share)(actor=owner, debate=debate, shared=True)
    return debate


async def test_unsharing_ends_the_members_stream_not_the_creators(
    owner: User, team: Team, member: User
) -> None:
    debate = await _shared_debate(owner, team)
    member_stream = Stream(debate.pk, Cookie=await database_sync_to_async(session_cookie)(member))
    owner_stream = Stream(debate.pk, Cookie=await database_sync_to_async(session_cookie)(owner))
    assert (await member_stream.open())[0] == 200
    assert (await owner_stream.open())[0] == 200
    await database_sync_to_async(debate_share)(actor=owner, debate=debate, shared=False)
    assert await member_stream.next_event() == (
        "error",
        {"code": "not_found", "detail": "Debate not found."},
    )
    assert member_stream.ended
    await database_sync_to_async(stage_start)(debate_id=debate.pk, stage="rebuttal", round_number=1)
    assert (await owner_stream.next_event())[1]["seq"] == 1
    await owner_stream.close()


async def test_leaving_the_team_or_logging_out_ends_that_persons_streams(
    owner: User, team: Team, member: User
) -> None:
    debate = await _shared_debate(owner, team)
    client = await database_sync_to_async(Client)()
    await database_sync_to_async(client.force_login)(member)
    name = django_settings.SESSION_COOKIE_NAME
    leaving = Stream(debate.pk, Cookie=f"{name}={client.cookies[name].value}")
    staying = Stream(debate.pk, Cookie=await database_sync_to_async(session_cookie)(member))
    await leaving.open()
    await staying.open()
    response = await database_sync_to_async(client.post)("/accounts/logout/")
    assert response.status_code == 302
    assert (await leaving.next_event())[0] == "error"
    assert leaving.ended
    # The member's other session still watches, until they are removed from the team.
    membership = await database_sync_to_async(Membership.objects.get)(team=team, user=member)
    await database_sync_to_async(membership_remove)(actor=owner, membership=membership)
    assert (await staying.next_event())[1]["code"] == "not_found"
    assert staying.ended


async def test_a_lost_access_message_is_made_up_for_by_the_periodic_check(
    owner: User, team: Team, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from debates import consumers

    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 0.05)
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0.0)
    debate = await _shared_debate(owner, team)
    stream = Stream(debate.pk, Cookie=await database_sync_to_async(session_cookie)(member))
    await stream.open()
    # Unshared behind the service's back: no message is sent.
    await database_sync_to_async(Debate.objects.filter(pk=debate.pk).update)(shared_with_team=False)
    assert (await stream.next_event())[1]["code"] == "not_found"
    assert stream.ended
