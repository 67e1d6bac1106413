"""Followers: how events written by a worker process reach this web process's viewers when
the channel layer is the in-memory one (the embedded default).

The in-memory layer lives inside one process, so a worker's `group_send` never reaches the
web process. Each web process therefore runs ONE follower per watched debate, owned by that
debate's hub (debates/fanout.py), which is shared by all of the process's consumers of the
debate: it polls the event log (one indexed read of the debate row; the events themselves
only when there are new ones) and hands what is new straight to the hub, which fans it out to
the local consumers without the channel layer. It polls every `POLL_SECONDS` while the debate
streams, and every `IDLE_POLL_SECONDS` once nothing has come for `IDLE_AFTER_SECONDS` (a
queued debate, a slow model's first token), so a watched but quiet debate costs 4 reads a
second, not 20. Its reads (and its hub's) run on a thread of their own (`read_log`), never
queued behind the web process's other database work. It stops when the hub does (the last
consumer left), or when the debate has finished and every event has gone out.

With Redis (`REDIS_URL`), the worker's `group_send` reaches every web process's hub directly
and no follower runs: `layer_needs_follower` tells by the layer's class. Either way the hub
drops what it has already fanned out, so an event that comes twice (a web process's own
write, seen by its follower too) is harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabase

from debates.selectors import debate_event_messages, debate_log_position

logger = structlog.get_logger(__name__)

# How often a follower reads the log: the extra latency of live events in the embedded
# default (docs/OPS.md, "Live events"; docs/PERFORMANCE.md, "Live fan-out"). While events come,
POLL_SECONDS = 0.05
# and once none has come for IDLE_AFTER_SECONDS (the first event after a pause waits up to this).
IDLE_POLL_SECONDS = 0.25
IDLE_AFTER_SECONDS = 2.0
# Events read and forwarded per query when a follower catches up.
BATCH = 200

Sink = Callable[[dict[str, Any]], None]

# The log reads of live fan-out (followers' polls, hubs' gap and resync reads) have their own
# thread, so they never queue behind the web process's other database work on the shared
# sync_to_async thread: 200 sockets connecting at once put ~400 reads there, which held the
# polls, and so every viewer's events, back by a second or more.
_LOG_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-log")


def read_log[**P, R](func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func` run on the live-log thread, as `database_sync_to_async` would on the shared one;
    the thread's connection is closed after each read (a test database can be dropped, and
    an idle web process holds no extra connection). On an in-memory SQLite database (the
    tests') it stays on the shared thread: connections to one share a cache whose table locks
    do not wait, so a read on another thread made concurrent writes fail ("database table is
    locked"). A SQLite file in WAL mode has no such locks."""
    database = connections["default"]
    if isinstance(database, SQLiteDatabase) and database.is_in_memory_db():
        shared: Callable[P, Awaitable[R]] = database_sync_to_async(func)
        return shared

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    reader: Callable[P, Awaitable[R]] = database_sync_to_async(
        run, thread_sensitive=False, executor=_LOG_READER
    )
    return reader


def layer_needs_follower(layer: Any) -> bool:
    """Only a per-process layer needs one; Redis carries the worker's wake-ups itself."""
    return isinstance(layer, InMemoryChannelLayer)


def poll_interval(*, quiet_for: float) -> float:
    """How long to wait before the next poll, `quiet_for` seconds after the last new event."""
    return IDLE_POLL_SECONDS if quiet_for >= IDLE_AFTER_SECONDS else POLL_SECONDS


class Follower:
    """Hands one debate's new events from the log to `sink` (its hub's `publish`), in order,
    each as a `debate.event` message."""

    def __init__(self, debate_id: str, sink: Sink) -> None:
        self.debate_id = debate_id
        self.sink = sink
        self.cursor = 0
        self.task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def start(self) -> None:
        """Begin from the log's current end: consumers read what came before themselves,
        after this returns. Two consumers arriving together start it once."""
        async with self._starting:
            if self.running:
                return
            position = await read_log(debate_log_position)(debate_id=self.debate_id)
            self.cursor = position[0] if position else 0
            self.task = asyncio.create_task(self._run(), name=f"follower-{self.debate_id}")

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(self) -> None:
        log = logger.bind(debate_id=self.debate_id)
        log.debug("follower_started", cursor=self.cursor)
        loop = asyncio.get_running_loop()
        news_at = loop.time()  # a consumer just arrived: the debate is probably live
        while True:
            await asyncio.sleep(poll_interval(quiet_for=loop.time() - news_at))
            try:
                cursor = self.cursor
                if await self._poll():
                    break
                if self.cursor > cursor:
                    news_at = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception:  # a busy database must not end live updates
                log.warning("follower_poll_failed", exc_info=True)
        log.debug("follower_finished", cursor=self.cursor)

    async def _poll(self) -> bool:
        """Forward what is new. True when there will never be anything more."""
        position = await read_log(debate_log_position)(debate_id=self.debate_id)
        if position is None:
            return True
        last_seq, finished = position
        while self.cursor < last_seq:
            batch = await read_log(debate_event_messages)(
                debate_id=self.debate_id, after=self.cursor, limit=BATCH
            )
            if not batch:
                break
            for message in batch:
                self.sink({"type": "debate.event", "event": message})
                self.cursor = message["seq"]
        return bool(finished) and self.cursor >= int(last_seq)
