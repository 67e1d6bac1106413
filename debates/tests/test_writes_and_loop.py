"""The pipeline's ordered writer and the worker's shared debate loop, on their own."""

import asyncio
import threading
from typing import Any

import pytest
import structlog
from asgiref.sync import async_to_sync

from debates.orchestration.loop import DebateLoop
from debates.orchestration.writes import WriteFailed, Writes


def _recorder() -> tuple[list[str], Any]:
    done: list[str] = []

    def write(*, name: str, result: object = None, fail: bool = False) -> object:
        if fail:
            raise ValueError(f"{name} failed")
        done.append(name)
        return result

    return done, write


def test_writes_run_in_the_order_given_and_drain_waits_for_them() -> None:
    done, write = _recorder()

    async def scenario() -> object:
        writes = Writes()
        for number in range(20):
            writes.submit(write, name=f"w{number}")
            if number % 7 == 0:
                await asyncio.sleep(0)  # some batches, not one
        answer = await writes.call(write, name="last", result=42)
        await writes.drain()
        return answer

    assert async_to_sync(scenario)() == 42
    assert done == [f"w{number}" for number in range(20)] + ["last"]


def test_a_failed_write_stops_every_later_one_and_drain_raises_it() -> None:
    done, write = _recorder()

    async def scenario() -> None:
        writes = Writes()
        writes.submit(write, name="first")
        writes.submit(write, name="broken", fail=True)
        writes.submit(write, name="after")
        with pytest.raises(WriteFailed, match="broken failed"):
            await writes.drain()
        assert writes.error is not None
        writes.submit(write, name="later")  # refused: the order is already broken
        with pytest.raises(WriteFailed):
            await writes.call(write, name="asked")

    async_to_sync(scenario)()
    assert done == ["first"]


def test_a_gate_that_says_no_drops_the_writes_after_it() -> None:
    done, write = _recorder()

    async def scenario() -> tuple[bool, bool]:
        writes = Writes()
        opened = writes.gate(write, name="open-1", result=True)
        writes.submit(write, name="turn-1")
        refused = writes.gate(write, name="open-2", result=False)
        writes.submit(write, name="turn-2")
        first, second = await opened, await refused
        await writes.drain()
        assert writes.closed
        assert await writes.gate(write, name="open-3", result=True) is False
        return first, second

    assert async_to_sync(scenario)() == (True, False)
    assert done == ["open-1", "turn-1", "open-2"]


def test_the_shared_loop_runs_debates_at_once_each_on_a_database_thread_of_its_own() -> None:
    loop = DebateLoop()
    both_in = threading.Barrier(2, timeout=10)
    threads_seen: dict[str, int] = {}

    async def debate(name: str) -> str:
        from asgiref.sync import sync_to_async

        def on_its_thread() -> None:
            threads_seen[name] = threading.get_ident()
            both_in.wait()  # deadlocks unless the two run at the same time, on two threads

        await sync_to_async(on_its_thread, thread_sensitive=True)()
        context = structlog.contextvars.get_contextvars()
        return f"{name}:{context.get('debate_id')}"

    results: dict[str, str] = {}

    def worker_thread(name: str) -> None:
        with structlog.contextvars.bound_contextvars(debate_id=name):
            results[name] = loop.run(debate, name)

    try:
        threads = [threading.Thread(target=worker_thread, args=(n,)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
    finally:
        loop.close()
    # Each debate's log context came along; their database work ran on two threads.
    assert results == {"a": "a:a", "b": "b:b"}
    assert threads_seen["a"] != threads_seen["b"]


def test_the_shared_loop_hands_back_a_debate_s_exception() -> None:
    loop = DebateLoop()

    async def broken() -> None:
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            loop.run(broken)
    finally:
        loop.close()
