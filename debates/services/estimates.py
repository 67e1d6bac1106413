"""Before a debate starts: what it would cost and how long it would take. (The limits a panel
must keep live in billing.limits.)

`estimate_debate` is a pure function over catalog prices (no ORM, no settings), so the
new-debate form can update its estimate on every change and tests can pin the arithmetic;
`debate_estimate` loads the models and settings and calls it.

The token model follows the pipeline (debates.orchestration): every seat speaks once per stage
(the opening, then one rebuttal per round) and reads every earlier contribution; each judge
reads the whole transcript once; the chair reads it once more and writes the answer. A typical
turn writes about half of `LLM_MAX_OUTPUT_TOKENS`; the upper bound lets every call write all of
it. Durations add the stages up; seats of a stage (and the judges) run concurrently, so a stage
lasts as long as its slowest call.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from django.conf import settings

from billing.limits import MAX_ROUNDS, MIN_ROUNDS, MIN_SEATS
from debates.models import LLMModel, ProviderName
from debates.orchestration.state import ModelRef, model_ref
from debates.selectors import model_is_available
from debates.services.panel import judges_and_chair

# --- Cost and duration --------------------------------------------------------------------

# The system prompt (charter, role, format) around the question, in tokens; measured on the
# prompt builders of debates.prompts (~1,000 characters).
PROMPT_OVERHEAD_TOKENS = 300
# A judge's JSON scores per seat, and the standings the chair is shown.
JUDGE_TOKENS_PER_SEAT = 150
STANDINGS_TOKENS = 60
# The demo provider writes short answers whatever the limit (measured: ~130 tokens a turn,
# ~300 for a judge's or the chair's JSON).
DEMO_TURN_TOKENS = 140
DEMO_JSON_TOKENS = 300
DEMO_FIRST_TOKEN_S = 0.4


@dataclass(frozen=True)
class Pace:
    """How fast a provider typically answers: seconds to the first token, then tokens/s."""

    first_token_s: float
    tokens_per_second: float

    def seconds(self, output_tokens: int) -> float:
        if self.tokens_per_second <= 0:
            return 0.0
        return self.first_token_s + output_tokens / self.tokens_per_second


# Typical streaming pace of each provider's standard models, late 2025; an estimate only.
PROVIDER_PACE: dict[str, Pace] = {
    ProviderName.OPENAI: Pace(0.8, 60.0),
    ProviderName.ANTHROPIC: Pace(1.0, 55.0),
    ProviderName.GEMINI: Pace(0.7, 90.0),
    ProviderName.OPENROUTER: Pace(1.2, 45.0),
    ProviderName.OPENAI_COMPAT: Pace(0.5, 25.0),
}
DEFAULT_PACE = Pace(1.0, 40.0)


@dataclass(frozen=True)
class DebateEstimate:
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal  # typical: turns write about half their allowance
    cost_usd_max: Decimal  # every call writes its whole allowance
    seconds: int
    seconds_max: int
    uses_demo: bool
    # What the plan's quotas count (typical): the calls made with the platform's keys, not
    # those made with the team's own key.
    billed_tokens: int = 0
    billed_cost_usd: Decimal = Decimal(0)

    @property
    def free(self) -> bool:
        return self.cost_usd_max == 0

    @property
    def minutes(self) -> int:
        """Whole minutes, rounded up; at least one."""
        return max(1, -(-self.seconds // 60))

    @property
    def minutes_max(self) -> int:
        return max(self.minutes, -(-self.seconds_max // 60))


@dataclass
class _Tally:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    seconds: float = 0.0
    own_providers: Collection[str] = ()
    billed_tokens: int = 0
    billed_cost: Decimal = Decimal(0)

    def stage(self, calls: Iterable[tuple[ModelRef, int, int, float]]) -> None:
        """One stage of concurrent calls (model, input, output, seconds): it lasts as long as
        its slowest call."""
        slowest = 0.0
        for model, input_tokens, output_tokens, seconds in calls:
            self.calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.cost += model.cost(input_tokens, output_tokens)
            if model.provider not in self.own_providers:
                self.billed_tokens += input_tokens + output_tokens
                self.billed_cost += model.cost(input_tokens, output_tokens)
            slowest = max(slowest, seconds)
        self.seconds += slowest


def _is_demo(model: ModelRef) -> bool:
    return model.provider == ProviderName.DEMO


@dataclass(frozen=True)
class _Panel:
    seats: Sequence[ModelRef]
    judges: Sequence[ModelRef]
    chair: ModelRef
    rounds: int
    question_tokens: int
    demo_tokens_per_second: float
    own_providers: Collection[str] = ()


def _run(panel: _Panel, output_tokens: int) -> _Tally:
    demo_tps = panel.demo_tokens_per_second
    demo_pace = Pace(DEMO_FIRST_TOKEN_S if demo_tps > 0 else 0.0, demo_tps)

    def written(model: ModelRef, usual: int, demo: int) -> tuple[int, float]:
        """Tokens the call writes and how long it takes."""
        if _is_demo(model):
            return demo, demo_pace.seconds(demo)
        return usual, PROVIDER_PACE.get(model.provider, DEFAULT_PACE).seconds(usual)

    tally = _Tally(own_providers=panel.own_providers)
    base = PROMPT_OVERHEAD_TOKENS + panel.question_tokens
    transcript = 0
    for _stage in range(panel.rounds + 1):
        calls = []
        stage_output = 0
        for model in panel.seats:
            out, seconds = written(model, output_tokens, DEMO_TURN_TOKENS)
            calls.append((model, base + transcript, out, seconds))
            stage_output += out
        tally.stage(calls)
        transcript += stage_output
    judge_output = min(output_tokens * 2, JUDGE_TOKENS_PER_SEAT * len(panel.seats))
    tally.stage(
        (model, base + transcript, *written(model, judge_output, DEMO_JSON_TOKENS))
        for model in panel.judges
    )
    chair = panel.chair
    tally.stage(
        [(chair, base + transcript + STANDINGS_TOKENS,
          *written(chair, output_tokens, DEMO_JSON_TOKENS))]
    )  # fmt: skip
    return tally


def estimate_debate(
    *,
    seats: Sequence[ModelRef],
    judges: Sequence[ModelRef],
    chair: ModelRef,
    rounds: int,
    question_chars: int,
    max_output_tokens: int,
    demo_tokens_per_second: float,
    own_key_providers: Collection[str] = (),
) -> DebateEstimate:
    """Cost and duration of a debate before it runs, typical and at most (every call writing
    `max_output_tokens`). Judges default to the chair, as in debate_create. Calls to
    `own_key_providers` (the team's own keys) cost the same but are not `billed_*`."""
    judges = list(judges) or [chair]
    panel = _Panel(
        seats=seats,
        judges=judges,
        chair=chair,
        rounds=rounds,
        question_tokens=(question_chars + 3) // 4,
        demo_tokens_per_second=demo_tokens_per_second,
        own_providers=own_key_providers,
    )
    typical = _run(panel, max(1, max_output_tokens // 2))
    most = _run(panel, max_output_tokens)
    cent = Decimal("0.0001")
    return DebateEstimate(
        calls=typical.calls,
        input_tokens=typical.input_tokens,
        output_tokens=typical.output_tokens,
        cost_usd=typical.cost.quantize(cent, rounding=ROUND_UP),
        cost_usd_max=most.cost.quantize(cent, rounding=ROUND_UP),
        seconds=round(typical.seconds),
        seconds_max=round(most.seconds),
        uses_demo=any(_is_demo(m) for m in [*seats, *judges, chair]),
        billed_tokens=typical.billed_tokens,
        billed_cost_usd=typical.billed_cost.quantize(cent, rounding=ROUND_UP),
    )


def debate_estimate(
    *,
    seat_models: Sequence[str],
    judges: Sequence[str],
    chair: str,
    rounds: int,
    question_chars: int,
    tiers: Sequence[str] = (),
    own_providers: Collection[str] = (),
) -> DebateEstimate | None:
    """The estimate of a panel as the new-debate form holds it (catalog keys). Keys that are
    unknown or unavailable are left out; None when fewer than two seats are left. `tiers`:
    the model tiers the team's plan allows, for the default chair."""
    keys = {*seat_models, *judges, chair}
    available = {
        m.key: model_ref(m)
        for m in LLMModel.objects.filter(key__in=keys - {""})
        if model_is_available(m, own_providers=own_providers)
    }
    seats = [available[key] for key in seat_models if key in available]
    if len(seats) < MIN_SEATS:
        return None
    judge_keys, chair_key = judges_and_chair(
        panel=[m.key for m in seats],
        judges=judges,
        chair=chair if chair in available else None,
        tiers=tiers,
    )
    chair_ref = available.get(chair_key) or _load(chair_key, own_providers) or seats[0]
    judge_refs = [
        ref for key in judge_keys if (ref := available.get(key) or _load(key, own_providers))
    ]
    return estimate_debate(
        seats=seats,
        judges=judge_refs,
        chair=chair_ref,
        rounds=min(max(rounds, MIN_ROUNDS), MAX_ROUNDS),
        question_chars=question_chars,
        max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
        demo_tokens_per_second=settings.DEMO_TOKENS_PER_SECOND,
        own_key_providers=own_providers,
    )


def _load(key: str, own_providers: Collection[str] = ()) -> ModelRef | None:
    model = LLMModel.objects.filter(key=key).first()
    if model is None or not model_is_available(model, own_providers=own_providers):
        return None
    return model_ref(model)
