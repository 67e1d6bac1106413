"""The live channel of a debate: `/ws/debates/<id>/?after=<seq>`.

A browser that connects gets every persisted event with `seq > after`, in order, then every
new one as it happens, each as one JSON object `{"seq", "type", "at", "payload"}`. Nothing is
missed and nothing comes twice:

1. the consumer subscribes to its process's hub for the debate (debates/fanout.py: the one
   member of the group `debate.<id>` in this process, shared by all its viewers of the
   debate, fed by the follower in the embedded default) BEFORE it reads the log, so an event
   appended while it reads is either in what it reads or arrives as a wake-up afterwards;
2. it remembers the last seq it sent and drops anything at or below it (a wake-up for an event
   already read from the log, or one delivered twice);
3. a wake-up that jumps ahead (seq > last + 1: a wake-up was lost) first sends the missing
   events from the log, and so does `debate.lagged`, which the hub sends instead of the
   events a socket that fell behind had no room for (its inbox is bounded: one slow socket
   never holds up the others);
4. after `RESYNC_SECONDS` without an event the hub looks at the log anyway (once for all the
   process's viewers of the debate), so even a lost last wake-up is made good; a debate that
   no longer exists makes every socket look for itself (`debate.recheck`), and close.

Wake-ups come from the hub, not the channel layer: the hub serialises each event once and
hands the same text to every local socket, so an event costs one channel-layer message per
process, and no database read per viewer.

`?batch=1` asks for bursts in one message: the events ready to go at once (a stage's start
and its seats' turns, a reconnect's catch-up from the log, a burst a busy server queued) come
as `{"type": "batch", "events": [<event>, ...]}`, in order, at most FRAME_EVENTS a message; a
lone event comes as itself. Without it, every event is a message of its own. The guarantee is
the same either way; a busy server sends far fewer WebSocket frames (each costs the server
about as much as its content, whatever its size: docs/PERFORMANCE.md, "Live fan-out").

After the debate's final event (`debate.completed`, `debate.failed`, `debate.cancelled`) the
server closes the socket with 1000: there will never be anything more. A client that connects
to a finished debate gets what it lacks, then the same close.

Who: the session (a browser), or an API key in the handshake's headers (`Authorization:
Bearer <key>` or `X-API-Key`; never in the URL) for programs. A key needs the `debates:read`
scope and sees only its team's debates; revoking it closes its sockets at once (the group
`apikey.<id>`), and every resync re-checks it, so a revocation that could not reach this
process still closes them within RESYNC_SECONDS + KEY_CHECK_SECONDS (the sockets of one key
share one check that recent).

Refusals close right after the handshake, with a code the client can act on:
4400 `after` is not a whole number >= 0; 4401 not signed in (and the debate is not public), or
the API key is not valid (also when it is revoked while connected); 4403 the key lacks the
`debates:read` scope, or access was taken away while connected; 4404 no such debate, or not
one this user may see (the two look the same); 4429 over the caller's per-minute rate limit:
opening a socket with a key or a session is one request against it, as opening a stream is
(an anonymous viewer of a public debate is not counted), and the close comes after one message
`{"type": "error", "error": <the API's error, retry_after included>}`.

Access is checked again whenever it may have been taken away: on an `access.changed` message
(accounts/realtime.py: sent to the debate's group when it is unshared or its public link
closes, which the hub passes on to every local socket of the debate, and to the group
`access.user.<id>` of a signed-in viewer when they leave or are removed from the team, or log
out), on an `apikey.revoked` message for the key the socket
came with, and every `ACCESS_RECHECK_SECONDS` in case a message was lost. A socket that lost
access closes and receives nothing more; reconnecting goes through the connect checks again.

`DebateStreamConsumer` below serves the same events as server-sent events (SSE) over plain
HTTP, with the same guarantee, for clients that prefer `curl -N` to a WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import structlog
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from accounts.realtime import user_group_name
from accounts.selectors import active_team_for_user, session_is_signed_in
from apikeys.authentication import CHALLENGE, authenticate_key, key_from_scope
from apikeys.models import APIKey
from apikeys.selectors import apikey_is_live
from apikeys.services import key_group
from apikeys.throttling import Counted, rate_check, rate_headers
from consultation.api.permissions import DEBATES_READ
from consultation.exceptions import (
    AppError,
    InvalidAPIKey,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ScopeMissing,
    ValidationFailed,
)
from debates.fanout import HubFedConsumer, hubs
from debates.models import FINISHED_STATUSES, Debate, EventType
from debates.selectors import (
    debate_event_messages,
    debate_get_brief_for_user,
    debate_get_for_viewer,
    debate_log_position,
)

logger = structlog.get_logger(__name__)

CLOSE_FINISHED = 1000
CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_SCOPE_MISSING = 4403
CLOSE_ACCESS_REVOKED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429

TERMINAL_EVENTS = frozenset(
    {EventType.DEBATE_COMPLETED, EventType.DEBATE_FAILED, EventType.DEBATE_CANCELLED}
)
# How often a socket checks that its API key is still live (a revocation that could not reach
# this process). The log's safety net is the hub's (debates/fanout.py, RESYNC_SECONDS).
RESYNC_SECONDS = 5.0
# How old a key check the periodic checks of the sockets on one key may share (_key_is_live).
KEY_CHECK_SECONDS = 1.0
_key_checks: dict[Any, tuple[float, bool]] = {}
# The safety net for a lost access.changed message: access is checked again this often.
ACCESS_RECHECK_SECONDS = 30.0
# Events read from the log per query.
BATCH = 500
# Events per message at most, for a socket that asked for batches (`?batch=1`).
FRAME_EVENTS = 100
_DIGITS = re.compile(r"[0-9]{1,12}")


def _debate_to_watch(*, user: AbstractBaseUser | AnonymousUser, debate_id: str) -> Debate:
    """`debate_get_for_viewer`'s debate (the same rule, the same refusals), read without the
    seats and turns it prefetches for pages: a live channel needs only the team, and 200
    viewers arriving together made those lists most of the cost of connecting."""
    if isinstance(user, User):
        try:
            return debate_get_brief_for_user(user=user, debate_id=debate_id)
        except NotFound:
            pass  # maybe public: the viewer's rule says
    debate, _takes_part = debate_get_for_viewer(user=user, debate_id=debate_id)
    return debate


def _log_position_of(debate: Debate) -> tuple[int, bool]:
    """`debate_log_position` of a debate read at connect, before subscribing: saves a read per
    socket. Finished then, its last seq is final; not finished then, whatever came since is in
    the log the socket reads after subscribing (or comes from the hub)."""
    return debate.last_seq, debate.status in FINISHED_STATUSES


def _query_value(query_string: bytes, name: str, default: str) -> str:
    """The last value of a query parameter (`default` when absent)."""
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get(name, [default])
    return values[-1]


def wants_batches(query_string: bytes) -> bool:
    """`batch=1` (or `true`): bursts of events in one message."""
    return _query_value(query_string, "batch", "").lower() in ("1", "true")


def parse_after(query_string: bytes) -> int | None:
    """The `after` parameter: a whole number >= 0 (0 when absent); None when it is not."""
    raw = _query_value(query_string, "after", "0")
    if not _DIGITS.fullmatch(raw):
        return None
    return int(raw)


class _SendsTogether[Frame]:
    """Events sent within `_together` wait in `outbox` and go out together, at most
    FRAME_EVENTS at a time, through the consumer's `_flush` (the socket's batch message, the
    stream's one chunk): a burst or a catch-up costs one send, not one per event."""

    outbox: list[Frame] | None

    def _sends_together(self) -> bool:
        return True

    async def _flush(self) -> None:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def _together(self) -> AsyncIterator[None]:
        """What is sent within goes out together when it ends (or before the end of the
        conversation, which flushes what waits)."""
        if not self._sends_together() or self.outbox is not None:
            yield
            return
        self.outbox = []
        try:
            yield
        finally:
            await self._flush()
            self.outbox = None

    async def _keep(self, frame: Frame) -> None:
        """`frame` into the outbox (inside `_together`), sent once FRAME_EVENTS wait."""
        assert self.outbox is not None
        self.outbox.append(frame)
        if len(self.outbox) >= FRAME_EVENTS:
            await self._flush()


