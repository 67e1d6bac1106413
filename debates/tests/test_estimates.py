"""Cost and duration before a debate starts (pure arithmetic), and the limits that apply."""

import uuid
from decimal import Decimal

import pytest
from pytest_django.fixtures import Settings

from debates.orchestration.state import ModelRef
from debates.services.estimates import debate_estimate, estimate_debate


def ref(provider: str = "openai", price_in: str = "1", price_out: str = "10") -> ModelRef:
    return ModelRef(
        id=uuid.uuid4(),
        key=f"{provider}:m",
        provider=provider,
        model_id="m",
        display_name="M",
        price_in_per_mtok=Decimal(price_in),
        price_out_per_mtok=Decimal(price_out),
    )


def test_estimate_adds_up_turns_judges_and_chair() -> None:
    model = ref()
    estimate = estimate_debate(
        seats=[model, model],
        judges=[],
        chair=model,
        rounds=1,
        question_chars=400,
        max_output_tokens=1000,
        demo_tokens_per_second=40,
    )
    # Prompt 300 + question 100 = 400 tokens; turns write 500 and read all earlier turns:
    # opening 2 x 400 in, rebuttal 2 x 1400 in; the chair judges (2400 in, 300 out) and
    # answers (2460 in, 500 out).
    assert estimate.calls == 6
    assert estimate.input_tokens == 800 + 2800 + 2400 + 2460
    assert estimate.output_tokens == 4 * 500 + 300 + 500
    assert estimate.cost_usd == Decimal("0.0365")  # (8460 x $1 + 2800 x $10) / 1M, rounded up
    assert estimate.cost_usd_max > estimate.cost_usd
    # OpenAI pace: 0.8 s + 500 tokens at 60/s per turn stage and for the chair; judge 300.
    assert estimate.seconds == round(3 * (0.8 + 500 / 60) + (0.8 + 300 / 60))
    assert estimate.minutes == 1
    assert not estimate.free
    assert not estimate.uses_demo


def test_input_grows_with_every_round() -> None:
    model = ref()

    def cost(rounds: int) -> Decimal:
        return estimate_debate(
            seats=[model] * 3,
            judges=[model],
            chair=model,
            rounds=rounds,
            question_chars=100,
            max_output_tokens=1200,
            demo_tokens_per_second=40,
        ).cost_usd

    one, two, three = cost(1), cost(2), cost(3)
    assert three - two > two - one > 0


def test_demo_panel_is_free_and_paced_by_the_demo_provider() -> None:
    demo = ref("demo", "0", "0")
    estimate = estimate_debate(
        seats=[demo, demo, demo],
        judges=[demo],
        chair=demo,
        rounds=2,
        question_chars=60,
        max_output_tokens=1200,
        demo_tokens_per_second=40,
    )
    assert estimate.free
    assert estimate.uses_demo
    assert estimate.cost_usd == 0
    # Three turn stages of ~140 tokens, then a judge and the chair of ~300, at 40 tokens/s.
    assert estimate.seconds == round(3 * (0.4 + 140 / 40) + 2 * (0.4 + 300 / 40))
    assert estimate.seconds_max == estimate.seconds  # demo answers do not grow with the limit
    unpaced = estimate_debate(
        seats=[demo, demo],
        judges=[],
        chair=demo,
        rounds=1,
        question_chars=60,
        max_output_tokens=1200,
        demo_tokens_per_second=0,
    )
    assert unpaced.seconds == 0
    assert unpaced.minutes == 1


def test_slowest_seat_sets_the_pace_of_a_stage() -> None:
    fast, slow = ref("gemini"), ref("openai_compat")
    both = estimate_debate(
        seats=[fast, slow],
        judges=[fast],
        chair=fast,
        rounds=1,
        question_chars=0,
        max_output_tokens=1000,
        demo_tokens_per_second=40,
    )
    slow_only = estimate_debate(
        seats=[slow, slow],
        judges=[fast],
        chair=fast,
        rounds=1,
        question_chars=0,
        max_output_tokens=1000,
        demo_tokens_per_second=40,
    )
    assert both.seconds == slow_only.seconds


@pytest.mark.django_db
def test_debate_estimate_reads_the_catalog(settings: Settings) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai"]
    estimate = debate_estimate(
        seat_models=["openai:gpt-5-mini", "demo:demo-sage", "nope:nothing"],
        judges=[],
        chair="",
        rounds=9,
        question_chars=50,
    )
    assert estimate is not None
    assert estimate.cost_usd > 0
    assert estimate.uses_demo
    # Rounds are clamped to the engine's range: 5 rebuttals + opening, 2 seats, judge, chair.
    assert estimate.calls == 6 * 2 + 1 + 1
    assert (
        debate_estimate(
            seat_models=["demo:demo-sage", "anthropic:claude-opus-4-1"],
            judges=[],
            chair="",
            rounds=2,
            question_chars=50,
        )
        is None
    )
