"""Followers: how events written by a worker process reach this web process's browsers when
the channel layer is the in-memory one (the embedded default).

The in-memory layer lives inside one process, so a worker's `group_send` never reaches the
web process. Each web process therefore runs ONE follower per watched debate, shared by all
of its consumers of that debate (reference-counted): it polls the event log every
`POLL_SECONDS` and `group_send`s what is new into the local layer, where the consumers pick it
up exactly as they would a worker's wake-up. It stops when the last consumer leaves, or when the
debate has finished and every event has gone out.

With Redis (`REDIS_URL`), the worker's `group_send` reaches every web process directly and no
follower runs: `layer_needs_follower` tells by the layer's class. Either way the consumers
drop what they have already sent, so a wake-up that comes twice (a web process's own write,
seen by its follower too) is harmless.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import structlog
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer

from debates.events import group_name
from debates.selectors import debate_event_messages, debate_log_position

logger = structlog.get_logger(__name__)

# How often a follower reads the log: the extra latency of live events in the embedded
# default (docs/OPS.md, "Live events"). A poll is one indexed read of the debate row.
POLL_SECONDS = 0.2
# Events read and forwarded per query when a follower catches up.
BATCH = 200


def layer_needs_follower(layer: Any) -> bool:
    """Only a per-process layer needs one; Redis carries the worker's wake-ups itself."""
    return isinstance(layer, InMemoryChannelLayer)


class Follower:
    """Forwards one debate's new events from the log into the local channel layer."""

    def __init__(self, debate_id: str, layer: Any) -> None:
        self.debate_id = debate_id
        self.layer = layer
        self.watchers = 0
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
            position = await database_sync_to_async(debate_log_position)(debate_id=self.debate_id)
            self.cursor = position[0] if position else 0
            self.task = asyncio.create_task(self._run(), name=f"follower-{self.debate_id}")

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(self) -> None:
        log = logger.bind(debate_id=self.debate_id)
        log.debug("follower_started", cursor=self.cursor)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                if await self._poll():
                    break
            except asyncio.CancelledError:
                raise
            except Exception:  # a busy database must not end live updates
                log.warning("follower_poll_failed", exc_info=True)
        log.debug("follower_finished", cursor=self.cursor)

    async def _poll(self) -> bool:
        """Forward what is new. True when there will never be anything more."""
        position = await database_sync_to_async(debate_log_position)(debate_id=self.debate_id)
        if position is None:
            return True
        last_seq, finished = position
        while self.cursor < last_seq:
            batch = await database_sync_to_async(debate_event_messages)(
                debate_id=self.debate_id, after=self.cursor, limit=BATCH
            )
            if not batch:
                break
            for message in batch:
                # Serialised once here, not once per viewer: consumers send `text` as is
                # (and the layer's per-channel copy of a str is free).
                await self.layer.group_send(
                    group_name(self.debate_id),
                    {"type": "debate.event", "event": message, "text": json.dumps(message)},
                )
                self.cursor = message["seq"]
        return bool(finished) and self.cursor >= int(last_seq)


class FollowerRegistry:
    """The followers of one event loop (one web process), by debate."""

    def __init__(self) -> None:
        self.followers: dict[str, Follower] = {}

    async def watch(self, debate_id: str, layer: Any) -> bool:
        """A consumer starts watching. False when this layer needs no follower."""
        if not layer_needs_follower(layer):
            return False
        follower = self.followers.get(debate_id)
        if follower is None:
            follower = self.followers[debate_id] = Follower(debate_id, layer)
        follower.watchers += 1
        await follower.start()
        return True

    def unwatch(self, debate_id: str) -> None:
        """A consumer stops watching; the last one out stops the follower."""
        follower = self.followers.get(debate_id)
        if follower is None:
            return
        follower.watchers -= 1
        if follower.watchers <= 0:
            follower.stop()
            del self.followers[debate_id]


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FollowerRegistry] = (
    weakref.WeakKeyDictionary()
)


def followers() -> FollowerRegistry:
    """This event loop's registry (one per server process; tests get one per loop)."""
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = FollowerRegistry()
    return registry
