"""schemathesis over the OpenAPI schema, with a valid key: no 5xx, no response the schema denies.

The schema is the one `/api/v1/schema/` serves (drf-spectacular's generator, built once at
collection); every operation is called in-process through Django's WSGI handler, inside the
test's transaction, as the owner of a team on the Pro plan with a key holding every scope.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Team, User
from apikeys.tests.factories import make_key

# What the schema promises about responses. Not `positive_data_acceptance`: some rules span
# fields (`from` needs `to`) or the plan (seats, rounds) and OpenAPI cannot say them; their 400
# and 403 bodies are still checked against the documented error shape.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("pro_by_default")]


def _served_schema() -> dict[str, Any]:
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema: dict[str, Any] = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return schema


schema = schemathesis.openapi.from_dict(_served_schema())


@pytest.fixture
def key(owner: User, team: Team) -> str:
    return make_key(actor=owner, team=team, name="fuzz").key


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_5xx_or_outside_its_schema(
    case: schemathesis.Case[Any], key: str
) -> None:
    case.call_and_validate(
        base_url="http://testserver",
        app=WSGIHandler(),
        headers={"Authorization": f"Bearer {key}"},
        checks=CHECKS,
    )


def test_the_fuzzing_key_is_valid(key: str) -> None:
    """The fuzz run above is authenticated: its key is accepted (a 401 everywhere would
    conform to the schema too, and test nothing)."""
    response = Client().get("/api/v1/me/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.content
    assert Client().get("/api/v1/me/").status_code in (401, 403)
