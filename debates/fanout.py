"""Live fan-out inside one process: one hub per watched debate, whatever the number of viewers.

Each web process runs at most ONE hub per debate that any of its consumers (WebSocket or SSE)
watches, shared by all of them and reference-counted: the first consumer starts it, the last
one out stops it. The hub is the process's only member of the channel-layer group
`debate.<id>`, with one channel and one receive loop, so an event costs the channel layer one
message per process rather than one per viewer (the worker's `group_send` into Redis, and
the receive loop of every socket). In the embedded default the hub also owns the debate's
follower (debates/follower.py), which reads the log and hands new events straight to the
hub, without the in-memory layer. The hub serialises each event once (`text`) and puts the
same message into every local consumer's `Inbox`; each consumer takes it from there in its own
dispatch loop, in order with everything else it handles (`HubFedConsumer`).

What the hub guarantees, on top of the consumers' own checks (debates/consumers.py):

- it has joined the group (and its follower has its starting point) before `subscribe`
  returns, so a consumer that reads the log after subscribing misses nothing;
- it fans out each seq at most once and in increasing order: what it has fanned out already
  (an event of this process's own, which both the group and the follower carry) is dropped;
- a wake-up that jumps ahead (a message the layer lost) is preceded by the missing events,
  read from the log once for the whole process, not once per viewer; and after
  `RESYNC_SECONDS` without an event it looks at the log itself, so even a lost last wake-up
  reaches every viewer (the consumers' own safety net, once per viewer, is now the hub's);
- every other message to the group (`access.changed` when the debate is unshared) reaches
  every local consumer: those are rare, and each consumer checks its own access.

A consumer that falls behind (its inbox holds `INBOX_EVENTS` events it has not taken) is not
waited for: its further events are dropped and it gets one `debate.lagged` message instead,
on which it reads what it lacks from the log, so a slow socket neither blocks the others nor
misses anything. Messages other than events are never dropped.
"""

from __future__ import annotations

import asyncio
import functools
import json
import weakref
from collections import deque
from typing import Any, NamedTuple

import structlog
from channels.consumer import AsyncConsumer, get_handler_name
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer

from debates import follower as following
from debates.events import group_name
from debates.selectors import debate_event_messages, debate_log_position

logger = structlog.get_logger(__name__)

Message = dict[str, Any]

DEBATE_EVENT = "debate.event"
# Several events of one transaction, as the worker publishes them: fanned out one by one.
DEBATE_EVENTS = "debate.events"
# What a consumer gets instead of the events its full inbox could not take.
LAGGED: Message = {"type": "debate.lagged"}
# What every consumer gets when the debate is gone: each looks at the log, finds nothing and
# closes as for a finished debate.
RECHECK: Message = {"type": "debate.recheck"}
# The safety net for a lost last wake-up: after this long without an event the hub looks at
# the log (one indexed read per debate per process, not one per viewer).
RESYNC_SECONDS = 5.0
# Events an inbox holds before its consumer counts as lagging (a few seconds of a streaming
# debate; the messages are shared with the other inboxes, so each costs a reference).
INBOX_EVENTS = 500
# Events read from the log per query when the hub fills a gap.
BATCH = 200
# After a failed receive from the channel layer (Redis restarting), wait this long.
RETRY_SECONDS = 1.0


class Delivery(NamedTuple):
    """What an inbox hands its consumer: a message, and whether its hub sent it (else the
    consumer's own ASGI connection or channel did)."""

    message: Message
    from_hub: bool


