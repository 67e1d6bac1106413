"""The event log, the central contract: every event type, its payload, and how it is written.

Every entry of a debate's log is one of the types below with its payload `TypedDict`. Writers
build events only through the builders at the end of this module (`turn_delta(...)` and so
on), each typed, and hand them to `event_append`; tests check every event the pipeline writes
against its type (debates/tests/event_checks.py). The front-end store reads the same types from
`frontend/live/events.gen.ts`, generated from this module (`manage.py event_types`) and
compared with it by a test, so neither side can drift.

The log is the truth; the channel layer is only a fast wake-up. `event_append` must run inside
the transaction that changes the state the event describes, so the two commit together; the
announcement goes out only after that commit.
"""

import functools
import types
import typing
from collections.abc import Sequence
from typing import Any, NamedTuple, NotRequired, TypedDict, Union, get_args, get_origin
from uuid import UUID

import structlog
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from debates.models import Debate, DebateEvent, DebateStatus, EventType

logger = structlog.get_logger(__name__)


# --- Payloads ---------------------------------------------------------------------------------


class DebateStartedPayload(TypedDict):
    attempt: int
    resumed: bool


class StageStartedPayload(TypedDict):
    stage: str
    round: int | None


class SynthesisPayload(TypedDict):
    """The chair's final answer, as stored on the debate."""

    consensus: str
    disagreements: list[str]
    recommendation: str
    confidence: float | None
    structured: bool
    chair: str
    chair_name: str
    substitute_chair: bool


class StageCompletedPayload(TypedDict):
    stage: str
    round: int | None
    # Turn stages: how many seats answered, how many failed, and whether that breached the
    # failure tolerance. The synthesis stage: the final answer.
    succeeded: NotRequired[int]
    failed: NotRequired[int]
    degraded: NotRequired[bool]
    synthesis: NotRequired[SynthesisPayload]


class TurnStartedPayload(TypedDict):
    seat: int
    label: str
    round: int
    model: str


class TurnDeltaPayload(TypedDict):
    """A batch of streamed text; `seat` and `round` are None for the chair's synthesis."""

    seat: int | None
    round: int | None
    text: str


class TurnCompletedPayload(TypedDict):
    seat: int
    label: str
    round: int
    turn: str
    content: str
    stance: str
    confidence: float | None
    key_claims: list[str]
    input_tokens: int
    output_tokens: int
    cost_usd: str
    latency_ms: int
    # A fork's copied turn: the model that wrote it in the original debate (display name).
    copied_from_model: NotRequired[str]


class TurnFailedPayload(TypedDict):
    seat: int
    label: str
    round: int
    error_code: str
    detail: str


class JudgmentCompletedPayload(TypedDict):
    judge: str
    seat: int
    label: str
    status: str
    scores: dict[str, float]
    total: float | None
    rationale: str
    error_code: str


class ScoreRowPayload(TypedDict):
    """One seat of the final scoreboard."""

    seat: int
    label: str
    role: str
    model: str
    model_name: str
    mean: float | None
    judgments: int
    status: str
    rank: int | None
    borda: float | None
    criteria: dict[str, float]


class SeatBriefPayload(TypedDict):
    seat: int
    label: str
    role: str
    model: str
    model_name: str
    mean: float | None


class ResultsPayload(TypedDict):
    """The outcome in brief (ratings.maths: Borda count, Condorcet tie-break)."""

    method: str
    champion: SeatBriefPayload | None
    runner_up: SeatBriefPayload | None
    margin: float | None
    tied: list[SeatBriefPayload]
    judges: int


class UsagePayload(TypedDict):
    input_tokens: int
    output_tokens: int
    cost_usd: str


class DebateFinishedPayload(TypedDict):
    """debate.completed, debate.failed and debate.cancelled: the final state of the debate."""

    status: str
    reason: str
    detail: str
    budget_reason: str
    scoreboard: list[ScoreRowPayload]
    results: ResultsPayload
    synthesis: SynthesisPayload | None
    usage: UsagePayload
    # Where a failure happened, and the seat counts of that stage.
    stage: NotRequired[str]
    round: NotRequired[int | None]
    succeeded: NotRequired[int]
    failed: NotRequired[int]


class DebateForkedPayload(TypedDict):
    """Written once, when a fork is created: the turns before `round` that follow it in the log
    are copies of the debate `forked_from`'s, and the fork runs from `round` on itself."""

    forked_from: str
    round: int
    copied_turns: int


