"""Forms of the debate pages.

- `DebateForm` (question and options) and the seats formset make up the new-debate form;
  debate_create validates the whole (ranges, catalog, plan) and its ValidationFailed fields
  are mapped back onto the form by `DebateForm.add_service_errors`.
- The panel builder and the live estimate work on a half-filled form: `read_draft` reads it
  leniently, `panel_change` adds, removes or replaces seats.
- `DebateFilterForm` holds the filters of the debates list.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseFormSet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.limits import DebateLimits
from consultation.exceptions import AppError, ValidationFailed
from debates.models import Category, DebateStatus, LLMModel, ProviderName, SeatRole
from debates.presets import DEFAULT_PRESET, PRESETS
from debates.selectors import LIST_TABS
from debates.services.creation import SeatInput, seats_from_preset

SEATS_PREFIX = "seats"
SEAT_FIELDS = ("model", "role", "temperature", "instruction")
DEFAULT_TEMPERATURE = "0.7"
# Roles a new seat takes, in turn, so an added seat brings a new point of view.
ROLE_CYCLE = (
    SeatRole.PROPONENT,
    SeatRole.SKEPTIC,
    SeatRole.PRAGMATIST,
    SeatRole.RESEARCHER,
    SeatRole.DEVILS_ADVOCATE,
)

ModelChoices = list[tuple[str, list[tuple[str, str]]]]


def model_choices(models: Sequence[LLMModel]) -> ModelChoices:
    """Available models grouped by provider, each with its price (USD per 1M tokens, in/out)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for model in models:
        if model.price_in_per_mtok == 0 and model.price_out_per_mtok == 0:
            label = _("%(name)s (free)") % {"name": model.display_name}
        else:
            label = _("%(name)s ($%(in)s / $%(out)s)") % {
                "name": model.display_name,
                "in": _price(model.price_in_per_mtok),
                "out": _price(model.price_out_per_mtok),
            }
        provider = (
            str(ProviderName(model.provider).label) if model.provider in ProviderName.values else ""
        )
        if getattr(model, "own_key", False):
            # Listed by selectors.model_list_available as reached with the team's own key.
            label = _("%(label)s · your team's key") % {"label": label}
        groups.setdefault(provider or model.provider, []).append((model.key, label))
    return list(groups.items())