class Inbox:
    """One consumer's messages, in arrival order, at most `limit` events from its hub among them.

    `put` (the hub) never blocks: the hub must not wait for a slow socket. An event that finds
    the inbox full is dropped, and so is every event after it, until the consumer has taken
    the one `LAGGED` put in their place: it then reads from the log everything after the last
    event it sent, which includes what was dropped (the hub only fans out committed events).
    `put_local` (the consumer's own ASGI and channel messages) never drops anything.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = INBOX_EVENTS if limit is None else limit
        # (is a hub event, delivery): events are counted against the limit.
        self._items: deque[tuple[bool, Delivery | BaseException]] = deque()
        self._events = 0
        self.lagging = False
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def put(self, message: Message) -> None:
        """A message from the hub."""
        if message.get("type") != DEBATE_EVENT:
            self._append(False, Delivery(message, True))  # never dropped: access changes
        elif self.lagging:
            return
        elif self._events >= self.limit:
            self.lagging = True
            self._append(False, Delivery(LAGGED, True))
        else:
            self._events += 1
            self._append(True, Delivery(message, True))

    def put_local(self, item: Message | BaseException) -> None:
        """A message from the consumer's own connection or channel (or why that failed)."""
        self._append(False, item if isinstance(item, BaseException) else Delivery(item, False))

    def _append(self, is_event: bool, item: Delivery | BaseException) -> None:
        self._items.append((is_event, item))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def take_events(self, limit: int) -> list[Message]:
        """The hub's events waiting at the head of the inbox (at most `limit`), taken now,
        without suspending: a consumer that sends a burst in one frame takes the rest of it
        (it stops at the first message of another kind, which keeps its place)."""
        taken: list[Message] = []
        while self._items and len(taken) < limit:
            is_event, item = self._items[0]
            if not is_event or isinstance(item, BaseException):
                break
            self._items.popleft()
            self._events -= 1
            taken.append(item.message)
        return taken

    async def get(self) -> Delivery:
        """The next message; raises what a local source raised. Returns without suspending
        while messages are waiting (a burst costs no task switch per message)."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        is_event, item = self._items.popleft()
        if isinstance(item, BaseException):
            raise item
        if is_event:
            self._events -= 1
        elif item.message is LAGGED:
            self.lagging = False  # what follows is read from the log after this
        return item


class Hub:
    """The one group member of one debate in this process (see the module docstring)."""

    def __init__(self, debate_id: str, layer: Any) -> None:
        self.debate_id = debate_id
        self.layer = layer
        self.inboxes: set[Inbox] = set()
        self.channel: str | None = None
        self.receiver: asyncio.Task[None] | None = None
        self.resync: asyncio.Task[None] | None = None
        self.follower: following.Follower | None = None
        if following.layer_needs_follower(layer):
            self.follower = following.Follower(debate_id, self.publish)
        self.last_seq = 0
        self.published_at = 0.0
        self.log = logger.bind(debate_id=debate_id)
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Join the group (once) and make sure the follower runs (it stops by itself once the
        debate has finished; a consumer arriving later starts it again, and it stops at once).
        Two consumers arriving together start it once."""
        async with self._lock:
            if self.channel is None:
                channel: str = await self.layer.new_channel()
                await self.layer.group_add(group_name(self.debate_id), channel)
                self.channel = channel
                try:
                    position = await following.read_log(debate_log_position)(
                        debate_id=self.debate_id
                    )
                except BaseException:
                    await self._leave()
                    raise
                # What was committed before this is the consumers' to read from the log.
                self.last_seq = position[0] if position else 0
                self.receiver = asyncio.create_task(
                    self._receive_forever(channel), name=f"hub-{self.debate_id}"
                )
                self.resync = asyncio.create_task(
                    self._resync_forever(), name=f"hub-resync-{self.debate_id}"
                )
            if self.follower is not None:
                await self.follower.start()

    async def stop(self) -> None:
        async with self._lock:
            for task in (self.receiver, self.resync):
                if task is not None:
                    task.cancel()
            self.receiver = self.resync = None
            if self.follower is not None:
                self.follower.stop()
            await self._leave()

    async def _leave(self) -> None:
        if self.channel is not None:
            channel, self.channel = self.channel, None
            await self.layer.group_discard(group_name(self.debate_id), channel)

    def publish(self, message: Message) -> None:
        """Fan one message out to every local consumer (the follower calls this directly)."""
        if message.get("type") == DEBATE_EVENT:
            seq = int(message["event"]["seq"])
            if seq <= self.last_seq:
                return
            self.last_seq = seq
            self.published_at = asyncio.get_running_loop().time()
            if "text" not in message:
                # Serialised once here for every viewer; consumers send `text` as is.
                message = {**message, "text": json.dumps(message["event"])}
        for inbox in self.inboxes:
            inbox.put(message)

    async def _receive_forever(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
                if message.get("type") == DEBATE_EVENTS:  # one transaction's, in order
                    events = message["events"]
                    await self._fill_gap(int(events[0]["seq"]))
                    for event in events:
                        self.publish({"type": DEBATE_EVENT, "event": event})
                    continue
                if message.get("type") == DEBATE_EVENT:
                    await self._fill_gap(int(message["event"]["seq"]))
                self.publish(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken layer must not end live updates for good
                self.log.warning("hub_receive_failed", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    async def _resync_forever(self) -> None:
        """Every RESYNC_SECONDS without an event: anything in the log that never came? (A
        debate that streams needs no read: a lost wake-up shows as a gap in the next one.)"""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(RESYNC_SECONDS)
            if loop.time() - self.published_at < RESYNC_SECONDS:
                continue
            try:
                position = await following.read_log(debate_log_position)(debate_id=self.debate_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # the next pass tries again
                self.log.warning("hub_resync_failed", exc_info=True)
                continue
            if position is None:
                self.publish(RECHECK)
            elif position[0] > self.last_seq:
                # Events the group never brought: the layer may have lost this hub's
                # membership (Redis restarted or was flushed, the group expired), and then
                # no event would come live again. Join again (a no-op for a member), then read
                # what was missed.
                await self._rejoin()
                await self._fill_gap(position[0] + 1)

    async def _rejoin(self) -> None:
        if self.channel is None:
            return
        try:
            await self.layer.group_add(group_name(self.debate_id), self.channel)
        except Exception:  # the next pass tries again; the log read below goes on
            self.log.warning("hub_rejoin_failed", exc_info=True)

    async def _fill_gap(self, seq: int) -> None:
        """Events between the last fanned out and `seq` (excluded) that never came: from the
        log, once.
        On failure the consumers fill the gap themselves when they see it."""
        while seq > self.last_seq + 1:
            try:
                batch = await following.read_log(debate_event_messages)(
                    debate_id=self.debate_id, after=self.last_seq, upto=seq - 1, limit=BATCH
                )
            except Exception:
                self.log.warning("hub_gap_read_failed", exc_info=True)
                return
            if not batch:
                return
            for event in batch:
                self.publish({"type": DEBATE_EVENT, "event": event})


class HubRegistry:
    """The hubs of one event loop (one server process), by debate."""

    def __init__(self) -> None:
        self.hubs: dict[str, Hub] = {}

    async def subscribe(self, debate_id: str, layer: Any, inbox: Inbox) -> Hub:
        """From when this returns, `inbox` gets every message for the debate's group."""
        hub = self.hubs.get(debate_id)
        if hub is None:
            hub = self.hubs[debate_id] = Hub(debate_id, layer)
        hub.inboxes.add(inbox)
        try:
            await hub.start()
        except BaseException:
            await self.unsubscribe(debate_id, inbox)
            raise
        return hub

    async def unsubscribe(self, debate_id: str, inbox: Inbox) -> None:
        """The last consumer out stops the hub: it leaves the group, its follower stops."""
        hub = self.hubs.get(debate_id)
        if hub is None or inbox not in hub.inboxes:
            return
        hub.inboxes.discard(inbox)
        if not hub.inboxes:
            del self.hubs[debate_id]  # a consumer arriving now starts a new hub
            await hub.stop()


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HubRegistry] = (
    weakref.WeakKeyDictionary()
)


def hubs() -> HubRegistry:
    """This event loop's registry (one per server process; tests get one per loop)."""
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = HubRegistry()
    return registry


class HubFedConsumer(AsyncConsumer):  # type: ignore[misc]
    """A consumer that takes every message from one `Inbox`: its hub's, and those of its own
    ASGI connection and channel, which two small tasks move there as they come. So a hub
    message is dispatched in the consumer's own loop, in order with everything else it handles
    (never interleaved with another handler), and a burst of them costs no task switch per
    message. A hub message skips Channels' per-message `close_old_connections` (a hop to the
    database thread per viewer per event): its handlers touch the database only through
    `database_sync_to_async`, which does the same itself. A hub message the consumer has no
    handler for is ignored. The consumer subscribes the inbox to its hub itself, when ready."""

    inbox: Inbox

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # channels' AsyncConsumer.__call__, with one inbox instead of await_many_dispatch.
        self.inbox = Inbox()
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        pumps = [asyncio.create_task(self._pump(receive))]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            pumps.append(asyncio.create_task(self._pump(self.channel_receive, retry=True)))
        self.base_send = send
        try:
            while True:
                await self.dispatch(await self.inbox.get())
        except StopConsumer:
            pass
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, source: Any, *, retry: bool = False) -> None:
        """Each message of `source` into the inbox as it comes (one receive at a time). The
        connection's failure is the consumer's; the channel's (`retry`: Redis timing out a
        blocking read under load) is logged and retried, as the hub's is: what the channel
        carries (a revocation, an access change) has a periodic check behind it anyway."""
        while True:
            try:
                message = await source()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not retry:
                    self.inbox.put_local(error)  # the consumer fails with it, as before
                    return
                logger.warning("consumer_channel_receive_failed", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.inbox.put_local(message)

    async def dispatch(self, message: Message | Delivery) -> None:
        if isinstance(message, Delivery):
            if not message.from_hub:
                await super().dispatch(message.message)
                return
            handler = getattr(self, get_handler_name(message.message), None)
            if handler is not None:
                await handler(message.message)
            return
        await super().dispatch(message)
