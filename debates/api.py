"""The debates API: one view per operation, each with its own small serializers."""

import functools
import json
from typing import Any

from django.http import HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_workspace
from accounts.models import Team, User
from billing.limits import MAX_QUESTION, MAX_SEATS, MIN_QUESTION
from consultation.api.pagination import PAGE_PARAMETERS, Pagination, page_of
from consultation.api.parsers import JSONParser
from consultation.api.permissions import DEBATES_READ, DEBATES_WRITE
from consultation.exceptions import ValidationFailed
from debates import selectors
from debates.credentials import scope_for_team, team_own_providers
from debates.detail_cache import detail_cached, detail_digest, detail_is_cacheable
from debates.forms_threads import documents_from_files
from debates.models import Category, Debate, DebateStatus, LLMModel, Stage, seat_label
from debates.services import exports
from debates.services.creation import SeatInput, debate_cancel, debate_create, seats_from_preset
from debates.services.threads import debate_follow_up, debate_fork

_STATUSES = ", ".join(DebateStatus.values)
JSON = "application/json"


def _actor(request: Request) -> tuple[User, Team]:
    # DRF hands the user it authenticated down to the HttpRequest, whose active team follows.
    return request_workspace(request._request)


def _debate(request: Request, debate_id: str) -> Debate:
    """A debate of the active team the caller may see (docs/API.md): a debate of another team
    is a 404, even for its creator. With an API key the active team is the key's, so a key
    acts for its team alone."""
    user, team = _actor(request)
    return selectors.debate_get_for_user(user=user, team=team, debate_id=debate_id)


def _links(debate: Debate) -> dict[str, str]:
    return {
        "self": reverse("api-debate-detail", args=[debate.pk]),
        "events": reverse("api-debate-events", args=[debate.pk]),
        "cancel": reverse("api-debate-cancel", args=[debate.pk]),
    }


class ModelBrief(serializers.Serializer[LLMModel]):
    key = serializers.CharField()
    display_name = serializers.CharField()
    provider = serializers.CharField()


class SeatOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    position = serializers.IntegerField()
    seat_label = serializers.CharField(source="label")
    role = serializers.CharField()
    instruction = serializers.CharField()
    temperature = serializers.FloatField()
    model = ModelBrief(source="llm_model")
    status = serializers.CharField()
    failure_reason = serializers.CharField()


class TurnOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    seat = serializers.IntegerField(source="seat_id")
    seat_label = serializers.CharField(source="seat.label")
    round = serializers.IntegerField()
    stage = serializers.CharField()
    status = serializers.CharField()
    content = serializers.CharField()
    stance = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    key_claims = serializers.ListField(child=serializers.CharField())
    error_code = serializers.CharField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=6)
    latency_ms = serializers.IntegerField()


class JudgmentOutput(serializers.Serializer[Any]):
    judge = serializers.CharField(source="judge_model.key")
    seat = serializers.IntegerField(source="seat_id")
    seat_label = serializers.CharField(source="seat.label")
    status = serializers.CharField()
    scores = serializers.DictField(child=serializers.FloatField())
    total = serializers.FloatField(allow_null=True)
    rationale = serializers.CharField()
    error_code = serializers.CharField()


class DocumentOutput(serializers.Serializer[Any]):
    """Context the panel read: an attached file, or a follow-up's earlier answer/transcript."""

    name = serializers.CharField()
    kind = serializers.CharField(help_text="document, previous_answer or previous_transcript")
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    tokens = serializers.IntegerField(help_text="Estimated (about 4 characters a token).")


class DebateSummaryOutput(serializers.Serializer[Debate]):
    id = serializers.UUIDField()
    question = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField()
    rounds = serializers.IntegerField()
    uses_demo = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    links = serializers.SerializerMethodField()

    def get_links(self, debate: Debate) -> dict[str, str]:
        return _links(debate)


