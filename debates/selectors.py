"""Reads of the debates app. Access checks live here: someone else's debate is NotFound."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import DateTimeField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from billing.limits import debate_limits_for_team
from consultation.exceptions import NotAuthenticated, NotFound
from debates.conformity import Conformity, TurnPosition, conformity
from debates.models import (
    FINISHED_STATUSES,
    Debate,
    DebateDocument,
    DebateEvent,
    DebateStar,
    DebateStatus,
    Judgment,
    LLMModel,
    Seat,
    SeatRole,
    SeatStatus,
    Turn,
    TurnStatus,
)
from ops.health import circuit_states
from ops.models import CircuitState
from safety.pii import PlaceholderMap


def model_is_available(model: LLMModel, *, own_providers: Collection[str] = ()) -> bool:
    """Enabled, and its provider is configured: with the platform's key, or (`own_providers`,
    debates.credentials.team_own_providers) with the team's own."""
    return model.enabled and (
        model.provider in settings.LLM_PROVIDERS or model.provider in own_providers
    )


def model_list_available(*, own_providers: Collection[str] = ()) -> list[LLMModel]:
    """Enabled models whose provider is configured (the platform's key, or the team's own:
    those carry `own_key = True`), in catalog order."""
    models = list(
        LLMModel.objects.filter(
            enabled=True, provider__in=[*settings.LLM_PROVIDERS, *own_providers]
        )
    )
    for model in models:
        model.own_key = model.provider in own_providers  # type: ignore[attr-defined]
    return models


def model_list_catalog() -> QuerySet[LLMModel]:
    return LLMModel.objects.all()


def _visible_to(user: User) -> Q:
    """A debate is seen by its creator, and by its team's members once shared; a deleted one
    by nobody (debates.services.tidy)."""
    return (
        Q(team__memberships__user=user)
        & (Q(created_by=user) | Q(shared_with_team=True))
        & Q(deleted_at__isnull=True)
    )


def debate_list_for_team(*, team: Team, user: User) -> QuerySet[Debate]:
    """The debates of `team` that `user` may see, newest first."""
    return (
        Debate.objects.filter(_visible_to(user), team=team)
        .select_related("created_by", "chair_model")
        .prefetch_related(Prefetch("seats", queryset=Seat.objects.select_related("llm_model")))
    )


def debate_get_for_user(*, user: User, debate_id: UUID | str, team: Team | None = None) -> Debate:
    """A debate the user may see; NotFound otherwise (never a 403 that leaks existence).

    With `team`, only a debate of that team: the API works in the caller's active team (and a
    team-scoped API key in its own), so another team's debate is NotFound there even for a
    member of both. Web pages pass no team: a link into another of one's teams still opens."""
    scope = _visible_to(user) if team is None else _visible_to(user) & Q(team=team)
    try:
        return (
            Debate.objects.select_related("team", "created_by", "chair_model")
            .prefetch_related(
                Prefetch("seats", queryset=Seat.objects.select_related("llm_model")),
                "judge_models",
                Prefetch("turns", queryset=Turn.objects.select_related("seat")),
                Prefetch(
                    "judgments", queryset=Judgment.objects.select_related("judge_model", "seat")
                ),
            )
            .get(scope, pk=debate_id)
        )
    except (Debate.DoesNotExist, ValueError) as exc:
        raise NotFound(_("Debate not found.")) from exc


# A constant: nothing from a request reaches this SQL.
_CATALOG_CHANGED_AT = RawSQL(
    'SELECT MAX("updated_at") FROM "debates_llmmodel"',
    (),
    output_field=DateTimeField(),
)


