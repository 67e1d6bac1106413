from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys.models import Scope

EXPIRY_CHOICES = [
    ("30", _("In 30 days")),
    ("90", _("In 90 days")),
    ("365", _("In a year")),
    ("never", _("Never")),
]


class APIKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the key is for, e.g. “nightly report script”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.DEBATES_READ],
    )
    expiry = forms.ChoiceField(label=_("Expires"), choices=EXPIRY_CHOICES, initial="90")
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute"),
        required=False,
        min_value=1,
        help_text=_("Optional: a limit tighter than your plan's."),
    )

    def expires_at(self) -> datetime | None:
        choice = self.cleaned_data["expiry"]
        if choice == "never":
            return None
        day = timezone.now().date() + timedelta(days=int(choice))
        return datetime.combine(day, time.max.replace(microsecond=0), tzinfo=UTC)