class RankingOutput(serializers.Serializer[Any]):
    method = serializers.CharField(help_text="borda_condorcet")
    basis = serializers.CharField(help_text="The scoreboard field the rank is computed from.")
    explanation = serializers.CharField()
    methodology_url = serializers.CharField()


class DebateDetailOutput(DebateSummaryOutput):
    language = serializers.CharField()
    is_public = serializers.BooleanField()
    listed_in_hall_of_fame = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    chair = ModelBrief(source="chair_model")
    judges = ModelBrief(source="judge_models.all", many=True)
    seats = SeatOutput(source="seats.all", many=True)
    turns = TurnOutput(source="turns.all", many=True)
    judgments = JudgmentOutput(source="judgments.all", many=True)
    synthesis = serializers.JSONField()
    scoreboard = serializers.JSONField(
        help_text="One row per seat, in rank order; `rank` comes from `borda`, not `mean`."
    )
    ranking = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()
    failure = serializers.SerializerMethodField()
    budget_reason = serializers.CharField()
    last_seq = serializers.IntegerField()
    follow_up_of = serializers.UUIDField(source="follow_up_of_id", allow_null=True)
    forked_from = serializers.UUIDField(source="forked_from_id", allow_null=True)
    fork_round = serializers.IntegerField(allow_null=True)
    documents = DocumentOutput(source="documents.all", many=True)

    @extend_schema_field(RankingOutput)
    def get_ranking(self, debate: Debate) -> dict[str, str]:
        return {
            "method": "borda_condorcet",
            "basis": "borda",
            "explanation": exports.ranking_note(),
            "methodology_url": exports.methodology_url(),
        }

    def get_usage(self, debate: Debate) -> dict[str, Any]:
        return {
            "input_tokens": debate.input_tokens,
            "output_tokens": debate.output_tokens,
            "cost_usd": str(debate.cost_usd),
        }

    def get_failure(self, debate: Debate) -> dict[str, str] | None:
        if not debate.failure_reason or debate.status != DebateStatus.FAILED:
            return None
        return {"reason": debate.failure_reason, "detail": debate.failure_detail}


class SeatInputSerializer(serializers.Serializer[Any]):
    model = serializers.CharField(help_text="Catalog key, e.g. demo:demo-sage")
    role = serializers.CharField()
    temperature = serializers.FloatField(default=0.7)
    instruction = serializers.CharField(default="", allow_blank=True, max_length=1000)


class DebateCreateInput(serializers.Serializer[Any]):
    # The length is checked by debate_create (after normalising), so the API's message is the
    # one docs/API.md shows: "The question must be 10 to 5000 characters long."
    question = serializers.CharField(
        trim_whitespace=True, help_text=f"{MIN_QUESTION} to {MAX_QUESTION} characters."
    )
    preset = serializers.CharField(required=False, help_text="Use a preset panel.")
    seats = SeatInputSerializer(many=True, required=False)
    rounds = serializers.IntegerField(default=2)
    judges = serializers.ListField(
        child=serializers.CharField(max_length=120), default=list, max_length=MAX_SEATS
    )
    chair = serializers.CharField(required=False)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.GENERAL)
    cost_cap_usd = serializers.DecimalField(
        max_digits=10, decimal_places=4, required=False, allow_null=True
    )
    max_seat_fail_ratio = serializers.FloatField(required=False, allow_null=True)
    min_required_seats = serializers.IntegerField(required=False, allow_null=True)
    fail_fast = serializers.BooleanField(required=False, allow_null=True)
    is_public = serializers.BooleanField(
        default=False, help_text="Open a read-only link (reachable by that link only)."
    )
    listed_in_hall_of_fame = serializers.BooleanField(
        default=False, help_text="Also list it on the public hall of fame (opens the link)."
    )
    substitute_unavailable = serializers.BooleanField(
        default=False,
        help_text="When a model's circuit breaker is open, seat a healthy one of the same tier "
        "instead of refusing the debate with provider_unavailable.",
    )
    follow_up_of = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Ask this earlier debate's panel a follow-up: same seats, judges, chair and "
        "rounds (give no seats or preset), with its final answer as context.",
    )
    include_transcript = serializers.BooleanField(
        default=False, help_text="With follow_up_of: give the panel the earlier transcript too."
    )
    documents = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="multipart/form-data only: plain text, Markdown or PDF files the panel reads "
        "with the question (the plan limits their number and size). In a multipart body, "
        "`seats` is a JSON string.",
    )


