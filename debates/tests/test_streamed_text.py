"""A stage's streamed text: stored every interval for all of its calls together."""

from collections.abc import Callable
from typing import Any, cast

import pytest

from debates.orchestration import progress
from debates.orchestration.stages import RunContext, StreamedText


class _Context:
    """What StreamedText uses of a RunContext: the interval, the scrub and the writes."""

    debate_id = "debate-1"
    delta_interval_s = 0.15

    def __init__(self) -> None:
        self.submitted: list[tuple[Callable[..., object], dict[str, Any]]] = []
        self.writes = self

    def submit(self, write: Callable[..., object], **kwargs: Any) -> None:
        self.submitted.append((write, kwargs))

    def scrub(self, *texts: str) -> list[str]:
        return [text.replace("555-0100", "[PHONE_1]") for text in texts]


@pytest.fixture
def clock() -> list[float]:
    """The time StreamedText reads (`_streamed_text`), moved by hand."""
    return [100.0]


def _streamed_text(ctx: _Context, round_number: int | None, clock: list[float]) -> StreamedText:
    return StreamedText(cast(RunContext, ctx), round_number, clock=lambda: clock[0])


def test_the_seats_text_of_an_interval_goes_in_one_write(clock: list[float]) -> None:
    ctx = _Context()
    streamed = _streamed_text(ctx, 2, clock)
    streamed.add(1, "A says ")
    streamed.add(2, "B says ")
    clock[0] += 0.1
    streamed.add(1, "more, ")
    assert ctx.submitted == []  # inside the interval: nothing written yet

    clock[0] += 0.06
    streamed.add(3, "C starts")
    assert ctx.submitted == [
        (
            progress.turn_deltas,
            {
                "debate_id": "debate-1",
                "round_number": 2,
                "texts": [(1, "A says more, "), (2, "B says "), (3, "C starts")],
            },
        )
    ]
    # The next interval counts from that write.
    clock[0] += 0.1
    streamed.add(2, "and then")
    assert len(ctx.submitted) == 1


def test_a_turn_takes_only_its_own_text_and_a_restart_discards_it(clock: list[float]) -> None:
    ctx = _Context()
    streamed = _streamed_text(ctx, 0, clock)
    streamed.add(1, "A: call 555-0100")
    streamed.add(2, "B: first try")
    streamed.discard(2)
    streamed.add(2, "B: second try")
    assert streamed.take(1) == "A: call 555-0100"
    assert streamed.take(1) == ""
    clock[0] += 1
    streamed.add(2, ", went on")
    # A's text went with its turn; what is left is B's, scrubbed like every stored text.
    ((write, kwargs),) = ctx.submitted
    assert write is progress.turn_deltas
    assert kwargs["texts"] == [(2, "B: second try, went on")]
    assert streamed.take(2) == ""


def test_an_answer_in_one_burst_is_never_written_before_its_turn(clock: list[float]) -> None:
    ctx = _Context()
    streamed = _streamed_text(ctx, None, clock)
    for piece in ("one ", "burst ", "of text"):
        streamed.add(None, piece)
    assert ctx.submitted == []
    assert streamed.take(None) == "one burst of text"
    streamed.flush()  # nothing left: no empty write
    assert ctx.submitted == []


def test_a_flush_scrubs_what_it_writes(clock: list[float]) -> None:
    ctx = _Context()
    streamed = _streamed_text(ctx, None, clock)
    streamed.add(None, "ring 555-0100")
    streamed.flush()
    ((_write, kwargs),) = ctx.submitted
    assert kwargs["texts"] == [(None, "ring [PHONE_1]")]
