"""The "API access" settings page: a team's keys, creating one (shown once) and revoking.

Thin: parse, call one service or selector, render. AppErrors become messages
(consultation.middleware).
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.middleware import request_workspace
from accounts.models import MANAGER_ROLES
from accounts.selectors import membership_get
from apikeys import services
from apikeys.forms import APIKeyForm
from apikeys.selectors import apikey_get_for_team, apikey_list_for_team
from apikeys.services import CreatedKey


@login_required
@never_cache  # the one response that holds a new key must not be stored anywhere
@require_http_methods(["GET", "HEAD", "POST"])
def apikey_list(request: HttpRequest) -> HttpResponse:
    user, team = request_workspace(request)
    can_manage = membership_get(team=team, user=user).role in MANAGER_ROLES
    form = APIKeyForm(request.POST if request.method == "POST" else None)
    created: CreatedKey | None = None
    if request.method == "POST" and form.is_valid():
        created = services.apikey_create(
            actor=user,
            team=team,
            name=form.cleaned_data["name"],
            scopes=list(form.cleaned_data["scopes"]),
            expires_at=form.expires_at(),
            rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
        )
        form = APIKeyForm()
    now = timezone.now()
    keys = [(key, key.status_at(now)) for key in apikey_list_for_team(team=team)]
    return render(
        request,
        "apikeys/list.html",
        {"team": team, "keys": keys, "form": form, "created": created, "can_manage": can_manage},
    )


@login_required
@require_POST
def apikey_revoke(request: HttpRequest, key_id: UUID) -> HttpResponse:
    user, team = request_workspace(request)
    api_key = services.apikey_revoke(
        actor=user, api_key=apikey_get_for_team(team=team, key_id=key_id)
    )
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("apikey-list")
