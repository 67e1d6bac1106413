"""Creating, cancelling and recovering debates."""

import functools
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from billing.limits import (
    MAX_QUESTION,
    MAX_ROUNDS,
    MAX_SEATS,
    MIN_QUESTION,
    MIN_ROUNDS,
    MIN_SEATS,
    debate_limits_for_team,
    debate_shape_check,
)
from billing.services import quota_refusal_record, quota_reserve
from consultation.exceptions import Conflict, ProviderUnavailable, QuotaExceeded, ValidationFailed
from debates.credentials import scope_for_team, team_own_providers
from debates.models import (
    Category,
    ContextKind,
    Debate,
    DebateDocument,
    DebateStatus,
    FailureReason,
    LLMModel,
    Seat,
    SeatRole,
)
from debates.orchestration.progress import team_next_waiting
from debates.orchestration.state import model_ref
from debates.presets import PRESETS
from debates.prompts import ContextDoc, detect_language
from debates.providers.base import estimate_tokens
from debates.queue import debate_run_later
from debates.selectors import model_is_available
from debates.services.context import DocumentInput, PreparedDocument, documents_prepare
from debates.services.estimates import estimate_debate
from debates.services.finalization import debate_finalize
from debates.services.panel import judges_and_chair
from debates.services.screening import (
    InjectionSuspected,
    injection_record,
    question_screen,
    redactions_record,
)
from ops.health import circuits_open
from safety.injection import normalize_question, random_boundary

logger = structlog.get_logger(__name__)

# Every judge scores every seat: as many judges as a panel may have seats is plenty.
MAX_JUDGES = MAX_SEATS


@dataclass(frozen=True)
class SeatInput:
    model: str
    role: str
    temperature: float = 0.7
    instruction: str = ""


def seats_from_preset(slug: str, *, own_providers: Collection[str] = ()) -> list[SeatInput]:
    """A preset's seats with, for each, the first of its models that is available now (with
    the platform's keys, or the team's own for `own_providers`)."""
    try:
        preset = PRESETS[slug]
    except KeyError as exc:
        raise ValidationFailed(fields={"preset": [_("Unknown preset.")]}) from exc
    available = {
        m.key
        for m in LLMModel.objects.filter(enabled=True)
        if model_is_available(m, own_providers=own_providers)
    }
    seats = []
    for seat in preset.seats:
        model = next((key for key in seat.models if key in available), None)
        if model is None:
            raise ValidationFailed(
                fields={"preset": [_("No model of this preset is available right now.")]}
            )
        seats.append(SeatInput(model=model, role=seat.role, temperature=seat.temperature))
    return seats


def _models_by_key(
    keys: Sequence[str], errors: dict[str, list[str]], field: str, own: Collection[str] = ()
) -> dict[str, LLMModel]:
    models = {m.key: m for m in LLMModel.objects.filter(key__in=set(keys))}
    for key in keys:
        model = models.get(key)
        if model is None:
            errors.setdefault(field, []).append(_("Unknown model: %(key)s") % {"key": key})
        elif not model_is_available(model, own_providers=own):
            errors.setdefault(field, []).append(
                _("Model %(key)s is not available (disabled, or its provider is not configured).")
                % {"key": key}
            )
    return models


def _substitute(
    model: LLMModel, *, blocked: set[tuple[str, str]], taken: set[str], own: Collection[str] = ()
) -> LLMModel | None:
    """A healthy stand-in for `model`: an available model of the same tier whose breaker is
    closed, from the same provider if one is, preferring one not on the panel yet. Demo models
    stand in only for demo models."""
    candidates = [
        other
        for other in LLMModel.objects.filter(enabled=True, tier=model.tier).order_by("key")
        if other.key != model.key
        and model_is_available(other, own_providers=own)
        and other.is_demo == model.is_demo
        and (other.provider, other.model_id) not in blocked
    ]
    candidates.sort(key=lambda other: (other.provider != model.provider, other.key in taken))
    return candidates[0] if candidates else None


