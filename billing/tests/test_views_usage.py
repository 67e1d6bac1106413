"""/settings/billing/ and the dashboard's usage summary: plan, meters, charts' data, EN and TR."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Team, User
from billing.models import Plan
from billing.tests.factories import make_usage, put_on_plan

pytestmark = pytest.mark.django_db

URL = "/settings/billing/"


def personal_team(user: User) -> Team:
    return Team.objects.get(created_by=user, is_personal=True)


def html(response: Any) -> str:
    content: bytes = response.content
    return content.decode()


def progress(page: str, meter: str) -> dict[str, str]:
    match = re.search(rf'<progress id="meter-{meter}"[^>]*>', page)
    assert match, f"no progress bar for {meter}"
    return dict(re.findall(r'(\w[\w-]*)="([^"]*)"', match.group(0)))


def chart_data(page: str, element_id: str) -> dict[str, Any]:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, f"no json_script {element_id}"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.fixture
def busy_owner(owner: User) -> User:
    """The owner's personal team on Pro, with 3 debates of usage today this month."""
    team = personal_team(owner)
    put_on_plan(team, "pro")
    Plan.objects.filter(slug="pro").update(tokens_per_month=50_000)
    make_usage(team, input_tokens=10_000, output_tokens=2_345, cost_usd="1.5", calls=6)
    make_usage(team, model_key="openai:gpt-5-mini", provider="openai", input_tokens=1000,
               output_tokens=0, cost_usd="0.004", calls=1)  # fmt: skip
    make_usage(team, model_key="openai:gpt-5-mini", provider="openai", input_tokens=20,
               output_tokens=0, calls=1)  # fmt: skip
    return owner


def test_billing_page_needs_a_login(anon_client: Client) -> None:
    response = anon_client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_billing_page_shows_plan_meters_and_charts_in_english(
    busy_owner: User, owner_client: Client
) -> None:
    response = owner_client.get(URL)
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Usage and billing</h1>" in page
    assert 'data-plan="pro"' in page
    assert "$20.00 per month" in page
    assert "Up to 8 seats and 5 rebuttal rounds a debate" in page
    assert "3 debates running at once" in page
    assert 'href="/pricing/"' in page
    assert "Change plan" in page
    end = date_format(response.context["report"].resets_at, "DATE_FORMAT")
    assert f"Renews on <time>{end}</time>" in page
    # The bars carry plain numbers; the text beside them is formatted for the locale.
    assert progress(page, "debates")["max"] == "500"
    assert progress(page, "debates")["value"] == "3"
    assert (progress(page, "tokens")["max"], progress(page, "tokens")["value"]) == (
        "50000",
        "13365",
    )
    assert Decimal(progress(page, "cost")["value"]) == Decimal("1.504")
    assert "13,365 of 50,000" in page
    assert "$1.50 of $150.00" in page
    assert "27% used" in page

    by_day = chart_data(page, "usage-by-day-data")
    today = timezone.now().astimezone(UTC).date()
    assert len(by_day["labels"]) == len(by_day["values"]) == today.day
    assert by_day["values"][-1] == 13_365
    assert by_day["labels"][-1] == f"{today:%b} {today.day}"
    assert by_day["tooltips"][-1] == "13,365 tokens · $1.50 · 8 calls"
    by_model = chart_data(page, "usage-by-model-data")
    assert by_model["labels"] == ["demo:demo-sage", "openai:gpt-5-mini"]
    assert by_model["values"] == [12_345, 1_020]
    assert by_model["tooltips"][1] == "1,020 tokens · <$0.01 · 2 calls"
    assert 'data-usage-chart="usage-by-day-data"' in page
    assert 'data-usage-chart="usage-by-model-data"' in page
    # The tables behind the charts, for screen readers.
    assert 'id="usage-by-model-table"' in page
    assert '<td class="num">12,345</td>' in page
    # No inline script: only the two JSON blocks.
    assert len(re.findall(r"<script(?![^>]*src=)", page)) == 2