def debate_get_brief_for_user(
    *, user: User, debate_id: UUID | str, team: Team | None = None
) -> Debate:
    """`debate_get_for_user`'s debate (same access rule, same NotFound) alone, its chair read
    when asked: for callers that read its seats, turns and judgments as rows themselves. It
    carries `catalog_changed_at`, the catalog's last change (a model renamed in the admin
    changes every detail that names it: debates.detail_cache keys on it).

    This is the query every API read of a debate pays, served from the render cache or not,
    and most of its cost is Django compiling it: hence no join for the chair, and the
    catalog's last change as constant SQL rather than a Subquery (~0.3 ms less a request)."""
    scope = _visible_to(user) if team is None else _visible_to(user) & Q(team=team)
    try:
        return Debate.objects.annotate(catalog_changed_at=_CATALOG_CHANGED_AT).get(
            scope, pk=debate_id
        )
    except (Debate.DoesNotExist, ValueError) as exc:
        raise NotFound(_("Debate not found.")) from exc


@dataclass(frozen=True)
class DetailRows:
    """A debate's lists as plain rows (dicts), in the models' own orders."""

    judges: Sequence[Mapping[str, Any]]
    seats: Sequence[Mapping[str, Any]]
    turns: Sequence[Mapping[str, Any]]
    judgments: Sequence[Mapping[str, Any]]
    documents: Sequence[Mapping[str, Any]]


def debate_detail_rows(*, debate: Debate) -> DetailRows:
    """Five queries, no model instances: what the API's debate detail lists."""
    return DetailRows(
        judges=list(
            debate.judge_models.order_by("provider", "display_name").values(
                "key", "display_name", "provider"
            )
        ),
        seats=list(
            Seat.objects.filter(debate=debate).values(
                "pk", "position", "role", "instruction", "temperature", "status",
                "failure_reason", "llm_model__key", "llm_model__display_name",
                "llm_model__provider",
            )
        ),
        turns=list(
            Turn.objects.filter(debate=debate).values(
                "id", "seat_id", "round", "status", "content", "stance", "confidence",
                "key_claims", "error_code", "input_tokens", "output_tokens", "cost_usd",
                "latency_ms",
            )
        ),
        judgments=list(
            Judgment.objects.filter(debate=debate).values(
                "judge_model__key", "seat_id", "status", "scores", "total", "rationale",
                "error_code",
            )
        ),
        documents=list(
            DebateDocument.objects.filter(debate=debate).values(
                "name", "kind", "content_type", "size_bytes", "tokens"
            )
        ),
    )  # fmt: skip


def debate_get_for_viewer(
    *, user: AbstractBaseUser | AnonymousUser, debate_id: UUID | str
) -> tuple[Debate, bool]:
    """A debate this visitor may watch, and whether they take part in it (its creator, or its
    team once shared: they may cancel it). Anyone, signed in or not, may watch a public debate
    read-only. Otherwise an anonymous visitor is NotAuthenticated and a signed-in one gets
    NotFound, whether or not the debate exists."""
    if isinstance(user, User):
        try:
            return debate_get_for_user(user=user, debate_id=debate_id), True
        except NotFound:
            pass
    try:
        debate = (
            Debate.objects.select_related("team", "created_by", "chair_model")
            .prefetch_related(
                Prefetch("seats", queryset=Seat.objects.select_related("llm_model")),
                Prefetch("turns", queryset=Turn.objects.select_related("seat")),
            )
            .get(pk=debate_id, is_public=True)
        )
    except (Debate.DoesNotExist, ValueError) as exc:
        if isinstance(user, User):
            raise NotFound(_("Debate not found.")) from exc
        raise NotAuthenticated from exc
    return debate, False


def debate_events_after(*, debate: Debate, after: int, limit: int = 1000) -> list[DebateEvent]:
    return list(DebateEvent.objects.filter(debate=debate, seq__gt=after).order_by("seq")[:limit])


