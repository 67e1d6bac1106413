"""Evaluations in Django admin: read-only, for staff to see what teams ran and what it cost."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from evals.models import ArmResult, Evaluation


class ArmResultInline(admin.TabularInline[ArmResult, Evaluation]):
    model = ArmResult
    extra = 0
    can_delete = False
    fields = ("question_id", "arm", "model_key", "extracted", "correct", "samples", "cost_usd")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin[Evaluation]):
    list_display = ("name", "team", "status", "done_units", "total_units", "cost_usd", "created_at")
    list_filter = ("status", "uses_demo")
    search_fields = ("name", "team__name")
    readonly_fields = [field.name for field in Evaluation._meta.fields]
    inlines = [ArmResultInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