class _WatchesAccess:
    """Who watches a debate, and whether they still may: shared by the socket and the stream.
    Set by the consumer once it has admitted the viewer: `debate_id`, `user` (the key's user
    for a key), `api_key` (or None) and `session_key` (the session that signed them in)."""

    debate_id: str
    user: AbstractBaseUser | AnonymousUser
    api_key: APIKey | None
    session_key: str | None
    scope: dict[str, Any]

    def _session_key(self) -> str | None:
        session = self.scope.get("session")
        return getattr(session, "session_key", None) if session is not None else None

    async def still_authenticated(self) -> AbstractBaseUser | AnonymousUser:
        """Who is connected now: the user `authenticate` found, while the session that signed
        them in is still signed in; anonymous once it logged out or expired. (A credential
        read from the handshake, such as an API key, is re-checked here too.)"""
        user = self.user
        if not user.is_authenticated:
            return user
        if self.api_key is not None:  # a key's socket has no session: the key is what counts
            return user if await _key_is_live(self.api_key) else AnonymousUser()
        signed_in = await database_sync_to_async(session_is_signed_in)(
            session_key=self.session_key, user_id=user.pk
        )
        return user if signed_in else AnonymousUser()

    async def has_access(self) -> bool:
        user = await self.still_authenticated()
        try:
            debate = await database_sync_to_async(_debate_to_watch)(
                user=user, debate_id=self.debate_id
            )
        except (NotAuthenticated, NotFound):
            return False
        # A key acts for its team only, now as at connect.
        return self.api_key is None or debate.team_id == self.api_key.team_id

    def _lost_session(self, message: dict[str, Any]) -> bool:
        """An `access.changed` that names the session this viewer came with (a logout)."""
        ended = message.get("ended_session")
        return bool(ended) and ended == self.session_key


