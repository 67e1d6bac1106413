"""What a team may do now: the limits of its next debate.

The one place that answers "may this team do this?". Today every team gets the product's own
bounds (there are no plans yet); the billing issue narrows them per plan here, and every
caller (the creation service, the new-debate form and page, the API) already reads them from
here. billing never imports debates, so limits speak in plain values: counts and lengths.
"""

from dataclasses import dataclass

from accounts.models import Team

# The product's bounds: what the debate engine supports, the ceilings no plan exceeds. The
# Debate model's validators and constraints, the API and the forms all use these.
MIN_SEATS, MAX_SEATS = 2, 8
MIN_ROUNDS, MAX_ROUNDS = 1, 5
MIN_QUESTION, MAX_QUESTION = 10, 5000


@dataclass(frozen=True)
class DebateLimits:
    """The limits that apply to a team's next debate, and where they come from.

    `source` is "engine" (the product's own bounds) until plans exist; a plan will narrow
    these and say so with source "plan" and the plan's name.
    """

    min_seats: int = MIN_SEATS
    max_seats: int = MAX_SEATS
    min_rounds: int = MIN_ROUNDS
    max_rounds: int = MAX_ROUNDS
    min_question: int = MIN_QUESTION
    max_question: int = MAX_QUESTION
    source: str = "engine"
    plan_name: str = ""

    @property
    def round_choices(self) -> list[int]:
        return list(range(self.min_rounds, self.max_rounds + 1))


def debate_limits_for_team(*, team: Team) -> DebateLimits:
    """The limits of `team`'s next debate: the product's bounds for every team (no plans yet)."""
    return DebateLimits()
