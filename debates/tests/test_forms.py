"""The new-debate form's pieces: lenient reading of a half-filled form, the panel builder's
actions, service errors mapped onto fields, and the list filters."""

from decimal import Decimal

import pytest
from django.http import QueryDict
from pytest_django.fixtures import Settings

from billing.limits import DebateLimits
from consultation.exceptions import ValidationFailed
from debates.forms import (
    DebateFilterForm,
    DebateForm,
    Draft,
    initial_panel,
    model_choices,
    panel_change,
    read_draft,
    seat_formset,
    seat_inputs,
)
from debates.models import LLMModel
from debates.selectors import model_list_available
from debates.services.creation import SeatInput

pytestmark = pytest.mark.django_db

LIMITS = DebateLimits()


def query(**data: str | list[str]) -> QueryDict:
    result = QueryDict(mutable=True)
    for key, value in data.items():
        key = key.replace("__", "-")
        if isinstance(value, list):
            result.setlist(key, value)
        else:
            result[key] = value
    return result


def seat(model: str, role: str = "proponent") -> dict[str, str]:
    return {"model": model, "role": role, "temperature": "0.7", "instruction": ""}


def draft(*models: str) -> Draft:
    return Draft(seats=[seat(m) for m in models], rounds=2)


# --- read_draft ----------------------------------------------------------------------------


def test_read_draft_reads_seats_and_options() -> None:
    result = read_draft(
        query(
            seats__TOTAL_FORMS="2",
            seats__0__model="demo:demo-sage",
            seats__0__role="skeptic",
            seats__0__temperature="0.3",
            seats__1__model="demo:demo-scout",
            rounds="3",
            judges=["demo:demo-pragmatist", ""],
            chair="demo:demo-skeptic",
            question="  Why?  ",
            cost_cap_usd="1.5",
        ),
        limits=LIMITS,
    )
    assert result.seat_models == ["demo:demo-sage", "demo:demo-scout"]
    assert result.seats[0] == {
        "model": "demo:demo-sage",
        "role": "skeptic",
        "temperature": "0.3",
        "instruction": "",
    }
    assert result.rounds == 3
    assert result.judges == ["demo:demo-pragmatist"]
    assert result.chair == "demo:demo-skeptic"
    assert result.question == "Why?"
    assert result.cost_cap == Decimal("1.5")


@pytest.mark.parametrize(
    ("total", "rounds", "cap", "seats", "expected_rounds"),
    [
        ("x", "y", "z", 0, 2),
        ("-3", "0", "-1", 0, 1),
        ("500", "99", "NaN", 8, 5),
        ("3", "4", "Infinity", 3, 4),
    ],
)
def test_read_draft_survives_garbage(
    total: str, rounds: str, cap: str, seats: int, expected_rounds: int
) -> None:
    result = read_draft(
        query(seats__TOTAL_FORMS=total, rounds=rounds, cost_cap_usd=cap), limits=LIMITS
    )
    assert len(result.seats) == seats
    assert result.rounds == expected_rounds
    assert result.cost_cap is None


# --- The panel builder ---------------------------------------------------------------------


def test_add_brings_a_model_and_a_role_not_on_the_panel_yet() -> None:
    models = model_list_available()
    start = Draft(
        seats=[seat("demo:demo-pragmatist", "proponent"), seat("demo:demo-sage", "skeptic")],
        rounds=2,
    )
    change = panel_change(start, "add", models=models, limits=LIMITS)
    added = change.seats[-1]
    assert len(change.seats) == 3
    assert added["model"] not in {"demo:demo-pragmatist", "demo:demo-sage"}
    assert added["role"] == "pragmatist"
    assert added["temperature"] == "0.7"


def test_add_stops_at_the_limit_and_reuses_models_when_all_are_seated() -> None:
    models = model_list_available()
    full = draft(*["demo:demo-sage"] * LIMITS.max_seats)
    assert len(panel_change(full, "add", models=models, limits=LIMITS).seats) == LIMITS.max_seats
    four = draft(*(m.key for m in models))
    assert (
        panel_change(four, "add", models=models, limits=LIMITS).seats[-1]["model"] == models[0].key
    )


