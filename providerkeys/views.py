"""The team's provider keys page: every member sees which keys the team has and how they
fare; owners and admins add, test, replace and remove them. Thin: parse, call one service or
selector, render (AppErrors become messages in consultation.middleware)."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.middleware import request_user
from accounts.models import Membership, Team
from accounts.selectors import team_get_for_user
from consultation.exceptions import ValidationFailed
from providerkeys import selectors, services
from providerkeys.crypto import enabled
from providerkeys.forms import ProviderKeyForm
from providerkeys.models import KeyProvider
from providerkeys.probe import key_test


def _team(request: HttpRequest, team_id: UUID) -> tuple[Team, Membership]:
    return team_get_for_user(user=request_user(request), team_id=team_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def key_list(request: HttpRequest, team_id: UUID) -> HttpResponse:
    team, membership = _team(request, team_id)
    providers = selectors.allowed_providers()
    initial = {"provider": request.GET.get("provider", "")}
    form = ProviderKeyForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        providers=providers,
    )
    if request.method == "POST":
        selectors.key_manage_check(membership=membership)
        if form.is_valid():
            try:
                key = services.key_save(actor=request_user(request), team=team, **form.cleaned_data)
            except ValidationFailed as error:
                for field, errors in error.extra.get("fields", {}).items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("The %(provider)s key is saved. Test it to see that the provider accepts it.")
                    % {"provider": KeyProvider(key.provider).label},
                )
                return redirect("provider-keys", team_id=team.pk)
    return render(
        request,
        "providerkeys/list.html",
        {
            "team": team,
            "membership": membership,
            "can_manage": membership.can_manage_members,
            "keys": selectors.key_list_for_team(team=team),
            "form": form,
            "enabled": enabled(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def key_check(request: HttpRequest, team_id: UUID, provider: str) -> HttpResponse:
    team, membership = _team(request, team_id)
    selectors.key_manage_check(membership=membership)
    key = selectors.key_get(team=team, provider=provider)
    result = key_test(key=key)
    label = KeyProvider(key.provider).label
    if result.ok:
        messages.success(request, _("%(provider)s accepted the key.") % {"provider": label})
    else:
        messages.error(
            request,
            _("%(provider)s did not accept the call: %(reason)s")
            % {"provider": label, "reason": result.reason},
        )
    return redirect("provider-keys", team_id=team.pk)


@login_required
@require_POST
def key_remove(request: HttpRequest, team_id: UUID, provider: str) -> HttpResponse:
    team, membership = _team(request, team_id)
    selectors.key_manage_check(membership=membership)
    key = selectors.key_get(team=team, provider=provider)
    services.key_remove(actor=request_user(request), key=key)
    messages.success(
        request,
        _("The %(provider)s key is removed.") % {"provider": KeyProvider(provider).label},
    )
    return redirect("provider-keys", team_id=team.pk)
