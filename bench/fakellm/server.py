"""The fake provider server: OpenAI- and Anthropic-protocol endpoints with injectable faults.

`FakeLLMServer` (background.py) runs it on a background thread for tests; `python -m
bench.fakellm` runs it in the foreground for benchmarks and manual runs. One asyncio loop serves
every connection, so many concurrent streams (a five-seat debate streams five at once) cost
nothing but sockets.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import deque
from contextlib import suppress
from dataclasses import fields
from typing import Any

from bench.fakellm import protocols
from bench.fakellm.config import FAULTS, Counters, FakeLLMConfig, Fault, fault_counter
from bench.fakellm.http import (
    BadHTTPRequest,
    ChunkedWriter,
    Request,
    read_request,
    send_body,
    send_json,
)

# Request heads larger than this are refused (asyncio's default of 64 KiB is too tight for the
# long header sets some SDKs send).
_HEAD_LIMIT = 1024 * 1024
# How many chat requests `GET /log` keeps (the oldest go first): enough for any benchmark run.
_LOG_LIMIT = 10_000
_TASK = re.compile(r"\[task:(\w+)\]")
_ROUND = re.compile(r"\[round:(\d+)\]")


class FakeLLM:
    """The server itself, on whatever loop calls `start`."""

    def __init__(self, config: FakeLLMConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._counters = Counters()
        self._queued: deque[Fault] = deque()
        # One line per chat request: when it arrived and when its answer was sent (wall
        # clock, comparable across processes on one machine), so a benchmark measures the
        # floor from the server's side of the wire.
        self._log: deque[dict[str, Any]] = deque(maxlen=_LOG_LIMIT)
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self.port = config.port

    async def start(self) -> None:
        self._closing = asyncio.Event()
        self._server = await asyncio.start_server(
            self._serve, self.config.host, self.config.port, limit=_HEAD_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting, wake hung handlers, drop open connections, wait for handlers."""
        if self._server is not None:
            self._server.close()
        if self._closing is not None:
            self._closing.set()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    # --- state shared with the test thread ------------------------------------------------

    def counters(self) -> Counters:
        with self._lock:
            return Counters(**{f.name: getattr(self._counters, f.name) for f in fields(Counters)})

    def reset_counters(self) -> None:
        with self._lock:
            self._counters = Counters()

    def request_log(self, *, clear: bool = False) -> list[dict[str, Any]]:
        """The chat requests served so far (oldest first); `clear` forgets them."""
        with self._lock:
            lines = list(self._log)
            if clear:
                self._log.clear()
        return lines

    def inject(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order, before any random ones."""
        with self._lock:
            self._queued.extend(faults)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self._counters, name, getattr(self._counters, name) + 1)

    def _next(self, request: Request) -> tuple[int, Fault | None]:
        """This request's number and fault: a forced one, a queued one, or a seeded draw."""
        cfg = self.config
        with self._lock:
            self._counters.requests += 1
            number = self._counters.requests
            draw = self._rng.random()  # drawn every time, so faults depend on order alone
            forced = request.headers.get("x-fake-fault", "")
            if forced in FAULTS:
                return number, forced
            if self._queued:
                return number, self._queued.popleft()
        if cfg.api_key is not None and not _authorized(request, cfg.api_key):
            return number, "auth"
        if cfg.rate_limit_every and number % cfg.rate_limit_every == 0:
            return number, "rate_limit"
        for fault, rate in (
            ("error", cfg.error_rate),
            ("timeout", cfg.timeout_rate),
            ("malformed", cfg.malformed_rate),
            ("truncate", cfg.truncate_rate),
        ):
            if draw < rate:
                return number, fault  # type: ignore[return-value]
            draw -= rate
        return number, None

    # --- HTTP ------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadHTTPRequest as exc:
                    await send_json(writer, 400, {"error": {"message": str(exc)}})
                    break
                if request is None or not await self._route(request, writer):
                    break
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client (or stop()) dropped the connection; nothing to answer
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()

    async def _route(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must not be reused."""
        path = request.path.rstrip("/")
        if request.method == "GET" and path == "/health":
            await send_json(writer, 200, {"status": "ok"})
        elif request.method == "GET" and path == "/stats":
            await send_json(writer, 200, self.counters().as_dict())
        elif request.method == "GET" and path == "/log":
            await send_json(writer, 200, {"requests": self.request_log()})
        elif request.method == "DELETE" and path == "/log":
            await send_json(writer, 200, {"requests": self.request_log(clear=True)})
        elif request.method == "GET" and path in ("/v1/models", "/models"):
            await send_json(writer, 200, {"object": "list", "data": []})
        elif request.method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
            return await self._chat(request, writer, "openai")
        elif request.method == "POST" and path == "/v1/messages":
            return await self._chat(request, writer, "anthropic")
        else:
            await send_json(writer, 404, {"error": {"message": f"no route {request.path}"}})
        return True

    async def _chat(
        self, request: Request, writer: asyncio.StreamWriter, protocol: protocols.Protocol
    ) -> bool:
        arrived = time.time()
        line: dict[str, Any] = {"arrived": arrived, "finished": None, "task": "", "round": None}
        with self._lock:
            self._log.append(line)
        try:
            return await self._answer_chat(request, writer, protocol, line)
        finally:
            line["finished"] = time.time()

    async def _answer_chat(
        self,
        request: Request,
        writer: asyncio.StreamWriter,
        protocol: protocols.Protocol,
        line: dict[str, Any],
    ) -> bool:
        try:
            body = request.json()
            chat = (
                protocols.parse_openai(body)
                if protocol == "openai"
                else protocols.parse_anthropic(body)
            )
        except (ValueError, TypeError, AttributeError):
            await send_json(writer, 400, _error(protocol, 400, "the request body is not valid"))
            return True
        line["structured"] = chat.schema_requested
        if chat.schema_requested and not self.config.json_schema:
            with self._lock:
                self._counters.requests += 1
            line["task"], line["fault"] = "refused_schema", None
            await send_json(
                writer, 400, _error(protocol, 400, "this model has no structured-output mode")
            )
            return True
        system = "\n".join(m.content for m in chat.messages if m.role == "system")
        last = chat.messages[-1].content if chat.messages else ""
        task, number_in_prompt = _TASK.search(system), _ROUND.search(last)
        line["task"] = task.group(1) if task else ""
        line["round"] = int(number_in_prompt.group(1)) if number_in_prompt else None
        line["stream"] = chat.stream
        number, fault = self._next(request)
        line["fault"] = fault
        if fault is not None:
            self._count(fault_counter(fault))
        answering = fault not in ("auth", "rate_limit", "error", "timeout") and not (
            fault in ("stall_start", "stall") and not chat.stream
        )
        # The answer is prepared during the latency, not after it: every call completes
        # `latency_ms` after it arrived, however many arrive together (what a benchmark's
        # floor assumes).
        ans = protocols.answer(chat) if answering else None
        ident = f"chatcmpl-fake{number:06d}" if protocol == "openai" else f"msg_fake{number:06d}"
        prepared: list[bytes] | bytes | None = None
        if ans is not None:
            prepared = (
                _stream_events(chat, ans, ident, number, fault)
                if chat.stream
                else _whole_body(chat, ans, ident, number, fault)
            )
        if self.config.latency_ms:
            await asyncio.sleep(
                max(0.0, line["arrived"] + self.config.latency_ms / 1000 - time.time())
            )
        if fault in ("auth", "rate_limit", "error"):
            await self._fail(writer, protocol, fault)
            return True
        if fault == "timeout" or (fault in ("stall_start", "stall") and not chat.stream):
            # Say nothing until the client gives up; then drop the connection.
            await self._hang()
            return False
        assert ans is not None
        if isinstance(prepared, list):
            if not await self._stream(writer, chat, prepared, ident, fault):
                return False
        else:
            assert prepared is not None
            await self._whole(writer, chat, ans, prepared, ident)
        if fault is None:
            self._count("completed")
        return True

    async def _hang(self) -> None:
        """Wait `hang_s`; stop() ends the wait early so a test run never waits for it."""
        if self._closing is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.config.hang_s)

    async def _fail(
        self, writer: asyncio.StreamWriter, protocol: protocols.Protocol, fault: Fault
    ) -> None:
        status = {"auth": 401, "rate_limit": 429, "error": 500}[fault]
        headers = {}
        if fault == "rate_limit":
            headers["retry-after"] = f"{self.config.retry_after:g}"
        message = {
            401: "Invalid API key (fakellm).",
            429: "Rate limit reached (fakellm).",
            500: "The server had an error (fakellm).",
        }[status]
        await send_json(writer, status, _error(protocol, status, message), headers=headers)

    async def _pace(self, tokens: int) -> None:
        if self.config.tokens_per_second > 0 and tokens:
            await asyncio.sleep(tokens / self.config.tokens_per_second)

    async def _whole(
        self,
        writer: asyncio.StreamWriter,
        chat: protocols.Chat,
        ans: protocols.Answer,
        body: bytes,
        ident: str,
    ) -> None:
        await self._pace(len(ans.tokens))
        await send_body(writer, 200, body, headers=_id_header(chat.protocol, ident))

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        chat: protocols.Chat,
        events: list[bytes],
        ident: str,
        fault: Fault | None,
    ) -> bool:
        """Stream the answer; False when the stream was left hanging (drop the connection)."""
        self._count("streamed")
        out = ChunkedWriter(writer)
        headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
        await out.start(200, {**headers, **_id_header(chat.protocol, ident)})
        # stall_start: the stream opens (status, headers, the opening event) and then says
        # nothing; stall: it goes silent half-way through the text. Neither ever ends cleanly.
        stall_at = {"stall_start": 1, "stall": max(2, len(events) // 2)}.get(fault or "")
        pause = 1 / self.config.tokens_per_second if self.config.tokens_per_second > 0 else 0.0
        if not pause and stall_at is None:
            # Unpaced: the whole answer in one write, as a server that had it ready would.
            await out.write(b"".join(events))
            await out.end()
            return True
        for index, event in enumerate(events):
            if index == stall_at:
                await self._hang()
                return False
            await out.write(event)
            if pause:
                await asyncio.sleep(pause)
        await out.end()
        return True


def _whole_body(
    chat: protocols.Chat, ans: protocols.Answer, ident: str, number: int, fault: Fault | None
) -> bytes:
    """A whole (unstreamed) answer's body, garbled or cut when that is its fault."""
    payload = (
        protocols.openai_completion(chat, ans, ident, _created(number))
        if chat.protocol == "openai"
        else protocols.anthropic_message(chat, ans, ident)
    )
    body = _json_bytes(payload)
    if fault == "malformed":
        body = b'{"id": "' + ident.encode() + b'", "choices": [{"message": <garbled>'
    elif fault == "truncate":
        body = body[: len(body) // 2]
    return body


def _stream_events(
    chat: protocols.Chat, ans: protocols.Answer, ident: str, number: int, fault: Fault | None
) -> list[bytes]:
    """A streamed answer's SSE events, garbled or cut when that is its fault."""
    events = (
        protocols.openai_stream(chat, ans, ident, _created(number))
        if chat.protocol == "openai"
        else protocols.anthropic_stream(chat, ans, ident)
    )
    if fault == "truncate":
        # A clean end of the body, half-way: the hard case, since no transport error
        # reveals it. Clients must notice the missing final events themselves.
        events = events[: max(2, len(events) // 2)]
    elif fault == "malformed":
        middle = len(events) // 2
        name = "event: content_block_delta\n" if chat.protocol == "anthropic" else ""
        events[middle] = f'{name}data: {{"garbled": tru\n\n'.encode()
    return events


def _authorized(request: Request, key: str) -> bool:
    # Anthropic SDK 2.x sends `Authorization: Bearer`, older clients `x-api-key`.
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return key in (bearer, request.headers.get("x-api-key", ""))


def _error(protocol: protocols.Protocol, status: int, message: str) -> dict[str, Any]:
    if protocol == "openai":
        return protocols.openai_error(status, message)
    return protocols.anthropic_error(status, message)


def _id_header(protocol: protocols.Protocol, ident: str) -> dict[str, str]:
    return {"x-request-id" if protocol == "openai" else "request-id": ident}


def _created(number: int) -> int:
    # A fixed clock keeps every byte of an answer reproducible for a given seed.
    return 1_750_000_000 + number


def _json_bytes(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()