class DebateCreatedOutput(serializers.Serializer[Debate]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    uses_demo = serializers.BooleanField()
    links = serializers.SerializerMethodField()

    def get_links(self, debate: Debate) -> dict[str, str]:
        return _links(debate)


def _create_data(request: Request) -> Any:
    """The body as the input serializer reads it: JSON as sent; a multipart form with its
    lists (`judges`, `documents`) gathered and `seats` read from its JSON string."""
    if request.content_type.startswith("application/json") or not hasattr(request.data, "getlist"):
        return request.data
    form: Any = request.data
    data: dict[str, Any] = {key: form.get(key) for key in form if key not in ("judges", "seats")}
    if judges := form.getlist("judges"):
        data["judges"] = judges
    if raw_seats := form.get("seats"):
        try:
            data["seats"] = json.loads(raw_seats)
        except ValueError as exc:
            raise ValidationFailed(fields={"seats": ["Give seats as a JSON list."]}) from exc
    data["documents"] = request.FILES.getlist("documents")
    return data


class DebateListCreateApi(APIView):
    required_scopes = {"GET": DEBATES_READ, "POST": DEBATES_WRITE}
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="debates_list",
        parameters=[
            OpenApiParameter(
                "status", str, enum=DebateStatus.values, description="Filter by status"
            ),
            *PAGE_PARAMETERS,
        ],
        responses=page_of(DebateSummaryOutput),
    )
    def get(self, request: Request) -> Response:
        user, team = _actor(request)
        debates = selectors.debate_list_for_team(team=team, user=user)
        if wanted := request.query_params.get("status"):
            # Checked against the choices, not passed to the database: PostgreSQL refuses a
            # NUL byte in a query parameter with a 500.
            if wanted not in DebateStatus.values:
                raise ValidationFailed(
                    fields={"status": [_("Use one of: %(values)s.") % {"values": _STATUSES}]}
                )
            debates = debates.filter(status=wanted)
        paginator = Pagination()
        page = paginator.paginate_queryset(debates, request, view=self)
        return paginator.get_paginated_response(
            DebateSummaryOutput(page or [], many=True).data  # type: ignore[arg-type]
        )

    @extend_schema(
        operation_id="debates_create",
        request=DebateCreateInput,
        responses={202: DebateCreatedOutput},
    )
    def post(self, request: Request) -> Response:
        user, team = _actor(request)
        serializer = DebateCreateInput(data=_create_data(request))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        preset = data.pop("preset", None)
        seats_data = data.pop("seats", None)
        documents = documents_from_files(data.pop("documents", None) or [])
        follow_up_of = data.pop("follow_up_of", None)
        include_transcript = data.pop("include_transcript")
        if follow_up_of is not None:
            if preset or seats_data:
                raise ValidationFailed(
                    fields={"follow_up_of": ["A follow-up asks the same panel: give no seats."]}
                )
            parent = selectors.debate_get_for_user(user=user, team=team, debate_id=follow_up_of)
            debate = debate_follow_up(
                user=user,
                parent=parent,
                question=data["question"],
                include_transcript=include_transcript,
                documents=documents,
            )
            return Response(DebateCreatedOutput(debate).data, status=status.HTTP_202_ACCEPTED)
        if preset:
            seats = seats_from_preset(preset, own_providers=team_own_providers(team_id=team.pk))
        elif seats_data:
            seats = [SeatInput(**seat) for seat in seats_data]
        else:
            raise ValidationFailed(fields={"seats": ["Give seats or a preset."]})
        debate = debate_create(user=user, team=team, seats=seats, documents=documents, **data)
        return Response(DebateCreatedOutput(debate).data, status=status.HTTP_202_ACCEPTED)


