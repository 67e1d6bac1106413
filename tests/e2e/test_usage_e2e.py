"""The usage and billing page in a real browser: the quota bars, and Chart.js drawing the
charts by day and by model (desktop and phone, English and Turkish, light and dark)."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

# Usage as finalization records it, on every day of this period so far (three models), for
# the user's personal team: billing.tests.factories.make_usage writes the UsageRecord and
# settles the debate's quota reservation.
_USAGE = """
import json
import uuid
from datetime import timedelta
from django.utils import timezone
from accounts.models import Team
from billing.selectors import period_days, usage_summary_for_team
from billing.tests.factories import make_usage
team = Team.objects.get(created_by_id={user_id}, is_personal=True)
now = timezone.now()
first, last = period_days(usage_summary_for_team(team=team).period, now=now)
days = (last - first).days
for back in range(days + 1):  # one debate a day, of two or three models
    at, debate = now - timedelta(days=back), uuid.uuid4()
    make_usage(team, at=at, debate_id=debate, input_tokens=4000 + 900 * (back % 5),
               output_tokens=1500, cost_usd="0.012", calls=5)
    if back % 2 == 0:
        make_usage(team, at=at, debate_id=debate, model_key="demo:demo-skeptic",
                   input_tokens=2500, output_tokens=800, calls=3)
    if back == 0:
        make_usage(team, at=at, debate_id=debate, model_key="demo:demo-scout",
                   input_tokens=1200, output_tokens=300)
print(json.dumps({{"days": days + 1}}))
"""

# How much of a canvas is painted: the share of pixels that are not transparent.
_PAINTED = """(canvas) => {
  const context = canvas.getContext("2d");
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted / (canvas.width * canvas.height);
}"""


def record_usage(e2e_server: E2EServer, user: E2EUser) -> int:
    """Usage on every day of the period so far; the number of days."""
    output = e2e_server.shell(_USAGE.format(user_id=user.id))
    return int(json.loads(output.strip().splitlines()[-1])["days"])


@pytest.fixture
def usage_user(e2e_server: E2EServer, user: E2EUser) -> tuple[E2EUser, int]:
    return user, record_usage(e2e_server, user)


@pytest.fixture
def turkish_usage_user(e2e_server: E2EServer) -> tuple[E2EUser, int]:
    # Logging in applies the profile's language, so the account itself is Turkish.
    user = e2e_server.create_user(display_name="Cahit Arf", locale="tr")
    return user, record_usage(e2e_server, user)


def assert_charts_drawn(page: Page, days: int) -> None:
    by_day = page.locator("#usage-by-day-chart")
    by_model = page.locator("#usage-by-model-chart")
    # frontend/usage.ts marks each canvas after Chart.js rendered it: the number of bars.
    expect(by_day).to_have_attribute("data-chart-drawn", str(days))
    expect(by_model).to_have_attribute("data-chart-drawn", "3")
    for canvas in (by_day, by_model):
        assert canvas.evaluate(_PAINTED) > 0.01, "the canvas is blank"


def test_billing_page_draws_the_usage_charts(page: Page, usage_user: tuple[E2EUser, int]) -> None:
    user, days = usage_user
    log_in(page, email=user.email)
    page.get_by_text("Ada Lovelace", exact=True).click()  # the user menu
    page.locator(".menu-body").get_by_role("link", name="Usage and billing").click()
    expect(page).to_have_url(re.compile(r"/settings/billing/$"))
    expect(page.get_by_role("heading", name="Usage and billing", level=1)).to_be_visible()
    expect(page.locator("[data-plan]").first).to_have_text("Free")

    debates = page.locator("#meter-debates")
    expect(debates).to_have_attribute("max", "20")
    expect(debates).to_have_attribute("value", str(days))
    expect(page.locator("[data-meter=debates] .meter-figures")).to_contain_text(f"{days} of 20")

    assert_charts_drawn(page, days)
    # The text alternative: each day and each model in a table.
    page.get_by_text("Show the figures as a table").first.click()
    expect(page.locator("#usage-by-day-table tbody tr")).to_have_count(days)
    expect(page.locator("#usage-by-model-table tbody tr")).to_have_count(3)
    expect(page.locator("#usage-by-day-chart")).to_have_attribute("role", "img")
    save_screenshot(page, "usage-billing-en-desktop")

    # Dark colour scheme: the charts repaint in the theme's colours.
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(
        "() => getComputedStyle(document.body).backgroundColor === 'rgb(17, 19, 26)'"
    )
    assert_charts_drawn(page, days)
    save_screenshot(page, "usage-billing-en-dark")

    page.emulate_media(color_scheme="light")
    page.goto("/dashboard/")
    expect(page.locator("#meter-debates")).to_have_attribute("value", str(days))
    expect(page.get_by_role("link", name="Usage and billing").last).to_be_visible()
    save_screenshot(page, "usage-dashboard-en-desktop")


def test_billing_page_in_turkish_on_a_phone(
    phone_page: Page, turkish_usage_user: tuple[E2EUser, int]
) -> None:
    user, days = turkish_usage_user
    log_in(phone_page, email=user.email)
    phone_page.goto("/settings/billing/")
    expect(
        phone_page.get_by_role("heading", name="Kullanım ve faturalandırma", level=1)
    ).to_be_visible()
    expect(phone_page.locator("[data-meter=debates] .meter-figures")).to_contain_text(
        f"{days} / 20"
    )
    assert_charts_drawn(phone_page, days)
    # Nothing wider than the phone's screen.
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    save_screenshot(phone_page, "usage-billing-tr-phone")
    phone_page.goto("/dashboard/")
    expect(phone_page.get_by_text("Bu dönemin kullanımı")).to_be_visible()
    save_screenshot(phone_page, "usage-dashboard-tr-phone")


# A debate through the real flow: debate_create (reserves quota), the pipeline with the demo
# provider unpaced in this helper process, finalization (writes the UsageRecords, settles).
_REAL_DEBATE = """
import json
from asgiref.sync import async_to_sync
from django.conf import settings
from accounts.models import User
from accounts.selectors import active_team_for_user
from billing.models import UsageRecord
from debates.services.running import debate_run
from debates.services.creation import SeatInput, debate_create
settings.DEMO_TOKENS_PER_SECOND = 0
user = User.objects.get(pk={user_id})
debate = debate_create(
    user=user, team=active_team_for_user(user=user),
    question="Should a small library lend out tools as well as books?",
    seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")],
    rounds=1, run_in_worker=False,
)
async_to_sync(debate_run)(debate.pk)
records = UsageRecord.objects.filter(debate_id=debate.pk)
print(json.dumps({{"models": records.count(),
                   "tokens": sum(r.input_tokens + r.output_tokens for r in records)}}))
"""


def test_a_finished_debate_shows_on_the_billing_page(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    output = e2e_server.shell(_REAL_DEBATE.format(user_id=user.id), timeout=120)
    recorded = json.loads(output.strip().splitlines()[-1])
    assert recorded["models"] >= 2
    assert recorded["tokens"] > 0

    log_in(page, email=user.email)
    page.goto("/settings/billing/")
    expect(page.locator("#meter-debates")).to_have_attribute("value", "1")
    expect(page.locator("#meter-tokens")).to_have_attribute("value", str(recorded["tokens"]))
    expect(page.locator("#usage-by-model-chart")).to_have_attribute(
        "data-chart-drawn", str(recorded["models"])
    )
    page.get_by_text("Show the figures as a table").last.click()
    expect(page.locator("#usage-by-model-table")).to_contain_text("demo:demo-sage")
