"""Billing's reads: the plans on offer, a team's account and its period's usage."""

from django.db.models import QuerySet

from billing.models import Plan


def plan_list_public() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True).order_by("sort_order", "price_usd")
