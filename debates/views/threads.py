"""A debate's thread on its pages: the follow-up and fork forms of a finished debate, and two
debates side by side (a fork and its original, or any two of one's debates).

Thin: parse, call one service or selector, render. A refusal (a plan limit, a bad file, a
debate that cannot be continued) escapes to consultation.middleware.AppErrorMiddleware, which
puts it on the debate's page as a message; nothing was saved.
"""

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.middleware import request_user
from accounts.models import User
from billing.limits import debate_limits_for_team
from consultation.exceptions import ValidationFailed
from debates import compare, selectors
from debates.forms_threads import FollowUpForm, ForkForm, documents_from_files
from debates.models import RATED_STATUSES, Debate, Turn
from debates.services.context import DocumentInput, document_prepare
from debates.services.threads import debate_follow_up, debate_fork, thread_of


def _form_errors(form: FollowUpForm | ForkForm) -> ValidationFailed:
    return ValidationFailed(
        fields={name: [str(error) for error in errors] for name, errors in form.errors.items()}
    )


def documents_of(request: HttpRequest) -> list[DocumentInput]:
    """The context files of a new-debate post (`documents`, any number)."""
    return documents_from_files(request.FILES.getlist("documents"))


def context_chars(request: HttpRequest) -> int:
    """For the live estimate: the characters of the readable files attached so far (a bad
    file is refused when the debate is created, not here)."""
    total = 0
    for upload in documents_of(request):
        try:
            total += len(document_prepare(upload).text)
        except ValidationFailed:
            continue
    return total


def _thread_items(debate: Debate) -> list[tuple[Debate, str]]:
    """The thread's debates, each with where it stands: "before", "current" or "after"."""
    chain = thread_of(debate=debate)
    here = next(index for index, item in enumerate(chain) if item.pk == debate.pk)
    return [
        (item, "current" if index == here else "before" if index < here else "after")
        for index, item in enumerate(chain)
    ]


def thread_context(debate: Debate, *, user: User | None) -> dict[str, Any]:
    """What the detail page shows of the debate's thread, and the forms of a finished one (for
    a signed-in viewer who may see it: a member of its team)."""
    finished_with_answer = debate.status in RATED_STATUSES and bool(debate.synthesis)
    may_continue = user is not None and debate.anonymised_at is None
    context: dict[str, Any] = {
        "thread": _thread_items(debate),
        "other_follow_ups": list(debate.follow_ups.order_by("created_at")[1:]),
        "forks": list(debate.forks.order_by("created_at")),
        "context_documents": list(debate.documents.all()),
        # A fork's copied turns were written by the original's models: named so on the page.
        "copied_models": {
            str(pk): name
            for pk, name in Turn.objects.filter(
                debate=debate, copied_from__isnull=False
            ).values_list("pk", "copied_from__seat__llm_model__display_name")
        },
        "follow_up_form": FollowUpForm() if may_continue and finished_with_answer else None,
        "fork_form": None,
    }
    if may_continue and debate.is_finished and debate.status != "cancelled":
        context["fork_form"] = ForkForm(
            debate=debate,
            models=selectors.model_list_available(),
            limits=debate_limits_for_team(team=debate.team),
        )
    return context


@login_required
@require_POST
def debate_follow_up_create(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    parent = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    form = FollowUpForm(request.POST, request.FILES)
    if not form.is_valid():
        raise _form_errors(form)
    debate = debate_follow_up(
        user=user,
        parent=parent,
        question=form.cleaned_data["question"],
        include_transcript=form.cleaned_data["include_transcript"],
        documents=documents_from_files(form.cleaned_data["documents"]),
    )
    return redirect(reverse("debate-live", args=[debate.pk]))


@login_required
@require_POST
def debate_fork_create(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    original = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    form = ForkForm(
        request.POST,
        debate=original,
        models=selectors.model_list_available(),
        limits=debate_limits_for_team(team=original.team),
    )
    if not form.is_valid():
        raise _form_errors(form)
    fork = debate_fork(user=user, original=original, **form.service_arguments())
    return redirect(reverse("debate-live", args=[fork.pk]))


def _side(debate: Debate) -> dict[str, Any]:
    return {
        "debate": debate,
        "synthesis": debate.synthesis or None,
        "scoreboard": selectors.debate_scoreboard(debate=debate),
        "seats": list(debate.seats.all()),
    }


@login_required
@require_safe
def debate_compare(request: HttpRequest, debate_id: UUID, other_id: UUID) -> HttpResponse:
    """Two debates side by side: answers, scores, and which of the chair's claims changed."""
    user = request_user(request)
    left = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    right = selectors.debate_get_for_user(user=user, debate_id=other_id)
    return render(
        request,
        "debates/compare.html",
        {
            "left": _side(left),
            "right": _side(right),
            "answer_diff": compare.claim_diff(
                compare.answer_claims(left.synthesis), compare.answer_claims(right.synthesis)
            ),
            "disagreement_diff": compare.claim_diff(
                compare.disagreement_claims(left.synthesis),
                compare.disagreement_claims(right.synthesis),
            ),
        },
    )


urlpatterns: list[URLPattern] = [
    path("debates/<uuid:debate_id>/follow-up/", debate_follow_up_create, name="debate-follow-up"),
    path("debates/<uuid:debate_id>/fork/", debate_fork_create, name="debate-fork"),
    path(
        "debates/<uuid:debate_id>/compare/<uuid:other_id>/",
        debate_compare,
        name="debate-compare",
    ),
]