def debate_event_messages(
    *, debate_id: UUID | str, after: int, upto: int | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Events after `after` (up to `upto`, at most `limit`), oldest first, as sent to browsers."""
    events = DebateEvent.objects.filter(debate_id=debate_id, seq__gt=after)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    return [event.as_message() for event in events.order_by("seq")[:limit]]


def debate_event_log(*, debate_id: UUID | str) -> list[dict[str, Any]]:
    """The whole log, oldest first, as sent to browsers (the live page and replay embed it)."""
    return [
        event.as_message()
        for event in DebateEvent.objects.filter(debate_id=debate_id).order_by("seq")
    ]


def debate_pii_for_viewer(*, debate: Debate, user: User | None) -> PlaceholderMap | None:
    """The originals of the debate's placeholders, for its creator only: every other viewer,
    the public link, the exports and the logs see the placeholders."""
    if user is None or debate.created_by_id != user.pk or not debate.pii_map:
        return None
    return PlaceholderMap.from_dict(debate.pii_map)


def debate_log_position(*, debate_id: UUID | str) -> tuple[int, bool] | None:
    """The debate's last seq and whether it has finished; None when it no longer exists."""
    row = Debate.objects.filter(pk=debate_id).values_list("last_seq", "status").first()
    if row is None:
        return None
    return row[0], row[1] in FINISHED_STATUSES


def model_list_with_health(
    *, own_providers: Collection[str] = (), scope: str = ""
) -> list[dict[str, object]]:
    """The catalog with availability, how the team reaches each model (`reach`: "platform"
    key, its "own_key", or "unreachable") and each model's circuit-breaker state (the team's
    own breaker, `scope`, for a model it reaches with its own key)."""
    states = circuit_states()
    own_states = circuit_states(scope=scope) if scope else {}
    return [
        {
            **{
                name: getattr(model, name)
                for name in (
                    "key",
                    "provider",
                    "model_id",
                    "display_name",
                    "tier",
                    "price_in_per_mtok",
                    "price_out_per_mtok",
                    "context_window",
                    "supports_streaming",
                )
            },
            "available": model_is_available(model, own_providers=own_providers),
            "reach": model_reach(model, own_providers=own_providers),
            "circuit_state": (own_states if model.provider in own_providers else states).get(
                (model.provider, model.model_id), CircuitState.CLOSED
            ),
        }
        for model in LLMModel.objects.filter(enabled=True)
    ]


def model_reach(model: LLMModel, *, own_providers: Collection[str] = ()) -> str:
    """How a team reaches a model: its "own_key" (which wins over the platform's), the
    "platform" key, or "unreachable"."""
    if model.enabled and model.provider in own_providers:
        return "own_key"
    if model_is_available(model):
        return "platform"
    return "unreachable"


# --- Web pages: list, detail, dashboard, public link -------------------------------------------

LIST_TABS = ("mine", "team")


def debate_search(
    *,
    team: Team,
    user: User,
    tab: str = "mine",
    status: str = "",
    query: str = "",
    starred: bool = False,
) -> QuerySet[Debate]:
    """The active team's debates for the list page, newest first: "mine" are the ones `user`
    started there, "team" the ones shared with the team (by anyone, `user` included); with
    `starred`, only those `user` starred. Each carries `is_starred` (for `user`)."""
    stars = DebateStar.objects.filter(user=user, debate=OuterRef("pk"))
    debates: QuerySet[Debate] = debate_list_for_team(team=team, user=user).annotate(
        is_starred=Exists(stars)
    )
    if starred:
        debates = debates.filter(Exists(stars))
    debates = (
        debates.filter(shared_with_team=True) if tab == "team" else debates.filter(created_by=user)
    )
    if status:
        debates = debates.filter(status=status)
    if query:
        debates = debate_text_search(debates, query)
    return debates


# At most this many words of a search count (a pasted paragraph is not a query).
MAX_SEARCH_WORDS = 12


def debate_text_search(debates: QuerySet[Debate], query: str) -> QuerySet[Debate]:
    """Debates whose question holds every word of `query`, in any order and case: PostgreSQL's
    full-text search (websearch syntax: "quoted phrases", -excluded words; the `simple`
    configuration, so English and Turkish words match as written); on SQLite every word must
    appear in the question, case-insensitive (so "ZEBRA general" finds "General zebra care")."""
    words = query.split()[:MAX_SEARCH_WORDS]
    if not words:
        return debates
    if connection.vendor == "postgresql":
        return debates.annotate(search=SearchVector("question", "title", config="simple")).filter(
            search=SearchQuery(" ".join(words), config="simple", search_type="websearch")
        )
    for word in words:
        debates = debates.filter(Q(question__icontains=word) | Q(title__icontains=word))
    return debates


def debate_list_recent(*, team: Team, user: User, limit: int = 5) -> list[Debate]:
    """The newest debates of the active team that `user` may see."""
    return list(debate_list_for_team(team=team, user=user)[:limit])


def _debate_detail_queryset() -> QuerySet[Debate]:
    return Debate.objects.select_related("team", "created_by", "chair_model").prefetch_related(
        Prefetch("seats", queryset=Seat.objects.select_related("llm_model")),
        "judge_models",
        Prefetch("turns", queryset=Turn.objects.select_related("seat")),
        Prefetch("judgments", queryset=Judgment.objects.select_related("judge_model", "seat")),
    )


def debate_get_public(*, debate_id: UUID | str) -> Debate:
    """A debate whose read-only link is open; NotFound otherwise, to anyone."""
    try:
        return _debate_detail_queryset().get(pk=debate_id, is_public=True)
    except (Debate.DoesNotExist, ValueError) as exc:
        raise NotFound(_("Debate not found.")) from exc


@dataclass(frozen=True)
class TranscriptRound:
    number: int  # 0 is the opening, 1..N the rebuttals
    turns: list[Turn]


def debate_transcript(*, debate: Debate) -> list[TranscriptRound]:
    """The turns of a debate fetched by a detail selector, by round then seat; each turn's
    `seat` is the prefetched seat, with its model."""
    seats = {seat.pk: seat for seat in debate.seats.all()}
    rounds: dict[int, list[Turn]] = {}
    for turn in sorted(debate.turns.all(), key=lambda t: (t.round, seats[t.seat_id].position)):
        turn.seat = seats[turn.seat_id]
        rounds.setdefault(turn.round, []).append(turn)
    return [TranscriptRound(number, turns) for number, turns in sorted(rounds.items())]


@dataclass(frozen=True)
class SeatJudgments:
    seat: Seat
    judgments: list[Judgment]


def debate_judgments_by_seat(*, debate: Debate) -> list[SeatJudgments]:
    """Each seat that was judged, with its judgments (one per judge)."""
    seats = {seat.pk: seat for seat in debate.seats.all()}
    by_seat: dict[int, list[Judgment]] = {}
    for judgment in debate.judgments.all():
        by_seat.setdefault(judgment.seat_id, []).append(judgment)
    return [
        SeatJudgments(seats[seat_id], judgments)
        for seat_id, judgments in sorted(by_seat.items(), key=lambda kv: seats[kv[0]].position)
    ]


@dataclass(frozen=True)
class ScoreRow:
    rank: int | None
    label: str
    role: str
    model: str
    model_name: str
    mean: float | None
    judgments: int
    failed: bool
    # Mean Borda points over the judges that scored the seat: what `rank` is computed from.
    borda: float | None = None

    @property
    def role_label(self) -> str:
        return str(SeatRole(self.role).label) if self.role in SeatRole.values else self.role


def debate_scoreboard(*, debate: Debate) -> list[ScoreRow]:
    """The finished debate's scoreboard (stored on the debate), typed for templates; empty
    when no seat was scored (e.g. cancelled before it started): no table of dashes."""
    if not any(isinstance(row.get("mean"), int | float) for row in debate.scoreboard or []):
        return []
    rows = []
    for row in debate.scoreboard or []:
        mean, borda = row.get("mean"), row.get("borda")
        rows.append(
            ScoreRow(
                rank=row.get("rank"),
                label=str(row.get("label", "")),
                role=str(row.get("role", "")),
                model=str(row.get("model", "")),
                model_name=str(row.get("model_name") or row.get("model", "")),
                mean=float(mean) if isinstance(mean, int | float) else None,
                judgments=int(row.get("judgments") or 0),
                failed=row.get("status") == SeatStatus.FAILED,
                borda=float(borda) if isinstance(borda, int | float) else None,
            )
        )
    return rows


@dataclass(frozen=True)
class QueuePlace:
    """Where a queued debate stands: its place among its team's waiting debates, and why it
    waits (the team already runs as many debates as its plan allows)."""

    position: int
    running: int
    limit: int
    plan_name: str
    # About how long until it starts (seconds), from how long the team's debates take.
    wait_seconds: int = 0

    @property
    def waiting_for_slot(self) -> bool:
        return self.running >= self.limit

    @property
    def wait_minutes(self) -> int:
        return max(1, -(-self.wait_seconds // 60))


# A debate of the offline demo panel, paced (measured: ~40 s): the estimate when a team has
# no finished debate to learn from yet.
DEFAULT_DEBATE_SECONDS = 40
_RECENT_FOR_ESTIMATE = 20


def queue_wait_seconds(
    *, running_elapsed: Sequence[float], ahead: int, limit: int, typical: float
) -> float:
    """When the next debate in line after `ahead` others starts: `limit` slots, each busy for
    the rest of a running debate (typical minus elapsed) and then for each debate ahead."""
    slots = sorted(max(0.0, typical - elapsed) for elapsed in running_elapsed)[: max(1, limit)]
    slots += [0.0] * (max(1, limit) - len(slots))
    for _debate in range(ahead):
        slots.sort()
        slots[0] += typical
    return min(slots)


def _typical_debate_seconds(*, team_id: UUID) -> float:
    """The median duration of the team's last finished debates (started to finished)."""
    recent = (
        Debate.objects.filter(team_id=team_id, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:_RECENT_FOR_ESTIMATE]
    )
    durations = sorted((end - start).total_seconds() for start, end in recent if start and end)
    if not durations:
        return DEFAULT_DEBATE_SECONDS
    return durations[len(durations) // 2]


def debate_queue_place(*, debate: Debate) -> QueuePlace | None:
    """The queue place of a debate that has not started; None once it has."""
    if debate.status != DebateStatus.QUEUED:
        return None
    team_debates = Debate.objects.filter(team_id=debate.team_id)
    ahead = team_debates.filter(
        status=DebateStatus.QUEUED, created_at__lt=debate.created_at
    ).count()
    limits = debate_limits_for_team(team=debate.team)
    now = timezone.now()
    running_elapsed = [
        (now - started).total_seconds() if started else 0.0
        for started in team_debates.filter(status=DebateStatus.RUNNING).values_list(
            "started_at", flat=True
        )
    ]
    wait = queue_wait_seconds(
        running_elapsed=running_elapsed,
        ahead=ahead,
        limit=limits.concurrent_debates,
        typical=_typical_debate_seconds(team_id=debate.team_id),
    )
    return QueuePlace(
        position=ahead + 1,
        running=len(running_elapsed),
        limit=limits.concurrent_debates,
        plan_name=limits.plan_name,
        wait_seconds=round(wait),
    )


def debate_conformity(*, debate: Debate) -> Conformity:
    """Conformity telemetry of a debate's stored turns: each seat's stance per round, whether
    it changed, and whether the change followed the previous round's majority."""
    seats = {seat.pk: seat for seat in debate.seats.all()}
    return conformity(
        [
            TurnPosition(
                seat=chr(ord("A") + seats[turn.seat_id].position),
                round=turn.round,
                position=turn.stance,
                confidence=turn.confidence,
                key_claims=tuple(str(claim) for claim in turn.key_claims or ()),
            )
            for turn in debate.turns.all()
            if turn.status == TurnStatus.COMPLETED
        ]
    )
