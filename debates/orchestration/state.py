"""What the pipeline knows about a debate while it runs: loaded once, updated in memory as
stages complete (the database holds the same facts, written by debates.services.running)."""

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from debates.prompts import Contribution


@dataclass(frozen=True)
class ModelRef:
    id: UUID
    key: str
    provider: str
    model_id: str
    display_name: str
    price_in_per_mtok: Decimal
    price_out_per_mtok: Decimal

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
