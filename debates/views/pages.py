"""Debate pages: the dashboard, the demo path, a new debate (panel builder and live estimate),
the list, the detail with its exports and sharing, and the public read-only link.

Thin: parse, call one service or selector, render. AppErrors raised by services become pages
or messages in consultation.middleware.AppErrorMiddleware.
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.middleware import request_user, request_workspace
from accounts.models import User
from accounts.selectors import team_list_for_user
from billing.limits import (
    DebateLimits,
    QuotaStatus,
    debate_limits_for_team,
    exports_check,
    quota_status,
)
from billing.selectors import usage_summary_for_team
from consultation.exceptions import (
    PlanRestriction,
    ProviderUnavailable,
    QuotaExceeded,
    ValidationFailed,
)
from debates import selectors
from debates.api import DebateDetailOutput
from debates.credentials import team_own_providers
from debates.forms import (
    DebateFilterForm,
    DebateForm,
    Draft,
    PanelChange,
    SeatForm,
    initial_panel,
    panel_change,
    read_draft,
    seat_formset,
    seat_inputs,
)
from debates.forms_threads import DocumentsForm
from debates.models import Debate
from debates.presets import PRESETS
from debates.services.creation import debate_create
from debates.services.demo import debate_create_demo, sample_question
from debates.services.estimates import DebateEstimate, debate_estimate
from debates.services.exports import (
    debate_markdown,
    failure_text,
    redaction_summary,
    round_title,
)
from debates.services.sharing import debate_set_listed, debate_set_public, debate_share
from debates.views.threads import context_chars, documents_of, thread_context
from debates.views.tidy import detail_extras

PAGE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def live_url(debate_id: UUID) -> str:
    return reverse("debate-live", args=[debate_id])


# --- Dashboard and demo -------------------------------------------------------------------


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    user, team = request_workspace(request)
    return render(
        request,
        "debates/dashboard.html",
        {
            "recent": selectors.debate_list_recent(team=team, user=user),
            "presets": list(PRESETS.values()),
            "teams": team_list_for_user(user=user),
            "profile": user.profile,
            "usage": usage_summary_for_team(team=team),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def debate_demo(request: HttpRequest) -> HttpResponse:
    """GET: the sample question and a start button (where sign-up lands); POST: start it."""
    user, team = request_workspace(request)
    if request.method == "POST":
        sample = request.POST.get("sample", "")
        debate = debate_create_demo(
            user=user, team=team, sample=int(sample) if sample.isdigit() else None
        )
        return redirect(live_url(debate.pk))
    index, sample_ = sample_question()
    return render(request, "debates/demo.html", {"sample": sample_, "sample_index": index})


# --- New debate ---------------------------------------------------------------------------


def _new_debate_context(
    limits: DebateLimits,
    form: DebateForm,
    formset: BaseFormSet[SeatForm],
    change: PanelChange,
    estimate: DebateEstimate | None,
    quota: QuotaStatus | None = None,
) -> dict[str, object]:
    return {
        "quota": quota,
        "form": form,
        "seats": formset,
        "panel_errors": change.errors,
        "active_preset": change.preset,
        "presets": list(PRESETS.values()),
        "limits": limits,
        "estimate": estimate,
        "documents_form": DocumentsForm(),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def debate_new(request: HttpRequest) -> HttpResponse:
    user, team = request_workspace(request)
    limits = debate_limits_for_team(team=team)
    own = team_own_providers(team_id=team.pk)
    models = selectors.model_list_available(own_providers=own)
    limit_error: QuotaExceeded | PlanRestriction | None = None
    if request.method == "POST":
        form = DebateForm(request.POST, models=models, limits=limits)
        formset = seat_formset(request.POST, models=models, limits=limits)
        change = PanelChange(seats=[])
        if form.is_valid() and formset.is_valid():
            try:
                debate = debate_create(
                    user=user,
                    team=team,
                    seats=seat_inputs(formset),
                    documents=documents_of(request),
                    **form.service_arguments(),
                )
            except (ValidationFailed, ProviderUnavailable) as error:
                change.errors = form.add_service_errors(error)
            except (QuotaExceeded, PlanRestriction) as error:
                limit_error = error
            else:
                return redirect(live_url(debate.pk))
        change.errors += [str(e) for e in formset.non_form_errors()]
        draft = read_draft(request.POST, limits=limits)
    else:
        change = initial_panel(request.GET.get("preset"), models=models, limits=limits)
        form = DebateForm(initial={"rounds": change.rounds or 2}, models=models, limits=limits)
        formset = seat_formset(initial=change.seats, models=models, limits=limits)
        draft = Draft(seats=change.seats, rounds=change.rounds or 2)
    estimate = debate_estimate(
        seat_models=draft.seat_models,
        judges=draft.judges,
        chair=draft.chair,
        rounds=draft.rounds,
        question_chars=len(draft.question),
        tiers=limits.allowed_tiers,
        own_providers=own,
    )
    context = _new_debate_context(limits, form, formset, change, estimate, quota_status(team=team))
    context["limit_error"] = limit_error
    # A refusal by the plan keeps the form as filled in, under the limit's banner.
    status = limit_error.status if limit_error is not None else 200
    return render(request, "debates/new.html", context, status=status)


@login_required
@require_POST
def debate_new_panel(request: HttpRequest) -> HttpResponse:
    """htmx: the panel after one builder action (add or remove a seat, apply a preset)."""
    team = request_workspace(request)[1]
    limits = debate_limits_for_team(team=team)
    own = team_own_providers(team_id=team.pk)
    models = selectors.model_list_available(own_providers=own)
    draft = read_draft(request.POST, limits=limits)
    change = panel_change(draft, request.POST.get("op", ""), models=models, limits=limits)
    form = DebateForm(
        initial={"rounds": change.rounds or draft.rounds}, models=models, limits=limits
    )
    formset = seat_formset(initial=change.seats, models=models, limits=limits)
    response = render(
        request,
        "debates/partials/panel.html",
        _new_debate_context(limits, form, formset, change, None),
    )
    # The estimate listens for this and asks again.
    response["HX-Trigger-After-Settle"] = "panel-changed"
    return response


@login_required
@require_POST
def debate_new_estimate(request: HttpRequest) -> HttpResponse:
    """htmx: the cost and duration estimate of the form as it is now."""
    team = request_workspace(request)[1]
    limits = debate_limits_for_team(team=team)
    draft = read_draft(request.POST, limits=limits)
    own = team_own_providers(team_id=team.pk)
    estimate = debate_estimate(
        seat_models=draft.seat_models,
        judges=draft.judges,
        chair=draft.chair,
        rounds=draft.rounds,
        question_chars=len(draft.question) + context_chars(request),
        tiers=limits.allowed_tiers,
        own_providers=own,
    )
    return render(
        request,
        "debates/partials/estimate.html",
        {"estimate": estimate, "cost_cap": draft.cost_cap, "quota": quota_status(team=team)},
    )


# --- List ---------------------------------------------------------------------------------


@login_required
@require_safe
def debate_list(request: HttpRequest) -> HttpResponse:
    user, team = request_workspace(request)
    form = DebateFilterForm(request.GET)
    page = None
    if form.is_valid():
        debates = selectors.debate_search(team=team, user=user, **form.filters())
        page = Paginator(debates, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "debates/partials/debate_results.html" if _is_htmx(request) else "debates/list.html"
    response = render(
        request,
        template,
        {"filters": form, "page": page, "tab": form.data.get("tab") or "mine"},
        status=200 if page is not None else 400,
    )
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


# --- Detail, exports, sharing, public link ------------------------------------------------


def _detail_context(
    request: HttpRequest, debate: Debate, *, user: User | None
) -> dict[str, object]:
    """`user` None: the public, read-only page (where a signed-in reader may still vote)."""
    viewer = request.user if isinstance(request.user, User) else None
    return {
        **detail_extras(debate=debate, user=user, viewer=viewer),
        "debate": debate,
        "public": user is None,
        "is_creator": user is not None and debate.created_by_id == user.pk,
        "pii": selectors.debate_pii_for_viewer(debate=debate, user=user),
        "redactions": redaction_summary(debate.redactions),
        "transcript": [
            (round_title(r.number), r.turns) for r in selectors.debate_transcript(debate=debate)
        ],
        "judgments": selectors.debate_judgments_by_seat(debate=debate),
        "scoreboard": selectors.debate_scoreboard(debate=debate),
        "conformity": selectors.debate_conformity(debate=debate),
        "failure_text": failure_text(debate.failure_reason),
        "live_url": live_url(debate.pk),
        "public_url": request.build_absolute_uri(reverse("debate-public", args=[debate.pk])),
        "exports_enabled": user is not None
        and debate_limits_for_team(team=debate.team).exports_enabled,
        **thread_context(debate, user=user),
    }


@login_required
@require_safe
def debate_detail(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    return render(request, "debates/detail.html", _detail_context(request, debate, user=user))


@require_safe
def debate_public(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    """The read-only page of a debate whose public link is open; 404 for anyone otherwise."""
    debate = selectors.debate_get_public(debate_id=debate_id)
    response = render(request, "debates/detail.html", _detail_context(request, debate, user=None))
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_safe
def debate_export_markdown(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    debate = selectors.debate_get_for_user(user=request_user(request), debate_id=debate_id)
    exports_check(team=debate.team)
    return _attachment(
        HttpResponse(debate_markdown(debate=debate), content_type="text/markdown; charset=utf-8"),
        f"debate-{debate.pk}.md",
    )


@login_required
@require_safe
def debate_export_json(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    """The API's detail representation (DebateDetailOutput), as a file."""
    debate = selectors.debate_get_for_user(user=request_user(request), debate_id=debate_id)
    exports_check(team=debate.team)
    return _attachment(
        JsonResponse(
            DebateDetailOutput(debate).data,
            json_dumps_params={"indent": 2, "ensure_ascii": False},
        ),
        f"debate-{debate.pk}.json",
    )