PAYLOADS: dict[EventType, type] = {
    EventType.DEBATE_STARTED: DebateStartedPayload,
    EventType.STAGE_STARTED: StageStartedPayload,
    EventType.TURN_STARTED: TurnStartedPayload,
    EventType.TURN_DELTA: TurnDeltaPayload,
    EventType.TURN_COMPLETED: TurnCompletedPayload,
    EventType.TURN_FAILED: TurnFailedPayload,
    EventType.JUDGMENT_COMPLETED: JudgmentCompletedPayload,
    EventType.STAGE_COMPLETED: StageCompletedPayload,
    EventType.DEBATE_COMPLETED: DebateFinishedPayload,
    EventType.DEBATE_FAILED: DebateFinishedPayload,
    EventType.DEBATE_CANCELLED: DebateFinishedPayload,
    EventType.DEBATE_FORKED: DebateForkedPayload,
}


class NewEvent(NamedTuple):
    """An event not yet in the log: built by one of the builders below."""

    type: EventType
    payload: Any


# --- Builders: the only way writers make events -----------------------------------------------


def debate_started(*, attempt: int) -> NewEvent:
    return NewEvent(
        EventType.DEBATE_STARTED, DebateStartedPayload(attempt=attempt, resumed=attempt > 1)
    )


def stage_started(*, stage: str, round: int | None) -> NewEvent:
    return NewEvent(EventType.STAGE_STARTED, StageStartedPayload(stage=stage, round=round))


def turn_stage_completed(
    *, stage: str, round: int, succeeded: int, failed: int, degraded: bool
) -> NewEvent:
    return NewEvent(
        EventType.STAGE_COMPLETED,
        StageCompletedPayload(
            stage=stage, round=round, succeeded=succeeded, failed=failed, degraded=degraded
        ),
    )


def stage_completed(*, stage: str, round: int | None = None) -> NewEvent:
    return NewEvent(EventType.STAGE_COMPLETED, StageCompletedPayload(stage=stage, round=round))


def synthesis_completed(*, synthesis: SynthesisPayload) -> NewEvent:
    return NewEvent(
        EventType.STAGE_COMPLETED,
        StageCompletedPayload(stage="synthesis", round=None, synthesis=synthesis),
    )


def turn_started(*, seat: int, label: str, round: int, model: str) -> NewEvent:
    return NewEvent(
        EventType.TURN_STARTED, TurnStartedPayload(seat=seat, label=label, round=round, model=model)
    )


def turn_delta(*, seat: int | None, round: int | None, text: str) -> NewEvent:
    return NewEvent(EventType.TURN_DELTA, TurnDeltaPayload(seat=seat, round=round, text=text))


def turn_completed(payload: TurnCompletedPayload) -> NewEvent:
    return NewEvent(EventType.TURN_COMPLETED, payload)


def turn_failed(*, seat: int, label: str, round: int, error_code: str, detail: str) -> NewEvent:
    return NewEvent(
        EventType.TURN_FAILED,
        TurnFailedPayload(
            seat=seat, label=label, round=round, error_code=error_code, detail=detail[:300]
        ),
    )


def judgment_completed(payload: JudgmentCompletedPayload) -> NewEvent:
    return NewEvent(EventType.JUDGMENT_COMPLETED, payload)


def debate_forked(*, forked_from: str, round: int, copied_turns: int) -> NewEvent:
    return NewEvent(
        EventType.DEBATE_FORKED,
        DebateForkedPayload(forked_from=forked_from, round=round, copied_turns=copied_turns),
    )


_FINISHED_EVENT = {
    DebateStatus.COMPLETED: EventType.DEBATE_COMPLETED,
    DebateStatus.COMPLETED_BUDGET: EventType.DEBATE_COMPLETED,
    DebateStatus.FAILED: EventType.DEBATE_FAILED,
    DebateStatus.CANCELLED: EventType.DEBATE_CANCELLED,
}


def debate_finished(payload: DebateFinishedPayload) -> NewEvent:
    """debate.completed / .failed / .cancelled, by the payload's final status."""
    return NewEvent(_FINISHED_EVENT[DebateStatus(payload["status"])], payload)


def strip_not_required(hint: Any) -> Any:
    """The type inside `NotRequired[...]`, or the hint itself."""
    return get_args(hint)[0] if get_origin(hint) is NotRequired else hint


# --- The TypeScript mirror --------------------------------------------------------------------


def _ts_type(hint: Any) -> str:
    hint = strip_not_required(hint)
    if typing.is_typeddict(hint):
        return str(hint.__name__)
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " | ".join(_ts_type(option) for option in get_args(hint))
    if origin is list:
        (item,) = get_args(hint)
        inner = _ts_type(item)
        return f"({inner})[]" if "|" in inner else f"{inner}[]"
    if origin is dict:
        _key, item = get_args(hint)
        return "Record<string, unknown>" if item is Any else f"Record<string, {_ts_type(item)}>"
    names: dict[object, str] = {
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        type(None): "null",
    }
    return names.get(hint, "unknown")


