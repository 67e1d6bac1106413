"""Admin for usage: usage records and quota reservations (read-only), and every team's usage
this period on one page (`admin/billing/usagerecord/teams/`).

Imported at the end of billing/admin.py, which registers the plans and billing accounts.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.limits import default_plan
from billing.models import Plan, QuotaReservation, UsageRecord
from billing.selectors import team_usage_list


class ReadOnlyAdmin[M: UsageRecord | QuotaReservation](admin.ModelAdmin[M]):
    """Written by billing's services only: staff look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin[UsageRecord]):
    change_list_template = "admin/billing/usagerecord/change_list.html"
    list_display = [
        "created_at",
        "team",
        "debate_id",
        "model_key",
        "calls",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "period_start",
    ]
    list_filter = [
        ("team", admin.RelatedOnlyFieldListFilter),
        ("team__billing_account__plan", admin.RelatedOnlyFieldListFilter),
        "period_start",
        "provider",
    ]
    list_select_related = ["team"]
    search_fields = ["=debate_id", "model_key", "team__name"]
    date_hierarchy = "created_at"

    def get_urls(self) -> list[URLPattern]:
        teams = path(
            "teams/",
            self.admin_site.admin_view(self.teams_view),
            name="billing_usagerecord_teams",
        )
        return [teams, *super().get_urls()]

    def teams_view(self, request: HttpRequest) -> TemplateResponse:
        """Every team's debates, tokens and cost this period (as its quota counts them), the
        heaviest first; `?q=` searches team names, `?plan=` filters by plan slug."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        default = default_plan()
        teams = team_usage_list(now=now)
        query = request.GET.get("q", "").strip()
        if query:
            teams = teams.filter(name__icontains=query)
        plan = request.GET.get("plan", "")
        if plan:
            on_plan = Q(billing_account__plan__slug=plan)
            if plan == default.slug:  # no account, or one without a plan: the default plan
                on_plan |= Q(billing_account__isnull=True) | Q(billing_account__plan__isnull=True)
            teams = teams.filter(on_plan)
        page = Paginator(teams, 50).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Usage by team, this period"),
            "opts": self.model._meta,
            "page": page,
            "query": query,
            "plan": plan,
            "plans": Plan.objects.order_by("sort_order", "price_usd"),
            "default_plan": default,
            "records_url": reverse("admin:billing_usagerecord_changelist"),
            "now": now,
        }
        return TemplateResponse(request, "admin/billing/usagerecord/teams.html", context)


@admin.register(QuotaReservation)
class QuotaReservationAdmin(ReadOnlyAdmin[QuotaReservation]):
    list_display = [
        "created_at",
        "team",
        "debate_id",
        "plan_slug",
        "status",
        "tokens",
        "cost_usd",
        "period_start",
    ]
    list_filter = [
        "status",
        "plan_slug",
        "period_start",
        ("team", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["team"]
    search_fields = ["=debate_id", "team__name"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuotaReservation]:
        return super().get_queryset(request).order_by("-created_at")
