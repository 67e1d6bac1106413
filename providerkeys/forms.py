from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from providerkeys.models import KeyProvider


class ProviderKeyForm(forms.Form):
    """Add or replace a team's key. The key field never renders a value back."""

    provider = forms.ChoiceField(label=_("Provider"))
    secret = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_("Stored encrypted and never shown again. Optional for a local endpoint."),
    )
    base_url = forms.CharField(
        label=_("Base URL"),
        required=False,
        max_length=300,
        widget=forms.URLInput(attrs={"placeholder": "https://llm.example.com/v1"}),
        help_text=_("OpenAI-compatible endpoints only: the URL the API's paths start from."),
    )

    def __init__(self, *args: Any, providers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in KeyProvider.choices if value in providers
        ]
