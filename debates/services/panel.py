"""Who judges and who chairs a panel: the one place the defaults are decided."""

from collections.abc import Sequence

from django.conf import settings

from debates.models import LLMModel
from debates.selectors import model_is_available


def judges_and_chair(
    *,
    panel: Sequence[str],
    judges: Sequence[str] = (),
    chair: str | None = None,
    tiers: Sequence[str] = (),
) -> tuple[list[str], str]:
    """The judges and the chair (catalog keys) of a debate whose seats hold `panel`.

    The one place the defaults are decided: the judges asked for (deduplicated), else
    `settings.DEBATE_DEFAULT_JUDGES` (possibly none: the chair then judges too); the chair
    asked for, else `_default_chair(panel, tiers)`: a model of the tiers the team's plan
    allows (`tiers`; empty: every tier).
    """
    judge_keys = list(dict.fromkeys(judges)) or list(settings.DEBATE_DEFAULT_JUDGES)
    return judge_keys, chair or _default_chair(panel, tiers)


def _default_chair(panel: Sequence[str], tiers: Sequence[str] = ()) -> str:
    """An available model that has no seat (so the chair did not argue), of an allowed tier,
    demo models only for an all-demo panel; the first seat's model when nothing else is."""
    all_demo = all(key.startswith("demo:") for key in panel)
    candidates = LLMModel.objects.filter(enabled=True).exclude(key__in=panel)
    if tiers:
        candidates = candidates.filter(tier__in=tiers)
    for model in candidates.order_by("tier", "key"):
        if model_is_available(model) and model.is_demo == all_demo:
            return model.key
    return panel[0] if panel else ""
