"""Analytics, privacy and the team audit log in a real browser: the analytics charts (Chart.js,
the usage page's module), the owner's audit log with a key revocation and a plan change (a
member gets 404), downloading one's data (built by the worker, e-mailed), leaving analytics,
and deleting the account. English and Turkish."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

# Finished debates of the user, as finalization leaves them: two models, the first seat the
# judges' champion, 80 s each, spread over the last days; one failed.
_DEBATES = """
import json
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from accounts.models import User
from debates.models import Debate, Seat
from debates.tests import factories
user = User.objects.get(pk={user_id})
now = timezone.now()
for back, status, category in [(0, "completed", "technology"), (1, "completed", "business"),
                               (3, "completed", "technology"), (5, "failed", "general")]:
    debate = factories.make_debate(user, status=status, category=category,
                                   question="Should we move our analytics to DuckDB?")
    first, second = Seat.objects.filter(debate=debate).select_related("llm_model")
    at = now - timedelta(days=back)
    Debate.objects.filter(pk=debate.pk).update(
        created_at=at, started_at=at, finished_at=at + timedelta(seconds=80),
        cost_usd=Decimal("0.0125"), input_tokens=4200, output_tokens=1800,
        results={{"champion": {{"model": first.llm_model.key, "seat": 0}}}},
    )
    if status == "completed":
        factories.make_judgment(debate, seat=first, total=8.2)
        factories.make_judgment(debate, seat=second, total=6.4)
print(json.dumps({{"ok": True}}))
"""

# A shared team: the owner (user) and a member; the owner has an API key to revoke.
_TEAM = """
import json
from accounts.models import MemberRole, Membership, Team, User
from accounts.services import team_create
from apikeys.tests.factories import make_key
owner = User.objects.get(pk={owner_id})
member = User.objects.get(pk={member_id})
team = team_create(actor=owner, name="Marmalade Research")
Membership.objects.create(team=team, user=member, role=MemberRole.MEMBER)
make_key(actor=owner, team=team, name="Nightly export")
print(json.dumps({{"team": str(team.pk)}}))
"""

# Stripe's customer.subscription.created (the recorded payload) applied as the webhook does,
# with the prices billing's tests record (the e2e server runs without Stripe keys).
_PLAN_CHANGE = """
import json
from pathlib import Path
from django.conf import settings
from django.test import override_settings
from billing.subscriptions import stripe_event_apply
from billing.tests.conftest import PRO_PRICE, TEAM_PRICE
path = Path(settings.BASE_DIR) / "billing/tests/stripe_events/customer_subscription_created.json"
event = json.loads(path.read_text().replace("{{team_id}}", "{team_id}"))
with override_settings(STRIPE_PRICE_IDS={{"pro": PRO_PRICE, "team": TEAM_PRICE}}):
    print(json.dumps({{"outcome": stripe_event_apply(event=event).outcome}}))
