"""The catalogue of log events with stable names: what alerts, dashboards and docs/OPS.md rely
on. Code that logs one of these uses the name from here and gives at least its fields; a test
captures each and checks it (`assert_event`), and another checks docs/OPS.md against this list.

Context fields (request_id, user_id, team_id, debate_id, provider, model, circuit_state) come
from structlog's contextvars where they apply; the fields below are the event's own.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from logging import LogRecord
from typing import Any, Protocol

# Bound through contextvars wherever they apply (docs/OPS.md, "Logs").
CONTEXT_FIELDS = (
    "request_id",
    "user_id",
    "team_id",
    "debate_id",
    "provider",
    "model",
    "circuit_state",
)


@dataclass(frozen=True)
class EventSpec:
    name: str
    level: str
    fields: tuple[str, ...]
    meaning: str


def _spec(name: str, level: str, fields: str, meaning: str) -> EventSpec:
    return EventSpec(name=name, level=level, fields=tuple(fields.split()), meaning=meaning)


_FINISH = "debate_id status reason input_tokens output_tokens cost_usd duration_s"

EVENTS: Mapping[str, EventSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "debate.created",
            "info",
            "debate_id team_id seats rounds demo",
            "a debate was saved, queued",
        ),
        _spec("debate.started", "info", "debate_id attempt", "a runner claimed a queued debate"),
        _spec(
            "debate.resumed",
            "warning",
            "debate_id attempt",
            "a runner took over a debate whose worker died (attempt > 1)",
        ),
        _spec("debate.completed", "info", _FINISH, "a debate reached its answer"),
        _spec("debate.failed", "warning", _FINISH, "a debate stopped without an answer"),
        _spec("debate.cancelled", "info", _FINISH, "a debate was cancelled"),
        _spec(
            "llm.call",
            "info",
            "provider model outcome latency_ms ttft_ms input_tokens output_tokens cost_usd",
            "one attempt of a model call; outcome is `ok` or the error code (`circuit_open`: the "
            "breaker refused it, nothing was sent)",
        ),
        _spec(
            "llm.retry",
            "warning",
            "provider model attempt delay_s reason",
            "a failed attempt will be retried after delay_s",
        ),
        _spec(
            "circuit.opened",
            "warning",
            "provider model circuit_state error_code",
            "a model's breaker opened: calls to it fail at once",
        ),
        _spec(
            "circuit.half_open",
            "info",
            "provider model circuit_state",
            "the cool-down is over: one probe call goes out",
        ),
        _spec(
            "circuit.closed",
            "info",
            "provider model circuit_state reason",
            "the breaker closed (reason: probe succeeded, or reset by staff)",
        ),
        _spec(
            "ratelimit.hit",
            "warning",
            "plan limit",
            "a request was refused with 429 (plan slug, the limit it passed)",
        ),
        _spec(
            "quota.exceeded",
            "warning",
            "plan quota",
            "a debate was refused: the plan's quota is used up",
        ),
        _spec(
            "billing.usage_recorded",
            "info",
            "team_id debate_id input_tokens output_tokens cost_usd",
            "a finished debate's usage was written for billing",
        ),
        _spec(
            "billing.webhook_processed",
            "info",
            "event_id event_type",
            "a Stripe webhook was verified and applied",
        ),
        _spec(
            "billing.webhook_failed",
            "error",
            "event_type error",
            "a Stripe webhook was refused or failed to apply",
        ),
        _spec(
            "billing.checkout_started",
            "info",
            "team_id plan session_id",
            "a team was sent to Stripe Checkout for a plan",
        ),
        _spec(
            "billing.stripe_failed",
            "warning",
            "call error",
            "a call to Stripe's API failed (the page says billing is unavailable)",
        ),
        _spec(
            "billing.cancel_requested",
            "info",
            "team_id reason",
            "a team's subscription was set to end with its paid period (account deletion)",
        ),
        _spec(
            "account.deleted",
            "info",
            "user_id teams_closed debates_anonymised keys_revoked subscriptions_cancelled",
            "an account was deleted: debates anonymised, keys revoked, teams left or closed",
        ),
        _spec(
            "privacy.export_ready",
            "info",
            "export_id user_id size_bytes",
            "a copy of someone's data was built and e-mailed (the file is theirs alone)",
        ),
        _spec("apikey.created", "info", "apikey_id team_id prefix", "an API key was issued"),
        _spec("apikey.revoked", "info", "apikey_id team_id", "an API key was revoked"),
        _spec(
            "apikey.auth_failed",
            "warning",
            "reason",
            "a request presented an unknown, revoked or expired key",
        ),
        _spec(
            "provider_key.saved",
            "info",
            "team_id provider key_id replaced",
            "a team stored (or replaced) its own key for a provider; never the key itself",
        ),
        _spec(
            "provider_key.removed",
            "info",
            "team_id provider key_id",
            "a team removed its own key for a provider",
        ),
        _spec(
            "provider_key.rejected",
            "warning",
            "key_id error_code",
            "a provider refused a team's own key (401/403); the reason is on the team's page",
        ),
        _spec(
            "provider_key.tested",
            "info",
            "key_id provider outcome",
            "a team tested its own key with one small call (outcome `ok` or the error code)",
        ),
        _spec(
            "safety.pii_redacted",
            "info",
            "counts",
            "personal data was replaced by placeholders (kinds and counts only)",
        ),
        _spec(
            "safety.injection_suspected",
            "warning",
            "score signals blocked",
            "a question looked like a prompt injection",
        ),
    )
}


def event_dicts(logs: Iterable[LogRecord | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Structured events from pytest's `caplog.records` or structlog's `capture_logs()`.

    A structlog record's message is the event dict, context (contextvars) merged in and
    secrets and PII already redacted: exactly what the renderer writes.
    """
    found: list[dict[str, Any]] = []
    for entry in logs:
        message = entry.msg if isinstance(entry, LogRecord) else entry
        if isinstance(message, Mapping) and "event" in message:
            found.append(dict(message))
    return found


def assert_event(
    logs: Iterable[LogRecord | Mapping[str, Any]], name: str, **expected: Any
) -> dict[str, Any]:
    """The last logged `name` event: it must be in the catalogue, carry every field the
    catalogue names, and match `expected` (field=value). Returns it for further checks."""
    spec = EVENTS.get(name)
    assert spec is not None, f"{name!r} is not in ops.events.EVENTS"
    matching = [event for event in event_dicts(logs) if event["event"] == name]
    assert matching, f"no {name!r} event was logged"
    event = matching[-1]
    missing = [field for field in spec.fields if field not in event]
    assert not missing, f"{name!r} lacks {missing}: {event}"
    wrong = {key: event.get(key) for key, value in expected.items() if event.get(key) != value}
    assert not wrong, f"{name!r}: expected {expected}, got {wrong}"
    return event


class _HasRecords(Protocol):
    @property
    def records(self) -> list[LogRecord]: ...


class LogEvents:
    """What a test logged, as structured events: the `log_events` fixture (conftest.py).

    Reads pytest's caplog at call time (caplog keeps one list per test phase)."""

    def __init__(self, caplog: _HasRecords) -> None:
        self._caplog = caplog

    def all(self) -> list[dict[str, Any]]:
        return event_dicts(self._caplog.records)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.all() if event["event"] == name]

    def assert_event(self, name: str, **expected: Any) -> dict[str, Any]:
        return assert_event(self._caplog.records, name, **expected)
