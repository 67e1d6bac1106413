"""The one-click demo debate: the balanced-trio panel on the offline demo models, a sample
question in the visitor's language. Works with no API key at all."""

import random
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from debates.models import Category, Debate
from debates.presets import PRESETS
from debates.services.creation import SeatInput, debate_create
from debates.services.panel import judges_and_chair

DEMO_PRESET = "balanced-trio"
DEMO_PROVIDER_PREFIX = "demo:"


@dataclass(frozen=True)
class SampleQuestion:
    text: str | Promise
    category: str


SAMPLE_QUESTIONS: tuple[SampleQuestion, ...] = (
    SampleQuestion(
        _("Should a 20-person startup move to a four-day work week?"), Category.BUSINESS
    ),
    SampleQuestion(
        _("Is it worth rewriting a ten-year-old monolith as microservices?"), Category.TECHNOLOGY
    ),
    SampleQuestion(
        _("Should a mid-sized city make its public transport free for everyone?"), Category.POLICY
    ),
    SampleQuestion(
        _("Should a small team build on open-weight models it hosts itself or on a paid API?"),
        Category.TECHNOLOGY,
    ),
    SampleQuestion(
        _("Is a remote-first company a good place to start a career in software?"),
        Category.PERSONAL,
    ),
)


def sample_question(index: int | None = None) -> tuple[int, SampleQuestion]:
    """The sample at `index`, or a random one when `index` is None or out of range."""
    if index is None or not 0 <= index < len(SAMPLE_QUESTIONS):
        index = random.randrange(len(SAMPLE_QUESTIONS))  # noqa: S311  (not a secret)
    return index, SAMPLE_QUESTIONS[index]


def demo_seats() -> list[SeatInput]:
    """The demo preset's seats, each on its demo model, whatever other providers are set up:
    the demo costs nothing and needs no key."""
    return [
        SeatInput(
            model=next(key for key in seat.models if key.startswith(DEMO_PROVIDER_PREFIX)),
            role=seat.role,
            temperature=seat.temperature,
        )
        for seat in PRESETS[DEMO_PRESET].seats
    ]


def debate_create_demo(*, user: User, team: Team, sample: int | None = None) -> Debate:
    """Start a demo debate on a sample question (translated into the active language). The
    chair, who also judges, is a demo model without a seat."""
    _index, question = sample_question(sample)
    seats = demo_seats()
    _judges, chair = judges_and_chair(panel=[seat.model for seat in seats])
    return debate_create(
        user=user,
        team=team,
        question=str(question.text),
        seats=seats,
        rounds=PRESETS[DEMO_PRESET].rounds,
        judges=[chair],
        chair=chair,
        category=question.category,
    )
