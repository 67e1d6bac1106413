"""The pricing page's upgrade buttons, Checkout and the Customer Portal (Stripe's API replayed
from cassettes), the return pages, and the banner of a failed payment."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from accounts.selectors import active_team_for_user
from billing import stripe as stripe_client
from billing.models import BillingAccount, SubscriptionStatus
from billing.offers import invoice_list_for_team
from billing.tests.conftest import stripe_vcr
from billing.tests.factories import put_on_plan

pytestmark = pytest.mark.django_db

CUSTOMER = "cus_TJq4Xw9bLk2MzR"


def workspace(user: User) -> Team:
    team = active_team_for_user(user=user)
    assert team is not None
    return team


def page(response: Any) -> str:
    assert response.status_code == 200
    return str(response.content.decode())


def test_pricing_without_keys_disables_the_upgrade_and_says_why(owner_client: Client) -> None:
    html = page(owner_client.get("/pricing/"))
    assert html.count('<button type="button" disabled') == 2  # Pro and Team
    assert "Billing is not configured on this server, so plans cannot be bought yet." in html
    assert "/billing/checkout/" not in html
    assert "Manage billing" not in html


def test_pricing_without_keys_in_turkish(owner_client: Client) -> None:
    html = page(owner_client.get("/pricing/", HTTP_ACCEPT_LANGUAGE="tr"))
    assert "Pro planına geç" in html
    assert "Bu sunucuda faturalandırma yapılandırılmamış" in html
    assert html.count('<button type="button" disabled') == 2


def test_pricing_with_keys_offers_checkout_for_each_paid_plan(
    owner_client: Client, stripe_on: Any
) -> None:
    html = page(owner_client.get("/pricing/"))
    assert 'action="/billing/checkout/pro/"' in html
    assert 'action="/billing/checkout/team/"' in html
    assert "Upgrade to Pro" in html
    assert "disabled" not in html


def test_pricing_with_keys_but_no_price_for_a_plan_disables_that_plan(
    owner_client: Client, stripe_on: Any
) -> None:
    stripe_on.STRIPE_PRICE_IDS = {"pro": "price_1SPq1aLkdIwHu7ixPro0Mnth"}
    html = page(owner_client.get("/pricing/"))
    assert 'action="/billing/checkout/pro/"' in html
    assert 'action="/billing/checkout/team/"' not in html
    assert html.count('<button type="button" disabled') == 1


def test_pricing_for_anonymous_visitors_links_to_sign_up(anon_client: Client) -> None:
    html = page(anon_client.get("/pricing/"))
    assert html.count('href="/accounts/signup/?next=/pricing/"') == 3
    assert "/billing/checkout/" not in html


def test_pricing_for_a_member_points_to_the_owners(member: User, team: Team) -> None:
    client = Client()
    client.force_login(member)
    client.post(f"/teams/{team.pk}/switch/")
    html = page(client.get("/pricing/"))
    assert "owners and admins can change its plan" in html
    assert "/billing/checkout/" not in html


def test_a_subscribed_team_changes_plans_in_the_portal(owner: User, stripe_on: Any) -> None:
    team = workspace(owner)
    put_on_plan(team, "pro")
    BillingAccount.objects.filter(team=team).update(
        stripe_customer_id=CUSTOMER, stripe_subscription_id="sub_1SPq8ZLkdIwHu7ixQm4Yt2Rb"
    )
    client = Client()
    client.force_login(owner)
    html = page(client.get("/pricing/"))
    assert "Manage billing" in html
    assert "Switch to Team" in html
    assert "/billing/checkout/" not in html  # a second subscription would bill twice


def test_checkout_redirects_to_stripe_with_the_team_and_the_language(
    owner_client: Client, stripe_on: Any
) -> None:
    with stripe_vcr.use_cassette("checkout_session_create.yaml") as cassette:
        response = owner_client.post("/billing/checkout/pro/", HTTP_ACCEPT_LANGUAGE="tr")
    assert cassette.all_played
    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")


def test_checkout_without_keys_explains_instead_of_crashing(owner_client: Client) -> None:
    response = owner_client.post("/billing/checkout/pro/", HTTP_REFERER="/pricing/", follow=True)
    html = page(response)
    assert "Billing is not configured on this server" in html


def test_checkout_is_for_owners_and_admins(member: User, team: Team, stripe_on: Any) -> None:
    client = Client()
    client.force_login(member)
    client.post(f"/teams/{team.pk}/switch/")
    response = client.post("/billing/checkout/pro/")
    assert response.status_code == 403


def test_checkout_refuses_a_second_subscription(owner: User, stripe_on: Any) -> None:
    team = workspace(owner)
    put_on_plan(team, "pro")
    BillingAccount.objects.filter(team=team).update(stripe_subscription_id="sub_1SPq8Z")
    client = Client()
    client.force_login(owner)
    response = client.post("/billing/checkout/team/", HTTP_REFERER="/pricing/", follow=True)
    assert "already has a subscription" in page(response)


def test_portal_redirects_to_stripe(owner: User, stripe_on: Any) -> None:
    BillingAccount.objects.update_or_create(
        team=workspace(owner), defaults={"stripe_customer_id": CUSTOMER}
    )
    client = Client()
    client.force_login(owner)
    with stripe_vcr.use_cassette("portal_session_create.yaml") as cassette:
        response = client.post("/billing/portal/")
    assert cassette.all_played
    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/p/session/test_")


def test_invoices_come_from_stripe(owner: User, stripe_on: Any) -> None:
    team = workspace(owner)
    BillingAccount.objects.create(team=team, stripe_customer_id=CUSTOMER)
    with stripe_vcr.use_cassette("invoices_list.yaml") as cassette:
        invoices = invoice_list_for_team(team=team)
    assert cassette.all_played
    assert invoices.available
    assert [(i.number, i.status, i.amount_paid) for i in invoices.items] == [
        ("5C1F0A2B-0002", "paid", Decimal("20")),
        ("5C1F0A2B-0001", "paid", Decimal("20")),
    ]
    assert invoices.items[0].hosted_invoice_url.startswith("https://invoice.stripe.com/")
    assert (invoices.items[0].date.date(), invoices.items[0].amount) == (
        date(2026, 12, 3),
        Decimal("20"),
    )


def test_the_usage_page_lists_the_teams_invoices(owner: User, stripe_on: Any) -> None:
    BillingAccount.objects.create(team=workspace(owner), stripe_customer_id=CUSTOMER)
    client = Client()
    client.force_login(owner)
    with stripe_vcr.use_cassette("invoices_list.yaml") as cassette:
        response = client.get("/settings/billing/")
    assert cassette.all_played
    html = page(response)
    assert 'id="invoices"' in html
    assert "https://invoice.stripe.com/" in html


def test_invoices_without_keys_are_simply_unavailable(owner: User) -> None:
    team = workspace(owner)
    BillingAccount.objects.create(team=team, stripe_customer_id=CUSTOMER)
    assert invoice_list_for_team(team=team).available is False


def test_checkout_return_pages(owner_client: Client) -> None:
    assert "Thank you" in page(owner_client.get("/billing/checkout/done/?session_id=cs_test_1"))
    cancelled = owner_client.get("/billing/checkout/cancelled/", follow=True)
    assert "Checkout was cancelled: nothing was charged." in page(cancelled)


def _past_due(team: Team) -> None:
    put_on_plan(team, "pro", status=SubscriptionStatus.PAST_DUE)
    BillingAccount.objects.filter(team=team).update(
        stripe_customer_id=CUSTOMER, grace_until=timezone.now() + timedelta(days=5)
    )


def test_a_failed_payment_shows_a_banner_on_every_page_of_the_team(
    owner: User, stripe_on: Any
) -> None:
    _past_due(workspace(owner))
    client = Client()
    client.force_login(owner)
    for url in ("/dashboard/", "/pricing/", "/debates/"):
        html = page(client.get(url))
        assert "data-grace-banner" in html, url
        assert "last payment failed" in html
        assert 'action="/billing/portal/"' in html
    turkish = page(client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="tr"))
    assert "son ödemesi başarısız oldu" in turkish


def test_the_banner_tells_a_member_whom_to_ask(member: User, team: Team, stripe_on: Any) -> None:
    _past_due(team)
    client = Client()
    client.force_login(member)
    client.post(f"/teams/{team.pk}/switch/")
    html = page(client.get("/dashboard/"))
    assert "data-grace-banner" in html
    assert "Ask one of the team's owners or admins" in html


def test_no_banner_once_paid(owner: User, stripe_on: Any) -> None:
    team = workspace(owner)
    put_on_plan(team, "pro")
    client = Client()
    client.force_login(owner)
    assert "data-grace-banner" not in page(client.get("/dashboard/"))


def test_a_call_no_cassette_holds_never_reaches_stripe(
    owner: User, stripe_on: Any, network_guard: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard itself: without a cassette the SDK's request is refused on this machine
    (and the page degrades: no invoices)."""
    monkeypatch.setattr(stripe_client, "MAX_NETWORK_RETRIES", 0)  # no retries, no back-off
    team = workspace(owner)
    BillingAccount.objects.create(team=team, stripe_customer_id=CUSTOMER)
    assert invoice_list_for_team(team=team).available is False
    assert network_guard == ["resolve 'api.stripe.com'"]
    network_guard.clear()  # seen: the guard's own teardown check would fail the test


def test_after_the_grace_period_the_banner_says_the_plan_ended(owner: User, stripe_on: Any) -> None:
    team = workspace(owner)
    _past_due(team)
    BillingAccount.objects.filter(team=team).update(grace_until=timezone.now() - timedelta(hours=1))
    client = Client()
    client.force_login(owner)
    html = page(client.get("/dashboard/"))
    assert "so the Pro plan ended on" in html


def test_a_refusal_from_stripe_is_a_message_not_a_crash(
    owner_client: Client, stripe_on: Any
) -> None:
    stripe_on.STRIPE_PRICE_IDS = {"pro": "price_1SPq1aLkdIwHu7ixGone0Mth"}
    with stripe_vcr.use_cassette("checkout_session_price_missing.yaml") as cassette:
        response = owner_client.post(
            "/billing/checkout/pro/",
            HTTP_ACCEPT_LANGUAGE="tr",
            HTTP_REFERER="/pricing/",
            follow=True,
        )
    assert cassette.all_played
    assert "Ödeme hizmeti yanıt vermedi ya da isteği reddetti" in page(response)
