"""Filters of the leaderboard and hall-of-fame pages (query strings, never saved)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from debates.models import Category, SeatRole
from ratings.models import Board, RatingSource
from ratings.selectors import HALL_OF_FAME_ORDERS

MAX_MIN_MATCHES = 100_000


class LeaderboardFilterForm(forms.Form):
    board = forms.ChoiceField(choices=Board.choices, required=False, widget=forms.HiddenInput)
    source = forms.ChoiceField(
        choices=RatingSource.choices, required=False, widget=forms.HiddenInput
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *Category.choices],
        required=False,
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("All roles")), *SeatRole.choices], required=False
    )
    min_matches = forms.IntegerField(
        label=_("Minimum matches"), min_value=0, max_value=MAX_MIN_MATCHES, required=False
    )

    def filters(self) -> dict[str, Any]:
        """The valid filters, defaults for the rest (a bad query string shows the full board)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "board": data.get("board") or Board.PUBLIC,
            "source": data.get("source") or RatingSource.JUDGES,
            "category": data.get("category") or "",
            "role": data.get("role") or "",
            "min_matches": data.get("min_matches") or 0,
        }


class HallOfFameFilterForm(forms.Form):
    order = forms.ChoiceField(
        choices=[(order, order) for order in HALL_OF_FAME_ORDERS],
        required=False,
        widget=forms.HiddenInput,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *Category.choices],
        required=False,
    )
    model = forms.CharField(label=_("Model"), max_length=120, required=False)

    def __init__(self, *args: Any, models: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"] = forms.ChoiceField(
            label=_("Model"), choices=[("", _("All models")), *models], required=False
        )

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "order": data.get("order") or "margin",
            "category": data.get("category") or "",
            "model_key": data.get("model") or "",
        }
