"""The event log's contract: payload types, their check, and the TypeScript mirror."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from debates import events
from debates.models import EventType
from debates.tests.event_checks import payload_errors

FRONTEND = Path(settings.BASE_DIR) / "frontend" / "live"


def test_every_event_type_has_a_payload_type() -> None:
    assert set(events.PAYLOADS) == set(EventType)


def test_builders_make_payloads_that_match_their_type() -> None:
    built = [
        events.debate_started(attempt=2),
        events.stage_started(stage="opening", round=0),
        events.turn_started(seat=1, label="Seat A", round=0, model="demo:demo-sage"),
        events.turn_delta(seat=None, round=None, text="chair text"),
        events.turn_failed(seat=1, label="Seat A", round=1, error_code="timeout", detail="x" * 999),
        events.turn_stage_completed(
            stage="rebuttal", round=1, succeeded=2, failed=1, degraded=0 < 1
        ),
        events.stage_completed(stage="judging"),
    ]
    for event in built:
        assert payload_errors(event.type, event.payload) == [], event
    assert built[0].payload["resumed"] is True
    assert len(built[4].payload["detail"]) == 300


@pytest.mark.parametrize(
    ("type_", "payload", "problem"),
    [
        ("turn.delta", {"seat": 1, "round": 0}, "missing 'text'"),
        ("turn.delta", {"seat": 1, "round": 0, "text": "a", "extra": 1}, "unexpected 'extra'"),
        ("turn.delta", {"seat": "1", "round": 0, "text": "a"}, "payload.seat"),
        ("debate.started", {"attempt": True, "resumed": False}, "expected int"),
        ("judgment.completed.x", {}, "unknown event type"),
        (
            "stage.completed",
            {"stage": "synthesis", "round": None, "synthesis": {"consensus": "c"}},
            "payload.synthesis: missing",
        ),
    ],
)
def test_payload_errors_catch_what_is_wrong(type_: str, payload: object, problem: str) -> None:
    errors = payload_errors(type_, payload)
    assert any(problem in error for error in errors), errors


def test_the_typescript_types_are_generated_from_these() -> None:
    """frontend/live/events.gen.ts is what `manage.py event_types` writes today."""
    assert (FRONTEND / "events.gen.ts").read_text(encoding="utf-8") == (
        events.typescript_definitions()
    )
    call_command("event_types", "--check")


def test_a_stale_typescript_mirror_fails_the_check(tmp_path: Path, settings: object) -> None:
    (tmp_path / "frontend" / "live").mkdir(parents=True)
    (tmp_path / "frontend" / "live" / "events.gen.ts").write_text("// old", encoding="utf-8")
    settings.BASE_DIR = tmp_path  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="stale"):
        call_command("event_types", "--check")


def test_the_store_handles_exactly_the_event_types_and_fields_of_the_server() -> None:
    """The store's reducer names the same event types as the server writes, and reads only
    fields the payload types declare (tsc enforces the latter through payloadOf)."""
    store = (FRONTEND / "store.ts").read_text(encoding="utf-8")
    reducer = store[
        store.index("export function applyEvent") : store.index("export function rebuild")
    ]
    handled = set(re.findall(r'case "([a-z]+\.[a-z]+)":', reducer))
    assert handled == {event_type.value for event_type in EventType}
    read = set(re.findall(r"\bp\.([a-z_]+)", reducer))
    declared = {key for payload in events.PAYLOADS.values() for key in payload.__annotations__}
    assert read <= declared, read - declared
