from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from privacy.models import DataExport


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin[DataExport]):
    """Read-only, and without the file: a copy of someone's data is theirs to download."""

    list_display = ["created_at", "user", "status", "size_bytes", "ready_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    exclude = ["file"]
    readonly_fields = ["user", "status", "size_bytes", "ready_at", "expires_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
