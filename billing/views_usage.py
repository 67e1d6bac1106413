"""The usage and billing page: the active team's plan, this period's quotas, usage charts.

A module of its own beside views.py (pricing, checkout) so the two grow apart; billing/urls.py
joins their URLs.
"""

from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from accounts.middleware import request_workspace
from billing.offers import invoice_list_for_team
from billing.selectors import UsageReport, usage_report_for_team
from billing.templatetags.usage import grouped, money


class ChartData(TypedDict):
    """What frontend/usage.ts draws: one dataset, its labels, a tooltip line per bar."""

    label: str
    labels: list[str]
    values: list[int]
    tooltips: list[str]


def _usage_line(tokens: int, cost: Decimal, calls: int) -> str:
    return _("%(tokens)s tokens · %(cost)s · %(calls)s calls") % {
        "tokens": grouped(tokens),
        "cost": money(cost),
        "calls": grouped(calls),
    }


def usage_charts(report: UsageReport) -> dict[str, ChartData]:
    # Translators: a short date format (Django's `date` filter) for the usage chart's days.
    day_format = pgettext("usage chart day", "M j")
    return {
        "by_day": {
            "label": _("Tokens"),
            "labels": [date_format(day.day, day_format) for day in report.by_day],
            "values": [day.tokens for day in report.by_day],
            "tooltips": [_usage_line(d.tokens, d.cost_usd, d.calls) for d in report.by_day],
        },
        "by_model": {
            "label": _("Tokens"),
            "labels": [model.model_key for model in report.by_model],
            "values": [model.tokens for model in report.by_model],
            "tooltips": [_usage_line(m.tokens, m.cost_usd, m.calls) for m in report.by_model],
        },
    }


@login_required
@require_safe
def usage(request: HttpRequest) -> HttpResponse:
    """This period's debates, tokens and cost against the plan, by day and by model.

    The team's Stripe invoices are listed when billing is configured and the team has a
    Stripe customer (None otherwise: the section is left out)."""
    _user, team = request_workspace(request)
    report = usage_report_for_team(team=team)
    invoices = invoice_list_for_team(team=team)
    return render(
        request,
        "billing/usage.html",
        {
            "team": team,
            "report": report,
            "charts": usage_charts(report),
            "invoices": invoices.items if invoices.available else None,
        },
    )


urlpatterns: list[URLPattern] = [
    path("settings/billing/", usage, name="usage"),
]
