from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from debates.models import Category
from privacy.analytics import DEFAULT_PERIOD, PERIODS, AnalyticsFilters


def period_choices() -> list[tuple[str, Any]]:
    labels = {
        "7d": _("Last 7 days"),
        "30d": _("Last 30 days"),
        "90d": _("Last 90 days"),
        "365d": _("Last 12 months"),
        "all": _("All time"),
    }
    return [(period, labels[period]) for period in PERIODS]


class AnalyticsFilterForm(forms.Form):
    """The analytics page's filters (GET); a bad value falls back to its default."""

    scope = forms.ChoiceField(
        label=_("Whose debates"),
        required=False,
        choices=[("me", _("Mine")), ("team", _("The active team's"))],
        initial="me",
    )
    period = forms.ChoiceField(
        label=_("Period"), required=False, choices=period_choices, initial=DEFAULT_PERIOD
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
    )

    def filters(self) -> AnalyticsFilters:
        self.is_valid()
        data = self.cleaned_data  # the valid fields only, when some are not
        return AnalyticsFilters(
            scope="team" if data.get("scope") == "team" else "me",
            period=data.get("period") or DEFAULT_PERIOD,
            category=data.get("category") or "",
        )


class AnalyticsOptOutForm(forms.Form):
    opted_out = forms.BooleanField(required=False)


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for the password again (an account that has none, a Google
    sign-in, re-authenticates with allauth first: see the view) and for the address typed
    out, so a stray click or an unattended session cannot do it."""

    email = forms.CharField(
        label=_("Type your e-mail address to confirm"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if email != self.user.email.lower():
            raise forms.ValidationError(_("This is not the address of your account."))
        return email

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This password is not right."))
        return password
