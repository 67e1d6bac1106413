"""Plans in a real browser: a Free team that used its month's debates is told so in its own
language, with the way to the plans, and the pricing page lists the plans."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

# The team's month is used up: twenty reservations, as twenty debates would have left.
_USE_UP_THE_MONTH = """
import uuid
from accounts.models import Team
from billing.limits import period_for
from billing.models import QuotaReservation
team = Team.objects.get(created_by_id={user_id}, is_personal=True)
start = period_for(None).start
QuotaReservation.objects.bulk_create(
    QuotaReservation(team=team, debate_id=uuid.uuid4(), plan_slug="free", period_start=start)
    for _ in range(20)
)
print("ok")
"""


def test_the_free_plans_debate_limit_shows_the_translated_banner_with_the_pricing_link(
    page: Page, e2e_server: E2EServer
) -> None:
    user = e2e_server.create_user(locale="tr")
    e2e_server.shell(_USE_UP_THE_MONTH.format(user_id=user.id))
    log_in(page, email=user.email)
    page.goto("/debates/new/")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    # The estimate says what is left before anything runs.
    expect(page.locator(".quota-left")).to_contain_text("Free")
    page.locator("#id_question").fill("Ekibimiz bu çeyrekte trunk tabanlı geliştirmeye geçmeli mi?")
    page.locator("#debate-form button[type=submit]").click()

    banner = page.locator("[data-limit-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Free planında bu ay 20 tartışmanın 20 tanesini kullandınız.")
    link = banner.get_by_role("link", name="Planları görün")
    expect(link).to_have_attribute("href", "/pricing/")
    # The form keeps what was typed.
    expect(page.locator("#id_question")).to_have_value(re.compile("trunk tabanlı"))
    save_screenshot(page, "quota-banner-tr-desktop")

    link.click()
    expect(page).to_have_url(re.compile(r"/pricing/$"))
    expect(page.locator(".plan")).to_have_count(3)
    expect(page.locator(".plan.current")).to_contain_text("Free")
    save_screenshot(page, "pricing-tr-desktop")
