"""The Evaluate page of the active team, an evaluation's progress, its report and exports.

Thin: parse, call one service or selector, render. AppErrors (a plan limit, a quota) become
pages or messages in consultation.middleware.AppErrorMiddleware.
"""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.middleware import request_user, request_workspace
from billing.limits import exports_check, quota_status
from consultation.exceptions import ValidationFailed
from debates.presets import PRESETS
from evals import selectors
from evals.forms import EvaluationForm
from evals.report import chart_data, demo_notice, localized, report_markdown
from evals.services import evaluation_cancel, evaluation_create, panel_from_spec


def _report_url(evaluation_id: UUID) -> str:
    return reverse("eval-report", args=[evaluation_id])


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request: HttpRequest) -> HttpResponse:
    user, team = request_workspace(request)
    form = EvaluationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            seats, rounds, preset = panel_from_spec(form.panel_spec, rounds=data.get("rounds"))
            evaluation = evaluation_create(
                user=user,
                team=team,
                name=form.dataset_name,
                questions=data["questions"],
                seats=seats,
                rounds=rounds,
                preset=preset,
                max_samples=data.get("max_samples"),
            )
        except ValidationFailed as exc:
            for messages_ in exc.extra.get("fields", {}).values():
                for message in messages_:
                    form.add_error("preset", message)
        else:
            return redirect("eval-detail", evaluation_id=evaluation.pk)
    return render(
        request,
        "evals/evaluate.html",
        {
            "form": form,
            "team": team,
            "presets": PRESETS,
            "evaluations": selectors.evaluation_list_for_team(team=team),
            "quota": quota_status(team=team),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def evaluation_detail(request: HttpRequest, evaluation_id: UUID) -> HttpResponse:
    """The progress while it runs; the report once it has finished."""
    evaluation = selectors.evaluation_get_for_user(
        user=request_user(request), evaluation_id=evaluation_id
    )
    if evaluation.is_finished:
        return redirect(_report_url(evaluation.pk))
    return render(
        request,
        "evals/progress.html",
        {
            "evaluation": evaluation,
            "progress": selectors.evaluation_progress(evaluation=evaluation),
        },
    )


@login_required
@require_safe
def evaluation_progress(request: HttpRequest, evaluation_id: UUID) -> HttpResponse:
    """The progress fragment htmx polls; once finished it sends the browser to the report."""
    evaluation = selectors.evaluation_get_for_user(
        user=request_user(request), evaluation_id=evaluation_id
    )
    response = render(
        request,
        "evals/partials/progress.html",
        {
            "evaluation": evaluation,
            "progress": selectors.evaluation_progress(evaluation=evaluation),
        },
    )
    if evaluation.is_finished:
        response["HX-Redirect"] = _report_url(evaluation.pk)
    return response


@login_required
@require_POST
def evaluation_cancel_view(request: HttpRequest, evaluation_id: UUID) -> HttpResponse:
    user = request_user(request)
    evaluation = selectors.evaluation_get_for_user(user=user, evaluation_id=evaluation_id)
    evaluation_cancel(evaluation=evaluation, user=user)
    return redirect("eval-detail", evaluation_id=evaluation.pk)


@login_required
@require_safe
def evaluation_report(request: HttpRequest, evaluation_id: UUID) -> HttpResponse:
    evaluation = selectors.evaluation_get_for_user(
        user=request_user(request), evaluation_id=evaluation_id
    )
    if not evaluation.is_finished:
        return redirect("eval-detail", evaluation_id=evaluation.pk)
    report = localized(evaluation.report)
    labels = {arm["key"]: arm["label"] for arm in report.get("arms", [])}
    return render(
        request,
        "evals/report.html",
        {
            "evaluation": evaluation,
            "report": report,
            "labels": labels,
            "comparisons": [
                {**c, "a_label": labels.get(c["a"], c["a"]), "b_label": labels.get(c["b"], c["b"])}
                for c in report.get("comparisons", [])
            ],
            "question_rows": [
                (q, [q["answers"].get(arm["key"]) for arm in report.get("arms", [])])
                for q in report.get("questions", [])
            ],
            "chart": chart_data(report),
            "demo_notice": demo_notice(),
            "progress": selectors.evaluation_progress(evaluation=evaluation),
        },
    )


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_safe
def evaluation_export_json(request: HttpRequest, evaluation_id: UUID) -> HttpResponse:
    evaluation = selectors.evaluation_get_for_user(
        user=request_user(request), evaluation_id=evaluation_id
    )
    exports_check(team=evaluation.team)
    body = json.dumps(evaluation.report, indent=2, ensure_ascii=False)
    return _attachment(
        HttpResponse(body, content_type="application/json"), f"evaluation-{evaluation.pk}.json"
    )


@login_required
@require_safe
def evaluation_export_markdown(request: HttpRequest, evaluation_id: UUID) -> HttpResponse:
    evaluation = selectors.evaluation_get_for_user(
        user=request_user(request), evaluation_id=evaluation_id
    )
    exports_check(team=evaluation.team)
    return _attachment(
        HttpResponse(
            report_markdown(localized(evaluation.report)),
            content_type="text/markdown; charset=utf-8",
        ),
        f"evaluation-{evaluation.pk}.md",
    )


urlpatterns: list[URLPattern] = [
    path("evaluate/", evaluate, name="evaluate"),
    path("evaluate/<uuid:evaluation_id>/", evaluation_detail, name="eval-detail"),
    path("evaluate/<uuid:evaluation_id>/progress/", evaluation_progress, name="eval-progress"),
    path("evaluate/<uuid:evaluation_id>/cancel/", evaluation_cancel_view, name="eval-cancel"),
    path("evaluate/<uuid:evaluation_id>/report/", evaluation_report, name="eval-report"),
    path(
        "evaluate/<uuid:evaluation_id>/report.json",
        evaluation_export_json,
        name="eval-export-json",
    ),
    path(
        "evaluate/<uuid:evaluation_id>/report.md",
        evaluation_export_markdown,
        name="eval-export-markdown",
    ),
]
