"""Settings validation as Django system checks: `manage.py check` fails on unsafe settings.

Each check reads `settings` only, so tests drive them with `override_settings`. Ids are stable
(`consultation.E00x`) and listed in docs/DEPLOY.md.
"""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from safety.options import INJECTION_MODES
from safety.pii import unknown_regions

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1", "testserver"})
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


@register(Tags.security)
def check_stripe_webhook(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    billing_on = bool(settings.STRIPE_SECRET_KEY)
    if settings.STRIPE_WEBHOOK_VERIFY and billing_on and not settings.STRIPE_WEBHOOK_SECRET:
        errors.append(
            Error(
                "STRIPE_WEBHOOK_VERIFY is on but STRIPE_WEBHOOK_SECRET is empty: "
                "every Stripe webhook would be rejected.",
                hint="Set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...).",
                id="consultation.E001",
            )
        )
    if not settings.STRIPE_WEBHOOK_VERIFY and not settings.DEBUG:
        errors.append(
            Error(
                "STRIPE_WEBHOOK_VERIFY is off outside DEBUG: anyone could forge billing events.",
                hint="Remove STRIPE_WEBHOOK_VERIFY=0: unverified webhooks are for development.",
                id="consultation.E002",
            )
        )
    return errors


@register(Tags.security)
def check_debug_hosts(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEBUG:
        return []
    public = sorted(host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS)
    if not public:
        return []
    return [
        Error(
            f"DEBUG is on while ALLOWED_HOSTS names non-local hosts ({', '.join(public)}): "
            "debug pages would leak settings and source to the internet.",
            hint="Turn DEBUG off in any deployment reachable from outside this machine.",
            id="consultation.E003",
        )
    ]


@register(Tags.security)
def check_wildcard_hosts(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """Django's `check --deploy` accepts ALLOWED_HOSTS=['*']; we do not outside DEBUG: any Host
    header would be trusted, in password-reset and invitation links among others."""
    if settings.DEBUG or "*" not in settings.ALLOWED_HOSTS:
        return []
    return [
        Error(
            "ALLOWED_HOSTS contains '*' with DEBUG off: every Host header is accepted, so "
            "absolute links (password resets, invitations) could point at an attacker's host.",
            hint="Name the hosts this site answers to: ALLOWED_HOSTS=consultation.example.com.",
            id="consultation.E008",
        )
    ]


@register(Tags.caches)
def check_redis_url(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    url = settings.REDIS_URL
    if not url:
        return []
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    valid = (
        parts is not None
        and port_ok
        and parts.scheme in REDIS_SCHEMES
        and bool(parts.hostname if parts.scheme != "unix" else parts.path)
    )
    if valid:
        return []
    return [
        Error(
            "REDIS_URL is malformed.",
            hint="Use redis://host:6379/0, rediss://host:6380/0 or unix:///path/to/redis.sock.",
            id="consultation.E004",
        )
    ]


@register()
def check_providers(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    credentials: dict[str, str] = settings.PROVIDER_CREDENTIALS
    for name in settings.LLM_PROVIDERS:
        if name not in credentials:
            errors.append(
                Error(
                    f"LLM_PROVIDERS names an unknown provider {name!r}.",
                    hint=f"Known providers: {', '.join(sorted(credentials))}.",
                    id="consultation.E005",
                )
            )
        elif not credentials[name]:
            errors.append(
                Error(
                    f"Provider {name!r} is enabled in LLM_PROVIDERS but has no key.",
                    hint="Set its key (e.g. OPENAI_API_KEY, or OPENAI_COMPAT_BASE_URL for "
                    "openai_compat) or remove it from LLM_PROVIDERS.",
                    id="consultation.E005",
                )
            )
    return errors


@register()
def check_retention(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"{name} is {getattr(settings, name)}: retention periods must be at least 1 day.",
            hint="A shorter period would purge data that running debates still need.",
            id="consultation.E006",
        )
        for name in (
            "RETAIN_DEBATES_DAYS",
            "RETAIN_AUDIT_DAYS",
            "RETAIN_METRICS_DAYS",
            "RETAIN_WEBHOOKS_DAYS",
        )
        if getattr(settings, name) < 1
    ]


@register()
def check_safety(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.SAFETY_INJECTION_MODE not in INJECTION_MODES:
        errors.append(
            Error(
                f"SAFETY_INJECTION_MODE is {settings.SAFETY_INJECTION_MODE!r}.",
                hint=f"Use one of {', '.join(INJECTION_MODES)}.",
                id="consultation.E007",
            )
        )
    if not 0 < settings.SAFETY_INJECTION_THRESHOLD <= 1:
        errors.append(
            Error(
                f"SAFETY_INJECTION_THRESHOLD is {settings.SAFETY_INJECTION_THRESHOLD}.",
                hint="A threshold is a score in (0, 1]; 0 would flag every text.",
                id="consultation.E007",
            )
        )
    unknown = unknown_regions(settings.SAFETY_PII_REGIONS)
    if unknown:
        errors.append(
            Error(
                f"SAFETY_PII_REGIONS names unknown regions: {', '.join(unknown)}.",
                hint="Use ISO 3166 region codes known to phonenumbers, e.g. TR, US, GB, DE.",
                id="consultation.E007",
            )
        )
    return errors
