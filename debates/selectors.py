"""Reads of the debates app. Access checks live here: someone else's debate is NotFound."""

from uuid import UUID

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Team, User
from consultation.exceptions import NotFound
from debates.models import (
    Debate,
    DebateEvent,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Seat,
    SeatStatus,
    Turn,
    TurnStatus,
)
from debates.orchestration.state import DebateState, ModelRef, SeatState, Tolerance
from debates.prompts import Contribution
from ops.models import CircuitBreaker, CircuitState


def model_ref(model: LLMModel) -> ModelRef:
    return ModelRef(
        id=model.pk,
        key=model.key,
        provider=model.provider,
        model_id=model.model_id,
        display_name=model.display_name,
        price_in_per_mtok=model.price_in_per_mtok,
        price_out_per_mtok=model.price_out_per_mtok,
    )


def model_is_available(model: LLMModel) -> bool:
    return model.enabled and model.provider in settings.LLM_PROVIDERS


def model_list_available() -> list[LLMModel]:
    """Enabled models whose provider is configured, in catalog order."""
    return list(LLMModel.objects.filter(enabled=True, provider__in=settings.LLM_PROVIDERS))


def model_list_catalog() -> QuerySet[LLMModel]:
    return LLMModel.objects.all()


def _visible_to(user: User) -> Q:
    """A debate is seen by its creator, and by its team's members once shared."""
    return Q(team__memberships__user=user) & (Q(created_by=user) | Q(shared_with_team=True))


def debate_list_for_team(*, team: Team, user: User) -> QuerySet[Debate]:
    """The debates of `team` that `user` may see, newest first."""
    return (
        Debate.objects.filter(_visible_to(user), team=team)
        .select_related("created_by", "chair_model")
        .prefetch_related(Prefetch("seats", queryset=Seat.objects.select_related("llm_model")))
    )


def debate_get_for_user(*, user: User, debate_id: UUID | str) -> Debate:
    """A debate the user may see; NotFound otherwise (never a 403 that leaks existence)."""
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
            .get(_visible_to(user), pk=debate_id)
        )
    except (Debate.DoesNotExist, ValueError) as exc:
        raise NotFound(_("Debate not found.")) from exc


def debate_events_after(*, debate: Debate, after: int, limit: int = 1000) -> list[DebateEvent]:
    return list(DebateEvent.objects.filter(debate=debate, seq__gt=after).order_by("seq")[:limit])


def debate_load_state(*, debate_id: UUID) -> DebateState:
    """Everything the pipeline needs, including the progress of an earlier, crashed run."""
    debate = (
        Debate.objects.select_related("chair_model")
        .prefetch_related("judge_models")
        .get(pk=debate_id)
    )
    seats = [
        SeatState(
            id=seat.pk,
            position=seat.position,
            label=seat.label,
            role=seat.role,
            instruction=seat.instruction,
            temperature=seat.temperature,
            model=model_ref(seat.llm_model),
            failed=seat.status == SeatStatus.FAILED,
        )
        for seat in Seat.objects.filter(debate=debate).select_related("llm_model")
    ]
    state = DebateState(
        debate_id=debate.pk,
        question=debate.question,
        language=debate.language,
        rounds=debate.rounds,
        seats=seats,
        judges=[model_ref(m) for m in debate.judge_models.order_by("key")],
        chair=model_ref(debate.chair_model),
        tolerance=Tolerance(
            max_seat_fail_ratio=(
                debate.max_seat_fail_ratio
                if debate.max_seat_fail_ratio is not None
                else settings.DEBATE_MAX_SEAT_FAIL_RATIO
            ),
            min_required_seats=debate.min_required_seats or settings.DEBATE_MIN_REQUIRED_SEATS,
            fail_fast=(
                debate.fail_fast if debate.fail_fast is not None else settings.DEBATE_FAIL_FAST
            ),
        ),
        cost_cap_usd=debate.cost_cap_usd,
        max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
        spent_usd=debate.cost_usd,
        input_tokens=debate.input_tokens,
        output_tokens=debate.output_tokens,
        has_synthesis=bool(debate.synthesis),
    )
    labels = {seat.id: seat.label for seat in seats}
    for turn in Turn.objects.filter(debate=debate, status=TurnStatus.COMPLETED):
        state.contributions.setdefault(turn.round, {})[turn.seat_id] = Contribution(
            labels[turn.seat_id], turn.round, turn.content
        )
    for judgment in Judgment.objects.filter(debate=debate).select_related("judge_model"):
        state.judged.add((judgment.judge_model.key, judgment.seat_id))
        if judgment.status == JudgmentStatus.COMPLETED and judgment.total is not None:
            state.seat_scores.setdefault(judgment.seat_id, []).append(judgment.total)
    return state


def model_list_with_health() -> list[dict[str, object]]:
    """The catalog with availability and each model's circuit-breaker state."""
    states = {(b.provider, b.model): b.state for b in CircuitBreaker.objects.all()}
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
            "available": model_is_available(model),
            "circuit_state": states.get((model.provider, model.model_id), CircuitState.CLOSED),
        }
        for model in LLMModel.objects.filter(enabled=True)
    ]
