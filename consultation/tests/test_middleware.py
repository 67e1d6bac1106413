import re

import pytest
from django.test import AsyncClient, Client, RequestFactory

from consultation.middleware import assign_request_id

MINTED = re.compile(r"[0-9a-f]{32}")
UNSAFE_IDS = [
    "abc\ndefghij",
    "abcdefgh\n",  # a trailing newline slips past a `$`-anchored pattern
    "x" * 500,
    "short",
    "has spaces in it",
    "quote\"injection'x",
    "",
]


def test_request_id_minted_when_absent(anon_client: Client) -> None:
    response = anon_client.get("/healthz")
    assert MINTED.fullmatch(response["X-Request-ID"])


def test_request_id_differs_per_request(anon_client: Client) -> None:
    first = anon_client.get("/healthz")["X-Request-ID"]
    second = anon_client.get("/healthz")["X-Request-ID"]
    assert first != second


@pytest.mark.parametrize(
    "request_id",
    ["0123456789abcdef0123456789abcdef", "lb-1234.5678:abc_DEF", "a" * 128],
)
def test_request_id_echoed_when_safe(anon_client: Client, request_id: str) -> None:
    response = anon_client.get("/healthz", headers={"X-Request-ID": request_id})
    assert response["X-Request-ID"] == request_id


@pytest.mark.parametrize("request_id", UNSAFE_IDS)
def test_request_id_replaced_when_unsafe(request_id: str) -> None:
    # Through META: the test client's `headers=` would refuse a newline itself.
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=request_id)
    assert MINTED.fullmatch(response["X-Request-ID"])


async def test_request_id_minted_on_the_async_path() -> None:
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert MINTED.fullmatch(response["X-Request-ID"])


async def test_request_id_echoed_on_the_async_path() -> None:
    response = await AsyncClient().get("/healthz", headers={"X-Request-ID": "async-req-0001"})
    assert response["X-Request-ID"] == "async-req-0001"


@pytest.mark.parametrize("request_id", ["abc\ndefghij", "x" * 500])
async def test_request_id_replaced_when_unsafe_on_the_async_path(request_id: str) -> None:
    response = await AsyncClient().get("/healthz", HTTP_X_REQUEST_ID=request_id)
    assert MINTED.fullmatch(response["X-Request-ID"])


def test_assign_request_id_refreshes_cached_headers(rf: RequestFactory) -> None:
    request = rf.get("/", HTTP_X_REQUEST_ID="bad id\n")
    assert request.headers["X-Request-ID"] == "bad id\n"  # cached before the middleware runs
    request_id = assign_request_id(request)
    assert request.headers["X-Request-ID"] == request_id
    assert request.META["HTTP_X_REQUEST_ID"] == request_id
    assert request.request_id == request_id  # type: ignore[attr-defined]


# --- Headers: CSP and Cache-Control (issue 9, item 6) -----------------------------------------


@pytest.mark.django_db
def test_pages_carry_an_enforced_content_security_policy(anon_client: Client) -> None:
    response = anon_client.get("/leaderboard/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    # The nonce appears once a page uses {{ csp_nonce }}; none needs it today.
    assert directives["script-src"].split()[0] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.mark.django_db
def test_signed_in_responses_are_private_and_anonymous_ones_are_not(
    owner_client: Client, anon_client: Client
) -> None:
    for path in ("/dashboard/", "/debates/", "/api/v1/debates/", "/leaderboard/"):
        assert "private" in owner_client.get(path)["Cache-Control"], path
    assert "private" not in anon_client.get("/leaderboard/").get("Cache-Control", "")


@pytest.mark.django_db
def test_a_response_that_says_no_store_keeps_it(owner_client: Client) -> None:
    response = owner_client.get("/healthz")
    assert "no-store" in response["Cache-Control"]