class DebateForkInput(serializers.Serializer[Any]):
    from_round = serializers.IntegerField(
        help_text="Copy the turns of the rounds before this one; run it and the rest anew "
        "(0 = the opening: nothing copied)."
    )
    preset = serializers.CharField(required=False, help_text="Use a preset panel.")
    seats = SeatInputSerializer(
        many=True, required=False, help_text="Default: the original's panel."
    )
    judges = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        max_length=MAX_SEATS,
        help_text="Default: the original's judges.",
    )
    chair = serializers.CharField(required=False, help_text="Default: the original's chair.")
    rounds = serializers.IntegerField(required=False, help_text="Default: the original's.")


class DebateForkApi(APIView):
    required_scopes = {"POST": DEBATES_WRITE}

    @extend_schema(
        operation_id="debates_fork",
        summary="Re-run a finished debate from a round",
        description=(
            "A new debate (`forked_from`, `fork_round`) whose turns before `from_round` are "
            "copies of the original's: not generated again and not billed, so its usage and "
            "quota count its new calls only. From `from_round` on it runs with the panel, "
            "judges, chair and rounds given (each defaults to the original's). A fork from "
            "round 1 or later keeps the number of seats: each seat continues the copied turns "
            "of its place."
        ),
        request=DebateForkInput,
        responses={202: DebateCreatedOutput},
    )
    def post(self, request: Request, debate_id: str) -> Response:
        user, _team = _actor(request)
        original = _debate(request, debate_id)
        serializer = DebateForkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        preset = data.pop("preset", None)
        seats_data = data.pop("seats", None)
        seats = (
            seats_from_preset(preset)
            if preset
            else [SeatInput(**seat) for seat in seats_data]
            if seats_data
            else None
        )
        fork = debate_fork(user=user, original=original, seats=seats, **data)
        return Response(DebateCreatedOutput(fork).data, status=status.HTTP_202_ACCEPTED)


class DebateHeadOutput(DebateDetailOutput):
    """DebateDetailOutput without its lists, which `debate_detail_data` builds from rows."""

    judges = None  # type: ignore[assignment]
    seats = None  # type: ignore[assignment]
    turns = None  # type: ignore[assignment]
    judgments = None  # type: ignore[assignment]
    documents = None  # type: ignore[assignment]


