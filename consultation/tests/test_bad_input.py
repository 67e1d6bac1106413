"""Bad input from outside is a clear 4xx in the `{code, detail}` shape, and nothing is stored.

Each case was a 500 (or an HTML or empty 400) found by probing the running app: a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, deeply nested JSON, a lone surrogate, a NUL byte in a filter, a
broken multipart body, a Host not in ALLOWED_HOSTS. The clients here do not re-raise server
exceptions, so a 500 shows as the 500 a real client would get.
"""

import json

import pytest
from django.core import mail
from django.test import Client
from django.test.utils import override_settings

from accounts.models import Team, User
from debates.models import Debate

pytestmark = pytest.mark.django_db

URL = "/api/v1/debates/"
QUESTION = "Should a 20-person startup adopt a four-day week?"


@pytest.fixture
def client(owner: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def assert_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_upload_limit_is_413(client: Client) -> None:
    body = json.dumps({"question": "x" * 2000, "preset": "balanced-trio"})
    assert_error(client.post(URL, body, "application/json"), 413, "payload_too_large")
    assert not Debate.objects.exists()


def test_deeply_nested_json_is_a_parse_error(client: Client) -> None:
    assert_error(client.post(URL, "[" * 100_000, "application/json"), 400, "parse_error")


def test_a_lone_surrogate_is_a_parse_error(client: Client) -> None:
    body = '{"question": "' + QUESTION + '", "preset": "balanced-trio", "category": "\\ud800"}'
    assert_error(client.post(URL, body, "application/json"), 400, "parse_error")
    assert not Debate.objects.exists()


def test_nan_is_not_json(client: Client) -> None:
    body = '{"question": "' + QUESTION + '", "preset": "balanced-trio", "cost_cap_usd": NaN}'
    assert_error(client.post(URL, body, "application/json"), 400, "parse_error")


@pytest.mark.parametrize("status", ["\x00", "running\x00", "nope"])
def test_an_unknown_status_filter_is_refused_before_the_database(
    client: Client, status: str
) -> None:
    # PostgreSQL answers a NUL byte in a query parameter with an error (a 500 before).
    body = assert_error(client.get(URL, {"status": status}), 400, "validation_failed")
    assert "status" in body["fields"]  # type: ignore[operator]


def test_a_known_status_filter_still_filters(client: Client) -> None:
    response = client.get(URL, {"status": "queued"})
    assert response.status_code == 200


def test_a_bad_host_on_the_api_answers_json() -> None:
    client = Client(HTTP_HOST="evil.example", raise_request_exception=False)
    assert_error(client.get(URL), 400, "bad_request")


def test_a_bad_host_on_a_page_answers_the_400_page() -> None:
    client = Client(HTTP_HOST="evil.example", raise_request_exception=False)
    response = client.get("/leaderboard/")
    assert response.status_code == 400
    assert b"This request could not be read" in response.content


def test_a_multipart_body_with_a_bad_boundary_is_a_readable_400(client: Client) -> None:
    response = client.generic(
        "POST",
        "/teams/",
        b"--x\r\nContent-Disposition: form-data; name=name\r\n\r\nA",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert b"This request could not be read" in response.content


def test_judges_are_capped(client: Client) -> None:
    body = {"question": QUESTION, "preset": "balanced-trio", "judges": ["demo:demo-sage"] * 100_000}
    errors = assert_error(client.post(URL, body, "application/json"), 400, "validation_failed")
    assert "judges" in errors["fields"]  # type: ignore[operator]
    assert not Debate.objects.exists()


@pytest.mark.parametrize("name", ["Evil\r\nBcc: victim@example.com", "Tab\tname", "Nul\x00"])
def test_a_team_name_with_control_characters_is_refused(
    client: Client, owner: User, name: str
) -> None:
    response = client.post("/teams/", {"name": name})
    assert response.status_code in (200, 400)
    assert not mail.outbox
    assert not Team.objects.filter(created_by=owner, is_personal=False).exists()