def _route_around_open_circuits(
    *,
    panel: list[LLMModel],
    chair: LLMModel,
    min_required_seats: int | None,
    substitute: bool,
    chair_chosen: bool,
    own: Collection[str] = (),
    scope: str = "",
) -> tuple[list[LLMModel], LLMModel]:
    """Refuse a debate that could not run: fewer seats with a closed breaker than it needs, or
    a chair whose breaker is open (it would fail later with `all_seats_failed` or without an
    answer). With `substitute`, each model whose breaker is open is first replaced by a healthy
    one of the same tier (`_substitute`); the seats keep their roles. A chair picked by default
    (not asked for) is always replaced so. A provider the team calls with its own key (`own`)
    answers to the team's breakers (`scope`), the others to the platform's."""
    blocked = {pair for pair in circuits_open() if pair[0] not in own}
    if own:
        blocked |= {pair for pair in circuits_open(scope=scope) if pair[0] in own}
    if not blocked:
        return panel, chair

    def is_open(model: LLMModel) -> bool:
        return (model.provider, model.model_id) in blocked

    if substitute:
        taken = {model.key for model in panel}
        replaced = []
        for model in panel:
            stand_in = (
                _substitute(model, blocked=blocked, taken=taken, own=own)
                if is_open(model)
                else None
            )
            if stand_in is not None:
                taken.add(stand_in.key)
                logger.info("seat_model_substituted", model=model.key, substitute=stand_in.key)
            replaced.append(stand_in or model)
        panel = replaced
    if is_open(chair) and (substitute or not chair_chosen):
        chair = _substitute(chair, blocked=blocked, taken={m.key for m in panel}, own=own) or chair
    needed = min(
        len(panel),
        min_required_seats
        if min_required_seats is not None
        else settings.DEBATE_MIN_REQUIRED_SEATS,
    )
    unavailable = [model for model in [*panel, chair] if is_open(model)]
    if sum(not is_open(model) for model in panel) < needed or is_open(chair):
        keys = sorted({model.key for model in unavailable})
        raise ProviderUnavailable(
            _(
                "These models are failing right now, so this debate could not run: %(models)s. "
                "Choose other models, try again in a minute, or ask for healthy substitutes."
            )
            % {"models": ", ".join(keys)},
            models=keys,
        )
    return panel, chair


def _counting_refusals[**P, R](create: Callable[P, R]) -> Callable[P, R]:
    """Count and log a question refused as an injection attempt, or a debate refused by the
    team's quota, after its transaction has rolled back (so the count is all that remains)."""

    @functools.wraps(create)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return create(*args, **kwargs)
        except InjectionSuspected as refused:
            injection_record(refused.verdict, blocked=True)
            raise
        except QuotaExceeded as refused:
            team = kwargs.get("team")
            if isinstance(team, Team):
                quota_refusal_record(refused, team=team)
            raise

    return wrapper


