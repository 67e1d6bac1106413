from django.contrib import admin
from django.http import HttpRequest

from apikeys.models import APIKey


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin[APIKey]):
    """Staff see and can find keys; never the secret (the full key is stored nowhere, and the
    stored HMAC is not shown either). Keys are made and revoked on the team's page, audited."""

    list_display = ("name", "display_prefix", "team", "created_by", "created_at", "last_used_at",
                    "expires_at", "revoked_at")  # fmt: skip
    list_filter = ("revoked_at",)
    search_fields = ("name", "lookup_id", "team__name", "created_by__email")
    list_select_related = ("team", "created_by")
    exclude = ("key_hash",)
    readonly_fields = ("id", "team", "name", "created_by", "prefix", "lookup_id", "scopes",
                       "expires_at", "rate_limit_per_minute", "last_used_at", "revoked_at",
                       "created_at", "updated_at")  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: APIKey | None = None) -> bool:
        return False
