"""Buying a plan: a Stripe Checkout session for a team without a subscription, the Customer
Portal for one with a subscription (plan changes, payment method, cancelling). The plan itself
changes when Stripe's events arrive (billing.subscriptions)."""

import structlog
from django.utils.translation import gettext as _

from accounts.models import Team, User
from billing import stripe as stripe_client
from billing.models import Plan
from billing.offers import can_manage_billing, has_live_subscription, plan_price_id
from billing.services import billing_account_ensure
from consultation.exceptions import Conflict, NotFound, PermissionDenied

logger = structlog.get_logger(__name__)


def _require_manager(*, team: Team, user: User) -> None:
    if not can_manage_billing(team=team, user=user):
        raise PermissionDenied(_("Only the team's owners and admins can manage its plan."))


def checkout_session_start(
    *,
    team: Team,
    user: User,
    plan_slug: str,
    success_url: str,
    cancel_url: str,
    language: str = "",
) -> str:
    """Open a Stripe Checkout session for `team` to subscribe to a paid plan; returns the
    URL to send the browser to. A team with a live subscription changes plans in the
    Customer Portal instead (a second Checkout would bill it twice)."""
    _require_manager(team=team, user=user)
    if not stripe_client.billing_configured():
        raise stripe_client.BillingNotConfigured()
    plan = Plan.objects.filter(slug=plan_slug, is_public=True).first()
    if plan is None or not plan.price_usd:
        raise NotFound(_("There is no such plan to buy."))
    price_id = plan_price_id(plan)
    if not price_id:
        raise stripe_client.BillingNotConfigured(
            _("The %(plan)s plan has no Stripe price configured yet.") % {"plan": plan.name}
        )
    account = billing_account_ensure(team=team)
    if has_live_subscription(account):
        raise Conflict(
            _("Your team already has a subscription: change its plan under Manage billing.")
        )
    session = stripe_client.checkout_session_create(
        price_id=price_id,
        team_id=str(team.pk),
        success_url=success_url,
        cancel_url=cancel_url,
        customer_id=account.stripe_customer_id,
        customer_email="" if account.stripe_customer_id else user.email,
        language=language,
    )
    logger.info(
        "billing.checkout_started", team_id=str(team.pk), plan=plan.slug, session_id=session.id
    )
    return session.url


def portal_session_start(*, team: Team, user: User, return_url: str, language: str = "") -> str:
    """Open the Customer Portal for `team`'s Stripe customer; returns its URL."""
    _require_manager(team=team, user=user)
    if not stripe_client.billing_configured():
        raise stripe_client.BillingNotConfigured()
    account = billing_account_ensure(team=team)
    if not account.stripe_customer_id:
        raise NotFound(_("Your team has no billing account with Stripe yet."))
    return stripe_client.portal_session_create(
        customer_id=account.stripe_customer_id, return_url=return_url, language=language
    )