class DebateEventsConsumer(
    _SendsTogether[str],
    _WatchesAccess,
    HubFedConsumer,
    AsyncJsonWebsocketConsumer,  # type: ignore[misc]
):
    """One browser watching one debate (read-only: whatever the client sends is ignored)."""

    debate_id: str
    last_sent: int
    finished: bool
    user: AbstractBaseUser | AnonymousUser
    session_key: str | None

    async def connect(self) -> None:
        self.debate_id = str(self.scope["url_route"]["kwargs"]["debate_id"])
        self.last_sent = 0
        self.finished = False
        self.joined = False
        self.user_group: str | None = None
        self.lock = asyncio.Lock()
        self.resync: asyncio.Task[None] | None = None
        self.log = logger.bind(debate_id=self.debate_id)
        self.api_key: APIKey | None = None
        self.batches = wants_batches(self.scope.get("query_string", b""))
        self.outbox: list[str] | None = None  # while sending together (`_together`)
        # Accept first: a refusal before the handshake reaches the browser as a bare 403,
        # without the close code that tells it not to retry.
        await self.accept()

        after = parse_after(self.scope.get("query_string", b""))
        if after is None:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        try:
            user = await self.authenticate()
            debate = await database_sync_to_async(_debate_to_watch)(
                user=user, debate_id=self.debate_id
            )
            if (key := self._key()) is not None and debate.team_id != key.team_id:
                raise NotFound  # a key acts for its team only
        except ScopeMissing:
            await self.close(code=CLOSE_SCOPE_MISSING)
            return
        except (NotAuthenticated, InvalidAPIKey):
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return

        # A key's or a signed-in viewer's socket counts against their plan's rate. An anonymous
        # viewer of a public debate is not counted, no more than the page it comes from:
        # viewers behind one address (an office sharing a link) would refuse each other.
        if (key := self._key()) is not None or user.is_authenticated:
            try:
                await database_sync_to_async(_count_request)(api_key=key, user=user, ip="")
            except RateLimited as limited:
                # The close frame cannot say when to come back (Daphne drops its reason): the
                # error, in the API's shape, comes first, as the stream's `event: error` does.
                await self.send_json({"type": "error", "error": limited.as_dict()})
                await self.close(code=CLOSE_RATE_LIMITED)
                return

        self.last_sent = after
        self.user = user
        self.session_key = self._session_key()
        known = _log_position_of(debate)
        if user.is_authenticated:
            self.user_group = user_group_name(user.pk)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        if (key := self._key()) is not None:
            await self.channel_layer.group_add(key_group(key.pk), self.channel_name)
        await hubs().subscribe(self.debate_id, self.channel_layer, self.inbox)
        self.joined = True
        async with self.lock, self._together():
            await self._catch_up()
            await self._close_if_drained(known)
        if not self.finished:
            self.resync = asyncio.create_task(self._resync_forever())

    async def authenticate(self) -> AbstractBaseUser | AnonymousUser:
        """Who is connecting: the key of the handshake's headers if it carries one (then the
        session is ignored), else the session user (AuthMiddlewareStack)."""
        raw = key_from_scope(self.scope)
        if raw is None:
            user: AbstractBaseUser | AnonymousUser | None = self.scope.get("user")
            return user if user is not None else AnonymousUser()
        key_user: User
        key_user, api_key = await database_sync_to_async(authenticate_key)(raw)
        if not api_key.has_scope(DEBATES_READ):
            raise ScopeMissing(required_scope=DEBATES_READ)
        self.api_key = api_key
        return key_user

    def _key(self) -> APIKey | None:
        return self.api_key

    async def apikey_revoked(self, message: dict[str, Any]) -> None:
        """The key this socket was opened with is revoked: close now."""
        self.finished = True
        await self.close(code=CLOSE_NOT_AUTHENTICATED)

    async def access_changed(self, message: dict[str, Any]) -> None:
        """Someone took access away from someone (accounts/realtime.py): check again."""
        async with self.lock:
            if self.finished:
                return
            if self._lost_session(message) or not await self.has_access():
                await self._revoke(str(message.get("reason", "")))

    async def _revoke(self, reason: str) -> None:
        self.log.info("live_access_revoked", reason=reason)
        self.finished = True  # nothing more is sent, whatever is queued
        await self.close(code=CLOSE_ACCESS_REVOKED)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The channel is one-way; a client's message changes nothing."""

    async def disconnect(self, code: int) -> None:
        if self.resync is not None:
            self.resync.cancel()
        if self.joined:
            await hubs().unsubscribe(self.debate_id, self.inbox)
            if self.api_key is not None:
                await self.channel_layer.group_discard(
                    key_group(self.api_key.pk), self.channel_name
                )
            self.joined = False
        if self.user_group is not None:
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
            self.user_group = None

    async def debate_event(self, message: dict[str, Any]) -> None:
        """A wake-up from the hub (the worker's publish, or this process's follower), and,
        for a socket that asked for batches, the hub's other events waiting behind it."""
        async with self.lock, self._together():
            burst = [message]
            if self.batches:
                burst += self.inbox.take_events(FRAME_EVENTS)
            for wake_up in burst:
                event = wake_up["event"]
                seq = int(event["seq"])
                if seq > self.last_sent + 1 and not self.finished:
                    await self._catch_up(upto=seq - 1)
                if self._wants(seq):
                    await self._send(event, wake_up.get("text"))

    async def debate_lagged(self, message: dict[str, Any]) -> None:
        """This socket fell behind and the hub dropped events for it: read them from the log.
        (`debate.recheck`, the debate is gone: the same read finds that out, and closes.)"""
        async with self.lock, self._together():
            await self._catch_up()
            await self._close_if_drained()

    debate_recheck = debate_lagged

    def _wants(self, seq: int) -> bool:
        return not self.finished and seq > self.last_sent

    async def _catch_up(self, upto: int | None = None) -> None:
        """Send what the log has after the last event sent (up to `upto`)."""
        while not self.finished:
            batch = await database_sync_to_async(debate_event_messages)(
                debate_id=self.debate_id, after=self.last_sent, upto=upto, limit=BATCH
            )
            for event in batch:
                if not self._wants(int(event["seq"])):
                    return
                await self._send(event)
            if len(batch) < BATCH:
                return

    async def _send(self, event: dict[str, Any], text: str | None = None) -> None:
        # `text`: the event already serialised once for every viewer (the hub's).
        text = text if text is not None else json.dumps(event)
        self.last_sent = int(event["seq"])
        if self.outbox is None:
            await self.send(text_data=text)
        else:
            await self._keep(text)
        if event["type"] in TERMINAL_EVENTS:
            await self._finish()

    def _sends_together(self) -> bool:
        """Only for a socket that asked for batches (one message of several events)."""
        return self.batches

    async def _flush(self) -> None:
        if not self.outbox:
            return
        texts, self.outbox = self.outbox, []
        if len(texts) == 1:
            await self.send(text_data=texts[0])
        else:
            # The events' own texts, as they are (each serialised once, by the hub).
            await self.send(text_data='{"type": "batch", "events": [' + ", ".join(texts) + "]}")

    async def _close_if_drained(self, known: tuple[int, bool] | None = None) -> None:
        """A finished debate whose every event this client has: close (it asked for nothing).
        `known`: the position read with the debate at connect (see `_log_position_of`)."""
        if self.finished:
            return
        position = known or await database_sync_to_async(debate_log_position)(
            debate_id=self.debate_id
        )
        if position is None:
            await self._finish()
            return
        last_seq, finished = position
        if finished and self.last_sent >= last_seq:
            await self._finish()

    async def _finish(self) -> None:
        self.finished = True
        await self._flush()  # what is ready goes before the close
        await self.close(code=CLOSE_FINISHED)

    async def _resync_forever(self) -> None:
        """The key every RESYNC_SECONDS, access every ACCESS_RECHECK_SECONDS. The first pass
        comes at a random point of the first period: sockets that connected together (a page
        shared to a room) spread their reads instead of all queueing on the database at once."""
        loop = asyncio.get_running_loop()
        recheck_at = loop.time() + ACCESS_RECHECK_SECONDS
        pause = random.uniform(0, RESYNC_SECONDS)  # noqa: S311 - spreading load, not a secret
        while not self.finished:
            await asyncio.sleep(pause)
            pause = RESYNC_SECONDS
            try:
                if self.api_key is not None and not await _key_is_live(self.api_key, shared=True):
                    await self.apikey_revoked({})
                    return
                async with self.lock:
                    if loop.time() >= recheck_at:
                        recheck_at = loop.time() + ACCESS_RECHECK_SECONDS
                        if not self.finished and not await self.has_access():
                            await self._revoke("periodic_check")
                            return
            except asyncio.CancelledError:
                raise
            except Exception:  # the next pass tries again
                self.log.warning("live_resync_failed", exc_info=True)