def _price(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


# --- The new-debate form ------------------------------------------------------------------


class SeatForm(forms.Form):
    model = forms.ChoiceField(label=gettext_lazy("Model"))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=SeatRole.choices)
    temperature = forms.FloatField(
        label=gettext_lazy("Temperature"),
        min_value=0.0,
        max_value=2.0,
        initial=DEFAULT_TEMPERATURE,
        widget=forms.NumberInput(
            attrs={"step": "0.1", "min": "0", "max": "2", "inputmode": "decimal"}
        ),
    )
    instruction = forms.CharField(
        label=gettext_lazy("Instruction for a custom role"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
    )

    def __init__(self, *args: Any, model_choices: ModelChoices | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = model_choices or []  # type: ignore[attr-defined]

    def seat_input(self) -> SeatInput:
        data = self.cleaned_data
        return SeatInput(
            model=data["model"],
            role=data["role"],
            temperature=data["temperature"],
            instruction=data.get("instruction", ""),
        )


def seat_formset(
    data: QueryDict | None = None,
    *,
    initial: list[dict[str, str]] | None = None,
    models: Sequence[LLMModel],
    limits: DebateLimits,
) -> BaseFormSet[SeatForm]:
    """The panel's seats. Its size is checked by debate_create (one message for every way of
    getting it wrong); `absolute_max` only stops absurd posts."""
    formset_class = forms.formset_factory(
        SeatForm, extra=0, max_num=limits.max_seats, absolute_max=limits.max_seats
    )
    return formset_class(
        data,
        initial=initial,
        prefix=SEATS_PREFIX,
        form_kwargs={"model_choices": model_choices(models)},
    )


class DebateForm(forms.Form):
    question = forms.CharField(
        label=gettext_lazy("Question"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Ask something with more than one reasonable answer; give the context that matters."
        ),
    )
    rounds = forms.TypedChoiceField(label=gettext_lazy("Rebuttal rounds"), coerce=int, initial=2)
    judges = forms.MultipleChoiceField(
        label=gettext_lazy("Judges"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Optional. With none chosen, the chair judges."),
    )
    chair = forms.ChoiceField(
        label=gettext_lazy("Chair"),
        required=False,
        help_text=gettext_lazy("Writes the final answer. Automatic: a model without a seat."),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Category.choices, initial=Category.GENERAL
    )
    cost_cap_usd = forms.DecimalField(
        label=gettext_lazy("Cost cap (USD)"),
        required=False,
        max_digits=10,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        help_text=gettext_lazy(
            "Optional. When the next stage would pass it, the chair answers from what was said."
        ),
    )

    substitute_unavailable = forms.BooleanField(
        label=gettext_lazy("Replace failing models"),
        required=False,
        help_text=gettext_lazy(
            "If a chosen model is failing right now, seat a healthy one of the same tier instead."
        ),
    )

    def __init__(
        self, *args: Any, models: Sequence[LLMModel], limits: DebateLimits, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = model_choices(models)
        question = self.fields["question"]
        question.widget.attrs.update(
            {
                "maxlength": limits.max_question,
                "data-counter": "",
                "data-min": limits.min_question,
                "data-max": limits.max_question,
                "aria-describedby": "question-counter id_question_helptext",
            }
        )
        self.fields["rounds"].choices = [(n, str(n)) for n in limits.round_choices]  # type: ignore[attr-defined]
        self.fields["judges"].choices = choices  # type: ignore[attr-defined]
        self.fields["chair"].choices = [("", _("Automatic")), *choices]  # type: ignore[attr-defined]

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned options, named as debate_create takes them."""
        data = self.cleaned_data
        return {
            "question": data["question"],
            "rounds": data["rounds"],
            "judges": list(data["judges"]),
            "chair": data["chair"] or None,
            "category": data["category"],
            "cost_cap_usd": data["cost_cap_usd"],
            "substitute_unavailable": data["substitute_unavailable"],
        }

    def add_service_errors(self, error: AppError) -> list[str]:
        """Put debate_create's field errors on their fields; return the rest (the panel's)."""
        rest: list[str] = []
        fields: dict[str, list[str]] = error.extra.get("fields") or {}
        for name, messages in fields.items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, message)
            else:
                rest.extend(messages)
        if not fields:
            rest.append(str(error.detail))
        return rest


def seat_inputs(formset: BaseFormSet[SeatForm]) -> list[SeatInput]:
    # A seat form left blank (only a hand-made post has one) is no seat; the count is checked
    # by debate_create.
    return [form.seat_input() for form in formset.forms if form.cleaned_data]


# --- The half-filled form: panel builder and live estimate --------------------------------


@dataclass
class Draft:
    """What the new-debate form holds right now, read without validating."""

    seats: list[dict[str, str]]
    rounds: int
    judges: list[str] = field(default_factory=list)
    chair: str = ""
    question: str = ""
    cost_cap: Decimal | None = None

    @property
    def seat_models(self) -> list[str]:
        return [seat["model"] for seat in self.seats]


def read_draft(data: QueryDict, *, limits: DebateLimits) -> Draft:
    try:
        total = int(data.get(f"{SEATS_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        total = 0
    seats = [
        {name: data.get(f"{SEATS_PREFIX}-{i}-{name}", "").strip() for name in SEAT_FIELDS}
        for i in range(max(0, min(total, limits.max_seats)))
    ]
    try:
        rounds = int(data.get("rounds", ""))
    except ValueError:
        rounds = 2
    try:
        cost_cap: Decimal | None = Decimal(data.get("cost_cap_usd", "").strip())
    except ArithmeticError:
        cost_cap = None
    return Draft(
        seats=seats,
        rounds=min(max(rounds, limits.min_rounds), limits.max_rounds),
        judges=[key for key in data.getlist("judges") if key],
        chair=data.get("chair", ""),
        question=data.get("question", "").strip(),
        cost_cap=cost_cap
        if cost_cap is not None and cost_cap.is_finite() and cost_cap > 0
        else None,
    )


def _seat_dict(seat: SeatInput) -> dict[str, str]:
    return {
        "model": seat.model,
        "role": seat.role,
        "temperature": str(seat.temperature),
        "instruction": seat.instruction,
    }


@dataclass
class PanelChange:
    seats: list[dict[str, str]]
    rounds: int | None = None
    preset: str = ""
    errors: list[str] = field(default_factory=list)


def preset_panel(slug: str) -> PanelChange:
    """A preset's panel and rounds, or its error (unknown, or no model of it available)."""
    try:
        seats = seats_from_preset(slug)
    except ValidationFailed as exc:
        fields = exc.extra.get("fields") or {}
        return PanelChange(seats=[], errors=[m for ms in fields.values() for m in ms])
    return PanelChange(
        seats=[_seat_dict(seat) for seat in seats], rounds=PRESETS[slug].rounds, preset=slug
    )


def initial_panel(
    preset: str | None, *, models: Sequence[LLMModel], limits: DebateLimits
) -> PanelChange:
    """The panel the form opens with: the asked-for preset, else the default one, else the
    first available models."""
    change = preset_panel(preset if preset in PRESETS else DEFAULT_PRESET)
    if change.seats:
        return change
    fallback = PanelChange(seats=[], errors=change.errors if preset else [])
    for _index in range(limits.min_seats):
        fallback.seats = _added(fallback.seats, models)
    return fallback


def _added(seats: list[dict[str, str]], models: Sequence[LLMModel]) -> list[dict[str, str]]:
    """The panel with one more seat: a model and a role not on it yet, where there is one."""
    if not models:
        return seats
    used_models = {seat["model"] for seat in seats}
    used_roles = {seat["role"] for seat in seats}
    model = next((m.key for m in models if m.key not in used_models), models[0].key)
    role = next((r for r in ROLE_CYCLE if r not in used_roles), ROLE_CYCLE[len(seats) % 5])
    seat = {"model": model, "role": str(role), "temperature": DEFAULT_TEMPERATURE}
    return [*seats, {**seat, "instruction": ""}]


def panel_change(
    draft: Draft, op: str, *, models: Sequence[LLMModel], limits: DebateLimits
) -> PanelChange:
    """Apply one panel-builder action: "add", "remove:<index>" or "preset:<slug>"."""
    seats = list(draft.seats)
    action, _sep, argument = op.partition(":")
    if action == "add" and len(seats) < limits.max_seats:
        seats = _added(seats, models)
    elif action == "remove" and argument.isdigit() and len(seats) > limits.min_seats:
        index = int(argument)
        seats = [seat for i, seat in enumerate(seats) if i != index]
    elif action == "preset":
        change = preset_panel(argument)
        if change.seats:
            return change
        return PanelChange(seats=seats, errors=change.errors)
    return PanelChange(seats=seats)


# --- The debates list ---------------------------------------------------------------------

TAB_LABELS = {"mine": gettext_lazy("My debates"), "team": gettext_lazy("Team")}


class DebateFilterForm(forms.Form):
    tab = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[(tab, TAB_LABELS[tab]) for tab in LIST_TABS],
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *DebateStatus.choices],
    )
    q = forms.CharField(
        label=gettext_lazy("Search the questions"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    starred = forms.BooleanField(label=gettext_lazy("Starred only"), required=False)

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        if data is not None and not data.get("tab"):
            data = data.copy()
            data["tab"] = LIST_TABS[0]
        super().__init__(data, **kwargs)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "tab": data["tab"] or "mine",
            "status": data["status"],
            "query": data["q"],
            "starred": data["starred"],
        }
