"""Fixtures of the debates tests."""

from collections.abc import Iterator

import pytest

from debates.models import DebateEvent
from debates.tests.event_checks import payload_errors


@pytest.fixture
def every_event_is_typed() -> Iterator[None]:
    """After the test, every event in the log must match its type in debates.events: used by
    the test modules that run the pipeline, so each event it writes is checked."""
    yield
    problems = [
        f"#{event.seq} {event.type}: {problem}"
        for event in DebateEvent.objects.order_by("debate_id", "seq")
        for problem in payload_errors(event.type, event.payload)
    ]
    assert not problems, "\n".join(problems)
