"""Billing in admin: plans are edited here; accounts are Stripe's to change (a plan set by hand
lasts until the team's next subscription event) and every edit is audited; applied Stripe
events are read-only."""

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.models import User
from billing import admin_usage  # noqa: F401  (registers the usage admin)
from billing.limits import effective_plan
from billing.models import BillingAccount, Plan, StripeEventRecord
from billing.subscriptions import billing_account_admin_save


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = [
        "name",
        "slug",
        "price_usd",
        "stripe_price_id",
        "is_default",
        "is_public",
        "debates_per_month",
        "tokens_per_month",
        "cost_per_month_usd",
        "concurrent_debates",
    ]
    list_editable = ["is_public"]
    ordering = ["sort_order", "price_usd"]
    fieldsets = (
        (None, {"fields": ("slug", "name", "description", "sort_order", "is_public")}),
        ("Price", {"fields": ("price_usd", "stripe_price_id", "is_default")}),
        (
            "Monthly quotas (blank: unlimited)",
            {"fields": ("debates_per_month", "tokens_per_month", "cost_per_month_usd")},
        ),
        (
            "Limits",
            {
                "fields": (
                    "max_seats",
                    "max_rounds",
                    "allowed_tiers",
                    "concurrent_debates",
                    "api_requests_per_minute",
                    "exports_enabled",
                    "max_team_members",
                )
            },
        ),
    )


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin[BillingAccount]):
    list_display = [
        "team",
        "plan",
        "plan_in_force",
        "status",
        "current_period_end",
        "scheduled_plan",
        "scheduled_at",
        "grace_until",
    ]
    list_filter = ["status", "plan"]
    search_fields = ["team__name", "stripe_customer_id", "stripe_subscription_id"]
    list_select_related = ["team", "plan", "scheduled_plan"]
    # What Stripe owns is read-only; staff may set a plan by hand (until the next event).
    readonly_fields = [
        "team",
        "status",
        "stripe_customer_id",
        "stripe_subscription_id",
        "current_period_start",
        "current_period_end",
        "created_at",
        "updated_at",
    ]
    fields = [
        "team",
        "plan",
        "scheduled_plan",
        "scheduled_at",
        "grace_until",
        "status",
        "stripe_customer_id",
        "stripe_subscription_id",
        "current_period_start",
        "current_period_end",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Plan in force")
    def plan_in_force(self, account: BillingAccount) -> str:
        return effective_plan(account).name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every team gets its account on first use

    def save_model(
        self, request: HttpRequest, obj: BillingAccount, form: ModelForm[Any], change: bool
    ) -> None:
        assert isinstance(request.user, User)
        billing_account_admin_save(actor=request.user, account=obj, fields=form.changed_data)


@admin.register(StripeEventRecord)
class StripeEventRecordAdmin(admin.ModelAdmin[StripeEventRecord]):
    list_display = ["event_id", "event_type", "team", "outcome", "stripe_created", "created_at"]
    list_filter = ["event_type", "outcome"]
    search_fields = ["event_id", "object_id", "team__name"]
    list_select_related = ["team"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
