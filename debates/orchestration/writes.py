"""The pipeline's writes, in order, off its critical path.

A stage's calls need nothing the database holds: the debate's state is in memory. So the
stages hand each write (a `progress` function: one transaction, a state change and its event)
to `Writes`, which runs them one after another, in the order they were given, on the debate's
database thread, while the next calls are already in flight. Writes given together run in one
hop to that thread.

Order is what keeps the event log right (a turn's start before its text, a stage's turns
before its end), so:

- a write that fails stops every write after it (the run fails at its next check, and
  `drain` raises the error);
- a *gate* (`gate`) is a write whose False result says the debate was cancelled: the writes
  after it are dropped, and the stage that opened it stops.

`drain()` waits for every write given so far; a run drains before it ends, so finalization
sees everything. A process that dies loses the writes of its last moments, never their
order: the next run resumes from what was stored.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from debates.orchestration.loop import on_shared_loop

Kind = Literal["submit", "gate", "call"]


def db[T](fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """A sync service, called from the pipeline without blocking its event loop (on the
    debate's database thread: the caller's, or its ThreadSensitiveContext's).

    On a worker's shared loop with a connection pool, the connection goes back to the pool
    after each call: a debate holds one only while it writes, so a worker running many
    debates needs as many connections as debates writing at that moment, not as debates."""
    if on_shared_loop() and _pooled():
        return sync_to_async(_releasing(fn), thread_sensitive=True)
    return sync_to_async(fn, thread_sensitive=True)


def _pooled() -> bool:
    return bool(settings.DATABASES["default"].get("OPTIONS", {}).get("pool"))


def _releasing[T](fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return call


class WriteFailed(Exception):
    """A write failed; the ones after it did not run."""


class Writes:
    def __init__(self) -> None:
        self._pending: list[_Write] = []
        self._task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.closed = False  # a gate said the debate was cancelled

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> None:
        """Write later, in order; nothing waits for it."""
        self._queue("submit", fn, kwargs, None)

    def gate(self, fn: Callable[..., bool], /, **kwargs: Any) -> "asyncio.Future[bool]":
        """A write that may refuse (returns False): then every later write is dropped. The
        caller awaits the result when it needs it (a cancelled stage stops)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue("gate", fn, kwargs, future)
        return future

    async def call[T](self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Write after everything given so far, and wait for the result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue("call", fn, kwargs, future)
        return await future

    def _queue(
        self,
        kind: Kind,
        fn: Callable[..., Any],
        kwargs: dict[str, Any],
        future: "asyncio.Future[Any] | None",
    ) -> None:
        if self.error is not None:
            if future is not None:
                future.set_exception(WriteFailed(str(self.error)))
            return
        if self.closed:
            if future is not None:
                future.set_result(False)
            return
        self._pending.append((kind, fn, kwargs, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._pending and self.error is None and not self.closed:
            batch, self._pending = self._pending, []
            outcomes = await db(_apply)([(kind, fn, kwargs) for kind, fn, kwargs, _ in batch])
            for (*_write, future), (state, value) in zip(batch, outcomes, strict=False):
                if state == "error":
                    self.error = value
                elif state == "closed":
                    self.closed = True
                if future is not None and not future.done():
                    if state == "error":
                        future.set_exception(WriteFailed(str(value)))
                    else:
                        future.set_result(value if state == "ok" else False)
            for *_write, future in batch[len(outcomes) :]:
                if future is not None and not future.done():
                    future.set_result(False)
        for *_write, future in self._pending:
            if future is not None and not future.done():
                future.set_result(False)
        self._pending = []

    async def drain(self) -> None:
        """Wait for every write given so far; raise the first failure."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        if self.error is not None:
            raise WriteFailed(f"{type(self.error).__name__}: {self.error}") from self.error

    def cancel(self) -> None:
        """Stop writing (the run lost its claim: another runner owns the debate now)."""
        self.closed = True
        if self._task is not None:
            self._task.cancel()


_Write = tuple[Kind, Callable[..., Any], dict[str, Any], "asyncio.Future[Any] | None"]


def _apply(batch: list[tuple[Kind, Callable[..., Any], dict[str, Any]]]) -> list[tuple[str, Any]]:
    """Run the writes in order on the database thread, stopping at a failure or a closed gate.
    Returns one (state, value) per write run: "ok", "error" or "closed"."""
    outcomes: list[tuple[str, Any]] = []
    for kind, fn, kwargs in batch:
        try:
            value = fn(**kwargs)
        except Exception as exc:  # noqa: BLE001  (handed back to the pipeline, in order)
            outcomes.append(("error", exc))
            break
        if kind == "gate" and value is False:
            outcomes.append(("closed", False))
            break
        outcomes.append(("ok", value))
    return outcomes
