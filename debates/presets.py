"""Named panels to start from. Each seat lists models in order of preference; the first one
that is available (its provider configured) is used, so every preset works with the offline
demo provider alone."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PresetSeat:
    role: str
    models: tuple[str, ...]
    temperature: float = 0.7


@dataclass(frozen=True)
class Preset:
    slug: str
    name: str | Promise
    description: str | Promise
    seats: tuple[PresetSeat, ...]
    rounds: int = 2


PRESETS: dict[str, Preset] = {
    preset.slug: preset
    for preset in (
        Preset(
            "balanced-trio",
            _("Balanced trio"),
            _("A proponent, a skeptic and a pragmatist: the classic three-way check."),
            (
                PresetSeat("proponent", ("openai:gpt-5-mini", "demo:demo-sage"), 0.7),
                PresetSeat("skeptic", ("anthropic:claude-sonnet-4-6", "demo:demo-skeptic"), 0.5),
                PresetSeat("pragmatist", ("gemini:gemini-2.5-flash", "demo:demo-pragmatist"), 0.5),
            ),
        ),
        Preset(
            "cross-provider",
            _("Cross-provider"),
            _("Four seats from four providers, so no single vendor's blind spots dominate."),
            (
                PresetSeat("proponent", ("openai:gpt-5", "demo:demo-sage"), 0.7),
                PresetSeat("skeptic", ("anthropic:claude-opus-4-6", "demo:demo-skeptic"), 0.5),
                PresetSeat("researcher", ("gemini:gemini-2.5-pro", "demo:demo-scout"), 0.4),
                PresetSeat(
                    "devils_advocate",
                    ("openrouter:meta-llama/llama-3.3-70b-instruct", "demo:demo-pragmatist"),
                    0.8,
                ),
            ),
        ),
        Preset(
            "risk-heavy",
            _("Risk heavy"),
            _("Two skeptics and a fact-checker against one proponent: for costly decisions."),
            (
                PresetSeat("skeptic", ("anthropic:claude-sonnet-4-6", "demo:demo-skeptic"), 0.4),
                PresetSeat("skeptic", ("openai:gpt-5-mini", "demo:demo-pragmatist"), 0.4),
                PresetSeat("researcher", ("gemini:gemini-2.5-pro", "demo:demo-scout"), 0.3),
                PresetSeat("proponent", ("openai:gpt-4.1", "demo:demo-sage"), 0.7),
            ),
            rounds=3,
        ),
    )
}
DEFAULT_PRESET = "balanced-trio"
