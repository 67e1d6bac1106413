"""Billing's reads about buying plans: Stripe prices, who may buy, what the pricing page offers
each visitor, and the team's Stripe invoices. (The plans themselves and usage: selectors.)"""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from accounts.models import MANAGER_ROLES, Membership, Team, User
from billing import stripe as stripe_client
from billing.limits import account_for_team, default_plan, effective_plan
from billing.models import BillingAccount, Plan, SubscriptionStatus
from billing.selectors import plan_list_public

# A subscription in these states is still the team's: a new Checkout would start a second one.
LIVE_SUBSCRIPTION = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}
)


def plan_price_id(plan: Plan) -> str:
    """The Stripe price of `plan`: STRIPE_PRICE_IDS first, else the plan's own (admin)."""
    return settings.STRIPE_PRICE_IDS.get(plan.slug) or plan.stripe_price_id


def plan_for_price(price_id: str) -> Plan | None:
    """The plan sold at a Stripe price (STRIPE_PRICE_IDS first, else the plans' own ids)."""
    if not price_id:
        return None
    for slug, configured in settings.STRIPE_PRICE_IDS.items():
        if configured == price_id:
            return Plan.objects.filter(slug=slug).first()
    return Plan.objects.filter(stripe_price_id=price_id).first()


def can_manage_billing(*, team: Team, user: User) -> bool:
    """Owners and admins buy and manage the team's plan."""
    return Membership.objects.filter(team=team, user=user, role__in=MANAGER_ROLES).exists()


def has_live_subscription(account: BillingAccount | None) -> bool:
    return (
        account is not None
        and bool(account.stripe_subscription_id)
        and account.status in LIVE_SUBSCRIPTION
    )


class Offer(StrEnum):
    """What the pricing page offers a visitor for one plan."""

    SIGN_UP = "sign_up"  # anonymous: create an account first
    CURRENT = "current"  # the team is on it
    CHECKOUT = "checkout"  # buy it through Stripe Checkout
    PORTAL = "portal"  # the team has a subscription: change plans in the Customer Portal
    NOT_CONFIGURED = "not_configured"  # no Stripe keys, or no price for this plan
    ASK_MANAGER = "ask_manager"  # a member: owners and admins buy plans
    NONE = "none"  # the free plan: nothing to buy


@dataclass(frozen=True)
class PlanOffer:
    plan: Plan
    offer: Offer
    is_current: bool


@dataclass(frozen=True)
class Pricing:
    offers: list[PlanOffer]
    current_plan: Plan | None
    billing_configured: bool
    can_manage: bool
    # The team has a Stripe customer: the Customer Portal can open for it.
    portal_available: bool


def pricing_for(*, team: Team | None, user: User | None) -> Pricing:
    """The plans on the pricing page and, per plan, what the visitor can do about it."""
    configured = stripe_client.billing_configured()
    account = account_for_team(team=team) if team is not None else None
    current = effective_plan(account) if team is not None else None
    manager = team is not None and user is not None and can_manage_billing(team=team, user=user)
    subscribed = has_live_subscription(account)
    free = default_plan()
    offers = []
    for plan in plan_list_public():
        is_current = current is not None and plan.pk == current.pk
        if team is None or user is None:
            offer = Offer.SIGN_UP
        elif is_current:
            offer = Offer.CURRENT
        elif plan.pk == free.pk or not plan.price_usd:
            offer = Offer.PORTAL if subscribed and manager and configured else Offer.NONE
        elif not manager:
            offer = Offer.ASK_MANAGER
        elif not configured or not plan_price_id(plan):
            offer = Offer.NOT_CONFIGURED
        elif subscribed:
            offer = Offer.PORTAL
        else:
            offer = Offer.CHECKOUT
        offers.append(PlanOffer(plan=plan, offer=offer, is_current=is_current))
    return Pricing(
        offers=offers,
        current_plan=current,
        billing_configured=configured,
        can_manage=manager,
        portal_available=bool(
            configured and manager and account is not None and account.stripe_customer_id
        ),
    )


@dataclass(frozen=True)
class Invoices:
    items: list[stripe_client.Invoice]
    # False when Stripe could not be asked (not configured, no customer) or did not answer.
    available: bool


def invoice_list_for_team(*, team: Team) -> Invoices:
    """The team's Stripe invoices, newest first, for the usage and billing page."""
    account = account_for_team(team=team)
    if not stripe_client.billing_configured() or account is None or not account.stripe_customer_id:
        return Invoices(items=[], available=False)
    try:
        items = stripe_client.invoice_list(customer_id=account.stripe_customer_id)
    except stripe_client.BillingUnavailable:
        return Invoices(items=[], available=False)
    return Invoices(items=items, available=True)
