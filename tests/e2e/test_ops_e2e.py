"""The Ops page in a real browser: staff see the health table, the charts drawn by the ops
bundle from the page's json_script, and the circuit buttons work."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

# A day of traffic on three models: one healthy, one slow, one failing now (its breaker opens).
_SEED = """
import random
from datetime import timedelta
from django.utils import timezone
from ops.breaker import CircuitOpenError, breaker_acquire, breaker_record
from ops.health import CallSample, provider_stats_record
from ops.metrics import metric_increment

random.seed(13)
now = timezone.now()
samples = []
for hour in range(24):
    at = now - timedelta(hours=hour, minutes=random.randint(0, 50))
    for _ in range(30):
        samples.append(CallSample(
            provider="openai", model="gpt-5-mini", ok=random.random() > 0.02,
            latency_ms=random.randint(400, 1800), ttft_ms=random.randint(150, 500),
            error_code="provider_timeout", at=at))
        samples.append(CallSample(
            provider="anthropic", model="claude-sonnet-4-5",
            ok=random.random() > 0.05 + (0.3 if hour in (3, 4) else 0),
            latency_ms=random.randint(900, 6500), ttft_ms=random.randint(300, 1200),
            error_code="provider_unavailable", at=at))
provider_stats_record(samples=samples, retries={("anthropic", "claude-sonnet-4-5"): 7})
for _ in range(12):
    try:
        permit = breaker_acquire(provider="gemini", model="gemini-2.5-flash")
    except CircuitOpenError:
        break
    breaker_record(permit=permit, ok=False, latency_ms=30000, error_code="provider_timeout")
for label, amount in (("free", 14), ("pro", 2)):
    metric_increment(name="ratelimit.hit", label=label, amount=amount)
metric_increment(name="quota.exceeded", label="free", amount=5)
metric_increment(name="billing.webhook_failed", label="invoice.payment_failed", amount=1)
metric_increment(name="safety.pii_redacted", label="email", amount=9)
metric_increment(name="safety.pii_redacted", label="phone", amount=3)
metric_increment(name="safety.injection_suspected", label="logged", amount=2)
"""

_STAFF = """
from django.utils import timezone
from accounts.models import Team, User
from debates.models import Debate
from debates.services.creation import SeatInput, debate_create

User.objects.filter(email={email!r}).update(is_staff=True, is_superuser=True)
user = User.objects.get(email={email!r})
debate = debate_create(
    user=user,
    team=Team.objects.get(created_by=user, is_personal=True),
    question="Should our clinic move its records to a hosted system this year?",
    seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")],
    run_in_worker=False,
)
Debate.objects.filter(pk=debate.pk).update(
    status="failed",
    failure_reason="all_seats_failed",
    failure_detail="Seat A: provider_timeout; Seat B: circuit_open",
    finished_at=timezone.now(),
)
print(debate.pk)
"""


def test_staff_see_the_ops_page_with_charts_and_reset_a_circuit(
    page: Page, e2e_server: E2EServer
) -> None:
    staff = e2e_server.create_user()
    failed_id = e2e_server.shell(_STAFF.format(email=staff.email)).strip()
    e2e_server.shell(_SEED)
    log_in(page, email=staff.email, password=staff.password)
    page.goto("/admin/")
    page.get_by_role("link", name="Operations dashboard").click()
    expect(page).to_have_url(f"{e2e_server.url}/admin/ops/")
    expect(page.get_by_role("heading", name="Provider health")).to_be_visible()
    gemini = page.locator("tr", has_text="gemini:gemini-2.5-flash")
    expect(gemini.locator(".ops-state-open")).to_be_visible()
    # Chart.js drew both charts (a canvas it sized).
    for chart in ("#ops-error-chart", "#ops-latency-chart"):
        expect(page.locator(chart)).to_have_attribute("style", re.compile("height"))
    expect(page.locator("tr", has_text=failed_id)).to_contain_text("all_seats_failed")
    save_screenshot(page, "ops-dashboard")
    gemini.get_by_role("button", name="Reset").click()
    expect(page.locator(".messagelist")).to_contain_text("is closed")
    expect(
        page.locator("tr", has_text="gemini:gemini-2.5-flash").locator(".ops-state-closed")
    ).to_be_visible()
