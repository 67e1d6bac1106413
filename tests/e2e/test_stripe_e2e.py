"""Billing in a real browser (the e2e server runs without Stripe keys): the pricing page's
disabled upgrade, in English and Turkish, and the banner a failed payment puts on every page of
the team; screenshots for reviewers."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

_PAST_DUE = """
from datetime import timedelta
from django.utils import timezone
from accounts.selectors import active_team_for_user
from accounts.models import User
from billing.models import BillingAccount, Plan, SubscriptionStatus
team = active_team_for_user(user=User.objects.get(pk={user_id}))
BillingAccount.objects.update_or_create(team=team, defaults=dict(
    plan=Plan.objects.get(slug="pro"), status=SubscriptionStatus.PAST_DUE,
    stripe_customer_id="cus_TJq4Xw9bLk2MzR", grace_until=timezone.now() + timedelta(days=6)))
print("ok")
"""


def test_pricing_without_stripe_keys_explains_the_disabled_upgrade(
    page: Page, user: E2EUser
) -> None:
    log_in(page, email=user.email)
    page.goto("/pricing/")
    pro = page.locator("section.plan", has=page.get_by_role("heading", name="Pro"))
    button = pro.get_by_role("button", name="Upgrade to Pro")
    expect(button).to_be_disabled()
    expect(pro.get_by_text("Billing is not configured on this server")).to_be_visible()
    expect(page.locator("section.plan.current")).to_contain_text("Your plan")
    save_screenshot(page, "billing-pricing-no-keys")


def test_pricing_in_turkish(page: Page, e2e_server: E2EServer) -> None:
    user = e2e_server.create_user(locale="tr")
    log_in(page, email=user.email)
    page.goto("/pricing/")
    expect(page.get_by_role("button", name="Pro planına geç")).to_be_disabled()
    expect(page.get_by_text("Bu sunucuda faturalandırma yapılandırılmamış").first).to_be_visible()
    save_screenshot(page, "billing-pricing-no-keys-tr")


def test_a_failed_payment_puts_a_banner_on_every_page(
    page: Page, user: E2EUser, e2e_server: E2EServer
) -> None:
    e2e_server.shell(_PAST_DUE.format(user_id=user.id))
    log_in(page, email=user.email)
    banner = page.locator("[data-grace-banner]")
    expect(banner).to_contain_text("Your team's last payment failed. The Pro plan stays on")
    save_screenshot(page, "billing-grace-banner-dashboard")
    for path in ("/debates/", "/pricing/"):
        page.goto(path)
        expect(banner).to_be_visible()
