"""A scripted Provider for pipeline tests: answers every task with valid JSON, instantly, and
fails exactly where a test tells it to."""

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from debates.providers.base import (
    Completion,
    CompletionRequest,
    ProviderError,
    StreamEvent,
    TextDelta,
)

Failure = Callable[[CompletionRequest], ProviderError | BaseException | None]


def _task(request: CompletionRequest) -> str:
    match = re.search(r"\[task:(\w+)\]", request.system_text)
    return match.group(1) if match else "turn"


def _round(request: CompletionRequest) -> int:
    match = re.search(r"\[round:(\d+)\]", request.messages[-1].content)
    return int(match.group(1)) if match else -1


def _seat(request: CompletionRequest) -> str:
    match = re.search(r"You are (Seat [A-H])", request.messages[-1].content)
    return match.group(1) if match else ""


@dataclass
class ScriptedProvider:
    """Answers by task tag. `fail(request)` may return an error to raise for that call."""

    name: str = "demo"
    fail: Failure | None = None
    judge_text: Callable[[CompletionRequest, list[str]], str] | None = None
    # Awaited before each answer: lets a test act (e.g. on the database) mid-debate.
    before: Callable[[CompletionRequest], Awaitable[None]] | None = None
    requests: list[CompletionRequest] = field(default_factory=list)

    def _text(self, request: CompletionRequest) -> str:
        task = _task(request)
        if task == "judge":
            labels = re.findall(
                r"Seat [A-H]", request.messages[-1].content.split("Seats to score:")[-1]
            )
            if self.judge_text is not None:
                return self.judge_text(request, labels)
            return json.dumps(
                {
                    "scores": [
                        {
                            "seat": label,
                            "accuracy": 8 - index,
                            "reasoning": 7,
                            "evidence": 6,
                            "actionability": 7,
                            "risk_awareness": 6,
                            "rationale": f"{label} argued well.",
                        }
                        for index, label in enumerate(labels)
                    ]
                }
            )
        if task == "synthesis":
            return json.dumps(
                {
                    "consensus": "The seats agree on a pilot.",
                    "disagreements": ["How long the pilot should run."],
                    "recommendation": "Run a three-month pilot.",
                    "confidence": 0.7,
                }
            )
        return json.dumps(
            {
                "content": f"{_seat(request)} speaks in round {_round(request)}.",
                "stance": "for",
                "confidence": 0.6,
                "key_claims": ["claim one"],
            }
        )

    def _completion(self, request: CompletionRequest, text: str) -> Completion:
        return Completion(
            text=text,
            input_tokens=100,
            output_tokens=50,
            latency_ms=5,
            finish_reason="stop",
            model=request.model,
            provider=self.name,
            raw_id=None,
        )

    def _maybe_fail(self, request: CompletionRequest) -> None:
        self.requests.append(request)
        if self.fail is not None and (error := self.fail(request)) is not None:
            raise error

    async def complete(self, request: CompletionRequest) -> Completion:
        if self.before is not None:
            await self.before(request)
        self._maybe_fail(request)
        return self._completion(request, self._text(request))

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        if self.before is not None:
            await self.before(request)
        self._maybe_fail(request)
        text = self._text(request)
        for start in range(0, len(text), 20):
            yield TextDelta(text[start : start + 20])
        yield self._completion(request, text)