async def _key_is_live(api_key: APIKey, *, shared: bool = False) -> bool:
    """Whether the key still works. `shared` (the periodic checks): an answer up to
    KEY_CHECK_SECONDS old will do, so a program's many sockets on one key cost one read per
    key per process, not one per socket every RESYNC_SECONDS."""
    started = time.monotonic()
    if shared and (seen := _key_checks.get(api_key.pk)) is not None:
        checked_at, live = seen
        if started - checked_at < KEY_CHECK_SECONDS:
            return live
    live = bool(await database_sync_to_async(apikey_is_live)(key_id=api_key.pk, now=timezone.now()))
    if len(_key_checks) > 1000:  # forget the old answers now and then
        for key_id in [k for k, (at, _live) in _key_checks.items() if started - at > 60]:
            del _key_checks[key_id]
    _key_checks[api_key.pk] = (started, live)
    return live


# --- Server-sent events: GET /api/v1/debates/<id>/stream/?after=<seq> --------------------------

SSE_RETRY_MS = 3000


def _sse(event: dict[str, Any]) -> bytes:
    """One event: `id` is its seq (so a reconnecting EventSource sends Last-Event-ID)."""
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


def _sse_control(name: str, data: dict[str, Any]) -> bytes:
    """A stream event that is not a debate event (`end`, `error`): no id, so it moves no
    client's Last-Event-ID."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _headers_of(scope: dict[str, Any]) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


def _count_request(
    *, api_key: APIKey | None, user: AbstractBaseUser | AnonymousUser, ip: str
) -> Counted:
    """Opening a stream or a socket is one request against the caller's per-minute limit."""
    signed_in = user if isinstance(user, User) else None
    team = api_key.team if api_key is not None else None
    if team is None and signed_in is not None:
        team = active_team_for_user(user=signed_in)
    return rate_check(api_key=api_key, user=signed_in, team=team, ip=ip)


