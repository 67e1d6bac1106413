"""A team's own credentials for a model provider, encrypted at rest (providerkeys.crypto).

The secret is stored only as a Fernet token: no view, serializer, admin page or log line ever
reads it back; `hint` (its last four characters) is what people see.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from consultation.models import TimeStampedModel
from providerkeys.credentials import scope_for_team


class KeyProvider(models.TextChoices):
    """The providers a team may bring a key for (the catalog's names, without demo)."""

    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    GEMINI = "gemini", "Google Gemini"
    OPENROUTER = "openrouter", "OpenRouter"
    OPENAI_COMPAT = "openai_compat", _("OpenAI-compatible endpoint")


class KeyStatus(models.TextChoices):
    UNTESTED = "untested", _("Not tested yet")
    OK = "ok", _("Working")
    REJECTED = "rejected", _("Rejected by the provider")
    UNVERIFIED = "unverified", _("Could not be checked")


class ProviderKey(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="provider_keys")
    provider = models.CharField(max_length=20, choices=KeyProvider.choices)
    # The Fernet token of the secret (never the secret itself).
    secret_encrypted = models.TextField(editable=False)
    # The OpenAI-compatible endpoint's base URL (that provider only; blank for the others).
    base_url = models.URLField(max_length=300, blank=True)
    hint = models.CharField(max_length=8, blank=True, help_text=_("Last characters of the key."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=KeyStatus.choices, default=KeyStatus.UNTESTED)
    checked_at = models.DateTimeField(null=True, blank=True)
    # What the provider said when it last refused the key (secret redacted), and when.
    last_error = models.CharField(max_length=500, blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "provider"], name="providerkeys_one_key_per_team_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.provider} …{self.hint}"

    @property
    def scope(self) -> str:
        """The breaker scope of calls made with this key (ops keeps it by name)."""
        return scope_for_team(self.team_id)
