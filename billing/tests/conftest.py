"""Stripe for billing's tests: settings with test keys and prices, recorded event payloads
signed the way Stripe signs them, the VCR cassettes of Stripe's API, and a guard that fails
any test reaching past this machine."""

import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import vcr
from django.test import Client
from vcr.request import Request as VcrRequest

from accounts.models import Team

HERE = Path(__file__).resolve().parent
EVENTS = HERE / "stripe_events"
WEBHOOK_SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dcConsultation"
SECRET_KEY = "sk_test_51SPpzKLkdIwHu7ixConsultationTestKey00000000000000000000"
PRO_PRICE = "price_1SPq1aLkdIwHu7ixPro0Mnth"
TEAM_PRICE = "price_1SPq2bLkdIwHu7ixTeam0Mth"
WEBHOOK_URL = "/stripe/webhook/"


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _form(request: VcrRequest) -> dict[str, list[str]]:
    body = request.body or b""
    text = body.decode() if isinstance(body, bytes) else body
    form = parse_qs(text, keep_blank_values=True)
    # Each test's team has its own id: the cassettes record one.
    return {key: [_UUID.sub("<team-id>", v) for v in values] for key, values in form.items()}


def _same_form(recorded: VcrRequest, sent: VcrRequest) -> None:
    """A POST matches only with exactly the recorded form parameters (in any order)."""
    assert _form(recorded) == _form(sent)


# record_mode "none": a request a cassette does not hold fails instead of going out.
stripe_vcr = vcr.VCR(
    cassette_library_dir=str(HERE / "cassettes"),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path", "query", "stripe_form"],
    filter_headers=["authorization"],
)
stripe_vcr.register_matcher("stripe_form", _same_form)


LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """vcrpy answers Stripe's API before any socket opens: a lookup or connection that would
    leave this machine is refused, and fails the test even when the SDK turned the refusal
    into an error the code under test handled."""
    attempts: list[str] = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in LOCAL_HOSTS and not str(host).startswith("/"):
            attempts.append(f"connect {address!r}")
            raise OSError(f"a billing test tried to reach {address!r}")
        return connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in LOCAL_HOSTS:
            attempts.append(f"resolve {host!r}")
            raise socket.gaierror(f"a billing test tried to resolve {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    assert not attempts, f"the test reached for the network: {attempts}"


@pytest.fixture
def stripe_on(settings: Any) -> Any:
    """Billing configured: test keys, the webhook secret and the plans' prices."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_51SPpzKLkdIwHu7ixConsultation"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_VERIFY = True
    settings.STRIPE_PRICE_IDS = {"pro": PRO_PRICE, "team": TEAM_PRICE}
    settings.SITE_URL = "http://testserver"
    return settings


def stripe_event(name: str, *, team: Team) -> dict[str, Any]:
    """A recorded event payload (billing/tests/stripe_events/<name>.json) about `team`."""
    text = (EVENTS / f"{name}.json").read_text(encoding="utf-8")
    event: dict[str, Any] = json.loads(text.replace("{team_id}", str(team.pk)))
    return event


def signature(payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


PostEvent = Callable[..., Any]


@pytest.fixture
def post_event(stripe_on: Any) -> PostEvent:
    """Post an event to the real webhook endpoint, signed (or as `signed_with` says)."""

    def post(event: dict[str, Any], *, signed_with: str = WEBHOOK_SECRET, body: str = "") -> Any:
        payload = body or json.dumps(event)
        return Client(enforce_csrf_checks=True).post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature(payload, secret=signed_with)},
        )

    return post
