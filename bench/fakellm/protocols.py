"""Wire formats of the two protocols the fake server speaks: OpenAI chat completions and
Anthropic messages. Pure functions from a parsed request to bodies and SSE events, shaped like
the real services' output so the official SDKs parse them unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from bench.fakellm.http import sse
from debates.providers.base import Message, MessageRole, estimate_tokens
from debates.providers.demo import demo_reply, split_tokens

Protocol = Literal["openai", "anthropic"]


@dataclass(frozen=True, slots=True)
class Chat:
    """What both protocols ask for, normalised."""

    protocol: Protocol
    model: str
    messages: tuple[Message, ...]
    temperature: float
    max_tokens: int
    stream: bool
    include_usage: bool
    json_mode: bool
    schema_requested: bool = False  # a structured-output mode was asked for


@dataclass(frozen=True, slots=True)
class Answer:
    tokens: list[str]
    truncated_by_limit: bool
    input_tokens: int

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def _text_of(content: object) -> str:
    """Message content as text: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") in ("text", "input_text")
        )
    return ""


def _role(raw: object) -> MessageRole:
    if raw in ("system", "developer"):
        return "system"
    return "assistant" if raw == "assistant" else "user"


def _temperature(body: dict[str, Any]) -> float:
    value = body.get("temperature")
    return float(value) if isinstance(value, int | float) else 1.0


def parse_openai(body: dict[str, Any]) -> Chat:
    messages = tuple(
        Message(_role(m.get("role")), _text_of(m.get("content")))
        for m in body.get("messages", [])
        if isinstance(m, dict)
    )
    response_format = body.get("response_format") or {}
    system = "\n".join(m.content for m in messages if m.role == "system")
    return Chat(
        protocol="openai",
        model=str(body.get("model", "fake-model")),
        messages=messages,
        temperature=_temperature(body),
        max_tokens=int(body.get("max_completion_tokens") or body.get("max_tokens") or 4096),
        stream=bool(body.get("stream")),
        include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        json_mode=response_format.get("type") in ("json_object", "json_schema")
        or "[task:" in system,
        schema_requested=response_format.get("type") == "json_schema",
    )


def parse_anthropic(body: dict[str, Any]) -> Chat:
    system = _text_of(body.get("system") or "")
    messages = [Message("system", system)] if system else []
    messages += [
        Message(_role(m.get("role")), _text_of(m.get("content")))
        for m in body.get("messages", [])
        if isinstance(m, dict)
    ]
    output_format = (body.get("output_config") or {}).get("format")
    return Chat(
        protocol="anthropic",
        model=str(body.get("model", "fake-model")),
        messages=tuple(messages),
        temperature=_temperature(body),
        max_tokens=int(body.get("max_tokens") or 4096),
        stream=bool(body.get("stream")),
        include_usage=True,
        json_mode=bool(output_format) or "[task:" in system,
        schema_requested=bool(output_format),
    )


def answer(chat: Chat) -> Answer:
    text = demo_reply(chat.model, chat.messages, chat.temperature, json_mode=chat.json_mode)
    tokens = split_tokens(text)
    # Like a real model, prose stops at the token limit; JSON is kept whole so it parses.
    cut = not chat.json_mode and len(tokens) > chat.max_tokens
    return Answer(
        tokens=tokens[: chat.max_tokens] if cut else tokens,
        truncated_by_limit=cut,
        input_tokens=sum(estimate_tokens(m.content) for m in chat.messages),
    )


# --- OpenAI ----------------------------------------------------------------------------------


def openai_completion(chat: Chat, ans: Answer, request_id: str, created: int) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": created,
        "model": chat.model,
        "system_fingerprint": "fp_fakellm",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ans.text, "refusal": None},
                "logprobs": None,
                "finish_reason": "length" if ans.truncated_by_limit else "stop",
            }
        ],
        "usage": _openai_usage(ans),
    }


def _openai_usage(ans: Answer) -> dict[str, int]:
    return {
        "prompt_tokens": ans.input_tokens,
        "completion_tokens": len(ans.tokens),
        "total_tokens": ans.input_tokens + len(ans.tokens),
    }


def openai_stream(chat: Chat, ans: Answer, request_id: str, created: int) -> list[bytes]:
    """Every SSE event of a streamed completion, in order (first the role, last [DONE])."""

    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        payload: dict[str, Any] = {
            "id": request_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": chat.model,
            "system_fingerprint": "fp_fakellm",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if chat.include_usage:
            payload["usage"] = None
        return sse(json.dumps(payload))

    events = [chunk({"role": "assistant", "content": "", "refusal": None}, None)]
    events += [chunk({"content": token}, None) for token in ans.tokens]
    events.append(chunk({}, "length" if ans.truncated_by_limit else "stop"))
    if chat.include_usage:
        events.append(
            sse(
                json.dumps(
                    {
                        "id": request_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": chat.model,
                        "system_fingerprint": "fp_fakellm",
                        "choices": [],
                        "usage": _openai_usage(ans),
                    }
                )
            )
        )
    events.append(sse("[DONE]"))
    return events


def openai_error(status: int, message: str) -> dict[str, Any]:
    kinds = {
        401: ("invalid_request_error", "invalid_api_key"),
        429: ("requests", "rate_limit_exceeded"),
    }
    kind, code = kinds.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# --- Anthropic -------------------------------------------------------------------------------


def _stop_reason(ans: Answer) -> str:
    return "max_tokens" if ans.truncated_by_limit else "end_turn"


def anthropic_message(chat: Chat, ans: Answer, request_id: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "type": "message",
        "role": "assistant",
        "model": chat.model,
        "content": [{"type": "text", "text": ans.text}],
        "stop_reason": _stop_reason(ans),
        "stop_sequence": None,
        "usage": {"input_tokens": ans.input_tokens, "output_tokens": len(ans.tokens)},
    }


def anthropic_stream(chat: Chat, ans: Answer, request_id: str) -> list[bytes]:
    """The real event sequence: message_start, content_block_start, ping, deltas,
    content_block_stop, message_delta, message_stop."""
    start = {
        "type": "message_start",
        "message": {
            "id": request_id,
            "type": "message",
            "role": "assistant",
            "model": chat.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": ans.input_tokens, "output_tokens": 1},
        },
    }
    events = [
        sse(json.dumps(start), "message_start"),
        sse(
            json.dumps(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            ),
            "content_block_start",
        ),
        sse(json.dumps({"type": "ping"}), "ping"),
    ]
    events += [
        sse(
            json.dumps(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": token},
                }
            ),
            "content_block_delta",
        )
        for token in ans.tokens
    ]
    events += [
        sse(json.dumps({"type": "content_block_stop", "index": 0}), "content_block_stop"),
        sse(
            json.dumps(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _stop_reason(ans), "stop_sequence": None},
                    "usage": {"output_tokens": len(ans.tokens)},
                }
            ),
            "message_delta",
        ),
        sse(json.dumps({"type": "message_stop"}), "message_stop"),
    ]
    return events


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message}}
