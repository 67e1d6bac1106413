"""What the pipeline knows about a debate while it runs: loaded once, updated in memory as
stages complete (the database holds the same facts, written by debates.orchestration.progress)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.conf import settings

from debates.models import (
    Debate,
    DebateDocument,
    Judgment,
    JudgmentStatus,
    LLMModel,
    Seat,
    SeatStatus,
    Turn,
    TurnStatus,
)
from debates.prompts import ContextDoc, Contribution
from providerkeys.credentials import TeamCredential
from providerkeys.selectors import team_credentials
from safety.options import PiiOptions, options_from_settings
from safety.pii import PlaceholderMap, scrub


@dataclass(frozen=True)
class ModelRef:
    id: UUID
    key: str
    provider: str
    model_id: str
    display_name: str
    price_in_per_mtok: Decimal
    price_out_per_mtok: Decimal
    # The team's own key for this model's provider, when it has one: the gateway then calls
    # with it, under the team's own breaker, and the usage is metered as "own key".
    credential: TeamCredential | None = None
    # The catalog's flag: a model (or endpoint) that cannot stream is asked for the whole
    # answer, which then arrives as one piece of text (Gateway.stream).
    supports_streaming: bool = True

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        return (
            self.price_in_per_mtok * input_tokens + self.price_out_per_mtok * output_tokens
        ) / Decimal(1_000_000)


@dataclass
class SeatState:
    id: int
    position: int
    label: str
    role: str
    instruction: str
    temperature: float
    model: ModelRef
    failed: bool = False


@dataclass(frozen=True)
class Tolerance:
    max_seat_fail_ratio: float
    min_required_seats: int
    fail_fast: bool


@dataclass
class DebateState:
    debate_id: UUID
    question: str
    language: str
    rounds: int
    seats: list[SeatState]
    judges: list[ModelRef]
    chair: ModelRef
    tolerance: Tolerance
    cost_cap_usd: Decimal | None
    max_output_tokens: int
    # Progress, restored from the database when a run resumes.
    contributions: dict[int, dict[int, Contribution]] = field(default_factory=dict)
    judged: set[tuple[str, int]] = field(default_factory=set)
    seat_scores: dict[int, list[float]] = field(default_factory=dict)
    spent_usd: Decimal = Decimal(0)
    input_tokens: int = 0
    output_tokens: int = 0
    has_synthesis: bool = False
    budget_reason: str = ""
    # Untrusted text is fenced with this marker in every prompt (safety.injection.fence).
    fence: str = ""
    # Placeholders of the personal data found so far (question, instructions, output), so a
    # value echoed by a model gets the placeholder it already has; and what to scrub.
    pii: PlaceholderMap = field(default_factory=PlaceholderMap)
    pii_options: PiiOptions = field(default_factory=PiiOptions)
    # Read with the question in every prompt: attached files, a follow-up's earlier answer.
    context: tuple[ContextDoc, ...] = ()
    # A fork's first round of its own: the turns before it were copied, never run here.
    first_round: int = 0

    def scrub(self, text: str) -> tuple[str, dict[str, int]]:
        """`text` with personal data replaced (placeholders shared by the whole debate), and
        the counts of what was found by kind."""
        result = scrub(text, options=self.pii_options, mapping=self.pii)
        return result.text, {kind.value.lower(): n for kind, n in result.counts.items()}

    @property
    def active_seats(self) -> list[SeatState]:
        return [seat for seat in self.seats if not seat.failed]

    def seat_by_id(self, seat_id: int) -> SeatState:
        return next(seat for seat in self.seats if seat.id == seat_id)

    def earlier_contributions(self, round_number: int) -> list[Contribution]:
        """Every contribution of rounds before `round_number`, in order."""
        return [
            contribution
            for r in sorted(self.contributions)
            if r < round_number
            for _, contribution in sorted(self.contributions[r].items(), key=lambda kv: kv[1].label)
        ]

    def transcript(self) -> list[Contribution]:
        return self.earlier_contributions(self.rounds + 1)

    def add_usage(self, *, input_tokens: int, output_tokens: int, cost: Decimal) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.spent_usd += cost


def model_ref(model: LLMModel, credentials: Mapping[str, TeamCredential] | None = None) -> ModelRef:
    """The pipeline's view of a catalog model; with the team's `credentials` (by provider),
    the model carries the one of its provider."""
    return ModelRef(
        credential=(credentials or {}).get(model.provider),
        id=model.pk,
        key=model.key,
        provider=model.provider,
        model_id=model.model_id,
        display_name=model.display_name,
        price_in_per_mtok=model.price_in_per_mtok,
        price_out_per_mtok=model.price_out_per_mtok,
        supports_streaming=model.supports_streaming,
    )


def debate_load_state(*, debate_id: UUID) -> DebateState:
    """Everything the pipeline needs, including the progress of an earlier, crashed run."""
    debate = Debate.objects.select_related("chair_model").get(pk=debate_id)
    # The team's own keys, decrypted for this run only (never stored in the state's events).
    credentials = team_credentials(team_id=debate.team_id)
    seats = [
        SeatState(
            id=seat.pk,
            position=seat.position,
            label=seat.label,
            role=seat.role,
            instruction=seat.instruction,
            temperature=seat.temperature,
            model=model_ref(seat.llm_model, credentials),
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
        judges=[model_ref(m, credentials) for m in debate.judge_models.order_by("key")],
        chair=model_ref(debate.chair_model, credentials),
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
        fence=debate.fence,
        pii=PlaceholderMap.from_dict(debate.pii_map),
        pii_options=options_from_settings(settings).pii,
        context=tuple(
            ContextDoc(doc.name, doc.kind, doc.text)
            for doc in DebateDocument.objects.filter(debate=debate)
        ),
        first_round=debate.fork_round or 0,
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
