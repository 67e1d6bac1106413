"""Property tests of the debates API's input edges: whatever the body of `POST /debates/` or the
query string of `GET /debates/`, the answer is never a 5xx, and every error has the
`{code, detail}` shape. Bounded (`max_examples`) so they run in `make test`."""

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/debates/"
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    database=None,
    # The client fixture is built once per test, not per example: fine, it holds no state
    # an example could change (refused requests store nothing; accepted ones are debates).
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
FIELDS = [
    "question",
    "preset",
    "seats",
    "rounds",
    "judges",
    "chair",
    "category",
    "cost_cap_usd",
    "max_seat_fail_ratio",
    "min_required_seats",
    "fail_fast",
    "is_public",
    "listed_in_hall_of_fame",
    "substitute_unavailable",
]
# Text with what broke the app before: NUL, controls, surrogates, zero-width characters.
TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from(["", "\x00", "\u200b" * 20, "demo:demo-sage", "balanced-trio", "ethics"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
SEAT = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["demo:demo-sage", "demo:demo-skeptic", "nope"]) | JSON,
        "role": st.sampled_from(["proponent", "skeptic", "custom"]) | JSON,
        "temperature": JSON,
        "instruction": JSON,
    },
)
BODY = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(FIELDS, JSON),
        "question": st.sampled_from(["Should a startup adopt a four-day week?"]) | TEXT,
        "seats": st.lists(SEAT, max_size=10) | JSON,
    },
)


@pytest.fixture
def client(owner: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def assert_not_a_server_error(response: Any) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["code"], str)
        assert body["code"]
        assert isinstance(body["detail"], str)
        assert body["detail"]


@PROPERTY
@given(body=BODY | JSON)
def test_create_never_answers_5xx(client: Client, body: Any) -> None:
    # ensure_ascii: lone surrogates travel as \\ud800 escapes, as a hostile client sends them.
    response = client.post(URL, json.dumps(body), "application/json")
    assert_not_a_server_error(response)


@PROPERTY
@given(
    params=st.dictionaries(
        st.sampled_from(["status", "page", "page_size", "q", "ordering"]),
        # A URL carries bytes: lone surrogates cannot travel in it, NUL and controls can.
        st.text(max_size=20) | st.sampled_from(["\x00", "queued", "-1", "0", "999999"]),
        max_size=4,
    )
)
def test_list_filters_never_answer_5xx(client: Client, params: dict[str, str]) -> None:
    assert_not_a_server_error(client.get(URL, params))