def _typeddicts() -> list[type]:
    """Every payload type and the types they contain, dependencies first."""
    ordered: list[type] = []

    def visit(hint: Any) -> None:
        hint = strip_not_required(hint)
        if typing.is_typeddict(hint):
            for inner in typing.get_type_hints(hint).values():
                visit(inner)
            if hint not in ordered:
                ordered.append(hint)
        for arg in get_args(hint):
            visit(arg)

    for payload in PAYLOADS.values():
        visit(payload)
    return ordered


def typescript_definitions() -> str:
    """frontend/live/events.gen.ts: the payload interfaces and the event union."""
    lines = [
        "// Generated from debates/events.py by `python manage.py event_types`: do not edit.",
        "// A test fails when this file and the Python event types differ.",
        "",
    ]
    for payload in _typeddicts():
        hints = typing.get_type_hints(payload, include_extras=True)
        lines.append(f"export interface {payload.__name__} {{")
        for key, hint in hints.items():
            optional = "?" if key in getattr(payload, "__optional_keys__", ()) else ""
            lines.append(f"  {key}{optional}: {_ts_type(hint)};")
        lines += ["}", ""]
    lines.append("export const EVENT_TYPES = [")
    lines += [f'  "{event_type.value}",' for event_type in PAYLOADS]
    lines += ["] as const;", "", "export type EventType = (typeof EVENT_TYPES)[number];", ""]
    lines.append("export interface EventPayloads {")
    lines += [f'  "{event_type.value}": {p.__name__};' for event_type, p in PAYLOADS.items()]
    lines += ["}", ""]
    lines += [
        "/** One entry of a debate's log, as the server sends it. */",
        "export type KnownDebateEvent = {",
        "  [T in EventType]: { seq: number; type: T; at: string; payload: EventPayloads[T] };",
        "}[EventType];",
        "",
    ]
    return "\n".join(lines)


# --- Writing and announcing -------------------------------------------------------------------


def group_name(debate_id: UUID | str) -> str:
    return f"debate.{debate_id}"


def event_append(*, debate_id: UUID, event: NewEvent) -> DebateEvent:
    """Append the next event (seq = last + 1). Raises unless inside an atomic block."""
    (row,) = events_append(debate_id=debate_id, events=[event])
    return row


def events_append(*, debate_id: UUID, events: Sequence[NewEvent]) -> list[DebateEvent]:
    """Append events in order (seqs last + 1 ... last + n): one UPDATE that takes the seqs,
    one INSERT. Raises unless inside an atomic block (the events' state change's)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("event_append must run inside the transaction of its state change")
    if not events:
        return []
    last = _take_seqs(connection, debate_id, len(events))
    rows = DebateEvent.objects.bulk_create(
        DebateEvent(
            debate_id=debate_id, seq=last - len(events) + number, type=event.type,
            payload=dict(event.payload),
        )
        for number, event in enumerate(events, start=1)
    )  # fmt: skip
    transaction.on_commit(functools.partial(events_publish, rows))
    return rows


def _take_seqs(connection: BaseDatabaseWrapper, debate_id: UUID, count: int) -> int:
    """Add `count` to the debate's last seq and return the new value, in one statement. The
    UPDATE locks the debate's row until commit, so concurrent appends get distinct seqs
    (UPDATE ... RETURNING: PostgreSQL, and SQLite since 3.35)."""
    meta = Debate._meta
    quote = connection.ops.quote_name
    column = quote(str(meta.get_field("last_seq").column))
    assert meta.pk is not None
    # Identifiers come from the model's meta, quoted; values are parameters.
    table, key = quote(meta.db_table), quote(str(meta.pk.column))
    sql = f"UPDATE {table} SET {column} = {column} + %s WHERE {key} = %s RETURNING {column}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, meta.pk.get_db_prep_value(debate_id, connection)])
        found = cursor.fetchone()
    if found is None:
        raise Debate.DoesNotExist(f"no debate {debate_id}")
    return int(found[0])


def event_publish(event: DebateEvent) -> None:
    """Wake listeners of this debate in every process the channel layer reaches."""
    events_publish([event])


def events_publish(rows: Sequence[DebateEvent]) -> None:
    """Publish one debate's events (one transaction's), in order, as one message to the
    layer: `debate.event` for one, `debate.events` (their list) for several, so a burst costs
    the layer and each process's hub one message, and the hub hands it to its viewers at once
    (debates/fanout.py). Skipped when nobody can hear them: the in-memory layer of a process
    where no consumer watches the debate (a worker in the embedded mode: its web process
    follows the log instead)."""
    layer = get_channel_layer()
    if layer is None or not rows:
        return
    group = group_name(rows[0].debate_id)
    if isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(group):
        return
    message: dict[str, Any] = (
        {"type": "debate.event", "event": rows[0].as_message()}
        if len(rows) == 1
        else {"type": "debate.events", "events": [row.as_message() for row in rows]}
    )

    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001  (listeners catch up from the log; never fail a write)
        logger.warning("event_publish_failed", debate_id=str(rows[0].debate_id), seq=rows[0].seq)