@_counting_refusals
@transaction.atomic
def debate_create(
    *,
    user: User,
    team: Team,
    question: str,
    seats: Sequence[SeatInput],
    rounds: int = 2,
    judges: Sequence[str] = (),
    chair: str | None = None,
    category: str = Category.GENERAL,
    cost_cap_usd: Decimal | None = None,
    max_seat_fail_ratio: float | None = None,
    min_required_seats: int | None = None,
    fail_fast: bool | None = None,
    is_public: bool = False,
    listed_in_hall_of_fame: bool = False,
    substitute_unavailable: bool = False,
    run_in_worker: bool = True,
    documents: Sequence[DocumentInput] = (),
    context: Sequence[ContextDoc] = (),
    follow_up_of: Debate | None = None,
    pii_from: Debate | None = None,
) -> Debate:
    """Validate the panel against the catalog, screen the question (normalised, personal data
    replaced, checked for injection: debates.services.screening), save the debate queued, and
    have a worker run it once this transaction commits (unless the caller runs it itself, like
    the `debate` command). Bad input changes nothing. A panel whose models' circuit breakers
    are open is refused with `provider_unavailable`, or, with `substitute_unavailable`, gets
    healthy models of the same tier in their place.

    `documents` are files to read with the question (debates.services.context: checked
    against the plan, their text scrubbed like the question); `context` is text already
    screened (a follow-up's earlier answer, `follow_up_of`'s). Both are fenced in every prompt
    and counted in the estimate. A thread keeps its placeholders (`pii_from`, default
    `follow_up_of`) when its creator is the same person: only they may see the originals."""
    pii_from = pii_from or follow_up_of
    errors: dict[str, list[str]] = {}
    # NFKC, invisible characters stripped, white space tidied: before the length check.
    question = normalize_question(question)
    if not MIN_QUESTION <= len(question) <= MAX_QUESTION:
        errors["question"] = [
            _("The question must be %(min)d to %(max)d characters long.")
            % {"min": MIN_QUESTION, "max": MAX_QUESTION}
        ]
    if not MIN_SEATS <= len(seats) <= MAX_SEATS:
        errors["seats"] = [
            _("A panel has %(min)d to %(max)d seats.") % {"min": MIN_SEATS, "max": MAX_SEATS}
        ]
    if not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
        errors["rounds"] = [
            _("Choose %(min)d to %(max)d rebuttal rounds.") % {"min": MIN_ROUNDS, "max": MAX_ROUNDS}
        ]
    if category not in Category.values:
        errors["category"] = [_("Unknown category.")]
    for index, seat in enumerate(seats):
        letter = chr(ord("A") + index)  # as the seat cards letter them ("Seat B", "Koltuk B")
        if seat.role not in SeatRole.values:
            errors.setdefault("seats", []).append(
                _("Seat %(letter)s: unknown role %(role)s.") % {"letter": letter, "role": seat.role}
            )
        if seat.role == SeatRole.CUSTOM and not seat.instruction.strip():
            errors.setdefault("seats", []).append(
                _("Seat %(letter)s: a custom role needs an instruction.") % {"letter": letter}
            )
        if not 0.0 <= seat.temperature <= 2.0:
            errors.setdefault("seats", []).append(
                _("Seat %(letter)s: temperature must be between 0 and 2.") % {"letter": letter}
            )
        if len(seat.instruction) > 1000:
            errors.setdefault("seats", []).append(
                _("Seat %(letter)s: the instruction is longer than 1000 characters.")
                % {"letter": letter}
            )
    if cost_cap_usd is not None and cost_cap_usd <= 0:
        errors["cost_cap_usd"] = [_("The cost cap must be positive.")]
    if max_seat_fail_ratio is not None and not 0 <= max_seat_fail_ratio <= 1:
        errors["max_seat_fail_ratio"] = [_("Use a ratio between 0 and 1.")]
    if min_required_seats is not None and not 1 <= min_required_seats <= len(seats):
        errors["min_required_seats"] = [_("Between 1 and the number of seats.")]

    # Providers the team calls with its own key: reachable even without the platform's key.
    own = team_own_providers(team_id=team.pk)
    seat_models = _models_by_key([s.model for s in seats], errors, "seats", own)
    limits = debate_limits_for_team(team=team)
    judge_keys, chair_key = judges_and_chair(
        panel=[s.model for s in seats], judges=judges, chair=chair, tiers=limits.allowed_tiers
    )
    if len(judge_keys) > MAX_JUDGES:
        # Checked before the catalog lookup: a list of 100,000 keys costs nothing here.
        errors["judges"] = [_("At most %(max)d judges.") % {"max": MAX_JUDGES}]
        judge_keys = []
    judge_models = _models_by_key(judge_keys, errors, "judges", own)
    chair_models = _models_by_key([chair_key], errors, "chair", own) if chair_key else {}
    if errors:
        raise ValidationFailed(fields=errors)

    # Seats whose breaker is open: refused (503 provider_unavailable), or replaced when asked.
    panel_models, chair_model = _route_around_open_circuits(
        panel=[seat_models[s.model] for s in seats],
        chair=chair_models[chair_key],
        min_required_seats=min_required_seats,
        substitute=substitute_unavailable,
        chair_chosen=chair is not None,
        own=own,
        scope=scope_for_team(team.pk),
    )
    # With no judges configured the chair judges too: a debate is always scored.
    judge_list = [judge_models[key] for key in judge_keys] or [chair_model]
    every_model = [*panel_models, *judge_list, chair_model]
    # The plan: its shape limits (403 plan_restriction), then this month's quota, reserved
    # under a lock on the team's account so racing requests cannot over-admit (429).
    debate_shape_check(
        team=team, seats=len(seats), rounds=rounds, tiers=[model.tier for model in every_model]
    )
    prepared = documents_prepare(team=team, uploads=documents)
    context_chars = sum(len(doc.text) for doc in prepared) + sum(len(doc.text) for doc in context)
    debate_id = uuid.uuid4()
    estimate = estimate_debate(
        seats=[model_ref(model) for model in panel_models],
        judges=[model_ref(model) for model in judge_list],
        chair=model_ref(chair_model),
        rounds=rounds,
        question_chars=len(question) + context_chars,
        max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
        demo_tokens_per_second=settings.DEMO_TOKENS_PER_SECOND,
        own_key_providers=own,
    )
    # A cost cap bounds what the debate may spend, so it bounds what it reserves too. Calls
    # made with the team's own keys reserve nothing of the token and cost quotas (the debate
    # itself still counts).
    billed_cost = estimate.billed_cost_usd
    reserve_cost = billed_cost if cost_cap_usd is None else min(billed_cost, cost_cap_usd)
    quota_reserve(
        team=team, debate_id=debate_id, tokens=estimate.billed_tokens, cost_usd=reserve_cost
    )

    screened = question_screen(
        question=question,
        instructions=[seat.instruction.strip() for seat in seats],
        # [EMAIL_1] stays the same address along a thread, for the person who may see it.
        pii_map=pii_from.pii_map
        if pii_from is not None and pii_from.created_by_id == user.pk
        else None,
        documents=[(doc.name, doc.text) for doc in prepared],
    )
    debate = Debate.objects.create(
        id=debate_id,
        team=team,
        created_by=user,
        question=screened.question,
        pii_map=screened.mapping.to_dict(),
        redactions=screened.redactions,
        fence=random_boundary(),
        injection_score=round(screened.verdict.score, 3),
        flagged=screened.verdict.suspected,
        category=category,
        language=detect_language(question),
        rounds=rounds,
        chair_model=chair_model,
        cost_cap_usd=cost_cap_usd,
        max_seat_fail_ratio=max_seat_fail_ratio,
        min_required_seats=min_required_seats,
        fail_fast=fail_fast,
        # Listing is the explicit choice to publish: it opens the link it needs.
        is_public=is_public or listed_in_hall_of_fame,
        listed_in_hall_of_fame=listed_in_hall_of_fame,
        uses_demo=any(model.is_demo for model in every_model),
        follow_up_of=follow_up_of,
    )
    debate.judge_models.set(judge_list)
    _documents_save(debate, context, prepared, screened.documents)
    Seat.objects.bulk_create(
        Seat(
            debate=debate,
            position=position,
            llm_model=panel_models[position],
            role=seat.role,
            instruction=screened.instructions[position],
            temperature=seat.temperature,
        )
        for position, seat in enumerate(seats)
    )
    redactions_record(screened.redactions, debate_id=str(debate.pk))
    if screened.verdict.suspected:
        injection_record(screened.verdict, blocked=False, debate_id=str(debate.pk))
    logger.info(
        "debate.created",
        debate_id=str(debate.pk),
        team_id=str(team.pk),
        seats=len(seats),
        rounds=rounds,
        demo=debate.uses_demo,
    )
    if run_in_worker:
        debate_run_later(debate_id=debate.pk)
    return debate


