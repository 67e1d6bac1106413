"""The judging rubric, declared once: the criteria judges score, their labels and the scale.

Prompts, the judge-output parser, the demo provider, finalization, the rating boards, the
API and the pages all read it from here. The keys are stored in `Judgment.scores` and shown in
the API, so they never change; add a criterion here and everything that lists them follows.
Pure: no models, so the provider layer may import it (labels are lazy translations).
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The criteria, in the order prompts and pages list them.
RUBRIC: tuple[str, ...] = ("accuracy", "reasoning", "evidence", "actionability", "risk_awareness")

RUBRIC_LABELS: dict[str, str | Promise] = {
    "accuracy": _("Accuracy"),
    "reasoning": _("Reasoning"),
    "evidence": _("Evidence"),
    "actionability": _("Actionability"),
    "risk_awareness": _("Risk awareness"),
}

# Every criterion is scored on this closed scale (whole or fractional points).
SCORE_MIN, SCORE_MAX = 0, 10


def criterion_label(name: str) -> str | Promise:
    """The translated label of a criterion; the key itself for one we do not know."""
    return RUBRIC_LABELS.get(name, name)