@pytest.mark.parametrize(
    ("op", "left"),
    [
        ("remove:1", ["demo:demo-sage", "demo:demo-scout"]),
        ("remove:9", ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout"]),
        ("remove:x", ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout"]),
        ("dance", ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout"]),
    ],
)
def test_remove(op: str, left: list[str]) -> None:
    start = draft("demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout")
    change = panel_change(start, op, models=model_list_available(), limits=LIMITS)
    assert [s["model"] for s in change.seats] == left


def test_remove_keeps_the_minimum() -> None:
    start = draft("demo:demo-sage", "demo:demo-skeptic")
    change = panel_change(start, "remove:0", models=model_list_available(), limits=LIMITS)
    assert len(change.seats) == 2


def test_preset_replaces_the_panel_and_sets_its_rounds() -> None:
    change = panel_change(
        draft("demo:demo-sage", "demo:demo-sage"),
        "preset:cross-provider",
        models=model_list_available(),
        limits=LIMITS,
    )
    assert [s["role"] for s in change.seats] == [
        "proponent",
        "skeptic",
        "researcher",
        "devils_advocate",
    ]
    assert change.rounds == 2
    assert change.preset == "cross-provider"
    assert not change.errors


def test_unknown_preset_keeps_the_panel_and_says_why() -> None:
    start = draft("demo:demo-sage", "demo:demo-skeptic")
    change = panel_change(start, "preset:nope", models=model_list_available(), limits=LIMITS)
    assert change.seats == start.seats
    assert change.errors == ["Unknown preset."]


def test_initial_panel_is_the_asked_preset_else_the_default() -> None:
    models = model_list_available()
    assert initial_panel("risk-heavy", models=models, limits=LIMITS).preset == "risk-heavy"
    fallback = initial_panel("nope", models=models, limits=LIMITS)
    assert fallback.preset == "balanced-trio"
    assert len(fallback.seats) == 3


def test_initial_panel_falls_back_to_available_models(settings: Settings) -> None:
    # Only OpenAI: no preset can fill its skeptic's seat.
    settings.LLM_PROVIDERS = ["openai"]
    models = model_list_available()
    change = initial_panel("balanced-trio", models=models, limits=LIMITS)
    assert len(change.seats) == 2
    assert {s["model"].split(":")[0] for s in change.seats} == {"openai"}
    assert change.errors == ["No model of this preset is available right now."]
    assert not initial_panel(None, models=models, limits=LIMITS).errors


# --- The forms -----------------------------------------------------------------------------


def test_model_choices_group_by_provider_with_prices(settings: Settings) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai"]
    groups = dict(model_choices(model_list_available()))
    assert ("demo:demo-sage", "Demo Sage (free)") in groups["Demo (offline)"]
    assert ("openai:gpt-5", "GPT-5 ($1.25 / $10)") in groups["OpenAI"]


def test_debate_form_maps_service_errors_onto_fields() -> None:
    form = DebateForm(
        {"question": "Is this long enough?", "rounds": "2", "category": "general"},
        models=model_list_available(),
        limits=LIMITS,
    )
    assert form.is_valid()
    rest = form.add_service_errors(
        ValidationFailed(
            fields={
                "question": ["Too short."],
                "cost_cap_usd": ["Must be positive."],
                "seats": ["Seat 1: bad."],
                "min_required_seats": ["Between 1 and 2."],
            }
        )
    )
    assert form.errors["question"] == ["Too short."]
    assert form.errors["cost_cap_usd"] == ["Must be positive."]
    assert rest == ["Seat 1: bad.", "Between 1 and 2."]
    assert DebateForm(models=[], limits=LIMITS).add_service_errors(ValidationFailed("No.")) == [
        "No."
    ]


def test_debate_form_offers_the_limits_rounds_and_an_automatic_chair() -> None:
    form = DebateForm(models=model_list_available(), limits=DebateLimits(max_rounds=3))
    assert form.fields["rounds"].choices == [(1, "1"), (2, "2"), (3, "3")]  # type: ignore[attr-defined]
    assert form.fields["chair"].choices[0] == ("", "Automatic")  # type: ignore[attr-defined]
    assert form["question"].field.widget.attrs["maxlength"] == 5000


def test_seat_formset_turns_valid_forms_into_seat_inputs() -> None:
    data = query(
        seats__TOTAL_FORMS="2",
        seats__INITIAL_FORMS="2",
        seats__0__model="demo:demo-sage",
        seats__0__role="custom",
        seats__0__temperature="1.2",
        seats__0__instruction="Argue from history.",
        seats__1__model="demo:demo-scout",
        seats__1__role="skeptic",
        seats__1__temperature="0",
    )
    formset = seat_formset(data, models=model_list_available(), limits=LIMITS)
    assert formset.is_valid()
    assert seat_inputs(formset) == [
        SeatInput("demo:demo-sage", "custom", 1.2, "Argue from history."),
        SeatInput("demo:demo-scout", "skeptic", 0.0, ""),
    ]


def test_seat_formset_rejects_unavailable_models_and_bad_temperatures() -> None:
    data = query(
        seats__TOTAL_FORMS="1",
        seats__INITIAL_FORMS="1",
        seats__0__model="openai:gpt-5",
        seats__0__role="proponent",
        seats__0__temperature="3",
    )
    formset = seat_formset(data, models=model_list_available(), limits=LIMITS)
    assert not formset.is_valid()
    assert set(formset.forms[0].errors) == {"model", "temperature"}


def test_seat_formset_refuses_more_seats_than_the_limit() -> None:
    data = query(seats__TOTAL_FORMS="9", seats__INITIAL_FORMS="9")
    formset = seat_formset(data, models=model_list_available(), limits=LIMITS)
    assert not formset.is_valid()
    assert formset.non_form_errors()


def test_filter_form_defaults_and_rejects_unknown_values() -> None:
    form = DebateFilterForm(query())
    assert form.is_valid()
    assert form.filters() == {"tab": "mine", "status": "", "query": "", "starred": False}
    assert form["tab"].value() == "mine"
    form = DebateFilterForm(query(tab="team", status="failed", q=" four-day "))
    assert form.is_valid()
    assert form.filters() == {
        "tab": "team",
        "status": "failed",
        "query": "four-day",
        "starred": False,
    }
    assert not DebateFilterForm(query(status="bogus")).is_valid()
    assert not DebateFilterForm(query(tab="everyone")).is_valid()


def test_catalog_is_what_the_form_offers() -> None:
    # The form offers exactly the available catalog: demo models in the test settings.
    keys = {key for _group, choices in model_choices(model_list_available()) for key, _ in choices}
    assert keys == set(
        LLMModel.objects.filter(provider="demo", enabled=True).values_list("key", flat=True)
    )