_COST = serializers.DecimalField(max_digits=12, decimal_places=6)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def debate_detail_data(debate: Debate) -> dict[str, Any]:
    """Exactly `DebateDetailOutput(debate).data` (a test holds them equal), with the lists
    read as plain rows: the detail is the API's most-read endpoint, and instantiating and
    serialising every turn and judgment through models and nested serializers was most of
    its cost (docs/PERFORMANCE.md, "API throughput")."""
    data: dict[str, Any] = dict(DebateHeadOutput(debate).data)
    rows = selectors.debate_detail_rows(debate=debate)
    data["judges"] = [dict(judge) for judge in rows.judges]
    seats = rows.seats
    labels = {seat["pk"]: seat_label(seat["position"]) for seat in seats}
    data["seats"] = [
        {
            "id": seat["pk"],
            "position": seat["position"],
            "seat_label": labels[seat["pk"]],
            "role": seat["role"],
            "instruction": seat["instruction"],
            "temperature": float(seat["temperature"]),
            "model": {
                "key": seat["llm_model__key"],
                "display_name": seat["llm_model__display_name"],
                "provider": seat["llm_model__provider"],
            },
            "status": seat["status"],
            "failure_reason": seat["failure_reason"],
        }
        for seat in seats
    ]
    data["turns"] = [
        {
            "id": str(turn["id"]),
            "seat": turn["seat_id"],
            "seat_label": labels[turn["seat_id"]],
            "round": turn["round"],
            "stage": Stage.OPENING if turn["round"] == 0 else Stage.REBUTTAL,
            "status": turn["status"],
            "content": turn["content"],
            "stance": turn["stance"],
            "confidence": _float(turn["confidence"]),
            "key_claims": [str(claim) for claim in turn["key_claims"]],
            "error_code": turn["error_code"],
            "input_tokens": turn["input_tokens"],
            "output_tokens": turn["output_tokens"],
            "cost_usd": _COST.to_representation(turn["cost_usd"]),
            "latency_ms": turn["latency_ms"],
        }
        for turn in rows.turns
    ]
    data["judgments"] = [
        {
            "judge": judgment["judge_model__key"],
            "seat": judgment["seat_id"],
            "seat_label": labels[judgment["seat_id"]],
            "status": judgment["status"],
            "scores": {name: float(value) for name, value in judgment["scores"].items()},
            "total": _float(judgment["total"]),
            "rationale": judgment["rationale"],
            "error_code": judgment["error_code"],
        }
        for judgment in rows.judgments
    ]
    data["documents"] = [dict(document) for document in rows.documents]
    return {field: data[field] for field in _detail_fields()}


@functools.cache
def _detail_fields() -> tuple[str, ...]:
    """DebateDetailOutput's fields, in its order (the documented response's)."""
    return tuple(str(name) for name in DebateDetailOutput().fields)


class DebateDetailApi(APIView):
    required_scopes = {"GET": DEBATES_READ}

    @extend_schema(
        operation_id="debates_retrieve",
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                str,
                location=OpenApiParameter.HEADER,
                description="The detail carries an ETag: send it back to get a 304 (no body) "
                "while the detail is unchanged (a running debate's changes with every event).",
            )
        ],
        responses={200: DebateDetailOutput, 304: OpenApiResponse(description="Not modified.")},
    )
    def get(self, request: Request, debate_id: str) -> HttpResponseBase:
        user, team = _actor(request)
        debate = selectors.debate_get_brief_for_user(user=user, team=team, debate_id=debate_id)
        # An indented answer (Accept: application/json; indent=2) is rendered as asked.
        if not detail_is_cacheable() or request.accepted_media_type != JSON:
            return Response(debate_detail_data(debate))
        digest = detail_digest(debate)
        etag = f'"{digest}"'
        if not_modified := get_conditional_response(request._request, etag=etag):
            not_modified["ETag"] = etag
            return not_modified

        def render() -> bytes:
            return JSONRenderer().render(debate_detail_data(debate), JSON)

        response = HttpResponse(detail_cached(debate, digest, render), content_type=JSON)
        response["ETag"] = etag
        return response


