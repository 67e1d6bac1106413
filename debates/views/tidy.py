"""Readers' votes, tidying (rename, delete, star) and the per-seat view of a debate.

Thin like the other pages: parse, call one service or selector, redirect or render. A vote or
a reveal comes from the debate's page (its own, or the public link) and goes back there.
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.middleware import request_user
from accounts.models import User
from debates import selectors
from debates.models import Debate
from debates.services.tidy import (
    debate_delete,
    debate_is_starred,
    debate_rename,
    debate_star,
    may_manage,
    seat_columns,
)
from debates.services.votes import (
    debate_vote,
    debate_vote_reveal,
    seat_from_letter,
    vote_panel_for,
)
from ratings.models import VoteChoice


def _viewable(request: HttpRequest, debate_id: UUID) -> tuple[User, Debate]:
    """A signed-in user and a debate they may read: their own or their team's, or any public
    one (read-only)."""
    user = request_user(request)
    debate, _participant = selectors.debate_get_for_viewer(user=user, debate_id=debate_id)
    return user, debate


def _back(request: HttpRequest, debate: Debate) -> HttpResponse:
    """Back to the page the form was on (the debate's page or its public link)."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("debate-detail", args=[debate.pk])
    return redirect(f"{target}#vote")


@login_required
@require_POST
def debate_vote_view(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user, debate = _viewable(request, debate_id)
    choice = request.POST.get("choice", "")
    seat = None
    if choice.startswith("seat:"):
        seat, choice = seat_from_letter(debate, choice.removeprefix("seat:")), VoteChoice.SEAT
    vote, _created = debate_vote(actor=user, debate=debate, choice=choice, seat=seat)
    if vote.blind:
        messages.success(request, _("Thank you: your vote counts on the readers' board."))
    else:
        messages.success(request, _("Your vote is saved."))
    return _back(request, debate)


@login_required
@require_POST
def debate_vote_reveal_view(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user, debate = _viewable(request, debate_id)
    debate_vote_reveal(actor=user, debate_id=debate.pk)
    return _back(request, debate)


@login_required
@require_POST
def debate_rename_view(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    debate = debate_rename(actor=user, debate=debate, title=request.POST.get("title", ""))
    messages.success(
        request, _("The debate is renamed.") if debate.title else _("The title is removed.")
    )
    return redirect("debate-detail", debate_id=debate.pk)


@login_required
@require_POST
def debate_delete_view(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    debate_delete(actor=user, debate=debate)
    messages.success(request, _("The debate is deleted. Its scores still count in the ratings."))
    return redirect("debate-list")


@login_required
@require_POST
def debate_star_view(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request_user(request)
    debate = selectors.debate_get_for_user(user=user, debate_id=debate_id)
    starred = debate_star(actor=user, debate=debate, starred=request.POST.get("starred") == "1")
    if request.headers.get("HX-Request") == "true":
        return render(
            request,
            "debates/partials/star_button.html",
            {"debate": debate, "starred": starred, "next_url": request.POST.get("next", "")},
        )
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("debate-detail", debate_id=debate.pk)


@require_safe
def debate_seats(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    """One column per seat with its turns over all rounds, side by side."""
    debate, participant = selectors.debate_get_for_viewer(user=request.user, debate_id=debate_id)
    user = request.user if isinstance(request.user, User) else None
    panel = vote_panel_for(debate=debate, user=user)
    return render(
        request,
        "debates/seats.html",
        {
            "debate": debate,
            "participant": participant,
            "columns": seat_columns(debate=debate),
            "blinded": panel is not None and panel.blinded,
            "pii": selectors.debate_pii_for_viewer(debate=debate, user=user),
        },
    )


def detail_extras(*, debate: Debate, user: User | None, viewer: User | None) -> dict[str, object]:
    """What the debate's page adds for votes and tidying. `user` is the page's signed-in
    participant (None on the public link); `viewer` whoever is signed in."""
    panel = vote_panel_for(debate=debate, user=viewer)
    return {
        "vote_panel": panel,
        "blinded": panel is not None and panel.blinded,
        "can_manage": user is not None and may_manage(actor=user, debate=debate),
        "starred": user is not None and debate_is_starred(user=user, debate=debate),
    }


urlpatterns: list[URLPattern] = [
    path("debates/<uuid:debate_id>/vote/", debate_vote_view, name="debate-vote"),
    path("debates/<uuid:debate_id>/reveal/", debate_vote_reveal_view, name="debate-vote-reveal"),
    path("debates/<uuid:debate_id>/rename/", debate_rename_view, name="debate-rename"),
    path("debates/<uuid:debate_id>/delete/", debate_delete_view, name="debate-delete"),
    path("debates/<uuid:debate_id>/star/", debate_star_view, name="debate-star"),
    path("debates/<uuid:debate_id>/seats/", debate_seats, name="debate-seats"),
]
