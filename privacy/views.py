"""The analytics page and the privacy page (a copy of my data, the analytics choice, deleting
the account). Thin: parse, call one service or selector, render."""

from typing import TypedDict
from uuid import UUID

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.departure import departure_plan
from accounts.middleware import request_user, request_workspace
from consultation.exceptions import NotFound
from debates.rubric import RUBRIC, criterion_label
from privacy import selectors, services
from privacy.analytics import Analytics, AnalyticsFilters, analytics_for, user_opted_out
from privacy.forms import AccountDeleteForm, AnalyticsFilterForm, AnalyticsOptOutForm


class ChartData(TypedDict):
    """What frontend/usage.ts draws (the usage page's charts, reused): one dataset."""

    label: str
    labels: list[str]
    values: list[float]
    tooltips: list[str]


def analytics_charts(figures: Analytics) -> dict[str, ChartData]:
    unit_format = {
        # Translators: short date formats (Django's `date` filter) for the analytics chart.
        "day": pgettext("analytics chart day", "M j"),
        "week": pgettext("analytics chart week", "M j"),
        "month": pgettext("analytics chart month", "M Y"),
    }[figures.activity_unit]
    return {
        "activity": {
            "label": _("Debates"),
            "labels": [date_format(point.day, unit_format) for point in figures.activity],
            "values": [point.debates for point in figures.activity],
            "tooltips": [
                ngettext("%(n)d debate", "%(n)d debates", p.debates) % {"n": p.debates}
                + " · "
                + _("%(n)d completed") % {"n": p.completed}
                for p in figures.activity
            ],
        },
        "win_rates": {
            "label": _("Win rate (%)"),
            "labels": [model.model_name for model in figures.models],
            "values": [round(100 * (model.win_rate or 0)) for model in figures.models],
            "tooltips": [
                ngettext(
                    "%(wins)d win in %(n)d debate", "%(wins)d wins in %(n)d debates", m.debates
                )
                % {"wins": m.wins, "n": m.debates}
                for m in figures.models
            ],
        },
        "scores": {
            "label": _("Mean rubric score"),
            "labels": [model.model_name for model in figures.models],
            "values": [model.average_score or 0 for model in figures.models],
            "tooltips": [
                _("%(score)s of 10") % {"score": model.average_score}
                if model.average_score is not None
                else _("Not judged")
                for model in figures.models
            ],
        },
    }


@login_required
@require_safe
def analytics(request: HttpRequest) -> HttpResponse:
    """Debates run, completion, duration, cost, models' win rates and scores, activity: the
    user's own debates or the active team's, by period and category."""
    user, team = request_workspace(request)
    form = AnalyticsFilterForm(request.GET or None)
    filters = form.filters() if request.GET else AnalyticsFilters()
    figures = analytics_for(user=user, team=team, filters=filters)
    return render(
        request,
        "privacy/analytics.html",
        {
            "form": form,
            "filters": filters,
            "team": team,
            "figures": figures,
            "charts": analytics_charts(figures) if figures is not None else None,
            "criteria_labels": [criterion_label(name) for name in RUBRIC],
        },
    )


@login_required
@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "privacy/privacy.html",
        {
            "export": selectors.data_export_latest(user=user),
            "opted_out": user_opted_out(user=user),
        },
    )


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    services.data_export_request(user=request_user(request))
    messages.success(
        request, _("We are preparing your copy. We will e-mail you a link when it is ready.")
    )
    return redirect("privacy")


@login_required
@require_safe
def export_download(request: HttpRequest, export_id: UUID) -> HttpResponseBase:
    """The file, to its owner only (anyone else: 404), until it expires."""
    export = selectors.data_export_get_for_user(user=request_user(request), export_id=export_id)
    if not export.is_downloadable:
        services.data_export_expire(export_id=export.pk)
        raise NotFound(_("This copy has expired or is not ready. Ask for a new one."))
    services.data_export_opened(export=export)
    assert export.file.name
    name = f"consultation-data-{export.created_at:%Y-%m-%d}.json"
    response = FileResponse(
        default_storage.open(export.file.name, "rb"),
        as_attachment=True,
        filename=name,
        content_type="application/json",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def analytics_opt_out(request: HttpRequest) -> HttpResponse:
    form = AnalyticsOptOutForm(request.POST)
    opted_out = form.is_valid() and form.cleaned_data["opted_out"]
    services.analytics_opt_out_set(user=request_user(request), opted_out=opted_out)
    messages.success(
        request,
        _("You are left out of analytics now.")
        if opted_out
        else _("Your debates count in analytics again."),
    )
    return redirect("privacy")


def _needs_allauth_reauthentication(request: HttpRequest) -> bool:
    """An account without a password (a Google sign-in) re-authenticates through allauth
    (recently, within ACCOUNT_REAUTHENTICATION_TIMEOUT); one with a password types it in the
    form itself, every time."""
    user = request.user
    return bool(user.is_authenticated and not user.has_usable_password())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@reauthentication_required(enabled=_needs_allauth_reauthentication, allow_get=False)  # type: ignore[untyped-decorator]
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(user=user)
        logout(request)
        messages.success(request, _("Your account was deleted. Thank you for having used it."))
        return redirect("landing")
    return render(
        request,
        "privacy/delete.html",
        {"form": form, "plan": departure_plan(user=user)},
    )