def _documents_save(
    debate: Debate,
    context: Sequence[ContextDoc],
    prepared: Sequence[PreparedDocument],
    scrubbed: Sequence[tuple[str, str]],
) -> None:
    """The debate's context as the models read it: a follow-up's earlier answer first, then
    the attached files (names and texts with personal data replaced)."""
    rows = [
        DebateDocument(
            debate=debate,
            kind=doc.kind,
            name=doc.name,
            content_type="text/markdown",
            size_bytes=len(doc.text.encode()),
            tokens=estimate_tokens(doc.text),
            text=doc.text,
        )
        for doc in context
    ]
    rows += [
        DebateDocument(
            debate=debate,
            kind=ContextKind.DOCUMENT,
            name=name,
            content_type=doc.content_type,
            size_bytes=doc.size_bytes,
            tokens=estimate_tokens(text),
            text=text,
        )
        for doc, (name, text) in zip(prepared, scrubbed, strict=True)
    ]
    for position, row in enumerate(rows):
        row.position = position
    DebateDocument.objects.bulk_create(rows)


@transaction.atomic
def debate_cancel(*, debate: Debate) -> Debate:
    """Stop a debate. A queued one stops at once; a running one between two model calls."""
    debate = Debate.objects.select_for_update().get(pk=debate.pk)
    if debate.is_finished:
        raise Conflict(_("This debate has already finished."))
    if debate.status == DebateStatus.QUEUED:
        debate_finalize(
            debate_id=debate.pk, status=DebateStatus.CANCELLED, reason=FailureReason.CANCELLED
        )
    else:
        Debate.objects.filter(pk=debate.pk).update(cancel_requested=True)
    debate.refresh_from_db()
    return debate


def debate_recover_stale() -> list[UUID]:
    """Re-enqueue running debates whose runner stopped beating (its worker died), and queued
    debates left waiting longer than that while their team has a free slot (the enqueue that
    should have started them was lost with a worker). The claim in the pipeline makes a
    double pick-up harmless."""
    stale = timezone.now() - timedelta(seconds=settings.DEBATE_STALE_SECONDS)
    ids = list(
        Debate.objects.filter(status=DebateStatus.RUNNING, heartbeat_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
    for debate_id in ids:
        logger.warning("debate_recovering", debate_id=str(debate_id))
        debate_run_later(debate_id=debate_id, on_commit=False)
    waiting = Debate.objects.filter(status=DebateStatus.QUEUED, created_at__lt=stale)
    for team in Team.objects.filter(pk__in=waiting.values("team_id")):
        for debate_id in team_next_waiting(team=team, queued_before=stale):
            logger.warning("debate_restarting_waiting", debate_id=str(debate_id))
            debate_run_later(debate_id=debate_id, on_commit=False)
            ids.append(debate_id)
    return ids