class MethodNotAllowed(AppError):
    code = "method_not_allowed"  # the code the API's DRF views give too
    status = 405
    default_detail = _lazy("Use GET.")


class StreamRefused(Exception):
    def __init__(self, error: AppError, headers: dict[str, str] | None = None) -> None:
        self.error = error
        self.headers = headers or {}


class DebateStreamConsumer(
    _SendsTogether[bytes],
    _WatchesAccess,
    HubFedConsumer,
    AsyncHttpConsumer,  # type: ignore[misc]
):
    """A debate's events as `text/event-stream`, with the WebSocket's guarantee.

    `after` (or a reconnecting EventSource's `Last-Event-ID`, which wins) says what the client
    has. Then, as for the socket: subscribe to the hub before reading the log, drop what was
    sent, fill a gap from the log (the hub looks at it when the debate is quiet); every
    RESYNC_SECONDS a comment line, so proxies keep the connection and a dead client is
    noticed. Each event is `id: <seq>`, `event: <type>`, `data: <the same JSON as the
    socket's>`. After the debate's final event comes `event: end` and the response ends; a
    revoked key gets `event: error` (`invalid_api_key`) and the same end, and so does a viewer
    whose access was taken away while watching (`not_found`: what a new request would get), on
    the socket's `access.changed` messages and every ACCESS_RECHECK_SECONDS. Refusals are the
    API's JSON errors (401, 403, 404, 400, 429 with Retry-After and the RateLimit headers).

    Everything it sends is sent from a dispatched message (the request, a wake-up, a tick),
    never from a side task, so sends never interleave and the stream can end the consumer.
    """

    async def http_request(self, message: dict[str, Any]) -> None:
        if "body" in message:
            self.body.append(message["body"])
        if message.get("more_body"):
            return
        self.debate_id = str(self.scope["url_route"]["kwargs"]["debate_id"])
        self.last_sent = 0
        self.finished = False
        self.joined = False
        self.api_key: APIKey | None = None
        self.session_key = self._session_key()
        self.user_group: str | None = None
        self.ticker: asyncio.Task[None] | None = None
        self.outbox: list[bytes] | None = None  # while sending together (`_together`)
        self.log = logger.bind(debate_id=self.debate_id)
        try:
            counted = await self._admit()
        except StreamRefused as refused:
            body = json.dumps(refused.error.as_dict()).encode()
            headers = {"Content-Type": "application/json", **refused.headers}
            await self.send_response(
                refused.error.status,
                body,
                headers=[(k.encode(), v.encode()) for k, v in headers.items()],
            )
            raise StopConsumer() from None
        headers = {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache, no-store",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
            **rate_headers(counted),
        }
        await self.send_headers(
            status=200, headers=[(k.encode(), v.encode()) for k, v in headers.items()]
        )
        await self.send_body(f"retry: {SSE_RETRY_MS}\n\n".encode(), more_body=True)
        if self.user.is_authenticated:
            self.user_group = user_group_name(self.user.pk)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        if (key := self._key()) is not None:
            await self.channel_layer.group_add(key_group(key.pk), self.channel_name)
        await hubs().subscribe(self.debate_id, self.channel_layer, self.inbox)
        self.joined = True
        self.recheck_at = time.monotonic() + ACCESS_RECHECK_SECONDS
        async with self._together():
            await self._catch_up()
            await self._close_if_drained(self.known)
        self.ticker = asyncio.create_task(self._tick_forever())

    async def _admit(self) -> Counted:
        """Who asks, for what, and whether they may: the stream's start, or StreamRefused."""
        if self.scope.get("method") not in ("GET", "HEAD"):
            raise StreamRefused(MethodNotAllowed())
        headers = _headers_of(self.scope)
        # Django's handler checks the Host for every other request; this one bypasses it.
        host, _port = split_domain_port(headers.get("host", ""))
        if not validate_host(host, settings.ALLOWED_HOSTS):
            raise StreamRefused(ValidationFailed(_("Bad Host header.")))
        after = parse_after(self.scope.get("query_string", b""))
        last_event_id = headers.get("last-event-id", "")
        if _DIGITS.fullmatch(last_event_id):
            after = int(last_event_id)
        if after is None:
            raise StreamRefused(ValidationFailed(fields={"after": [_("Use a whole number >= 0.")]}))
        self.last_sent = after
        try:
            raw = key_from_scope(self.scope)
            if raw is not None:
                user, api_key = await database_sync_to_async(authenticate_key)(raw)
                if not api_key.has_scope(DEBATES_READ):
                    raise ScopeMissing(required_scope=DEBATES_READ)
                self.api_key = api_key
            else:
                user = self.scope.get("user") or AnonymousUser()
            debate = await database_sync_to_async(_debate_to_watch)(
                user=user, debate_id=self.debate_id
            )
            if (key := self._key()) is not None and debate.team_id != key.team_id:
                raise NotFound(_("Debate not found."))
            self.user = user
            self.known = _log_position_of(debate)
            client = self.scope.get("client") or ("", 0)
            counted: Counted = await database_sync_to_async(_count_request)(
                api_key=key, user=user, ip=str(client[0])
            )
            return counted
        except RateLimited as limited:
            extra: dict[str, str] = {"Retry-After": str(limited.extra.get("retry_after", 60))}
            if (hit := getattr(limited, "counted", None)) is not None:
                extra.update(rate_headers(hit))
            raise StreamRefused(limited, extra) from None
        except InvalidAPIKey as invalid:
            raise StreamRefused(invalid, {"WWW-Authenticate": CHALLENGE}) from None
        except NotAuthenticated as anonymous:
            raise StreamRefused(anonymous, {"WWW-Authenticate": CHALLENGE}) from None
        except AppError as error:
            raise StreamRefused(error) from None

    def _key(self) -> APIKey | None:
        return self.api_key

    async def debate_event(self, message: dict[str, Any]) -> None:
        """A wake-up from the hub, with the hub's other events waiting behind it: written to
        the body together, as one chunk."""
        async with self._together():
            for wake_up in [message, *self.inbox.take_events(FRAME_EVENTS)]:
                event = wake_up["event"]
                seq = int(event["seq"])
                if seq > self.last_sent + 1 and not self.finished:
                    await self._catch_up(upto=seq - 1)
                if not self.finished and seq > self.last_sent:
                    # The hub's message is shared by this process's streams of the debate:
                    # the first one to send it leaves its SSE frame there for the others.
                    frame = wake_up.get("sse")
                    if frame is None:
                        frame = wake_up["sse"] = _sse(event)
                    await self._send(event, frame)

    async def debate_lagged(self, message: dict[str, Any]) -> None:
        """The hub dropped events for this stream (it fell behind): read them from the log.
        (`debate.recheck`, the debate is gone: the same read finds that out, and ends.)"""
        async with self._together():
            await self._catch_up()
            await self._close_if_drained()

    debate_recheck = debate_lagged

    async def apikey_revoked(self, message: dict[str, Any]) -> None:
        await self._end(
            "error", {"code": InvalidAPIKey.code, "detail": str(InvalidAPIKey().detail)}
        )

    async def access_changed(self, message: dict[str, Any]) -> None:
        """Someone took access away from someone (accounts/realtime.py): check again."""
        if not self.finished and (self._lost_session(message) or not await self.has_access()):
            await self._access_lost(str(message.get("reason", "")))

    async def _access_lost(self, reason: str) -> None:
        self.log.info("live_access_revoked", reason=reason)
        await self._end("error", {"code": NotFound.code, "detail": _("Debate not found.")})

    async def stream_tick(self, message: dict[str, Any]) -> None:
        """Every RESYNC_SECONDS: the key still valid? and a comment line; every
        ACCESS_RECHECK_SECONDS, access too, in case an `access.changed` was lost. (The log's
        safety net is the hub's.)"""
        if self.finished:
            return
        if self.api_key is not None and not await _key_is_live(self.api_key, shared=True):
            await self.apikey_revoked({})
            return
        if time.monotonic() >= self.recheck_at:
            self.recheck_at = time.monotonic() + ACCESS_RECHECK_SECONDS
            if not await self.has_access():
                await self._access_lost("periodic_check")
                return
        await self.send_body(b": keep-alive\n\n", more_body=True)

    async def _tick_forever(self) -> None:
        # The first tick at a random point of the first period, as for the sockets.
        pause = random.uniform(0, RESYNC_SECONDS)  # noqa: S311 - spreading load, not a secret
        while not self.finished:
            await asyncio.sleep(pause)
            pause = RESYNC_SECONDS
            await self.channel_layer.send(self.channel_name, {"type": "stream.tick"})

    async def _catch_up(self, upto: int | None = None) -> None:
        while not self.finished:
            batch = await database_sync_to_async(debate_event_messages)(
                debate_id=self.debate_id, after=self.last_sent, upto=upto, limit=BATCH
            )
            for event in batch:
                if self.finished or int(event["seq"]) <= self.last_sent:
                    return
                await self._send(event)
            if len(batch) < BATCH:
                return

    async def _send(self, event: dict[str, Any], frame: bytes | None = None) -> None:
        frame = frame if frame is not None else _sse(event)
        self.last_sent = int(event["seq"])
        if self.outbox is None:
            await self.send_body(frame, more_body=True)
        else:
            await self._keep(frame)
        if event["type"] in TERMINAL_EVENTS:
            await self._end("end", {"last_seq": self.last_sent})

    async def _flush(self) -> None:
        """The waiting frames as one chunk of the body: the same bytes as one per event.
        (`_end` takes what waits with the last words, so nothing is left after it.)"""
        if self.outbox:
            frames, self.outbox = self.outbox, []
            await self.send_body(b"".join(frames), more_body=True)

    async def _close_if_drained(self, known: tuple[int, bool] | None = None) -> None:
        if self.finished:
            return
        position = known or await database_sync_to_async(debate_log_position)(
            debate_id=self.debate_id
        )
        if position is None or (position[1] and self.last_sent >= position[0]):
            await self._end("end", {"last_seq": self.last_sent})

    async def _end(self, name: str, data: dict[str, Any]) -> None:
        """The last words (after what is waiting to be sent), then the response ends and so
        does this consumer."""
        self.finished = True
        waiting, self.outbox = b"".join(self.outbox or ()), None
        await self.send_body(waiting + _sse_control(name, data), more_body=False)
        await self.disconnect()
        raise StopConsumer()

    async def disconnect(self) -> None:
        if getattr(self, "ticker", None) is not None and self.ticker is not asyncio.current_task():
            self.ticker.cancel()  # type: ignore[union-attr]
            self.ticker = None
        if getattr(self, "joined", False):
            await hubs().unsubscribe(self.debate_id, self.inbox)
            if self.api_key is not None:
                await self.channel_layer.group_discard(
                    key_group(self.api_key.pk), self.channel_name
                )
            self.joined = False
        if getattr(self, "user_group", None) is not None:
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
            self.user_group = None
