"""Billing pages: pricing (public), Stripe Checkout and Customer Portal, the Stripe webhook."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    HttpResponseServerError,
)
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from djstripe.models.webhooks import get_remote_ip

from accounts.middleware import request_team, request_workspace
from accounts.models import User
from billing.checkout import checkout_session_start, portal_session_start
from billing.limits import plan_for_team
from billing.offers import pricing_for
from billing.webhooks import webhook_configured, webhook_receive


def _absolute(name: str) -> str:
    return f"{settings.SITE_URL}{reverse(name)}"


@require_safe
def pricing(request: HttpRequest) -> HttpResponse:
    """The plans and their limits, from the database; per plan, what the visitor can do."""
    team = request_team(request)
    user = request.user if isinstance(request.user, User) else None
    return render(request, "billing/pricing.html", {"pricing": pricing_for(team=team, user=user)})


@login_required
@require_POST
def checkout(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the team's owner or admin to Stripe Checkout for the plan `slug`."""
    user, team = request_workspace(request)
    url = checkout_session_start(
        team=team,
        user=user,
        plan_slug=slug,
        # Stripe fills in {CHECKOUT_SESSION_ID}.
        success_url=_absolute("billing:checkout-done") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=_absolute("billing:checkout-cancelled"),
        language=get_language() or "",
    )
    return HttpResponseRedirect(url, status=303)


@login_required
@require_safe
def checkout_done(request: HttpRequest) -> HttpResponse:
    """Back from Checkout: the plan changes when Stripe's webhook arrives (seconds)."""
    _user, team = request_workspace(request)
    return render(request, "billing/checkout_done.html", {"plan": plan_for_team(team=team)})


@login_required
@require_safe
def checkout_cancelled(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Checkout was cancelled: nothing was charged."))
    return redirect("billing:pricing")


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    """Send the team's owner or admin to Stripe's Customer Portal."""
    user, team = request_workspace(request)
    url = portal_session_start(
        team=team,
        user=user,
        return_url=_absolute("billing:usage"),
        language=get_language() or "",
    )
    return HttpResponseRedirect(url, status=303)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook: recorded, verified with STRIPE_WEBHOOK_SECRET, applied once."""
    if not webhook_configured():
        return HttpResponseBadRequest(b"Stripe webhooks are not configured.")
    if "stripe-signature" not in request.headers and settings.STRIPE_WEBHOOK_VERIFY:
        return HttpResponseBadRequest(b"Missing Stripe-Signature.")  # not even recorded
    delivery = webhook_receive(
        body=request.body.decode("utf-8", errors="replace"),
        headers=request.headers,
        remote_ip=get_remote_ip(request),
    )
    if not delivery.valid:
        return HttpResponseBadRequest(b"Invalid signature.")
    if delivery.failed:
        return HttpResponseServerError(b"The event could not be applied; deliver it again.")
    return HttpResponse(str(delivery.trigger_id))


app_name = "billing"
urlpatterns: list[URLPattern] = [
    path("pricing/", pricing, name="pricing"),
    path("billing/checkout/done/", checkout_done, name="checkout-done"),
    path("billing/checkout/cancelled/", checkout_cancelled, name="checkout-cancelled"),
    path("billing/checkout/<slug:slug>/", checkout, name="checkout"),
    path("billing/portal/", portal, name="portal"),
    path("stripe/webhook/", stripe_webhook, name="stripe-webhook"),
]