def test_billing_page_in_turkish_formats_numbers_for_the_locale(
    busy_owner: User, owner_client: Client
) -> None:
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    page = html(owner_client.get(URL))
    assert '<html lang="tr">' in page
    assert "Kullanım ve faturalandırma" in page
    assert "Planı değiştir" in page
    assert "aylık $20,00" in page
    assert "13.365 / 50.000" in page
    assert "1,50 $" not in page  # money keeps its $ in front
    assert "$1,50 / $150,00" in page
    assert progress(page, "tokens")["value"] == "13365"
    assert Decimal(progress(page, "cost")["value"]) == Decimal("1.504")
    by_day = chart_data(page, "usage-by-day-data")
    today = timezone.now().astimezone(UTC).date()
    assert by_day["label"] == "Token\u2019lar"
    assert by_day["labels"][-1].startswith(f"{today.day} ")
    assert by_day["tooltips"][-1] == "13.365 token · $1,50 · 8 çağrı"


def test_billing_page_free_plan_without_usage(owner_client: Client) -> None:
    page = html(owner_client.get(URL))
    assert 'data-plan="free"' in page
    assert "The quotas reset on" in page
    assert progress(page, "debates")["max"] == "20"
    assert progress(page, "debates")["value"] == "0"
    assert "No usage recorded this period yet" in page
    assert 'data-usage-chart="usage-by-model-data"' not in page
    assert 'data-usage-chart="usage-by-day-data"' in page


def test_billing_page_unlimited_limits_have_no_bar(owner: User, owner_client: Client) -> None:
    Plan.objects.filter(slug="team").update(tokens_per_month=None, cost_per_month_usd=None)
    put_on_plan(personal_team(owner), "team")
    page = html(owner_client.get(URL))
    assert 'id="meter-debates"' in page
    assert 'id="meter-tokens"' not in page
    assert 'id="meter-cost"' not in page
    assert "0 · unlimited" in page


def test_billing_page_shows_only_the_active_teams_usage(
    busy_owner: User, outsider_client: Client
) -> None:
    page = html(outsider_client.get(URL))
    assert progress(page, "debates")["value"] == "0"
    assert chart_data(page, "usage-by-day-data")["values"][-1] == 0
    assert "demo:demo-sage" not in page


def test_billing_page_renders_invoices_when_given(owner_client: Client) -> None:
    response = owner_client.get(URL)
    assert response.context["invoices"] is None
    assert 'id="invoices"' not in html(response)


def test_invoices_partial_lists_invoices() -> None:
    from django.template.loader import render_to_string

    page = render_to_string(
        "billing/partials/invoices.html",
        {
            "invoices": [
                {
                    "number": "INV-0001",
                    "date": datetime(2026, 11, 1, tzinfo=UTC),
                    "amount": "$20.00",
                    "status": "paid",
                    "hosted_invoice_url": "https://invoice.stripe.com/i/x",
                }
            ]
        },
    )
    assert 'href="https://invoice.stripe.com/i/x"' in page
    assert "INV-0001" in page
    assert "Nov. 1, 2026" in page


def test_user_menu_links_the_billing_page(owner_client: Client) -> None:
    assert 'href="/settings/billing/"' in html(owner_client.get("/dashboard/"))


def test_dashboard_usage_summary(busy_owner: User, owner_client: Client) -> None:
    response = owner_client.get("/dashboard/")
    page = html(response)
    assert "coming with billing" not in page
    assert "Usage this period" in page
    assert "Pro plan" in page
    assert progress(page, "debates")["value"] == "3"
    assert progress(page, "debates")["max"] == "500"
    assert "13,365 of 50,000" in page
    assert 'href="/settings/billing/"' in page
    assert response.context["usage"].plan.slug == "pro"


def test_dashboard_usage_summary_in_turkish(busy_owner: User, owner_client: Client) -> None:
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    page = html(owner_client.get("/dashboard/"))
    assert "Bu dönemin kullanımı" in page
    assert "Pro planı" in page
    assert "3 / 500" in page
