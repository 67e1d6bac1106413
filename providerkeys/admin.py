from django.contrib import admin
from django.http import HttpRequest

from providerkeys.models import ProviderKey


@admin.register(ProviderKey)
class ProviderKeyAdmin(admin.ModelAdmin[ProviderKey]):
    """Which teams bring which keys, and how they fare. The secret is never shown, not even
    encrypted; teams change their keys on their own page."""

    list_display = ["team", "provider", "hint", "status", "last_error_code", "updated_at"]
    list_filter = ["provider", "status"]
    search_fields = ["team__name"]
    fields = (
        "team",
        "provider",
        "base_url",
        "hint",
        "status",
        "checked_at",
        "last_error",
        "last_error_code",
        "last_error_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProviderKey | None = None) -> bool:
        return False
