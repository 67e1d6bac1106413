"""One event loop per worker process, running many debates at once.

A debate spends nearly all its time waiting for providers, so a worker process runs up to
`--concurrency` of them together on one long-lived loop (a thread of its own), instead of one
debate per process on a loop of its own. On that loop the providers' HTTP clients, their
connection pools and TLS contexts live for the whole process, not for one debate.

Each debate runs inside its own `ThreadSensitiveContext`: its database work (the pipeline's
`db()` calls and its writes) goes to a thread of its own with its own connection, never onto
the loop, and never queued behind another debate's writes. The connection is given back when
the debate ends (to the pool, with PostgreSQL).

`manage.py worker --concurrency N` installs the loop (`debate_loop_install`); the task that runs
a debate (`debates.tasks.run_debate`) uses it when there is one, else a loop of its own.
"""

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import connections

_installed: "DebateLoop | None" = None


class DebateLoop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="debate-loop", daemon=True
        )
        self._thread.start()

    def run[T](self, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: Any) -> T:
        """Run `fn(*args)` on the loop and wait for its result (from any thread but the
        loop's). The caller's context variables (its log context) go with it."""
        context = contextvars.copy_context()
        result: concurrent.futures.Future[T] = concurrent.futures.Future()

        async def inside() -> T:
            async with ThreadSensitiveContext():
                try:
                    return await fn(*args)
                finally:
                    # This debate's database thread ends with the context: its connection
                    # is closed (given back to the pool) first.
                    await sync_to_async(connections.close_all, thread_sensitive=True)()

        def start() -> None:
            task = self._loop.create_task(inside(), context=context)
            task.add_done_callback(lambda done: _copy_outcome(done, result))

        self._loop.call_soon_threadsafe(start)
        return result.result()

    def close(self, *, timeout: float = 10.0) -> None:
        """Close the providers' connections opened on this loop, then stop it."""
        from debates.providers.registry import providers_aclose

        with_timeout = asyncio.wait_for(providers_aclose(), timeout)
        future = asyncio.run_coroutine_threadsafe(with_timeout, self._loop)
        # A provider that will not close in time is left to the process's exit.
        with contextlib.suppress(TimeoutError):
            future.result(timeout + 1)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()


def _copy_outcome[T](task: "asyncio.Task[T]", result: "concurrent.futures.Future[T]") -> None:
    if task.cancelled():
        result.cancel()
    elif (error := task.exception()) is not None:
        result.set_exception(error)
    else:
        result.set_result(task.result())


def on_shared_loop() -> bool:
    """Whether the running loop is the process's shared one (its clients outlive a debate)."""
    return _installed is not None and asyncio.get_running_loop() is _installed._loop


def debate_loop() -> DebateLoop | None:
    """The process's shared debate loop, if the worker installed one."""
    return _installed


def debate_loop_install() -> DebateLoop:
    global _installed
    if _installed is None:
        _installed = DebateLoop()
    return _installed


def debate_loop_uninstall() -> None:
    global _installed
    loop, _installed = _installed, None
    if loop is not None:
        loop.close()
