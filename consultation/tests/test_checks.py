"""Every settings check fails `manage.py check` on the combination it guards, and only on it."""

from io import StringIO

import pytest
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

# dj-stripe's own check reads its WebhookEndpoint table, so `check` needs the test database.
pytestmark = pytest.mark.django_db


def run_check_command() -> None:
    call_command("check", stdout=StringIO(), stderr=StringIO())


def check_ids() -> list[str]:
    return [message.id or "" for message in run_checks() if message.level >= Error.level]


def test_checks_default_test_settings_report_nothing() -> None:
    assert run_checks() == []
    run_check_command()


# --- E001 / E002: Stripe webhook verification -----------------------------------------------


@override_settings(
    STRIPE_WEBHOOK_VERIFY=True, STRIPE_SECRET_KEY="sk_test_123", STRIPE_WEBHOOK_SECRET=""
)
def test_check_stripe_webhook_fails_when_verifying_without_a_secret() -> None:
    with pytest.raises(SystemCheckError, match=r"consultation\.E001"):
        run_check_command()


@override_settings(
    STRIPE_WEBHOOK_VERIFY=True, STRIPE_SECRET_KEY="sk_test_123", STRIPE_WEBHOOK_SECRET="whsec_1"
)
def test_check_stripe_webhook_passes_with_a_secret() -> None:
    assert "consultation.E001" not in check_ids()
    run_check_command()


@override_settings(STRIPE_WEBHOOK_VERIFY=True, STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")
def test_check_stripe_webhook_passes_when_billing_is_off() -> None:
    run_check_command()


@override_settings(DEBUG=False, STRIPE_WEBHOOK_VERIFY=False)
def test_check_stripe_webhook_fails_when_verification_is_off_outside_debug() -> None:
    with pytest.raises(SystemCheckError, match=r"consultation\.E002"):
        run_check_command()


@override_settings(DEBUG=True, STRIPE_WEBHOOK_VERIFY=False, ALLOWED_HOSTS=["localhost"])
def test_check_stripe_webhook_allows_no_verification_in_debug() -> None:
    run_check_command()


# --- E003: DEBUG with public hosts ----------------------------------------------------------


@pytest.mark.parametrize(
    "hosts",
    [["consultation.example"], ["localhost", "consultation.example"], ["*"], [".example.com"]],
)
def test_check_debug_hosts_fails_for_public_hosts(hosts: list[str]) -> None:
    with (
        override_settings(DEBUG=True, ALLOWED_HOSTS=hosts),
        pytest.raises(SystemCheckError, match=r"consultation\.E003"),
    ):
        run_check_command()


@pytest.mark.parametrize(
    "hosts", [[], ["localhost"], ["127.0.0.1", "[::1]", "localhost", "testserver"]]
)
def test_check_debug_hosts_allows_local_hosts(hosts: list[str]) -> None:
    with override_settings(DEBUG=True, ALLOWED_HOSTS=hosts):
        run_check_command()


@override_settings(DEBUG=False, ALLOWED_HOSTS=["consultation.example"])
def test_check_debug_hosts_allows_public_hosts_without_debug() -> None:
    run_check_command()


# --- E008: a wildcard host outside DEBUG ---------------------------------------------------


@pytest.mark.parametrize("hosts", [["*"], ["consultation.example", "*"]])
def test_check_wildcard_hosts_fails_outside_debug(hosts: list[str]) -> None:
    with (
        override_settings(DEBUG=False, ALLOWED_HOSTS=hosts),
        pytest.raises(SystemCheckError, match=r"consultation\.E008"),
    ):
        run_check_command()


# --- E004: REDIS_URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "localhost:6379",
        "http://x",
        "redis://",
        "redis://h:99999",
        "redis://h:0",
        "redis://h:port",
        "rediss://:secret@/0",
        "unix://",
    ],
)
def test_check_redis_url_fails_when_malformed(url: str) -> None:
    with (
        override_settings(REDIS_URL=url),
        pytest.raises(SystemCheckError, match=r"consultation\.E004"),
    ):
        run_check_command()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "redis://localhost:6379/0",
        "redis://localhost",
        "rediss://:secret@cache.internal:6380/1",
        "redis://user:pass@10.0.0.5:6379",
        "unix:///var/run/redis/redis.sock",
    ],
)
def test_check_redis_url_accepts_valid_urls(url: str) -> None:
    with override_settings(REDIS_URL=url):
        run_check_command()


# --- E005: LLM providers --------------------------------------------------------------------


@override_settings(
    LLM_PROVIDERS=["demo", "openai"], PROVIDER_CREDENTIALS={"demo": "offline", "openai": ""}
)
def test_check_providers_fails_for_an_enabled_provider_without_key() -> None:
    with pytest.raises(SystemCheckError, match=r"consultation\.E005") as raised:
        run_check_command()
    assert "'openai'" in str(raised.value)


@override_settings(LLM_PROVIDERS=["demo", "mistral"], PROVIDER_CREDENTIALS={"demo": "offline"})
def test_check_providers_fails_for_an_unknown_provider() -> None:
    with pytest.raises(SystemCheckError, match=r"consultation\.E005") as raised:
        run_check_command()
    assert "'mistral'" in str(raised.value)


@override_settings(
    LLM_PROVIDERS=["demo", "openai"],
    PROVIDER_CREDENTIALS={"demo": "offline", "openai": "sk-test", "anthropic": ""},
)
def test_check_providers_passes_when_every_enabled_provider_has_a_key() -> None:
    run_check_command()


# --- E006: retention ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["RETAIN_DEBATES_DAYS", "RETAIN_AUDIT_DAYS", "RETAIN_METRICS_DAYS", "RETAIN_WEBHOOKS_DAYS"],
)
@pytest.mark.parametrize("days", [0, -1])
def test_check_retention_fails_below_one_day(name: str, days: int) -> None:
    with (
        override_settings(**{name: days}),
        pytest.raises(SystemCheckError, match=r"consultation\.E006") as raised,
    ):
        run_check_command()
    assert name in str(raised.value)


@override_settings(RETAIN_DEBATES_DAYS=1, RETAIN_AUDIT_DAYS=1)
def test_check_retention_accepts_one_day() -> None:
    run_check_command()


@pytest.mark.parametrize(
    "overrides",
    [
        {"SAFETY_INJECTION_MODE": "shout"},
        {"SAFETY_INJECTION_THRESHOLD": 0.0},
        {"SAFETY_INJECTION_THRESHOLD": 1.5},
        {"SAFETY_PII_REGIONS": ["TR", "XX"]},
    ],
)
def test_check_safety_rejects_bad_settings(overrides: dict[str, object]) -> None:
    with (
        override_settings(**overrides),
        pytest.raises(SystemCheckError, match=r"consultation\.E007"),
    ):
        run_check_command()


@override_settings(
    SAFETY_INJECTION_MODE="block", SAFETY_INJECTION_THRESHOLD=1.0, SAFETY_PII_REGIONS=["GB"]
)
def test_check_safety_accepts_good_settings() -> None:
    run_check_command()
