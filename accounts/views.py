"""Account, profile and team pages. Thin: parse, call one service or selector, render.

AppErrors raised by services are turned into messages by consultation.middleware.
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services
from accounts.forms import (
    AuditFilterForm,
    InvitationForm,
    LanguageForm,
    ProfileForm,
    RoleForm,
    TeamForm,
)
from accounts.i18n import remember_language
from accounts.middleware import request_user, request_workspace
from accounts.models import User
from consultation.exceptions import ValidationFailed


def _posted(request: HttpRequest) -> QueryDict | None:
    """Form data of a POST (even an empty one, so it is validated), None otherwise."""
    return request.POST if request.method == "POST" else None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user, _team = request_workspace(request)
    form = ProfileForm(_posted(request), instance=user.profile)
    if request.method == "POST" and form.is_valid():
        services.profile_update(actor=user, **form.cleaned_data)
        messages.success(request, _("Profile saved."))
        response = redirect("profile-edit")
        remember_language(response, form.cleaned_data["locale"])
        return response
    return render(request, "accounts/profile_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = TeamForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        team = services.team_create(actor=user, name=form.cleaned_data["name"])
        messages.success(
            request, _("Team “%(name)s” created. You are working in it now.") % {"name": team.name}
        )
        return redirect("team-detail", team_id=team.pk)
    return render(
        request,
        "accounts/team_list.html",
        {"teams": selectors.team_list_for_user(user=user), "form": form},
    )


@login_required
@require_safe
def team_detail(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team, membership = selectors.team_get_for_user(user=request_user(request), team_id=team_id)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "membership": membership,
            "members": selectors.team_members(team=team),
            "invitations": selectors.invitation_list_open(team=team),
            "invite_form": InvitationForm(),
            "role_form": RoleForm(),
            # The activity is the team's security record: owners and admins only.
            "audit_entries": (
                selectors.audit_list_for_team(team=team, limit=10)
                if membership.can_manage_members
                else []
            ),
        },
    )


@login_required
@require_safe
def team_audit(request: HttpRequest, team_id: UUID) -> HttpResponse:
    """The team's audit log, for its owners and admins (404 for anyone else), filtered by
    kind of action, member and period."""
    team, membership = selectors.team_get_for_manager(user=request_user(request), team_id=team_id)
    members = selectors.team_members(team=team)
    form = AuditFilterForm(
        request.GET or None, members=[(m.user_id, m.user.email) for m in members]
    )
    filters = form.filters() if request.GET else selectors.AuditFilters()
    page = selectors.audit_page_for_team(
        team=team, filters=filters, page=_page_number(request.GET.get("page"))
    )
    return render(
        request,
        "accounts/team_audit.html",
        {
            "team": team,
            "membership": membership,
            "form": form,
            "page": page,
        },
    )


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() else 1


def _invalid(form: InvitationForm | RoleForm | LanguageForm) -> ValidationFailed:
    return ValidationFailed(
        fields={name: [str(e) for e in errors] for name, errors in form.errors.items()}
    )


@login_required
@require_POST
def team_invite(request: HttpRequest, team_id: UUID) -> HttpResponse:
    user = request_user(request)
    team, _membership = selectors.team_get_for_user(user=user, team_id=team_id)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        raise _invalid(form)
    invitation = services.invitation_create(
        actor=user, team=team, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
    )
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    return redirect("team-detail", team_id=team.pk)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, team_id: UUID, invitation_id: UUID) -> HttpResponse:
    user = request_user(request)
    team, _membership = selectors.team_get_for_user(user=user, team_id=team_id)
    invitation = selectors.invitation_get(team=team, invitation_id=invitation_id)
    services.invitation_revoke(actor=user, invitation=invitation)
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("team-detail", team_id=team.pk)


@login_required
@require_POST
def member_role(request: HttpRequest, team_id: UUID, membership_id: int) -> HttpResponse:
    user = request_user(request)
    team, _membership = selectors.team_get_for_user(user=user, team_id=team_id)
    member = selectors.member_get(team=team, membership_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        raise _invalid(form)
    services.membership_change_role(actor=user, membership=member, role=form.cleaned_data["role"])
    messages.success(request, _("Role of %(email)s changed.") % {"email": member.user.email})
    return redirect("team-detail", team_id=team.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, team_id: UUID, membership_id: int) -> HttpResponse:
    user = request_user(request)
    team, _membership = selectors.team_get_for_user(user=user, team_id=team_id)
    member = selectors.member_get(team=team, membership_id=membership_id)
    services.membership_remove(actor=user, membership=member)
    if member.user_id == user.pk:
        messages.success(request, _("You left %(team)s.") % {"team": team.name})
        return redirect("team-list")
    messages.success(request, _("%(email)s was removed.") % {"email": member.user.email})
    return redirect("team-detail", team_id=team.pk)


@login_required
@require_POST
def team_switch(request: HttpRequest, team_id: UUID) -> HttpResponse:
    user = request_user(request)
    team, _membership = selectors.team_get_for_user(user=user, team_id=team_id)
    services.team_switch(user=user, team=team)
    messages.success(request, _("You are working in %(team)s now.") % {"team": team.name})
    return _redirect_next(request, fallback=reverse("dashboard"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_get_by_token(token=token)
    if request.method == "POST":
        membership = services.invitation_accept(user=request_user(request), token=token)
        messages.success(request, _("Welcome to %(team)s.") % {"team": membership.team.name})
        return redirect("team-detail", team_id=membership.team.pk)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Set the interface language: a cookie for everyone, the profile for signed-in users."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        raise _invalid(form)
    user = request.user if request.user.is_authenticated else None
    language = services.language_set(
        user=user if isinstance(user, User) else None, language=form.cleaned_data["language"]
    )
    # Only the cookie (and the profile) carry the choice: the next request renders in it.
    response = _redirect_next(request, fallback="/")
    remember_language(response, language)
    return response


def _redirect_next(request: HttpRequest, *, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.headers.get("referer") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return HttpResponseRedirect(target)
