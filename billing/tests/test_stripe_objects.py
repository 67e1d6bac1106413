"""Reading Stripe's objects: today's shapes (the recorded events) and the older API versions'."""

from datetime import UTC, datetime

from accounts.models import Team
from billing.stripe_objects import Subscription, invoice_subscription, object_id
from billing.tests.conftest import stripe_event

TEAM_ID = "3f9a6c2e-8b1d-4e7a-9c5f-2d8e1b4a7c60"


def recorded(name: str) -> dict[str, object]:
    team = Team(pk=TEAM_ID)
    obj: dict[str, object] = stripe_event(name, team=team)["data"]["object"]
    return obj


def test_a_subscription_of_api_2025_and_later_keeps_its_period_on_the_item() -> None:
    sub = Subscription.parse(recorded("customer_subscription_created"))
    assert (sub.id, sub.customer, sub.status) == (
        "sub_1SPq8ZLkdIwHu7ixQm4Yt2Rb",
        "cus_TJq4Xw9bLk2MzR",
        "active",
    )
    assert sub.price_id == "price_1SPq1aLkdIwHu7ixPro0Mnth"
    assert sub.period_end == datetime(2026, 12, 3, 10, 15, 42, tzinfo=UTC)
    assert (sub.cancel_at, sub.team_id) == (None, TEAM_ID)


def test_an_older_subscription_keeps_its_period_at_the_top() -> None:
    sub = Subscription.parse(
        {
            "id": "sub_old",
            "customer": {"id": "cus_old", "object": "customer"},
            "status": "trialing",
            "current_period_start": 1793700942,
            "current_period_end": 1796292942,
            "cancel_at_period_end": True,
            "items": {"data": [{"plan": {"id": "price_old"}}]},
        }
    )
    assert (sub.customer, sub.price_id) == ("cus_old", "price_old")
    # Cancelling at the period's end: the period's end is when.
    assert sub.cancel_at == sub.period_end == datetime(2026, 12, 3, 10, 15, 42, tzinfo=UTC)


def test_an_invoice_names_its_subscription_and_team() -> None:
    assert invoice_subscription(recorded("invoice_payment_failed")) == (
        "sub_1SPq8ZLkdIwHu7ixQm4Yt2Rb",
        TEAM_ID,
    )
    older = {"subscription": "sub_old", "subscription_details": {"metadata": {"team_id": "t"}}}
    assert invoice_subscription(older) == ("sub_old", "t")
    assert invoice_subscription({"customer": "cus_1"}) == ("", "")


def test_ids_expanded_or_not() -> None:
    assert object_id("cus_1") == object_id({"id": "cus_1", "object": "customer"}) == "cus_1"
    assert object_id(None) == ""