"""

_EXISTS = """
from accounts.models import User
print(User.objects.filter(pk={user_id}).exists())
"""

_PAINTED = """(canvas) => {
  const context = canvas.getContext("2d");
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted / (canvas.width * canvas.height);
}"""


def seed_debates(e2e_server: E2EServer, user: E2EUser) -> None:
    e2e_server.shell(_DEBATES.format(user_id=user.id))


def assert_drawn(page: Page, selector: str, bars: int) -> None:
    canvas = page.locator(selector)
    expect(canvas).to_have_attribute("data-chart-drawn", str(bars))
    assert canvas.evaluate(_PAINTED) > 0.005, f"{selector} is blank"


def test_analytics_page_draws_the_charts(page: Page, e2e_server: E2EServer, user: E2EUser) -> None:
    seed_debates(e2e_server, user)
    log_in(page, email=user.email)
    page.locator("nav").get_by_role("link", name="Analytics").first.click()
    expect(page).to_have_url(re.compile(r"/analytics/$"))
    expect(page.locator("[data-stat=debates]")).to_have_text("4")
    expect(page.locator("[data-stat=completion]")).to_have_text("75%")
    expect(page.locator("[data-stat=duration]")).to_have_text("1 min 20 s")
    expect(page.locator("#id_period")).to_have_value("30d")
    # The last 30 days and today, one bar each (days without a debate at zero).
    assert_drawn(page, "#analytics-activity-chart", 31)
    assert_drawn(page, "#analytics-win-rates-chart", 2)
    assert_drawn(page, "#analytics-scores-chart", 2)
    expect(page.locator("#analytics-models-table tbody tr")).to_have_count(2)
    save_screenshot(page, "analytics-en-desktop")

    # Filters: one category.
    page.locator("#id_category").select_option("technology")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-stat=debates]")).to_have_text("2")
    expect(page.locator("[data-stat=completion]")).to_have_text("100%")


def test_analytics_in_turkish_and_leaving_them(page: Page, e2e_server: E2EServer) -> None:
    user = e2e_server.create_user(display_name="Cahit Arf", locale="tr")
    seed_debates(e2e_server, user)
    log_in(page, email=user.email)
    page.goto("/analytics/")
    expect(page.get_by_role("heading", name="Analizler", level=1)).to_be_visible()
    expect(page.locator("[data-stat=completion]")).to_have_text("%75")
    assert_drawn(page, "#analytics-activity-chart", 31)
    save_screenshot(page, "analytics-tr-desktop")

    page.goto("/settings/privacy/")
    page.locator("#analytics-toggle").click()
    expect(page.locator("[data-opted-out]")).to_have_attribute("data-opted-out", "1")
    save_screenshot(page, "privacy-tr-desktop")
    page.goto("/analytics/")
    expect(page.locator("#analytics-opted-out")).to_be_visible()


def test_owner_sees_key_revocation_and_plan_change_member_gets_404(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    member = e2e_server.create_user(display_name="Grace Hopper")
    output = e2e_server.shell(_TEAM.format(owner_id=user.id, member_id=member.id))
    team_id = json.loads(output.strip().splitlines()[-1])["team"]
    e2e_server.shell(_PLAN_CHANGE.format(team_id=team_id))

    log_in(page, email=user.email)
    page.goto("/settings/api-keys/")
    row = page.locator("tr", has_text="Nightly export")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.locator(".messages")).to_contain_text("is revoked")

    page.goto(f"/teams/{team_id}/")
    page.get_by_role("link", name="See the whole audit log").click()
    log = page.locator("#audit-log")
    expect(log).to_contain_text(f"{user.email} revoked the API key “Nightly export”")
    expect(log).to_contain_text("Stripe changed the plan from Free to Pro.")
    expect(log).to_contain_text("127.0.0.1")
    expect(log.locator("tr[data-action='apikey.revoked']")).to_contain_text("HeadlessChrome")
    save_screenshot(page, "audit-log-en-desktop")

    page.locator("#id_kind").select_option("billing")
    page.get_by_role("button", name="Filter").click()
    expect(log.locator("tbody tr[data-action^='apikey']")).to_have_count(0)
    expect(log).to_contain_text("Stripe set the subscription's status from no subscription to")

    # In Turkish: the same entries as Turkish sentences.
    page.goto(f"/teams/{team_id}/audit/")
    page.locator("#language-select").select_option("tr")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("#audit-log")).to_contain_text("API anahtarını iptal etti")
    expect(page.locator("#audit-log")).to_contain_text("Stripe planı Free yerine Pro")
    save_screenshot(page, "audit-log-tr-desktop")

    # A member: the page does not exist for them.
    page.context.clear_cookies()
    log_in(page, email=member.email)
    response = page.goto(f"/teams/{team_id}/audit/")
    assert response is not None
    assert response.status == 404
    page.goto(f"/teams/{team_id}/")
    expect(page.get_by_text("Recent activity")).to_have_count(0)


def test_download_my_data_then_delete_the_account(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    seed_debates(e2e_server, user)
    log_in(page, email=user.email)
    page.get_by_text("Ada Lovelace", exact=True).click()  # the user menu
    page.locator(".menu-body").get_by_role("link", name="Privacy and your data").click()
    expect(page).to_have_url(re.compile(r"/settings/privacy/$"))
    page.locator("#export-request").click()
    expect(page.locator(".messages")).to_contain_text("We are preparing your copy")

    # The worker builds it: the page shows the link once it is ready, and a mail carries it.
    download_link = page.locator("#export-download")
    for _ in range(30):
        if download_link.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(download_link).to_be_visible()
    [mail] = e2e_server.mails_to(user.email)[-1:]
    assert "/settings/privacy/exports/" in mail.body
    save_screenshot(page, "privacy-en-desktop")
    with page.expect_download() as info:
        download_link.click()
    data = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert data["profile"]["email"] == user.email
    assert len(data["debates"]) == 4

    page.goto("/settings/privacy/delete/")
    expect(page.locator("[data-closes]")).to_have_count(1)  # the personal workspace
    save_screenshot(page, "account-delete-en-desktop")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill("not the password")
    page.locator("#account-delete-form button[type=submit]").click()
    expect(page.locator(".error")).to_contain_text("This password is not right.")

    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(user.password)
    page.locator("#account-delete-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Your account was deleted.")
    assert e2e_server.shell(_EXISTS.format(user_id=user.id)).strip() == "False"


def test_analytics_and_privacy_fit_a_phone(phone_page: Page, e2e_server: E2EServer) -> None:
    user = e2e_server.create_user(display_name="Cahit Arf", locale="tr")
    seed_debates(e2e_server, user)
    log_in(phone_page, email=user.email)
    for path, name in (
        ("/analytics/", "analytics-tr-phone"),
        ("/settings/privacy/", "privacy-tr-phone"),
    ):
        phone_page.goto(path)
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways: {width}px"
        save_screenshot(phone_page, name)
    phone_page.goto("/analytics/")
    assert_drawn(phone_page, "#analytics-win-rates-chart", 2)
