"""The one client module for Stripe: every call billing makes to Stripe's API goes through here.

Services call these functions; nothing else imports the `stripe` SDK (dj-stripe verifies the
webhooks' signatures itself). Each function returns plain values, never SDK objects, and turns
Stripe's failures into `BillingUnavailable`. Tests replay recorded HTTP (billing/tests/cassettes).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe
import structlog
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consultation.exceptions import AppError

logger = structlog.get_logger(__name__)

# Stripe retries an idempotent POST (the SDK adds the idempotency key) on network errors.
MAX_NETWORK_RETRIES = 2
# Checkout and the portal speak these of our languages; anything else lets Stripe choose.
STRIPE_LOCALES = frozenset({"en", "tr"})


class BillingNotConfigured(AppError):
    code = "billing_not_configured"
    status = 503
    default_detail = _("Billing is not configured on this server, so plans cannot be bought yet.")


class BillingUnavailable(AppError):
    code = "billing_unavailable"
    status = 502
    default_detail = _(
        "The payment service did not answer or refused the request. Please try again later: "
        "the problem has been logged."
    )


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    status: str
    currency: str
    amount_due: Decimal
    amount_paid: Decimal
    created: datetime
    hosted_invoice_url: str
    invoice_pdf: str

    # The names templates/billing/partials/invoices.html (the usage page) reads.
    @property
    def date(self) -> datetime:
        return self.created

    @property
    def amount(self) -> Decimal:
        return self.amount_due


def billing_configured() -> bool:
    """Whether this server can talk to Stripe at all (a secret key is set)."""
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    if not billing_configured():
        raise BillingNotConfigured()
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=MAX_NETWORK_RETRIES)


def _failed(call: str, error: stripe.StripeError) -> BillingUnavailable:
    logger.warning(
        "billing.stripe_failed",
        call=call,
        error=type(error).__name__,
        http_status=error.http_status,
        stripe_code=error.code,
        request_id=error.request_id,
    )
    return BillingUnavailable()


def _locale(language: str) -> str:
    return language if language in STRIPE_LOCALES else "auto"


def checkout_session_create(
    *,
    price_id: str,
    team_id: str,
    success_url: str,
    cancel_url: str,
    customer_id: str = "",
    customer_email: str = "",
    language: str = "",
) -> CheckoutSession:
    """A Checkout Session (subscription mode) for one seat of `price_id`. The team's id
    travels as the session's client_reference_id and in the session's and the future
    subscription's metadata, so every webhook about it finds the team."""
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": team_id,
        "metadata": {"team_id": team_id},
        "subscription_data": {"metadata": {"team_id": team_id}},
        "locale": _locale(language),
        "allow_promotion_codes": True,
    }
    if customer_id:
        params["customer"] = customer_id
    elif customer_email:
        params["customer_email"] = customer_email
    try:
        session = _client().v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    except stripe.StripeError as error:
        raise _failed("checkout.sessions.create", error) from error
    return CheckoutSession(id=session.id, url=session.url or "")


def portal_session_create(*, customer_id: str, return_url: str, language: str = "") -> str:
    """The URL of a Customer Portal session, where the team changes plan, payment method or
    cancels (configured in Stripe's dashboard)."""
    params: dict[str, Any] = {
        "customer": customer_id,
        "return_url": return_url,
        "locale": _locale(language),
    }
    try:
        session = _client().v1.billing_portal.sessions.create(params=params)  # type: ignore[arg-type]
    except stripe.StripeError as error:
        raise _failed("billing_portal.sessions.create", error) from error
    return session.url


def _cents(amount: int | None, currency: str) -> Decimal:
    # Zero-decimal currencies (JPY, KRW...) never reach us: our prices are in USD.
    return Decimal(amount or 0) / 100


def invoice_list(*, customer_id: str, limit: int = 12) -> list[Invoice]:
    """The customer's latest invoices, newest first."""
    try:
        page = _client().v1.invoices.list(params={"customer": customer_id, "limit": limit})
    except stripe.StripeError as error:
        raise _failed("invoices.list", error) from error
    return [
        Invoice(
            id=invoice.id or "",
            number=invoice.number or "",
            status=invoice.status or "",
            currency=invoice.currency,
            amount_due=_cents(invoice.amount_due, invoice.currency),
            amount_paid=_cents(invoice.amount_paid, invoice.currency),
            created=datetime.fromtimestamp(invoice.created, tz=UTC),
            hosted_invoice_url=invoice.hosted_invoice_url or "",
            invoice_pdf=invoice.invoice_pdf or "",
        )
        for invoice in page.data
    ]


def subscription_retrieve(*, subscription_id: str) -> Mapping[str, Any]:
    """A subscription as Stripe's JSON (the shape webhooks carry), for the services' parser."""
    try:
        subscription = _client().v1.subscriptions.retrieve(subscription_id)
    except stripe.StripeError as error:
        raise _failed("subscriptions.retrieve", error) from error
    return subscription.to_dict()


def subscription_cancel_at_period_end(*, subscription_id: str) -> Mapping[str, Any]:
    """Ask Stripe to end a subscription when the period paid for ends (no refund, no renewal).
    Stripe then sends customer.subscription.updated, which schedules the move to the default
    plan (billing.subscriptions). Idempotent: asking twice changes nothing more."""
    try:
        subscription = _client().v1.subscriptions.update(
            subscription_id, {"cancel_at_period_end": True}
        )
    except stripe.StripeError as error:
        raise _failed("subscriptions.update", error) from error
    return subscription.to_dict()