@login_required
@require_POST
def debate_share_toggle(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    shared = request.POST.get("shared") == "1"
    debate_share(actor=user, debate=debate, shared=shared)
    messages.success(
        request,
        _("The debate is shared with the team.") if shared else _("Only you see this debate now."),
    )
    return redirect("debate-detail", debate_id=debate.pk)


@login_required
@require_POST
def debate_public_toggle(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    public = request.POST.get("public") == "1"
    debate_set_public(actor=user, debate=debate, public=public)
    messages.success(
        request,
        _("Anyone with the link can now read this debate.")
        if public
        else _("The public link is closed."),
    )
    return redirect("debate-detail", debate_id=debate.pk)


@login_required
@require_POST
def debate_listed_toggle(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    listed = request.POST.get("listed") == "1"
    debate_set_listed(actor=user, debate=debate, listed=listed)
    messages.success(
        request,
        _("The debate is listed on the hall of fame.")
        if listed
        else _("The debate is no longer listed on the hall of fame."),
    )
    return redirect("debate-detail", debate_id=debate.pk)


urlpatterns: list[URLPattern] = [
    path("dashboard/", dashboard, name="dashboard"),
    path("debates/", debate_list, name="debate-list"),
    path("debates/new/", debate_new, name="debate-new"),
    path("debates/new/panel/", debate_new_panel, name="debate-new-panel"),
    path("debates/new/estimate/", debate_new_estimate, name="debate-estimate"),
    path("debates/demo/", debate_demo, name="debate-demo"),
    path("debates/<uuid:debate_id>/", debate_detail, name="debate-detail"),
    path("debates/<uuid:debate_id>/export.md", debate_export_markdown, name="debate-export-md"),
    path("debates/<uuid:debate_id>/export.json", debate_export_json, name="debate-export-json"),
    path("debates/<uuid:debate_id>/share/", debate_share_toggle, name="debate-share"),
    path("debates/<uuid:debate_id>/public/", debate_public_toggle, name="debate-public-toggle"),
    path("debates/<uuid:debate_id>/listed/", debate_listed_toggle, name="debate-listed-toggle"),
    path("d/<uuid:debate_id>/", debate_public, name="debate-public"),
]
