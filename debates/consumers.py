"""The live channel of a debate: `/ws/debates/<id>/?after=<seq>`.

A browser that connects gets every persisted event with `seq > after`, in order, then every
new one as it happens, each as one JSON object `{"seq", "type", "at", "payload"}`. Nothing is
missed and nothing comes twice:

1. the consumer joins the group `debate.<id>` BEFORE it reads the log, so an event appended
   while it reads is either in what it reads or arrives as a wake-up afterwards;
2. it remembers the last seq it sent and drops anything at or below it (a wake-up for an event
   already read from the log, or one delivered twice);
3. a wake-up that jumps ahead (seq > last + 1: a wake-up was lost, e.g. a full channel) first
   sends the missing events from the log;
4. every `RESYNC_SECONDS` without a wake-up it looks at the log anyway, so even a lost last
   wake-up is made good.

After the debate's final event (`debate.completed`, `debate.failed`, `debate.cancelled`) the
server closes the socket with 1000: there will never be anything more. A client that connects
to a finished debate gets what it lacks, then the same close.

Refusals close right after the handshake, with a code the client can act on:
4400 `after` is not a whole number >= 0; 4401 not signed in (and the debate is not public);
4404 no such debate, or not one this user may see (the two look the same).

Access is checked again whenever it may have been taken away: on an `access.changed` message
(accounts/realtime.py: sent to the debate's group when it is unshared or its public link
closes, and to the group `access.user.<id>` of a signed-in viewer when they leave or are
removed from the team, or log out), and every `ACCESS_RECHECK_SECONDS` in case a message was
lost. A socket that lost access closes with 4403 and receives nothing more; reconnecting
goes through the connect checks again.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from accounts.realtime import user_group_name
from accounts.selectors import session_is_signed_in
from consultation.exceptions import NotAuthenticated, NotFound
from debates.events import group_name
from debates.follower import followers
from debates.models import EventType
from debates.selectors import debate_event_messages, debate_get_for_viewer, debate_log_position

logger = structlog.get_logger(__name__)

CLOSE_FINISHED = 1000
CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_ACCESS_REVOKED = 4403
CLOSE_NOT_FOUND = 4404

TERMINAL_EVENTS = frozenset(
    {EventType.DEBATE_COMPLETED, EventType.DEBATE_FAILED, EventType.DEBATE_CANCELLED}
)
# The safety net for a lost wake-up (see the module docstring): one indexed read per socket.
RESYNC_SECONDS = 5.0
# The safety net for a lost access.changed message: access is checked again this often.
ACCESS_RECHECK_SECONDS = 30.0
# Events read from the log per query.
BATCH = 500
_DIGITS = re.compile(r"[0-9]{1,12}")


def parse_after(query_string: bytes) -> int | None:
    """The `after` parameter: a whole number >= 0 (0 when absent); None when it is not."""
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("after", ["0"])
    raw = values[-1]
    if not _DIGITS.fullmatch(raw):
        return None
    return int(raw)


class DebateEventsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
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
        self.following = False
        self.lock = asyncio.Lock()
        self.resync: asyncio.Task[None] | None = None
        self.log = logger.bind(debate_id=self.debate_id)
        # Accept first: a refusal before the handshake reaches the browser as a bare 403,
        # without the close code that tells it not to retry.
        await self.accept()

        after = parse_after(self.scope.get("query_string", b""))
        if after is None:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        user = await self.authenticate()
        try:
            await database_sync_to_async(debate_get_for_viewer)(user=user, debate_id=self.debate_id)
        except NotAuthenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return

        self.last_sent = after
        self.user = user
        self.session_key = self._session_key()
        if user.is_authenticated:
            self.user_group = user_group_name(user.pk)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.channel_layer.group_add(group_name(self.debate_id), self.channel_name)
        self.joined = True
        self.following = await followers().watch(self.debate_id, self.channel_layer)
        async with self.lock:
            await self._catch_up()
            await self._close_if_drained()
        if not self.finished:
            self.resync = asyncio.create_task(self._resync_forever())

    async def authenticate(self) -> AbstractBaseUser | AnonymousUser:
        """Who is connecting. Today the session user (AuthMiddlewareStack); an API key read
        from the handshake would be resolved here too, before the same access check."""
        user = self.scope.get("user")
        return user if user is not None else AnonymousUser()

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
        signed_in = await database_sync_to_async(session_is_signed_in)(
            session_key=self.session_key, user_id=user.pk
        )
        return user if signed_in else AnonymousUser()

    async def has_access(self) -> bool:
        user = await self.still_authenticated()
        try:
            await database_sync_to_async(debate_get_for_viewer)(user=user, debate_id=self.debate_id)
        except (NotAuthenticated, NotFound):
            return False
        return True

    async def access_changed(self, message: dict[str, Any]) -> None:
        """Someone took access away from someone (accounts/realtime.py): check again."""
        async with self.lock:
            if self.finished:
                return
            ended = message.get("ended_session")
            if (ended and ended == self.session_key) or not await self.has_access():
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
            await self.channel_layer.group_discard(group_name(self.debate_id), self.channel_name)
            self.joined = False
        if self.user_group is not None:
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
            self.user_group = None
        if self.following:
            followers().unwatch(self.debate_id)
            self.following = False

    async def debate_event(self, message: dict[str, Any]) -> None:
        """A wake-up from the group (the worker's publish, or this process's follower)."""
        async with self.lock:
            event = message["event"]
            seq = int(event["seq"])
            if seq > self.last_sent + 1 and not self.finished:
                await self._catch_up(upto=seq - 1)
            if self._wants(seq):
                await self._send(event)

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

    async def _send(self, event: dict[str, Any]) -> None:
        await self.send_json(event)
        self.last_sent = int(event["seq"])
        if event["type"] in TERMINAL_EVENTS:
            await self._finish()

    async def _close_if_drained(self) -> None:
        """A finished debate whose every event this client has: close (it asked for nothing)."""
        if self.finished:
            return
        position = await database_sync_to_async(debate_log_position)(debate_id=self.debate_id)
        if position is None:
            await self._finish()
            return
        last_seq, finished = position
        if finished and self.last_sent >= last_seq:
            await self._finish()

    async def _finish(self) -> None:
        self.finished = True
        await self.close(code=CLOSE_FINISHED)

    async def _resync_forever(self) -> None:
        loop = asyncio.get_running_loop()
        recheck_at = loop.time() + ACCESS_RECHECK_SECONDS
        while not self.finished:
            await asyncio.sleep(RESYNC_SECONDS)
            try:
                async with self.lock:
                    if loop.time() >= recheck_at:
                        recheck_at = loop.time() + ACCESS_RECHECK_SECONDS
                        if not self.finished and not await self.has_access():
                            await self._revoke("periodic_check")
                            return
                    await self._catch_up()
                    await self._close_if_drained()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next pass tries again
                self.log.warning("live_resync_failed", exc_info=True)
