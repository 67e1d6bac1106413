"""Billing pages: pricing (public)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from accounts.middleware import request_team
from billing.limits import plan_for_team
from billing.selectors import plan_list_public


def pricing(request: HttpRequest) -> HttpResponse:
    """The plans and their limits, from the database; the active team's plan marked."""
    team = request_team(request)
    current = plan_for_team(team=team) if team is not None else None
    return render(
        request, "billing/pricing.html", {"plans": plan_list_public(), "current_plan": current}
    )


app_name = "billing"
urlpatterns: list[URLPattern] = [
    path("pricing/", pricing, name="pricing"),
]