class EventOutput(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    type = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")
    payload = serializers.JSONField()


class EventsOutput(serializers.Serializer[Any]):
    status = serializers.CharField()
    last_seq = serializers.IntegerField()
    events = EventOutput(many=True)


class DebateEventsApi(APIView):
    required_scopes = {"GET": DEBATES_READ}

    @extend_schema(
        operation_id="debates_events",
        parameters=[
            OpenApiParameter("after", int, description="Only events with seq greater than this"),
            OpenApiParameter("limit", int, description="At most this many (1-1000)"),
        ],
        responses=EventsOutput,
    )
    def get(self, request: Request, debate_id: str) -> Response:
        debate = _debate(request, debate_id)
        try:
            after = int(request.query_params.get("after", 0))
            limit = int(request.query_params.get("limit", 1000))
        except ValueError as exc:
            raise ValidationFailed(fields={"after": ["Use whole numbers."]}) from exc
        if after < 0 or not 1 <= limit <= 1000:
            raise ValidationFailed(fields={"after": ["after >= 0 and 1 <= limit <= 1000."]})
        events = selectors.debate_events_after(debate=debate, after=after, limit=limit)
        return Response(
            EventsOutput(
                {"status": debate.status, "last_seq": debate.last_seq, "events": events}
            ).data
        )


class DebateStreamApi(APIView):
    """The schema's description of the event stream. Under the ASGI server the path is served
    by debates.consumers.DebateStreamConsumer (live, until the debate ends); this view only
    answers where that server is not in front (Django's test client): the log so far, then
    `end`."""

    required_scopes = {"GET": DEBATES_READ}

    @extend_schema(
        operation_id="debates_stream",
        summary="Follow a debate as server-sent events",
        description=(
            "`text/event-stream`: every event with `seq > after` (or `Last-Event-ID`), then "
            "each new one as it happens; no gap, no duplicate. Each event is `id: <seq>`, "
            "`event: <type>`, `data: {seq, type, at, payload}`. After the final event "
            "(`debate.completed`, `debate.failed`, `debate.cancelled`) comes `event: end` and "
            "the response ends; a key revoked meanwhile gets `event: error` "
            "(`invalid_api_key`) and the same end. A comment line every few seconds keeps "
            "proxies from closing it. Opening counts as one request against the rate limit."
        ),
        parameters=[
            OpenApiParameter("after", int, description="Only events with seq greater than this"),
            OpenApiParameter(
                "Last-Event-ID",
                int,
                location=OpenApiParameter.HEADER,
                description="Sent by a reconnecting EventSource; wins over `after`.",
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                response=OpenApiTypes.STR, description="The event stream."
            )
        },
    )
    def get(self, request: Request, debate_id: str) -> HttpResponse:
        debate = _debate(request, debate_id)
        try:
            after = int(request.query_params.get("after", 0))
        except ValueError as exc:
            raise ValidationFailed(fields={"after": ["Use whole numbers."]}) from exc
        events = selectors.debate_event_messages(debate_id=debate.pk, after=max(after, 0))
        body = "".join(
            f"id: {e['seq']}\nevent: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events
        )
        body += f'event: end\ndata: {{"last_seq": {debate.last_seq}}}\n\n'
        return HttpResponse(body, content_type="text/event-stream; charset=utf-8")


class DebateCancelApi(APIView):
    required_scopes = {"POST": DEBATES_WRITE}

    @extend_schema(
        operation_id="debates_cancel", request=None, responses={202: DebateCreatedOutput}
    )
    def post(self, request: Request, debate_id: str) -> Response:
        debate = debate_cancel(debate=_debate(request, debate_id))
        return Response(DebateCreatedOutput(debate).data, status=status.HTTP_202_ACCEPTED)


class ModelOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    provider = serializers.CharField()
    model_id = serializers.CharField()
    display_name = serializers.CharField()
    tier = serializers.CharField()
    price_in_per_mtok = serializers.DecimalField(max_digits=10, decimal_places=4)
    price_out_per_mtok = serializers.DecimalField(max_digits=10, decimal_places=4)
    context_window = serializers.IntegerField()
    supports_streaming = serializers.BooleanField()
    available = serializers.BooleanField()
    reach = serializers.ChoiceField(
        choices=["platform", "own_key", "unreachable"],
        help_text="How the team reaches the model: the platform's key, its own key "
        "(which wins when both exist), or not at all.",
    )
    circuit_state = serializers.CharField()


class ModelListApi(APIView):
    required_scopes = {"GET": DEBATES_READ}

    @extend_schema(operation_id="models_list", responses=ModelOutput(many=True))
    def get(self, request: Request) -> Response:
        _user, team = _actor(request)
        models = selectors.model_list_with_health(
            own_providers=team_own_providers(team_id=team.pk), scope=scope_for_team(team.pk)
        )
        return Response(ModelOutput(models, many=True).data)
