from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from debates.models import (
    FINISHED_STATUSES,
    Debate,
    DebateEvent,
    Judgment,
    LLMModel,
    Seat,
    Turn,
)
from debates.queue import debate_run_later
from debates.services.retention import debate_anonymise
from debates.services.tidy import debate_touch
from ratings.queue import ratings_refit_later


@admin.register(LLMModel)
class LLMModelAdmin(admin.ModelAdmin[LLMModel]):
    list_display = [
        "display_name",
        "key",
        "provider",
        "tier",
        "price_in_per_mtok",
        "price_out_per_mtok",
        "context_window",
        "supports_streaming",
        "enabled",
    ]
    list_filter = ["provider", "tier", "enabled", "supports_streaming"]
    list_editable = ["enabled", "price_in_per_mtok", "price_out_per_mtok"]
    search_fields = ["key", "display_name", "model_id"]


class SeatInline(admin.TabularInline[Seat, Debate]):
    model = Seat
    extra = 0
    fields = ("position", "llm_model", "role", "temperature", "status", "failure_reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TurnInline(admin.TabularInline[Turn, Debate]):
    """The transcript, read-only: what each seat said, round by round."""

    model = Turn
    extra = 0
    fields = ("round", "seat", "status", "stance", "content", "error_code", "output_tokens")
    readonly_fields = fields
    ordering = ("round", "seat__position")
    verbose_name = _("turn")
    verbose_name_plural = _("transcript")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JudgmentInline(admin.TabularInline[Judgment, Debate]):
    model = Judgment
    extra = 0
    fields = ("judge_model", "seat", "status", "total", "rationale", "error_code")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Debate)
class DebateAdmin(admin.ModelAdmin[Debate]):
    list_display = ["__str__", "team", "status", "uses_demo", "cost_usd", "created_at", "attempts"]
    list_filter = ["status", "uses_demo", "category"]
    search_fields = ["question", "team__name", "created_by__email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "team",
        "created_by",
        "status",
        "synthesis",
        "scoreboard",
        "failure_reason",
        "failure_detail",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "last_seq",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "attempts",
        "finalized_at",
        "anonymised_at",
    ]
    inlines = [SeatInline, TurnInline, JudgmentInline]
    actions = ["recover", "refit_ratings", "anonymise"]

    @admin.action(description="Resume the selected running debates now")
    def recover(self, request: HttpRequest, queryset: QuerySet[Debate]) -> None:
        for debate in queryset.filter(status="running"):
            debate_run_later(debate_id=debate.pk)

    @admin.action(description=_("Anonymise the selected finished debates now (retention)"))
    def anonymise(self, request: HttpRequest, queryset: QuerySet[Debate]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        done = sum(
            debate_anonymise(debate_id=debate.pk, actor=actor)
            for debate in queryset.filter(status__in=FINISHED_STATUSES)
        )
        self.message_user(
            request,
            ngettext("%(count)d debate was anonymised.", "%(count)d debates were anonymised.", done)
            % {"count": done},
        )

    @admin.action(description=_("Refit all model ratings now"))
    def refit_ratings(self, request: HttpRequest, queryset: QuerySet[Debate]) -> None:
        ratings_refit_later()
        self.message_user(request, _("A full refit of the model ratings has been queued."))


class TouchesDebate:
    """An edit of one of a debate's rows here changes the debate (debate_touch), in the same
    transaction: the API's cached detail, keyed by the debate's row, shows it at once."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        debate_touch(debate_id=obj.debate_id)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        debate_touch(debate_id=obj.debate_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        debate_ids = set(queryset.values_list("debate_id", flat=True))
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for debate_id in debate_ids:
            debate_touch(debate_id=debate_id)


@admin.register(Turn)
class TurnAdmin(TouchesDebate, admin.ModelAdmin[Turn]):
    list_display = ["debate", "seat", "round", "status", "output_tokens", "latency_ms"]
    list_filter = ["status"]
    raw_id_fields = ["debate", "seat"]


@admin.register(Judgment)
class JudgmentAdmin(TouchesDebate, admin.ModelAdmin[Judgment]):
    list_display = ["debate", "judge_model", "seat", "status", "total"]
    list_filter = ["status"]
    raw_id_fields = ["debate", "seat"]


@admin.register(DebateEvent)
class DebateEventAdmin(admin.ModelAdmin[DebateEvent]):
    """The append-only log, read-only even for staff: no add, change or delete."""

    list_display = ["debate", "seq", "type", "created_at"]
    list_filter = ["type"]
    raw_id_fields = ["debate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
